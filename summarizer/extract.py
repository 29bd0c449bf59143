"""One Document in, one validated PaperSummary (or a reasoned failure) out. No database here.

The model sees numbered sentences of the cleaned text and cites evidence by number; the quotes and
their offsets are then copied from the ORIGINAL text, so every stored quote is grounded by
construction. What the model claims is still checked against the text: the factor and therapy must
be named in the abstract, the therapy must not be one of the answer's factors, and some sentence
naming the factor must speak of response or resistance. A failed check is sent back to the model
(instructor re-ask, with the error). If it still fails, the offending findings are kept as
*rejected* with the reason, never stored as good. Each finding's direction is then read off its
evidence (``direction``), with a short follow-up turn to the model only where the cue words are
silent.
"""

from __future__ import annotations

import contextvars
import functools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import instructor
import openai
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    create_model,
    model_validator,
)

from . import direction, enrich
from .errors import BackendError
from .prompts import PromptSet
from .retry import RetryPolicy, call_with_retries
from .schema import (
    LOSS_ALTERATIONS,
    Evidence,
    Finding,
    FindingDraft,
    PaperDraft,
    PaperSummary,
    RejectedFinding,
    role_of,
)
from .sources import Document, defined_abbreviations, normalize_spaces, squash

# Generic words a model adds to a factor name that the text may not carry next to it.
_GENERIC_SUFFIX = re.compile(
    r"\s*\b(pathway|signaling|signalling|axis|gene|protein|expression|activation|levels?)\b\s*$",
    re.IGNORECASE,
)
_RADIATION_WORDS = re.compile(r"radi(o|at)|irradiat|\bIR\b|x-ray", re.IGNORECASE)


_RESPONSE_CUE = re.compile(
    r"resist|sensiti|respon|efficacy|effect of|IC50|refractor|overc[oa]me|revers|cytotoxic",
    re.IGNORECASE,
)


def _therapy_key(name: str) -> str:
    return squash(re.sub(r"\(.*?\)", "", name)) or squash(name)


def _factor_key(name: str) -> str:
    """The squashed factor name without generic suffixes ("pathway") or a miRNA species prefix."""
    key = squash(_GENERIC_SUFFIX.sub("", name)) or squash(name)
    return key.removeprefix("hsa")


def evidence_sentences(finding: FindingDraft, doc: Document, limit: int = 2) -> list[int]:
    """The sentences that best state ``finding``: they name the factor, and ideally the therapy.

    The model's citations are preferred but not trusted blindly (a 1.5B model tends to cite
    neighbouring sentences): each sentence naming the factor scores 2 if cited, 2 if it names
    the therapy and 1 if it speaks of response or resistance. Sentences scoring 2 or more are kept,
    best first, in text order. An empty list means nothing in the text supports the finding.
    """
    factor = _factor_key(finding.factor)
    therapy = _therapy_key(finding.therapy)
    cited = set(finding.evidence)
    scored = []
    for s, squashed in zip(doc.sentences, doc.squashed_sentences, strict=True):
        if factor not in squashed:
            continue
        score = (2 if s.number in cited else 0) + (2 if therapy and therapy in squashed else 0)
        score += 1 if _RESPONSE_CUE.search(doc.text[s.start : s.end]) else 0
        if score >= 2:
            scored.append((-score, s.number))
    return sorted(number for _, number in sorted(scored)[:limit])


