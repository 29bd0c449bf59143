"""One Document in, one validated PaperSummary (or a reasoned failure) out: the stages in a line.

    read (sources)  ->  mentions  ->  ask: propose  ->  candidates  ->  relate (direction)
        ->  summarise

The model names the factors and therapies it sees related (``ask.propose``); the text's own
mentions (``mentions``) add those it missed. Every finding is then read off the sentences that
name it: which therapy, which cancer, what was done to the factor and what that did to the
response (``relate``, ``direction``). A finding whose direction the text's words do not settle is
not stored as good: it is kept as a rejection with the sentence and the reason, as is everything
else left out (names not in the text, a factor no sentence relates to a named therapy). No
database here.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import instructor
import openai

from ..errors import BackendError
from ..inputs.document import Document
from ..inputs.text import normalize_name, squash
from ..model.ask import Asker, AskSettings, CallRecord
from ..model.prompts import PromptSet
from ..model.retry import RetryPolicy
from ..schema import PaperSummary, Proposal, RejectedFinding
from . import candidates as candidates_stage
from . import decide, direction, lexicon, relate
from .mentions import Mention, Mentions, drug_name
from .summarise import to_finding, to_summary

ExtractSettings = AskSettings  # the settings a run records as provenance

# The modules whose rules turn the model's answer into stored findings: their source is part of
# every result's key, so an upgraded rule re-does old results instead of silently keeping them.
# Paths are relative to the package (``summarizer/``).
RULE_MODULES = (
    "reading/lexicon.py", "reading/mentions.py", "reading/candidates.py", "reading/relate.py",
    "reading/direction.py", "reading/cues.py", "reading/enrich.py", "reading/summarise.py",
    "reading/extract.py", "reading/decide.py", "reading/decision.json",
    "inputs/text.py", "inputs/document.py", "inputs/sources.py", "inputs/page.py", "inputs/labelled.py",
    "inputs/formats.py", "inputs/records.py", "inputs/pubmed.py",
)  # fmt: skip


def rules_version() -> str:
    """SHA-256 of the post-processing rules' source (the stages after the model's answer)."""
    digest = hashlib.sha256()
    here = Path(__file__).parent.parent
    for name in RULE_MODULES:
        digest.update(name.encode())
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


@dataclass
class ExtractionOutcome:
    """What extracting one document produced.

    ``paper`` is None when the answer was rejected (``error`` says why) or, with ``failed`` set,
    when no answer could be had at all (server down, retries exhausted): only the latter is
    retried by a re-run.
    """

    paper: PaperSummary | None
    error: str | None
    calls: list[CallRecord] = field(default_factory=list)
    seconds: float = 0.0
    failed: bool = False

    @property
    def prompt_tokens(self) -> int:
        """Prompt tokens over every call, re-asks included."""
        return sum(c.prompt_tokens for c in self.calls)

    @property
    def completion_tokens(self) -> int:
        """Completion tokens over every call, re-asks included."""
        return sum(c.completion_tokens for c in self.calls)

    @property
    def reasks(self) -> int:
        """Proposal calls beyond the first: validation re-asks (the direction turn is not one)."""
        answered = [c for c in self.calls if c.response is not None and c.purpose == "propose"]
        return max(0, len(answered) - 1)


class Extractor:
    """Turns Documents into PaperSummaries: the stages of ``extract`` around one ``Asker``."""

    def __init__(
        self,
        client: openai.OpenAI,
        model: str,
        mode: instructor.Mode,
        prompts: PromptSet,
        settings: AskSettings | None = None,
        retry_policy: RetryPolicy | None = None,
        request_options: dict[str, Any] | None = None,
        decision: decide.DecisionModel | None = None,
    ) -> None:
        self.asker = Asker(client, model, mode, prompts, settings, retry_policy, request_options)
        self.decision = decision or decide.default_model()
        self.settings = self.asker.settings
        self.openai_client = client
        self.request_options = self.asker.request_options

    def extract(self, doc: Document) -> ExtractionOutcome:
        """Run every stage for ``doc``; validation problems become rejections, not exceptions."""
        started = time.perf_counter()
        with self.asker.recording() as calls:
            try:
                paper, error = self._extract(doc)
            except ValueError as exc:  # no usable answer: the document is rejected with the reason
                paper, error = None, str(exc)
        return ExtractionOutcome(paper, error, calls, time.perf_counter() - started)

    def _extract(self, doc: Document) -> tuple[PaperSummary | None, str | None]:
        return decide_drafts(doc, self.draft(doc), self.decision), None

    def draft(self, doc: Document) -> Drafted:
        """Every stage before the decision: the model's names, the candidates and their drafts.

        ``benchmarks/fit_decision.py`` fits the decision on what this returns for annotated texts.
        """
        mentions = Mentions(doc)
        if not could_hold_a_finding(doc, mentions):
            return drafts_for(doc, Proposal(factors=[], therapies=[]), (), mentions)
        proposal, missing = self.asker.propose(doc, lambda name: is_named(name, doc, mentions))
        return drafts_for(doc, proposal, missing, mentions)


@dataclass
class Drafted:
    """One document after every stage but the decision."""

    mentions: Mentions
    candidates: list[candidates_stage.Candidate]
    drafts: list[relate.DraftFinding]
    context: decide.DocumentContext
    rejected: list[RejectedFinding]


def drafts_for(
    doc: Document, proposal: Proposal, missing: Sequence[str] = (), mentions: Mentions | None = None
) -> Drafted:
    """The stages between the model's answer and the decision: the proposed names grounded and
    grouped with the text's own mentions, and one draft per factor, therapy and cancer."""
    mentions = mentions or Mentions(doc)
    rejected = [
        RejectedFinding(reason=f"{name!r} is not named in the abstract", finding={"name": name})
        for name in missing
    ]
    mentions.add_therapies(_proposed_therapies(proposal.therapies, doc, mentions))
    candidates, ungrounded = candidates_stage.build_candidates(doc, mentions, proposal.factors)
    rejected += [RejectedFinding(reason=r.reason, finding={"factor": r.name}) for r in ungrounded]
    main = relate.main_therapies(doc, mentions, candidates)
    drafts = relate.relate(doc, mentions, candidates, main)
    context = decide.DocumentContext.build(doc, mentions, candidates, proposal.therapies, main)
    return Drafted(mentions, candidates, drafts, context, rejected)


