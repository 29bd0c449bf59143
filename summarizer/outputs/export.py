"""Stored papers as files people open: the findings CSV (one row per finding, formula-safe cells).

JSONL is each paper's own JSON; the atlas's GraphML is ``atlas.graphml``.
"""

from __future__ import annotations

import csv
import io

from ..schema import EntityRef, Finding, PaperSummary

CSV_COLUMNS = [
    "doc_id",
    "title",
    "doi",
    "pmid",
    "year",
    "factor",
    "factor_type",
    "alteration",
    "therapy",
    "therapy_class",
    "cancer_type",
    "effect",
    "confidence",
    "mechanism",
    "mechanism_categories",
    "pathways_or_partners",
    "models",
    "evidence_level",
    "evidence",
    "evidence_spans",
    "factor_id",
    "factor_norm",
    "therapy_id",
    "therapy_norm",
    "cancer_id",
    "cancer_norm",
]


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A text cell that would start a formula gets a leading single quote (OWASP's advice).

    Model answers fill most cells, and the abstracts they come from are untrusted too.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def findings_csv(papers: list[PaperSummary]) -> str:
    """One row per finding; list fields joined with '; '; every cell quoted and formula-safe."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, quoting=csv.QUOTE_ALL)
    writer.writeheader()
    for paper in papers:
        for f in paper.findings:
            row = finding_row(paper, f)
            writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
    return buffer.getvalue()


def finding_row(paper: PaperSummary, f: Finding) -> dict[str, object]:
    """The CSV cells of one finding of ``paper`` (before ``spreadsheet_safe``)."""
    return {
        "doc_id": paper.doc_id,
        "title": paper.title,
        "doi": paper.doi,
        "pmid": paper.pmid,
        "year": paper.year,
        "factor": f.factor,
        "factor_type": f.factor_type,
        "alteration": f.alteration,
        "therapy": f.therapy,
        "therapy_class": f.therapy_class,
        "cancer_type": f.cancer_type,
        "effect": f.effect,
        "confidence": "" if f.confidence is None else f"{f.confidence:.3f}",
        "mechanism": f.mechanism,
        "mechanism_categories": "; ".join(f.mechanism_categories),
        "pathways_or_partners": "; ".join(f.pathways_or_partners),
        "models": "; ".join(f.models),
        "evidence_level": "; ".join(f.evidence_level),
        "evidence": " | ".join(e.quote for e in f.evidence),
        "evidence_spans": "; ".join(f"{e.start}-{e.end}" for e in f.evidence),
        **_ref_cells("factor", f.factor_ref),
        **_ref_cells("therapy", f.therapy_ref),
        **_ref_cells("cancer", f.cancer_ref),
    }


def _ref_cells(prefix: str, ref: EntityRef | None) -> dict[str, str]:
    """The id and normalised name columns of one mapped name ("" otherwise)."""
    mapped = ref is not None and ref.status == "mapped"
    return {
        f"{prefix}_id": (ref.id or "") if ref is not None and mapped else "",
        f"{prefix}_norm": (ref.name or "") if ref is not None and mapped else "",
    }