def grounding_problems(
    finding: FindingDraft, doc: Document, other_factors: tuple[str, ...] = ()
) -> list[str]:
    """Why this finding is not supported by ``doc`` (empty when it is).

    ``other_factors`` are the factors of the answer's other findings: a therapy that names one of
    them (e.g. "p53" next to a TP53 finding) is a gene, not a treatment.
    """
    problems: list[str] = []
    prose, body = doc.prose, doc.squashed_prose
    factor = _factor_key(finding.factor)
    therapy = _therapy_key(finding.therapy)
    if factor not in body:
        problems.append(f"factor {finding.factor!r} is not in the abstract; write it as the text does")
    elif not (chosen := evidence_sentences(finding, doc)):
        problems.append(
            f"no sentence states {finding.factor!r} with {finding.therapy!r} or resistance; cite the "
            "sentence that does, or leave the finding out"
        )
    elif not any(_RESPONSE_CUE.search(doc.sentence(n)) for n in chosen):
        # A finding is about response to a therapy; evidence that never speaks of response,
        # sensitivity or resistance (e.g. an expression or prognosis statement) does not support it.
        problems.append(
            f"the sentences naming {finding.factor!r} {chosen} say nothing about response or "
            "resistance to a therapy; leave the finding out unless another sentence states it"
        )
    radiation = finding.therapy_class == "radiotherapy" or "radi" in therapy
    named = therapy in body or (radiation and _RADIATION_WORDS.search(prose))
    factors = [factor, *(_factor_key(other) for other in other_factors)]
    if therapy and any(f and (therapy in f or f in therapy) for f in factors):
        problems.append(
            f"therapy {finding.therapy!r} names a factor, not a treatment; the therapy is the drug "
            "or radiotherapy whose effect changes"
        )
    elif not named:
        problems.append(
            f"therapy {finding.therapy!r} is not named in the abstract; report only findings "
            "about a drug or radiotherapy the text names"
        )
    return problems


_SCHEMAS: dict[type, str] = {}


class CachedSchema(instructor.OpenAISchema):
    """A response model whose JSON schema is built once per class.

    instructor asks for the schema on every request, and wraps a plain ``BaseModel`` in a new
    class first (this one already is the wrapper, so it does not). At 32 concurrent requests that
    per-request CPU, in one process, was what kept throughput below the ideal (BENCHMARKS.md).
    """

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Pydantic's schema for the default arguments, computed once; callers get a copy."""
        if args or kwargs:
            return super().model_json_schema(*args, **kwargs)
        if cls not in _SCHEMAS:
            _SCHEMAS[cls] = json.dumps(super().model_json_schema())
        return dict(json.loads(_SCHEMAS[cls]))  # a fresh copy, several times faster than deepcopy


def _skip_repeated_validator_scans() -> None:
    """Have instructor scan each of OUR response models for async validators once, not per call.

    instructor walks the response model's whole type tree five times per request to refuse async
    validators (which it cannot run): ~0.6 ms of the ~4 ms a request costs this client. Our
    models are ``CachedSchema`` classes, defined once and never changed, so a class that passed
    once passes again. Any other model keeps instructor's own check on every call, and an
    instructor without this function is left alone.
    """
    from instructor.v2.core import patch
    from instructor.v2.validation import async_validators

    original = getattr(async_validators, "reject_async_validators", None)
    if original is None or getattr(original, "remembers_passed", False):
        return
    passed: set[type] = set()

    def reject_async_validators(response_model: Any) -> None:
        if response_model in passed:
            return
        original(response_model)  # raises for a model with async validators
        if isinstance(response_model, type) and issubclass(response_model, CachedSchema):
            passed.add(response_model)

    reject_async_validators.remembers_passed = True  # type: ignore[attr-defined]
    async_validators.reject_async_validators = reject_async_validators
    if getattr(patch, "reject_async_validators", None) is original:  # imported by name there
        patch.reject_async_validators = reject_async_validators


_skip_repeated_validator_scans()


# The document being extracted, for the grounding validator. It is not passed as instructor's
# ``context``: instructor also renders every message as a Jinja template with that context, which
# pasted objects into, or crashed on, abstracts containing "{{", "{%" or "{#".
_current_document: contextvars.ContextVar[Document | None] = contextvars.ContextVar(
    "current_document", default=None
)


