"""Whether a draft is a finding, and how sure: a logistic model over the evidence the stages give.

Earlier versions decided with hand-set rules ("keep a factor the model named; keep another only
with two agreeing sentences"), each tuned on the texts it was written against; they held on those
texts and far less on unseen ones. Here every draft that has a role is described by the same
generic evidence (how many sentences agree and disagree on its role, whether they name the
therapy or only "resistance", whether the model named the factor and the therapy, whether the
drug is used on the factor as a tool elsewhere, how many drugs a sentence names at once, hedges,
where the factor sits in the chain of the sentence, ...), and the weights come from annotated
texts (``benchmarks/fit_decision.py`` fits them on the *tune* part of the development data and
reports the *check* part). The model's probability is the finding's ``confidence``; a draft below
the fitted threshold is kept as a rejection naming its confidence and the evidence that weighed
most against it.

The rejections of the drafts left out are written here too (``undecided``, ``unlikely``,
``no_therapy``), each with its reason.

The weights live in ``decision.json`` beside this module; its bytes are part of every result's
key (``extract.RULE_MODULES``), so refitting them re-does stored results.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ..inputs.document import Document
from ..inputs.text import squash
from ..schema import RejectedFinding
from . import lexicon
from .candidates import Candidate, group_key
from .direction import mention_pattern
from .mentions import Mentions, drug_name
from .relate import DraftFinding

MODEL_FILE = Path(__file__).with_name("decision.json")

_HEDGE = re.compile(r"\b(?:may|might|could|possibly|potential(?:ly)?|suggest\w*|hypothes\w*|likely)\b", re.I)
_PROGNOSIS = re.compile(r"\b(?:prognos\w*|overall\s+survival|poor\s+survival|survival\s+rates?)\b", re.I)
_RESPONSE = re.compile(r"resist|sensitiv|refractor|respon|relapse|IC50", re.I)
_QUALIFIED = re.compile(r"(?:wild[- ]?type|phospho(?:rylated)?|p-|total|cleaved)\s*$", re.I)
_FACTOR_TYPES = ("miRNA", "lncRNA", "circRNA", "pathway", "cytokine", "cell_population")


@dataclass(frozen=True)
class DocumentContext:
    """What the decision needs to know about the whole document, computed once."""

    doc: Document
    mentions: Mentions
    candidates: Sequence[Candidate]
    proposed_therapies: frozenset[str]
    main_therapies: tuple[str, ...]
    main_cancer: str

    @classmethod
    def build(
        cls,
        doc: Document,
        mentions: Mentions,
        candidates: Sequence[Candidate],
        proposed_therapies: Sequence[str],
        main_therapies: Sequence[str],
    ) -> DocumentContext:
        """The context of one document: its candidates and what the model proposed."""
        keys = set()
        for name in proposed_therapies:
            keys.add(squash(name))
            keys.add(squash(drug_name(name) or ""))
        return cls(
            doc,
            mentions,
            tuple(candidates),
            frozenset(k for k in keys if k),
            tuple(main_therapies),
            mentions.main_cancer() or "",
        )


# The weight of agreeing readings that makes a factor the model did not name a candidate
# finding: a stated change (2) and one more sentence (1+).
FIRM_SUPPORT = 3


def eligible(draft: DraftFinding) -> bool:
    """Whether the decision weighs a draft at all: its factor was named by the model, or the text
    states it firmly (two agreeing sentences, one of them a stated change)."""
    if draft.candidate.proposed:
        return True
    return sum(r.weight for _, r in draft.readings if r.role == draft.role) >= FIRM_SUPPORT


def features(draft: DraftFinding, ctx: DocumentContext) -> dict[str, float]:
    """The evidence about one draft (which has a role), as named numbers for the model."""
    assert draft.role is not None
    doc, cand = ctx.doc, draft.candidate
    agree = [(n, r) for n, r in draft.readings if r.role == draft.role]
    disagree = [r for _, r in draft.readings if r.role != draft.role]
    sentences = sorted(set(draft.sentences))
    agree_numbers = sorted({n for n, _ in agree})
    agree_texts = [doc.clean_sentence(n) for n in agree_numbers]
    last = len(doc.sentences)
    therapy_key = squash(draft.therapy)
    title = squash(doc.title or "")
    mentioned = [len(set(c.sentences)) for c in ctx.candidates]
    found = {
        "proposed": float(cand.proposed),
        "therapy_proposed": float(therapy_key in ctx.proposed_therapies),
        "agree_weight": math.log1p(sum(r.weight for _, r in agree)),
        "disagree_weight": math.log1p(sum(r.weight for r in disagree)),
        "agreeing_sentences": math.log1p(len(agree_numbers)),
        "stated_change": float(any(r.weight > 1 for _, r in agree)),
        "mutation": float(any(r.change == "mutated" for _, r in agree)),
        "association_only": float(all(r.change == "present" for _, r in agree)),
        "in_resistant_cells_only": float(all("resistant cells" in r.cue for _, r in agree)),
        "sentences": math.log1p(len(sentences)),
        "named_share": len(set(draft.named_in)) / len(sentences),
        "reading_names_therapy": float(any(n in draft.named_in for n in agree_numbers)),
        "main_therapy": float(draft.therapy in ctx.main_therapies),
        "therapies_in_text": math.log1p(len({m.name for m in ctx.mentions.therapies})),
        "therapies_in_sentence": math.log(max(1, draft.most_therapies)),
        "tool_elsewhere": float(draft.tool_elsewhere),
        "drug_target": float(_is_drug_target(cand, draft.therapy)),
        "main_cancer": float(not ctx.main_cancer or draft.cancer == ctx.main_cancer),
        "in_title": float(bool(title) and any(squash(n) in title for n in cand.names if len(n) > 2)),
        "in_conclusion": float(any(n >= last - 1 for n in sentences)),
        "hedged_share": sum(bool(_HEDGE.search(t)) for t in agree_texts) / max(1, len(agree_texts)),
        "pro_resistance": float(draft.role == "pro_resistance"),
        "candidates_in_text": math.log1p(len(ctx.candidates)),
        "factor_sentences": math.log1p(len(set(cand.sentences))),
        "after_other_factor": _after_other_factor(cand, agree_texts, ctx.candidates),
        "qualified": float(_qualified(cand, agree_texts)),
        "prognosis_text": float(bool(_PROGNOSIS.search(doc.prose))),
        "response_sentences": math.log1p(
            sum(bool(_RESPONSE.search(doc.sentence(s.number))) for s in doc.sentences)
        ),
        "radiotherapy": float(draft.therapy == lexicon.RADIOTHERAPY),
        "response_with_therapy": math.log1p(
            sum(bool(_RESPONSE.search(doc.sentence(n))) for n in set(draft.named_in))
        ),
        "factor_share": len(set(cand.sentences)) / max(1, sum(mentioned)),
        "factor_rank": math.log1p(sum(n > len(set(cand.sentences)) for n in mentioned)),
        "proposed_in_text": math.log1p(sum(c.proposed for c in ctx.candidates)),
    }
    for kind in _FACTOR_TYPES:
        found[f"type_{kind}"] = float(cand.factor_type == kind)
    return found


def _is_drug_target(cand: Candidate, therapy: str) -> bool:
    keys = {group_key(n) for n in cand.names}
    return bool(keys & {group_key(t) for t in lexicon.DRUG_TARGETS.get(therapy.lower(), ())})


def _after_other_factor(cand: Candidate, texts: list[str], candidates: Sequence[Candidate]) -> float:
    """Share of the agreeing sentences in which another candidate is named before this factor:
    a read-out or a downstream link ("silencing X lowered Y and restored sensitivity")."""
    if not texts:
        return 0.0
    own = [mention_pattern(n) for n in cand.names]
    others = [mention_pattern(n) for c in candidates if c is not cand for n in c.names[:3]]
    count = 0
    for text in texts:
        first = min((m.start() for p in own if (m := p.search(text))), default=None)
        if first is None:
            continue
        if any((m := p.search(text)) and m.start() < first for p in others):
            count += 1
    return count / len(texts)


def _qualified(cand: Candidate, texts: list[str]) -> bool:
    """Whether the factor is only ever named in a qualified form ("wild-type X", "p-X")."""
    seen = False
    for text in texts:
        for name in cand.names:
            for m in mention_pattern(name).finditer(text):
                seen = True
                if not _QUALIFIED.search(text[max(0, m.start() - 12) : m.start()]):
                    return False
    return seen


# --- what the decision leaves out, and why ----------------------------------------------------


def no_therapy(cand: Candidate) -> RejectedFinding:
    """A factor the model named that no sentence relates to a named therapy."""
    return RejectedFinding(
        reason=(
            f"no sentence relates {cand.name!r} to a therapy the text names (a drug, an antibody or "
            "radiotherapy); a finding needs one"
        ),
        finding={"factor": cand.name, "sentences": cand.sentences[:10]},
    )


def unlikely(draft: DraftFinding, confidence: float, against: list[str]) -> RejectedFinding:
    """A draft below the decision threshold, with the evidence that weighed most against it."""
    why = f" (weighed down by: {', '.join(against)})" if against else ""
    return RejectedFinding(
        reason=(
            f"{draft.candidate.name!r} with {draft.therapy!r}: confidence {confidence:.2f} is below the "
            f"decision threshold{why}"
        ),
        finding={
            "factor": draft.candidate.name,
            "therapy": draft.therapy,
            "cancer_type": draft.cancer,
            "role": draft.role,
            "confidence": round(confidence, 3),
            "sentences": sorted(set(draft.sentences))[:10],
        },
    )


def undecided(doc: Document, draft: DraftFinding) -> RejectedFinding:
    """A draft of a factor the model named whose direction the words of its sentences leave open."""
    number = _quoted_sentence(doc, draft)
    sentence = doc.clean_sentence(number)
    return RejectedFinding(
        reason=(
            f"the direction of {draft.candidate.name!r} on {draft.therapy!r} is not stated: the words of "
            f"sentence {number} do not say what a change of it does to the response"
        ),
        finding={
            "factor": draft.candidate.name,
            "therapy": draft.therapy,
            "cancer_type": draft.cancer,
            "sentence": sentence[:300],
        },
    )


def _quoted_sentence(doc: Document, draft: DraftFinding) -> int:
    """The sentence an undecided draft is quoted by: one naming the therapy as well, else the first."""
    therapy = squash(draft.therapy)
    for n in draft.sentences:
        if therapy and therapy in doc.squashed_sentences[n - 1]:
            return n
    return draft.sentences[0]


@dataclass(frozen=True)
class Logistic:
    """Weights over standardised named features: ``sigmoid(bias + sum(w * (x - mean) / scale))``."""

    weights: dict[str, float]
    bias: float
    means: dict[str, float]
    scales: dict[str, float]

    def probability(self, values: dict[str, float]) -> float:
        """The model's probability for one set of features, 0 to 1."""
        z = self.bias + sum(w * self._scaled(n, values.get(n, 0.0)) for n, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def against(self, values: dict[str, float], top: int = 2) -> list[str]:
        """The features that lowered the probability most."""
        pulls = sorted(
            (w * self._scaled(name, values.get(name, 0.0)), name) for name, w in self.weights.items()
        )
        return [name for pull, name in pulls[:top] if pull < 0]

    def _scaled(self, name: str, value: float) -> float:
        return (value - self.means.get(name, 0.0)) / (self.scales.get(name, 1.0) or 1.0)

    def to_dict(self) -> dict[str, object]:
        """Stable, rounded JSON form."""
        return {
            "bias": round(self.bias, 6),
            "weights": {k: round(v, 6) for k, v in sorted(self.weights.items())},
            "means": {k: round(v, 6) for k, v in sorted(self.means.items())},
            "scales": {k: round(v, 6) for k, v in sorted(self.scales.items())},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Logistic:
        """Read ``to_dict``'s form."""
        return cls(data["weights"], data["bias"], data["means"], data["scales"])


@dataclass(frozen=True)
class DecisionModel:
    """Whether a draft is a finding (``finding``), kept at ``threshold`` and above."""

    finding: Logistic
    threshold: float

    def probability(self, values: dict[str, float]) -> float:
        """The confidence that the draft is a finding, 0 to 1."""
        return self.finding.probability(values)

    def against(self, values: dict[str, float], top: int = 2) -> list[str]:
        """The evidence that lowered the confidence most, for a rejection's reason."""
        return self.finding.against(values, top)

    def to_json(self) -> str:
        """The model as written to ``decision.json`` (stable order, so its hash is too)."""
        data = {"threshold": round(self.threshold, 4), "finding": self.finding.to_dict()}
        return json.dumps(data, indent=1)

    @classmethod
    def from_json(cls, text: str) -> DecisionModel:
        """Read a model written by ``to_json``."""
        data = json.loads(text)
        return cls(Logistic.from_dict(data["finding"]), data["threshold"])


@cache
def default_model() -> DecisionModel:
    """The fitted model shipped with the package."""
    return DecisionModel.from_json(MODEL_FILE.read_text(encoding="utf-8"))


__all__ = [
    "DecisionModel",
    "DocumentContext",
    "Logistic",
    "default_model",
    "eligible",
    "features",
    "no_therapy",
    "undecided",
    "unlikely",
]
