"""Asking the model: the instructor plumbing and the one question of a document's trip.

``propose``: which factors does the text relate to a therapy's response, and which therapies?
Names only, as the text writes them. Every name must be in the abstract; a name that is not is
sent back to the model with the reason (instructor re-ask), and still-missing names are returned
as rejected rather than used.

A second turn that asked the 1.5B model the direction of findings the cue words left open was
measured and removed: on the development set its answers made 3 true and 25 false findings
(it answered "increased, resistant" for the first item whatever the sentence said).

Transport errors are retried below this module (``retry``); validation failures are re-asked by
instructor; the two never mix. Every HTTP exchange is recorded as a ``CallRecord``. The answer's
schema is ``answer``'s (``prompts`` hashes it too, so it lives apart from both).
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import instructor
import openai
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from pydantic import ValidationError

from ..errors import BackendError
from ..inputs.document import Document
from ..schema import Proposal
from .answer import GroundedProposal, current_names_in
from .prompts import PromptSet
from .retry import RetryPolicy, call_with_retries


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
    purpose: str = "propose"  # what the call was for (one kind today; the call log keeps the column)


@dataclass
class AskSettings:
    """Request settings that are part of provenance."""

    temperature: float = 0.0
    seed: int = 42
    max_tokens: int = 400
    # One re-ask: at temperature 0 a second re-ask mostly repeats the same answer, and names
    # still missing after it are rejected anyway.
    max_reasks: int = 1


_current_calls: contextvars.ContextVar[list[CallRecord] | None] = contextvars.ContextVar(
    "current_calls", default=None
)
_current_purpose: contextvars.ContextVar[str] = contextvars.ContextVar("current_purpose", default="propose")


class Asker:
    """The model behind one instructor client, with transport retries and a call log."""

    def __init__(
        self,
        client: openai.OpenAI,
        model: str,
        mode: instructor.Mode,
        prompts: PromptSet,
        settings: AskSettings | None = None,
        retry_policy: RetryPolicy | None = None,
        request_options: dict[str, Any] | None = None,
    ) -> None:
        self.model = model
        self.request_options = dict(request_options or {})  # the backend's extra request fields
        self.prompts = prompts
        self.settings = settings or AskSettings()
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

    @contextmanager
    def recording(self) -> Iterator[list[CallRecord]]:
        """Collect the calls made inside the block (one document's calls)."""
        calls: list[CallRecord] = []
        token = _current_calls.set(calls)
        try:
            yield calls
        finally:
            _current_calls.reset(token)

    def messages(self, doc: Document) -> list[dict[str, str]]:
        """System instructions first (a cacheable prefix), the document last."""
        return [
            {"role": "system", "content": self.prompts.system},
            {"role": "user", "content": self.prompts.render_user(doc.numbered_view())},
        ]

    def propose(self, doc: Document, is_named: Callable[[str], bool]) -> tuple[Proposal, list[str]]:
        """The model's factor and therapy names for ``doc`` and the names rejected as not in the
        text. ``is_named(name)`` grounds a name.

        Raises ``BackendError`` when no answer can be had, ``ValueError`` for an answer that is
        not a proposal at all (cut off, or invalid after the re-asks).
        """
        names = current_names_in.set(is_named)
        try:
            proposal = self.client.chat.completions.create(
                response_model=GroundedProposal,
                messages=self.messages(doc),  # type: ignore[arg-type]
                max_retries=self.settings.max_reasks,
                max_tokens=self.settings.max_tokens,
                **self._request(),
            )
            return proposal, []
        except IncompleteOutputException:
            raise ValueError(
                f"the model's answer was cut off at max_tokens={self.settings.max_tokens} "
                "(finish_reason=length)"
            ) from None
        except InstructorRetryException as exc:
            _raise_if_transport_failure(exc)
            content = _completion_text(exc.last_completion) or ""
            try:
                raw = Proposal.model_validate_json(content)
            except ValidationError as err:
                raise ValueError(
                    f"invalid answer after {exc.n_attempts} attempts: {_short(str(err))}"
                ) from None
            kept = Proposal(
                factors=[n for n in raw.factors if is_named(n)],
                therapies=[n for n in raw.therapies if is_named(n)],
            )
            missing = [n for n in [*raw.factors, *raw.therapies] if not is_named(n)]
            return kept, missing
        finally:
            current_names_in.reset(names)

    def _request(self) -> dict[str, Any]:
        return {
            **self.request_options,
            "model": self.model,
            "temperature": self.settings.temperature,
            "seed": self.settings.seed,
        }

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