class GroundedPaperDraft(PaperDraft, CachedSchema):
    # The docstring is the schema's description, sent with every request: the cassettes and the
    # benchmark numbers were recorded with this wording. The document is the one being extracted.
    """``PaperDraft`` plus grounding checks against the document in the validation context."""

    @model_validator(mode="after")
    def _findings_are_grounded(self, info: ValidationInfo) -> GroundedPaperDraft:
        doc = (info.context or {}).get("document") or _current_document.get()
        if doc is None:
            return self
        errors = []
        factors = tuple(f.factor for f in self.findings)
        for i, finding in enumerate(self.findings):
            for problem in grounding_problems(finding, doc, factors):
                errors.append(f"findings[{i}]: {problem}")
        if errors:
            raise ValueError("; ".join(errors))
        return self


Change = Literal["increased", "decreased", "not_stated"]
Outcome = Literal["resistant", "sensitive", "not_stated"]


class DirectionAnswer(BaseModel):
    """Two literal readings of one evidence sentence; the role is computed from them."""

    model_config = ConfigDict(extra="forbid")

    change: Change
    outcome: Outcome


class _StrictSchema(CachedSchema):
    model_config = ConfigDict(extra="forbid")


@functools.cache
def direction_check_model(count: int) -> type[BaseModel]:
    """A response model holding exactly ``count`` answers (the decoding grammar enforces it)."""
    answers = Annotated[list[DirectionAnswer], Field(min_length=count, max_length=count)]
    return create_model("DirectionCheck", __base__=_StrictSchema, answers=(answers, ...))


def effect_for_role(alteration: str, role: str) -> str:
    """The effect to state for ``alteration`` so that the finding has ``role``."""
    promotes = role == "pro_resistance"
    if alteration in LOSS_ALTERATIONS:
        promotes = not promotes
    return "promotes_resistance" if promotes else "reverses_resistance"


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
    purpose: str = "extract"  # or "verify": the direction re-check turn


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
        """Extraction calls beyond the first: validation re-asks (the direction check is not one)."""
        answered = [c for c in self.calls if c.response is not None and c.purpose == "extract"]
        return max(0, len(answered) - 1)


_current_calls: contextvars.ContextVar[list[CallRecord] | None] = contextvars.ContextVar(
    "current_calls", default=None
)
_current_purpose: contextvars.ContextVar[str] = contextvars.ContextVar("current_purpose", default="extract")


