"""One Document in, one validated PaperSummary (or a reasoned failure) out. No database here.

The model sees numbered sentences of the cleaned text and cites evidence by number; the quotes and
their offsets are then copied from the ORIGINAL text, so every stored quote is grounded by
construction. What the model claims is still checked against the text: cited sentences must exist
and mention the factor, and the therapy must be named in the abstract. A failed check is sent back
to the model (instructor re-ask, with the error). If it still fails, the offending findings are
kept as *rejected* with the reason, never stored as good.
"""

from __future__ import annotations

import contextvars
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import instructor
import openai
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from pydantic import ValidationError, ValidationInfo, model_validator

from .errors import ExtractionError
from .prompts import PromptSet
from .retry import RetryPolicy, call_with_retries
from .schema import (
    Evidence,
    Finding,
    FindingDraft,
    PaperDraft,
    PaperSummary,
    RejectedFinding,
    role_of,
)
from .sources import Document, normalize_spaces

# Generic words a model adds to a factor name that the text may not carry next to it.
_GENERIC_SUFFIX = re.compile(
    r"\s*\b(pathway|signaling|signalling|axis|gene|protein|expression|activation|levels?)\b\s*$",
    re.IGNORECASE,
)
_RADIATION_WORDS = re.compile(r"radi(o|at)|irradiat|\bIR\b|x-ray", re.IGNORECASE)


def squash(text: str) -> str:
    """Lower-case alphanumerics only: compares names across dash, space and case variants."""
    return re.sub(r"[^0-9a-z]", "", normalize_spaces(text).lower())


def grounding_problems(finding: FindingDraft, doc: Document) -> list[str]:
    """Why this finding is not supported by ``doc`` (empty when it is)."""
    problems: list[str] = []
    count = len(doc.sentences)
    missing = [n for n in finding.evidence if n > count]
    if missing:
        return [f"evidence sentence(s) {missing} do not exist: the abstract has {count} sentences"]
    cited = squash(" ".join(doc.sentence(n) for n in finding.evidence))
    body = squash(" ".join(doc.sentence(s.number) for s in doc.sentences))
    factor = squash(_GENERIC_SUFFIX.sub("", finding.factor)) or squash(finding.factor)
    factor = factor.removeprefix("hsa")
    if factor not in cited:
        where = (
            "is not in the abstract; write it as the text does"
            if factor not in body
            else (f"is not in the cited sentence(s) {finding.evidence}; cite the sentences that state it")
        )
        problems.append(f"factor {finding.factor!r} {where}")
    therapy = squash(re.sub(r"\(.*?\)", "", finding.therapy)) or squash(finding.therapy)
    radiation = finding.therapy_class == "radiotherapy" or "radi" in therapy
    named = therapy in body or (
        radiation and _RADIATION_WORDS.search(" ".join(doc.sentence(n) for n in finding.evidence))
    )
    if not named:
        problems.append(
            f"therapy {finding.therapy!r} is not named in the abstract; report only findings "
            "about a drug or radiotherapy the text names"
        )
    return problems


class GroundedPaperDraft(PaperDraft):
    """``PaperDraft`` plus grounding checks against the document in the validation context."""

    @model_validator(mode="after")
    def _findings_are_grounded(self, info: ValidationInfo) -> GroundedPaperDraft:
        doc = (info.context or {}).get("document")
        if doc is None:
            return self
        errors = []
        for i, finding in enumerate(self.findings):
            for problem in grounding_problems(finding, doc):
                errors.append(f"findings[{i}]: {problem}")
        if errors:
            raise ValueError("; ".join(errors))
        return self


@dataclass
class CallRecord:
    """One HTTP exchange with the model (a re-ask is a new record)."""

    request: dict[str, Any]
    response: dict[str, Any] | None
    error: str | None
    seconds: float
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    server_ms: float = 0.0
    transport_retries: int = 0


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
        """Calls beyond the first: validation re-asks."""
        return max(0, len([c for c in self.calls if c.response is not None]) - 1)


_current_calls: contextvars.ContextVar[list[CallRecord] | None] = contextvars.ContextVar(
    "current_calls", default=None
)


@dataclass
class ExtractSettings:
    """Request settings that are part of provenance."""

    temperature: float = 0.0
    seed: int = 42
    max_tokens: int = 2048
    max_reasks: int = 2


