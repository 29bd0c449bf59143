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
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import instructor
import openai

from ..errors import BackendError
from ..inputs.document import Document
from ..model.ask import Asker, AskSettings, CallRecord
from ..model.prompts import PromptSet
from ..model.retry import RetryPolicy
from ..schema import PaperSummary, Proposal, RejectedFinding
from . import candidates as candidates_stage
from . import decide, relate
from .mentions import Mentions
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
    "inputs/formats.py", "inputs/records.py", "inputs/pubmed.py", "registry/merge.py",
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
        if not relate.could_hold_a_finding(doc, mentions):
            return drafts_for(doc, Proposal(factors=[], therapies=[]), (), mentions)
        proposal, missing = self.asker.propose(
            doc, lambda name: candidates_stage.is_named(name, doc, mentions)
        )
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
    mentions.add_therapies(relate.proposed_therapies(proposal.therapies, doc, mentions))
    candidates, ungrounded = candidates_stage.build_candidates(doc, mentions, proposal.factors)
    rejected += [RejectedFinding(reason=r.reason, finding={"factor": r.name}) for r in ungrounded]
    main = relate.main_therapies(doc, mentions, candidates)
    drafts = relate.relate(doc, mentions, candidates, main)
    context = decide.DocumentContext.build(doc, mentions, candidates, proposal.therapies, main)
    return Drafted(mentions, candidates, drafts, context, rejected)


def decide_drafts(doc: Document, drafted: Drafted, decision: decide.DecisionModel) -> PaperSummary:
    """The decision: each draft with a role that the decision weighs becomes a finding with its
    confidence, or a rejection saying what weighed against it."""
    rejected = list(drafted.rejected)
    all_names = {n for c in drafted.candidates for n in c.names}
    findings = []
    for draft in drafted.drafts:
        if draft.role is None:
            if draft.candidate.proposed:
                rejected.append(decide.undecided(doc, draft))
            continue
        if not decide.eligible(draft):
            continue
        values = decide.features(draft, drafted.context)
        confidence = decision.probability(values)
        if confidence >= decision.threshold:
            finding = to_finding(doc, drafted.mentions, draft, all_names)
            findings.append(finding.model_copy(update={"confidence": round(confidence, 3)}))
        elif draft.candidate.proposed:
            rejected.append(decide.unlikely(draft, confidence, decision.against(values)))
    related = {id(d.candidate) for d in drafted.drafts}
    for cand in drafted.candidates:
        if cand.proposed and id(cand) not in related:
            rejected.append(decide.no_therapy(cand))
    return to_summary(doc, findings, rejected)


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
    "rules_version",
]