@dataclass
class ExtractSettings:
    """Request settings that are part of provenance."""

    temperature: float = 0.0
    seed: int = 42
    max_tokens: int = 2048
    # One re-ask: at temperature 0 a second re-ask measured here mostly repeats the same answer,
    # and findings still ungrounded after it are kept as rejected anyway.
    max_reasks: int = 1
    # A second, short turn in the same conversation re-checks each finding's direction; the server
    # reuses the cached conversation, so it costs ~2 s. Direction flips are the commonest error.
    verify_direction: bool = True


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
        request_options: dict[str, Any] | None = None,
    ) -> None:
        self.model = model
        self.request_options = dict(request_options or {})  # the backend's extra request fields
        self.prompts = prompts
        self.settings = settings or ExtractSettings()
        self.openai_client = client  # its create() is replaced below: retried and recorded
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
            calls.append(
                CallRecord(
                    request={},
                    response=None,
                    error=_describe(exc),
                    seconds=0.0,
                    purpose=_current_purpose.get(),
                )
            )

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
                calls.append(
                    CallRecord(
                        request,
                        None,
                        _describe(exc),
                        time.perf_counter() - started,
                        purpose=_current_purpose.get(),
                    )
                )
            raise
        if calls is not None:
            record = _call_record(request, response, time.perf_counter() - started)
            record.purpose = _current_purpose.get()
            calls.append(record)
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

    def _request(self) -> dict[str, Any]:
        return {
            **self.request_options,
            "model": self.model,
            "temperature": self.settings.temperature,
            "seed": self.settings.seed,
        }

    def _extract(self, doc: Document) -> tuple[PaperSummary | None, str | None]:
        document = _current_document.set(doc)
        try:
            draft: PaperDraft
            draft, completion = self.client.chat.completions.create_with_completion(
                response_model=GroundedPaperDraft,
                messages=self.messages(doc),  # type: ignore[arg-type]
                max_retries=self.settings.max_reasks,
                max_tokens=self.settings.max_tokens,
                **self._request(),
            )
            rejected: list[RejectedFinding] = []
        except IncompleteOutputException:
            return None, (
                f"the model's answer was cut off at max_tokens={self.settings.max_tokens} "
                "(finish_reason=length)"
            )
        except InstructorRetryException as exc:
            _raise_if_transport_failure(exc)
            completion = exc.last_completion
            salvaged = self._salvage(doc, exc)
            if isinstance(salvaged, str):
                return None, salvaged
            draft, rejected = salvaged
        finally:
            _current_document.reset(document)
        draft = self._verify_directions(doc, draft, _completion_text(completion) or "")
        return to_summary(doc, draft, rejected), None

    def _verify_directions(self, doc: Document, draft: PaperDraft, answer: str) -> PaperDraft:
        """Restate each finding's effect from a literal reading of its evidence sentences.

        Small models confuse the direction of an alteration ("reduced X sensitized cells" read as
        X being a sensitizer). First the cue-word reader (``direction``) reads what happened to the
        factor and to the response; where it cannot, the model is asked the same two literal
        questions in the same conversation (the server reuses the cached prefix, so this costs a
        few seconds). The role follows by rule. An unclear reading or a failed check keeps the
        first answer; transport errors propagate like any other call's.
        """
        directional = ("promotes_resistance", "reverses_resistance")
        findings = list(draft.findings)
        checkable = []
        for i, f in enumerate(findings):
            if f.effect not in directional:
                continue
            role = direction.role_in_sentences(
                [doc.sentence(n) for n in evidence_sentences(f, doc)], f.factor
            )
            if role is None:
                checkable.append(i)
            else:
                findings[i] = f.model_copy(update={"effect": effect_for_role(f.alteration, role)})
        draft = draft.model_copy(update={"findings": findings})
        if not self.settings.verify_direction or not checkable or not answer:
            return draft
        lines = []
        for n, i in enumerate(checkable, start=1):
            f = draft.findings[i]
            quote = " ".join(normalize_spaces(doc.sentence(k)) for k in evidence_sentences(f, doc, limit=1))
            lines.append(f'{n}. {f.factor} - {f.therapy}: "{quote}"')
        messages = [
            *self.messages(doc),
            {"role": "assistant", "content": answer},
            {"role": "user", "content": self.prompts.render_verify("\n".join(lines))},
        ]
        token = _current_purpose.set("verify")
        try:
            check = self.client.chat.completions.create(
                response_model=direction_check_model(len(checkable)),
                messages=messages,  # type: ignore[arg-type]
                max_retries=0,
                max_tokens=40 * len(checkable) + 20,
                **self._request(),
            )
        except IncompleteOutputException:
            return draft
        except InstructorRetryException as exc:
            _raise_if_transport_failure(exc)
            return draft
        finally:
            _current_purpose.reset(token)
        findings = list(draft.findings)  # re-read: the cue-word pass above may have changed them
        for i, reading in zip(checkable, check.answers, strict=True):  # type: ignore[attr-defined]
            role = direction.role_from(reading.change, reading.outcome)
            if role is not None:
                findings[i] = findings[i].model_copy(
                    update={"effect": effect_for_role(findings[i].alteration, role)}
                )
        return draft.model_copy(update={"findings": findings})

    def _salvage(
        self, doc: Document, exc: InstructorRetryException
    ) -> tuple[PaperDraft, list[RejectedFinding]] | str:
        """After the last re-ask: keep grounded findings, reject the rest with their reasons."""
        content = _completion_text(exc.last_completion)
        try:
            draft = PaperDraft.model_validate_json(content or "")
        except ValidationError as err:
            return f"invalid answer after {exc.n_attempts} attempts: {_short(str(err))}"
        kept, rejected = [], []
        factors = tuple(f.factor for f in draft.findings)
        for finding in draft.findings:
            problems = grounding_problems(finding, doc, factors)
            if problems:
                rejected.append(RejectedFinding(reason="; ".join(problems), finding=finding.model_dump()))
            else:
                kept.append(finding)
        return draft.model_copy(update={"findings": kept}), rejected


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