class Extractor:
    """Turns Documents into PaperSummaries through one instructor client."""

    def __init__(
        self,
        client: openai.OpenAI,
        model: str,
        mode: instructor.Mode,
        prompts: PromptSet,
        settings: ExtractSettings | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        self.model = model
        self.prompts = prompts
        self.settings = settings or ExtractSettings()
        completions = client.chat.completions
        raw_create = completions.create
        retrying_create = call_with_retries(raw_create, retry_policy or RetryPolicy(), self._on_retry)

        def recorded_create(*args: Any, **kwargs: Any) -> Any:
            return self._record(retrying_create, kwargs, *args)

        # instructor wraps whatever ``chat.completions.create`` is when the client is patched:
        # putting the retrying, recording call there keeps transport retries BELOW re-asks.
        completions.create = recorded_create  # type: ignore[method-assign]
        self.client = instructor.from_openai(client, mode=mode)

    def _on_retry(self, exc: BaseException, wait_s: float) -> None:
        calls = _current_calls.get()
        if calls is not None:
            calls.append(CallRecord(request={}, response=None, error=_describe(exc), seconds=0.0))

    def _record(self, create: Any, kwargs: dict[str, Any], *args: Any) -> Any:
        calls = _current_calls.get()
        started = time.perf_counter()
        request = {
            k: v for k, v in kwargs.items() if k in ("model", "messages", "temperature", "seed", "max_tokens")
        }
        try:
            response = create(*args, **kwargs)
        except Exception as exc:
            if calls is not None:
                calls.append(CallRecord(request, None, _describe(exc), time.perf_counter() - started))
            raise
        if calls is not None:
            calls.append(_call_record(request, response, time.perf_counter() - started))
        return response

    def messages(self, doc: Document) -> list[dict[str, str]]:
        """System instructions first (a cacheable prefix), the document last."""
        return [
            {"role": "system", "content": self.prompts.system},
            {"role": "user", "content": self.prompts.render_user(doc.numbered_view())},
        ]

    def extract(self, doc: Document) -> ExtractionOutcome:
        """Ask the model about ``doc``; validate, re-ask, ground and return the outcome."""
        calls: list[CallRecord] = []
        token = _current_calls.set(calls)
        started = time.perf_counter()
        try:
            paper, error = self._extract(doc)
        finally:
            _current_calls.reset(token)
        return ExtractionOutcome(paper, error, calls, time.perf_counter() - started)

    def _extract(self, doc: Document) -> tuple[PaperSummary | None, str | None]:
        try:
            draft = self.client.chat.completions.create(
                model=self.model,
                response_model=GroundedPaperDraft,
                messages=self.messages(doc),  # type: ignore[arg-type]
                max_retries=self.settings.max_reasks,
                context={"document": doc},
                temperature=self.settings.temperature,
                seed=self.settings.seed,
                max_tokens=self.settings.max_tokens,
            )
            return to_summary(doc, draft, []), None
        except IncompleteOutputException:
            return None, (
                f"the model's answer was cut off at max_tokens={self.settings.max_tokens} "
                "(finish_reason=length)"
            )
        except InstructorRetryException as exc:
            cause = exc.__cause__
            if cause is not None and not isinstance(cause, (ValidationError, ValueError)):
                raise _backend_failure(cause) from cause
            return self._salvage(doc, exc)

    def _salvage(
        self, doc: Document, exc: InstructorRetryException
    ) -> tuple[PaperSummary | None, str | None]:
        """After the last re-ask: keep grounded findings, reject the rest with their reasons."""
        content = _completion_text(exc.last_completion)
        try:
            draft = PaperDraft.model_validate_json(content or "")
        except ValidationError as err:
            return None, f"invalid answer after {exc.n_attempts} attempts: {_short(str(err))}"
        kept, rejected = [], []
        for finding in draft.findings:
            problems = grounding_problems(finding, doc)
            if problems:
                rejected.append(RejectedFinding(reason="; ".join(problems), finding=finding.model_dump()))
            else:
                kept.append(finding)
        draft = draft.model_copy(update={"findings": kept})
        return to_summary(doc, draft, rejected), None


def to_summary(doc: Document, draft: PaperDraft, rejected: list[RejectedFinding]) -> PaperSummary:
    """Attach identity, metadata and verbatim evidence spans; drop duplicate findings."""
    findings: list[Finding] = []
    seen: set[tuple[str, str, str | None, str]] = set()
    for f in draft.findings:
        key = (squash(f.factor), squash(f.therapy), role_of(f.alteration, f.effect), f.effect)
        if key in seen:
            continue
        seen.add(key)
        evidence = []
        for n in dict.fromkeys(f.evidence):
            s = doc.sentences[n - 1]
            evidence.append(Evidence(quote=doc.text[s.start : s.end], start=s.start, end=s.end))
        data = f.model_dump(exclude={"evidence"})
        findings.append(Finding(**data, evidence=evidence))
    return PaperSummary(
        doc_id=doc.doc_id,
        sha256=doc.sha256,
        title=doc.title,
        doi=doc.doi,
        pmid=doc.pmid,
        year=doc.year,
        journal=doc.journal,
        cancer_types=draft.cancer_types,
        summary=draft.summary,
        findings=findings,
        rejected_findings=rejected,
    )


def _call_record(request: dict[str, Any], response: Any, seconds: float) -> CallRecord:
    data = response.model_dump() if hasattr(response, "model_dump") else {}
    usage = data.get("usage") or {}
    timings = data.get("timings") or {}
    details = usage.get("prompt_tokens_details") or {}
    return CallRecord(
        request=request,
        response=data,
        error=None,
        seconds=seconds,
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
        cached_tokens=int(details.get("cached_tokens") or timings.get("cache_n") or 0),
        server_ms=float(timings.get("prompt_ms") or 0) + float(timings.get("predicted_ms") or 0),
    )


def _completion_text(completion: Any) -> str | None:
    try:
        return str(completion.choices[0].message.content)
    except (AttributeError, IndexError, TypeError):
        return None


def _describe(exc: BaseException) -> str:
    status = getattr(exc, "status_code", None)
    name = type(exc).__name__
    return f"{name} (HTTP {status})" if status else f"{name}: {_short(str(exc))}"


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _backend_failure(cause: BaseException) -> Exception:
    from .errors import BackendError

    if isinstance(cause, openai.AuthenticationError):
        return BackendError("the endpoint refused the API key (HTTP 401): check OPENAI_API_KEY")
    return BackendError(f"model call failed: {_describe(cause)}")


def summary_json(paper: PaperSummary) -> str:
    """One line of JSON for a paper, as written to ``-o findings.jsonl``."""
    return json.dumps(paper.model_dump(mode="json"), ensure_ascii=False)


__all__ = [
    "CallRecord",
    "ExtractSettings",
    "ExtractionError",
    "ExtractionOutcome",
    "Extractor",
    "GroundedPaperDraft",
    "grounding_problems",
    "summary_json",
    "to_summary",
]