# A word about the response to a therapy; a text without one reports no resistance finding.
_RESPONSE_WORD = re.compile(
    r"resist|sensitiv|respon|refractor|relapse|IC50|toleran|efficacy|cytotox|escape|benefit|"
    r"remission|recurren|progress",
    re.IGNORECASE,
)


def could_hold_a_finding(doc: Document, mentions: Mentions) -> bool:
    """Whether the text names a factor and says something about the response to a therapy:
    where it does not, no finding can come of it, and the model is not asked. (A therapy the
    dictionaries do not know, "the KRAS G12C inhibitor", is one the model still names.)"""
    return bool(mentions.factors and _RESPONSE_WORD.search(doc.prose))


def decide_drafts(doc: Document, drafted: Drafted, decision: decide.DecisionModel) -> PaperSummary:
    """The decision: each draft with a role that the decision weighs becomes a finding with its
    confidence, or a rejection saying what weighed against it."""
    rejected = list(drafted.rejected)
    all_names = {n for c in drafted.candidates for n in c.names}
    findings = []
    for draft in drafted.drafts:
        if draft.role is None:
            if draft.candidate.proposed:
                rejected.append(_undecided(doc, draft))
            continue
        if not decide.eligible(draft):
            continue
        values = decide.features(draft, drafted.context)
        confidence = decision.probability(values)
        if confidence >= decision.threshold:
            finding = to_finding(doc, drafted.mentions, draft, all_names)
            findings.append(finding.model_copy(update={"confidence": round(confidence, 3)}))
        elif draft.candidate.proposed:
            rejected.append(_unlikely(draft, confidence, decision.against(values)))
    related = {id(d.candidate) for d in drafted.drafts}
    for cand in drafted.candidates:
        if cand.proposed and id(cand) not in related:
            rejected.append(_no_therapy(cand))
    return to_summary(doc, findings, rejected)


def is_named(name: str, doc: Document, mentions: Mentions) -> bool:
    """Whether the abstract names ``name`` (any dash, space or case variant, a defined long form
    or abbreviation, a combined name's member)."""
    key = squash(name)
    if not key:
        return False
    if key in doc.squashed_prose:
        return True
    keys = {candidates_stage.group_key(m) for m in candidates_stage.split_combined(name)}
    found = {candidates_stage.group_key(m.name) for m in mentions.factors}
    found |= {candidates_stage.group_key(a) for a in mentions.abbreviations}
    found |= {candidates_stage.group_key(lf) for lf in mentions.abbreviations.values()}
    return bool(keys & found) or (
        drug_name(name) is not None and drug_name(name) in {m.name for m in mentions.therapies}
    )