def to_summary(doc: Document, draft: PaperDraft, rejected: list[RejectedFinding]) -> PaperSummary:
    """Attach identity, metadata and verbatim evidence; merge findings that say the same thing.

    Two findings with the same factor, therapy and role (e.g. "X overexpression promotes" and
    "X knockdown reverses") are one finding with the evidence of both. Evidence is chosen by
    ``evidence_sentences`` (validation guarantees it is not empty).
    """
    merged: dict[tuple[str, str, str | None], tuple[FindingDraft, list[int]]] = {}
    for f in draft.findings:
        key = (squash(f.factor), squash(f.therapy), role_of(f.alteration, f.effect) or f.effect)
        cited = evidence_sentences(f, doc)
        if key in merged:
            merged[key][1].extend(n for n in cited if n not in merged[key][1])
        else:
            merged[key] = (f, cited or list(f.evidence))
    # "HCC" and "hepatocellular carcinoma" are one cancer: spell out what the abstract abbreviates.
    long_forms = defined_abbreviations(doc.text)
    findings: list[Finding] = []
    for f, numbers in merged.values():
        numbers = sorted(dict.fromkeys(numbers))[:3]
        evidence = [
            Evidence(quote=doc.text[s.start : s.end], start=s.start, end=s.end)
            for s in (doc.sentences[n - 1] for n in numbers)
        ]
        quotes = [e.quote for e in evidence]
        data = f.model_dump(exclude={"evidence"})
        data["cancer_type"] = long_forms.get(f.cancer_type, f.cancer_type)
        data["therapy_class"] = enrich.therapy_class(f.therapy, f.therapy_class)
        findings.append(
            Finding(
                **data,
                mechanism_categories=enrich.mechanism_categories([f.mechanism, *quotes]),
                evidence_level=enrich.evidence_levels(quotes),
                evidence=evidence,
            )
        )
    return PaperSummary(
        **doc.identity(),
        cancer_types=list(dict.fromkeys(f.cancer_type for f in findings if f.cancer_type))[:4],
        summary=findings_summary(findings),
        findings=findings,
        rejected_findings=rejected,
    )


_EFFECT_WORDS = {
    "promotes_resistance": "promotes resistance to",
    "reverses_resistance": "reverses resistance to",
    "no_effect": "does not change the response to",
    "unclear": "has an unclear effect on the response to",
}


def findings_summary(findings: list[Finding], limit: int = 350) -> str:
    """The grounded findings in plain words, a sentence each, as many whole ones as ``limit`` holds.

    Written from validated fields only, so the summary never says more than the findings do.
    """
    if not findings:
        return "No finding about the response to a named therapy was stated."
    kept: list[str] = []
    for f in findings:
        where = f" in {f.cancer_type}" if f.cancer_type else ""
        sentence = f"{f.factor} {f.alteration} {_EFFECT_WORDS[f.effect]} {f.therapy}{where}."
        if len(" ".join([*kept, sentence])) + len(" (+9 more)") > limit:
            break
        kept.append(sentence)
    left = len(findings) - len(kept)
    return " ".join(kept) + (f" (+{left} more)" if left else "")


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


def _raise_if_transport_failure(exc: InstructorRetryException) -> None:
    """Raise ``BackendError`` when nothing the model said is at fault (no answer, or a transport or
    server error after retries): such a document is recorded as failed and retried by a re-run."""
    cause = exc.__cause__
    if exc.last_completion is None or (
        cause is not None and not isinstance(cause, (ValidationError, ValueError))
    ):
        failure = cause or exc
        if isinstance(failure, openai.AuthenticationError):
            raise BackendError("the endpoint refused the API key (HTTP 401): check OPENAI_API_KEY") from cause
        raise BackendError(f"model call failed: {_describe(failure)}") from cause


__all__ = [
    "CallRecord",
    "ExtractSettings",
    "ExtractionOutcome",
    "Extractor",
    "GroundedPaperDraft",
    "extract_safely",
    "grounding_problems",
    "to_summary",
]
