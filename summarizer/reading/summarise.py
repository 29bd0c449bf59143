"""The last stage: decided draft findings -> the stored ``PaperSummary``.

Quotes and their offsets are copied from the ORIGINAL text, so ``text[start:end] == quote`` for
every stored quote. The fields a finding has beyond its factor, therapy, cancer and role (the
alteration, classes, mechanism, partners, models, evidence level) are read off its evidence
sentences (``enrich``). The summary sentence of the paper is written from the findings, so it
never says more than they do.
"""

from __future__ import annotations

import re

from ..inputs.document import Document
from ..schema import (
    LOSS_ALTERATIONS,
    Alteration,
    Evidence,
    Finding,
    PaperSummary,
    RejectedFinding,
    TherapyClass,
    findings_summary,
)
from . import enrich, lexicon
from .mentions import Mentions
from .relate import DraftFinding

MAX_EVIDENCE = 3
_MECHANISM = re.compile(
    r"\b(?:through|via|by)\s+((?:sponging|targeting|suppressing|repressing|activating|inducing|"
    r"promoting|inhibiting|sequestering|upregulating|downregulating|derepressing|stabili[sz]ing|"
    r"degrading|enhancing|reducing|increasing|the)\b[^,;.]{3,80})",
    re.IGNORECASE,
)
_MODEL_WORDS = re.compile(
    r"\b(?:xenografts?|nude mice|mouse models?|mice|patients?|tumou?r (?:specimens|samples|tissues)|"
    r"organoids?|PDX)\b",
    re.IGNORECASE,
)


def effect_for_role(alteration: str, role: str) -> str:
    """The effect to state for ``alteration`` so that the finding has ``role``."""
    promotes = role == "pro_resistance"
    if alteration in LOSS_ALTERATIONS:
        promotes = not promotes
    return "promotes_resistance" if promotes else "reverses_resistance"


def to_finding(doc: Document, mentions: Mentions, draft: DraftFinding, all_names: set[str]) -> Finding:
    """One stored finding from a decided draft (``draft.role`` is set)."""
    assert draft.role is not None
    numbers = evidence_numbers(draft)
    quotes = [doc.sentence(n) for n in numbers]
    clean_quotes = [doc.clean_sentence(n) for n in numbers]
    evidence = [
        Evidence(quote=doc.text[s.start : s.end], start=s.start, end=s.end)
        for s in (doc.sentences[n - 1] for n in numbers)
    ]
    alteration = _alteration(draft)
    return Finding(
        factor=draft.candidate.name[:60],
        factor_type=draft.candidate.factor_type,
        alteration=alteration,
        therapy=draft.therapy[:60],
        therapy_class=enrich.therapy_class(draft.therapy, _default_class(draft.therapy)),
        cancer_type=draft.cancer[:80],
        effect=effect_for_role(alteration, draft.role),  # type: ignore[arg-type]
        mechanism=_mechanism(clean_quotes),
        mechanism_categories=enrich.mechanism_categories(quotes),
        pathways_or_partners=_partners(clean_quotes, draft, all_names),
        models=_models(numbers, mentions, quotes),
        evidence_level=enrich.evidence_levels(quotes),
        evidence=evidence,
    )


def evidence_numbers(draft: DraftFinding) -> list[int]:
    """Up to three sentences, in text order: those whose reading agrees with the role first."""
    agreeing = sorted(
        ((n, r) for n, r in draft.readings if r.role == draft.role), key=lambda nr: (-nr[1].weight, nr[0])
    )
    chosen = list(dict.fromkeys(n for n, _ in agreeing))[:MAX_EVIDENCE]
    for n in draft.sentences:
        if len(chosen) >= MAX_EVIDENCE:
            break
        if n not in chosen and not any(m == n for m, _ in draft.readings):
            chosen.append(n)
    return sorted(chosen or draft.sentences[:1])


def _alteration(draft: DraftFinding) -> Alteration:
    reading = draft.best_reading
    assert reading is not None  # a draft with a role has a reading that agrees with it
    return enrich.alteration_of(reading.change, reading.cue)


def _default_class(therapy: str) -> TherapyClass:
    return "radiotherapy" if therapy == lexicon.RADIOTHERAPY else "other"


def _mechanism(clean_quotes: list[str]) -> str:
    for quote in clean_quotes:
        m = _MECHANISM.search(quote)
        if m:
            return m.group(1).strip()[:100]
    return ""


def _partners(clean_quotes: list[str], draft: DraftFinding, all_names: set[str]) -> list[str]:
    own = set(draft.candidate.names)
    found: list[str] = []
    text = " ".join(clean_quotes)
    for name in sorted(all_names - own, key=lambda n: (text.find(n), -len(n), n)):
        if name in text and name not in found and not any(name in f or f in name for f in found):
            found.append(name[:40])
    return found[:3]


def _models(numbers: list[int], mentions: Mentions, quotes: list[str]) -> list[str]:
    found: list[str] = []
    for n in numbers:
        text = mentions.doc.clean_sentence(n)
        at = {
            c: m.start()
            for c in mentions.cell_lines
            if (m := re.search(rf"(?<![\w-]){re.escape(c)}(?![\w])", text))
        }
        found += sorted(at, key=lambda c: (at[c], c))
    for quote in quotes:
        found += [m.group(0).lower() for m in _MODEL_WORDS.finditer(quote)]
    return [m[:50] for m in dict.fromkeys(found)][:3]


def to_summary(doc: Document, findings: list[Finding], rejected: list[RejectedFinding]) -> PaperSummary:
    """Identity and metadata of ``doc`` with its findings, the paper's cancers and the summary."""
    return PaperSummary(
        **doc.identity(),
        cancer_types=list(dict.fromkeys(f.cancer_type for f in findings if f.cancer_type))[:4],
        summary=findings_summary(findings),
        findings=findings[:60],
        rejected_findings=rejected[:60],
    )
