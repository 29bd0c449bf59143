"""What people curated, out of the store: reviewed findings (JSONL, CSV) and gold files.

``summarizer export --reviewed`` writes every finding a person kept (accepted, corrected, added,
promoted; never a rejected one) with who decided it and when. ``summarizer export --format gold
-o DIR`` writes one gold file per reviewed paper (every finding of it decided) in the format of
``tests/gold/README.md``, and the paper's stored text beside it, so ``summarizer eval --gold DIR``
scores the tool against its own reviewers and the folder is annotated data like any gold set.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..evaluate import GAIN_ALTERATIONS
from ..outputs.export import CSV_COLUMNS, finding_row, spreadsheet_safe
from ..outputs.files import STDOUT, write_text
from ..schema import LOSS_ALTERATIONS, Finding, PaperSummary, role_of
from ..store import Store
from .curation import KEPT_STATES, REJECT_REASONS, NotFound, PaperView, load_view

REVIEW_COLUMNS = ["finding_id", "review_state", "origin", "reviewed_by", "reviewed_at", "version", "note"]
SAFE_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+:@-]{0,149}")


def iso(ts: float | None) -> str | None:
    """A timestamp as ISO 8601 UTC (seconds)."""
    return None if ts is None else datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="seconds")


def _paper_of(store: Store, doc_id: str) -> PaperSummary:
    row = store.conn.execute(
        "SELECT paper_json FROM papers WHERE doc_id=? AND status='ok' AND paper_json IS NOT NULL"
        " ORDER BY created_at DESC, id DESC LIMIT 1",
        (doc_id,),
    ).fetchone()
    if row is not None:
        return PaperSummary.model_validate_json(row[0])
    return PaperSummary(doc_id=doc_id, sha256="0" * 64)  # the paper's results were all removed


def reviewed(store: Store) -> list[tuple[PaperSummary, dict[str, Any]]]:
    """Every kept curation (oldest document first), with its paper's newest metadata."""
    rows = store.conn.execute(
        f"SELECT * FROM curations WHERE state IN ({','.join('?' * len(KEPT_STATES))}) ORDER BY doc_id, id",
        KEPT_STATES,
    ).fetchall()
    papers: dict[str, PaperSummary] = {}
    out = []
    for r in rows:
        paper = papers.get(r["doc_id"]) or papers.setdefault(r["doc_id"], _paper_of(store, r["doc_id"]))
        out.append((paper, dict(r)))
    return out


def reviewed_jsonl(items: list[tuple[PaperSummary, dict[str, Any]]]) -> str:
    """One JSON object per kept finding: the paper's ids, the finding as curated, who and when."""
    lines = []
    for paper, r in items:
        record = {
            "doc_id": paper.doc_id,
            "source_name": paper.source_name,
            "title": paper.title,
            "doi": paper.doi,
            "pmid": paper.pmid,
            "year": paper.year,
            "finding_id": r["fid"],
            "review_state": r["state"],
            "origin": r["origin"],
            "version": r["version"],
            "reviewed_by": r["updated_by"],
            "reviewed_at": iso(r["updated_at"]),
            "first_reviewed_by": r["created_by"],
            "first_reviewed_at": iso(r["created_at"]),
            "note": r["note"],
            "finding": json.loads(r["finding_json"]),
            "machine": json.loads(r["machine_json"]) if r["machine_json"] else None,
        }
        lines.append(json.dumps(record, ensure_ascii=False) + "\n")
    return "".join(lines)


def reviewed_csv(items: list[tuple[PaperSummary, dict[str, Any]]]) -> str:
    """The export's CSV columns for each kept finding, plus who reviewed it, when and how."""

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS + REVIEW_COLUMNS, quoting=csv.QUOTE_ALL)
    writer.writeheader()
    for paper, r in items:
        row = finding_row(paper, Finding.model_validate_json(r["finding_json"]))
        row |= {
            "finding_id": r["fid"],
            "review_state": r["state"],
            "origin": r["origin"],
            "reviewed_by": r["updated_by"],
            "reviewed_at": iso(r["updated_at"]),
            "version": r["version"],
            "note": r["note"] or "",
        }
        writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
    return buffer.getvalue()


# --- gold ---------------------------------------------------------------------------------------


def polarity(alteration: str) -> str:
    """gain, loss or neutral, as the gold format's ``alteration_polarity``."""
    if alteration in LOSS_ALTERATIONS:
        return "loss"
    return "gain" if alteration in GAIN_ALTERATIONS else "neutral"