def _proposed_therapies(names: list[str], doc: Document, mentions: Mentions) -> list[Mention]:
    """Therapies the model named that the dictionaries did not know, wherever the text names them."""
    known = {squash(m.written) for m in mentions.therapies} | {squash(m.name) for m in mentions.therapies}
    factors = {candidates_stage.group_key(m.name) for m in mentions.factors}
    added: list[Mention] = []
    for name in names:
        clean = normalize_name(name)
        if squash(clean) in known or candidates_stage.group_key(clean) in factors or len(squash(clean)) < 3:
            continue
        if relate.is_generic_therapy(clean) or _names_a_cancer(clean, mentions):
            continue
        pattern = direction.mention_pattern(clean)
        if not _looks_like_therapy(clean) and not relate.spoken_of_as_therapy(doc, pattern):
            continue
        for s in doc.sentences:
            text = doc.sentence(s.number)
            for m in pattern.finditer(text):
                added.append(
                    Mention("therapy", clean, m.group(0), s.number, s.start + m.start(), s.start + m.end())
                )
    return added


_COMPOUND_CODE = re.compile(r"^[A-Z]{1,5}-?\d{2,}[A-Z]?$")


def _names_a_cancer(name: str, mentions: Mentions) -> bool:
    key = squash(name)
    return any(key in (squash(m.name), squash(m.written)) for m in mentions.cancers)


def _looks_like_therapy(name: str) -> bool:
    """A drug by its name or stem, a compound code (CB-839), or a radiotherapy or immunotherapy
    wording; the model also lists cancers, genes and reagents ("short hairpin RNA") as therapies."""
    return bool(
        drug_name(name)
        or _COMPOUND_CODE.match(name)
        or lexicon.RADIATION_PATTERN.fullmatch(name)
        or lexicon.IMMUNE_PATTERN.fullmatch(name)
    )


def _question_sentence(doc: Document, draft: relate.DraftFinding) -> int:
    """The sentence to ask about: one naming the therapy as well, else the first."""
    therapy = squash(draft.therapy)
    for n in draft.sentences:
        if therapy and therapy in doc.squashed_sentences[n - 1]:
            return n
    return draft.sentences[0]


def _no_therapy(cand: candidates_stage.Candidate) -> RejectedFinding:
    return RejectedFinding(
        reason=(
            f"no sentence relates {cand.name!r} to a therapy the text names (a drug, an antibody or "
            "radiotherapy); a finding needs one"
        ),
        finding={"factor": cand.name, "sentences": cand.sentences[:10]},
    )


def _unlikely(draft: relate.DraftFinding, confidence: float, against: list[str]) -> RejectedFinding:
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


def _undecided(doc: Document, draft: relate.DraftFinding) -> RejectedFinding:
    sentence = doc.clean_sentence(_question_sentence(doc, draft))
    return RejectedFinding(
        reason=(
            f"the direction of {draft.candidate.name!r} on {draft.therapy!r} is not stated: the words of "
            f"sentence {_question_sentence(doc, draft)} do not say what a change of it does to the response"
        ),
        finding={
            "factor": draft.candidate.name,
            "therapy": draft.therapy,
            "cancer_type": draft.cancer,
            "sentence": sentence[:300],
        },
    )


def extract_safely(extractor: Callable[[], Extractor], doc: Document) -> ExtractionOutcome:
    """``extractor().extract(doc)`` that never raises: one bad document must not end the batch.

    ``extractor`` is a getter, so a failure to build one (the local model would not start) is
    this document's failure too.
    """
    try:
        return extractor().extract(doc)
    except BackendError as exc:
        return ExtractionOutcome(paper=None, error=str(exc), failed=True)
    except Exception as exc:
        return ExtractionOutcome(paper=None, error=f"{type(exc).__name__}: {exc}", failed=True)


__all__ = [
    "ExtractSettings",
    "ExtractionOutcome",
    "Extractor",
    "extract_safely",
    "is_named",
    "rules_version",
]
