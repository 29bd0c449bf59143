"""One finding per entity: two spellings the registry maps to one id are one finding.

The reading groups a factor's spellings by their shape and a short alias table ("HER2"/"ERBB2");
the registry knows every approved, previous and alias symbol ("P-gp", "MDR1" and "ABCB1" are
HGNC:40). Where two findings of a paper name the same mapped factor with the same therapy, cancer
and effect, the one with the higher confidence stays and the other becomes a rejection naming it.
Measured on the check part of the development data: 2 of its 10 duplicate findings merged, no
true finding lost (BENCHMARKS.md). A paper stored before the index was built gets its ids later
but keeps its findings as stored.
"""

from __future__ import annotations

from ..inputs.text import normalize_name
from ..schema import EntityRef, Finding, PaperSummary, RejectedFinding, findings_summary


def _id_or_name(ref: EntityRef | None, name: str | None) -> str:
    if ref is not None and ref.status == "mapped" and ref.id:
        return ref.id
    return normalize_name(name or "").lower()


def entity_key(finding: Finding) -> tuple[str, str, str, str] | None:
    """What makes two findings one: the factor's id, the therapy and cancer (ids where mapped)
    and the effect; None where the factor has no id (its spellings are the reading's to group)."""
    ref = finding.factor_ref
    if ref is None or ref.status != "mapped" or not ref.id:
        return None
    therapy = _id_or_name(finding.therapy_ref, finding.therapy)
    cancer = _id_or_name(finding.cancer_ref, finding.cancer_type)
    return ref.id, therapy, cancer, str(finding.effect)


def merge_same_entities(paper: PaperSummary) -> PaperSummary:
    """``paper`` with one finding per entity key; the others are rejections saying which stayed."""
    kept: dict[tuple[str, str, str, str], int] = {}
    findings: list[Finding] = []
    rejected: list[RejectedFinding] = []
    for finding in paper.findings:
        key = entity_key(finding)
        if key is None or key not in kept:
            if key is not None:
                kept[key] = len(findings)
            findings.append(finding)
            continue
        first = findings[kept[key]]
        if (finding.confidence or 0.0) > (first.confidence or 0.0):
            findings[kept[key]], finding, first = finding, first, finding
        rejected.append(
            RejectedFinding(
                reason=f"{finding.factor!r} is {first.factor!r} ({key[0]}) again, with the same therapy, "
                "cancer and effect",
                finding=finding.model_dump(mode="json"),
            )
        )
    if not rejected:
        return paper
    return paper.model_copy(
        update={
            "findings": findings,
            "rejected_findings": [*paper.rejected_findings, *rejected][:60],
            "summary": findings_summary(findings),
        }
    )