def gold_finding(f: dict[str, Any]) -> dict[str, Any] | None:
    """A curated finding as a gold finding (None where it states no direction: not a finding)."""
    role = role_of(f.get("alteration", ""), f.get("effect", ""))
    if role is None or not all(str(f.get(k) or "").strip() for k in ("factor", "therapy", "cancer_type")):
        return None
    ref = f.get("factor_ref") or {}
    hgnc = (
        ref.get("name")
        if ref.get("status") == "mapped" and str(ref.get("id", "")).startswith("HGNC:")
        else None
    )
    evidence = f.get("evidence") or []
    return {
        "factor": f["factor"],
        "factor_type": f.get("factor_type"),
        "hgnc_symbol": hgnc,
        "alteration": f.get("alteration"),
        "therapy": f["therapy"],
        "therapy_class": f.get("therapy_class"),
        "cancer_type": f["cancer_type"],
        "effect": f.get("effect"),
        "mechanism_categories": f.get("mechanism_categories") or [],
        "pathways_or_partners": f.get("pathways_or_partners") or [],
        "models": f.get("models") or [],
        "evidence_level": f.get("evidence_level") or [],
        "key_quote": evidence[0]["quote"] if evidence else None,
        "factor_aliases": [],
        "therapy_aliases": [],
        "cancer_aliases": [],
        "alteration_polarity": polarity(f.get("alteration", "")),
        "factor_role": role,
        "optional": False,
    }


def gold_file(view: PaperView) -> dict[str, Any]:
    """The gold answer of one reviewed paper: the findings people kept, in their curated form."""
    p = view.paper
    kept = [i for i in view.items if i.state in KEPT_STATES]
    findings = [g for g in (gold_finding(i.finding) for i in kept) if g is not None]
    people = sorted({i.who for i in view.items if i.who})
    rejected = [i for i in view.items if i.state == "rejected"]
    notes = (
        f"exported from summarizer review: {len(kept)} finding(s) kept, {len(rejected)} rejected"
        + (
            f" ({', '.join(sorted({REJECT_REASONS.get(i.reason or '', '?') for i in rejected}))})"
            if rejected
            else ""
        )
        + f"; reviewed by {', '.join(people) or 'nobody'}"
    )
    return {
        "source_url": None,
        "title": p.title,
        "doi": p.doi,
        "pmid": p.pmid,
        "year": p.year,
        "findings": findings,
        "notes": notes,
        "doc_file": None,
    }


def _stem(paper: PaperSummary, taken: set[str]) -> str:
    for name in (paper.source_name, paper.doc_id):
        if name and SAFE_STEM.fullmatch(name) and name not in taken:
            return name
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", paper.source_name or paper.doc_id).strip("._")[:100] or "paper"
    stem, n = base, 2
    while stem in taken:
        stem, n = f"{base}-{n}", n + 1
    return stem


def write_gold(store: Store, folder: Path) -> tuple[int, int]:
    """Gold files and texts of every reviewed paper into ``folder``; (written, left out unfinished)."""
    docs = [r[0] for r in store.conn.execute("SELECT DISTINCT doc_id FROM curations ORDER BY doc_id")]
    written, unfinished = 0, 0
    taken: set[str] = set()
    for doc_id in docs:
        try:
            view = load_view(store, doc_id)
        except NotFound:
            continue
        if view.state != "reviewed":
            unfinished += 1
            continue
        stem = _stem(view.paper, taken)
        taken.add(stem)
        gold = gold_file(view)
        gold["doc_file"] = f"docs/{stem}.txt"
        (folder / "docs").mkdir(parents=True, exist_ok=True)
        with open(folder / "docs" / f"{stem}.txt", "w", encoding="utf-8", newline="") as fh:
            fh.write(view.source_text)
        (folder / f"{stem}.json").write_text(
            json.dumps(gold, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        written += 1
    return written, unfinished


def export_curated(args: argparse.Namespace, db: Path) -> int:
    """``summarizer export --reviewed`` and ``--format gold``."""
    with Store(db, read_only=True) as store:
        if args.format == "gold":
            if args.output in (None, STDOUT):
                raise ConfigError("--format gold writes a folder: pass -o DIR")
            folder = Path(args.output)
            if folder.exists() and not folder.is_dir():
                raise ConfigError(f"{folder} is a file; --format gold needs a folder (-o DIR)")
            folder.mkdir(parents=True, exist_ok=True)
            written, unfinished = write_gold(store, folder)
            print(
                f"wrote {written} gold file(s) and their texts to {folder}"
                + (f"; {unfinished} paper(s) with undecided findings left out" if unfinished else ""),
                file=sys.stderr,
            )
            return 0
        if args.format not in ("jsonl", "csv"):
            raise ConfigError("--reviewed writes jsonl or csv (or use --format gold -o DIR)")
        items = reviewed(store)
    write_text(args.output, reviewed_jsonl(items) if args.format == "jsonl" else reviewed_csv(items))
    return 0
