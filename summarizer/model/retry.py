"""Transport retries: 429, 5xx, timeouts and dropped connections, with backoff and Retry-After.

This policy wraps the single HTTP call underneath instructor. Validation re-asks happen above it
(instructor's ``max_retries``) and never see a transport error, so the two are never mixed.
"""

from __future__ import annotations

import datetime
import email.utils
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import openai
import tenacity

from ..errors import BackendError

T = TypeVar("T")


class MalformedAnswerError(BackendError):
    """The endpoint answered HTTP 200 with something that is not a chat completion.

    Not transient (a proxy page or a broken server answers the same way again) and not a model
    answer either: the document is recorded as failed, so a re-run tries it again.
    """


@dataclass
class RetryPolicy:
    """How hard to retry a transient failure; ``sleep`` is injectable so tests never wait."""

    attempts: int = 6
    initial_wait_s: float = 1.0
    max_wait_s: float = 60.0
    max_retry_after_s: float = 120.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)


def is_transient(exc: BaseException) -> bool:
    """True for errors worth retrying: timeouts, connection errors, 408/409/429 and 5xx."""
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in (408, 409, 429) or exc.status_code >= 500
    return False


def retry_after_seconds(exc: BaseException | None) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms`` or ``retry-after``), if any.

    A header that cannot be read (garbage, NaN, a malformed date) counts as absent, so the
    ordinary backoff applies; it must never turn a retryable 429 into another kind of error.
    """
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    ms = _seconds(headers.get("retry-after-ms"))
    if ms is not None:
        return ms / 1000
    value = headers.get("retry-after")
    if not value:
        return None
    seconds = _seconds(value)
    if seconds is not None:
        return seconds
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:  # HTTP dates are GMT
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return max(0.0, parsed.timestamp() - time.time())


def _seconds(value: str | None) -> float | None:
    """A finite, non-negative number of seconds from a header value, else None."""
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return max(0.0, number) if math.isfinite(number) else None


def check_answer(result: T) -> T:
    """Refuse an HTTP 200 that is no chat completion: a non-JSON body or an empty ``choices``.

    The openai SDK hands back the raw text when a 200 is not JSON (a proxy or login page); without
    this check instructor would treat it as a bad model answer and re-ask, then store a rejection.
    """
    if isinstance(result, (str, bytes)):
        preview = " ".join(str(result[:80]).split())
        raise MalformedAnswerError(
            f"the endpoint answered HTTP 200 with a non-JSON body ({preview!r}...): is --base-url "
            "an OpenAI-compatible /v1 endpoint?"
        )
    if getattr(result, "choices", None) == []:
        raise MalformedAnswerError("the endpoint answered HTTP 200 with no choices (an empty completion)")
    return result


class _WaitRetryAfterOr(tenacity.wait.wait_base):
    """Honour Retry-After (capped); otherwise fall back to exponential backoff with jitter."""

    def __init__(self, fallback: tenacity.wait.wait_base, cap_s: float) -> None:
        self.fallback = fallback
        self.cap_s = cap_s

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        asked = retry_after_seconds(exc)
        if asked is not None:
            return min(asked, self.cap_s)
        return float(self.fallback(retry_state))


def call_with_retries(
    fn: Callable[..., T],
    policy: RetryPolicy,
    on_retry: Callable[[BaseException, float], None] | None = None,
) -> Callable[..., T]:
    """Wrap ``fn`` so transient errors are retried per ``policy``; others propagate at once.

    The answer is checked to be a chat completion at all (``check_answer``) before it goes up to
    instructor's validation.
    """

    def before_sleep(state: tenacity.RetryCallState) -> None:
        if on_retry and state.outcome is not None and state.next_action is not None:
            exc = state.outcome.exception()
            if exc is not None:
                on_retry(exc, state.next_action.sleep)

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(max(1, policy.attempts)),
        wait=_WaitRetryAfterOr(
            tenacity.wait_random_exponential(multiplier=policy.initial_wait_s, max=policy.max_wait_s),
            policy.max_retry_after_s,
        ),
        retry=tenacity.retry_if_exception(is_transient),
        sleep=policy.sleep,
        before_sleep=before_sleep,
        reraise=True,
    )

    def wrapped(*args: Any, **kwargs: Any) -> T:
        return check_answer(retrying(fn, *args, **kwargs))

    return wrapped
