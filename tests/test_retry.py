"""The transport retry policy on its own: real openai exceptions from the stub, no waiting.

Every test injects a recording ``sleep``, so the waits the policy WOULD take are checked exactly
and none is taken.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator
from typing import Any

import httpx2
import openai
import pytest
from stub_server import StubServer

from summarizer.model.retry import (
    MalformedAnswerError,
    RetryPolicy,
    call_with_retries,
    is_transient,
    retry_after_seconds,
)

MESSAGES = [
    {"role": "system", "content": "answer in JSON"},
    {"role": "user", "content": "[1] GENE1 overexpression promotes cisplatin resistance in cells."},
]


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with StubServer(hang_s=5.0) as server:
        yield server


def _client(stub: StubServer, timeout_s: float = 0.5) -> openai.OpenAI:
    return openai.OpenAI(base_url=stub.base_url, api_key="sk-test", max_retries=0, timeout=timeout_s)


def _call(stub: StubServer, policy: RetryPolicy, **client_kw: Any) -> Any:
    create = call_with_retries(_client(stub, **client_kw).chat.completions.create, policy)
    return create(model="stub", messages=MESSAGES)


def test_429_with_retry_after_waits_what_the_server_asked_then_succeeds(stub: StubServer) -> None:
    stub.push("429")
    sleeps: list[float] = []
    answer = _call(stub, RetryPolicy(attempts=3, sleep=sleeps.append))
    assert answer.choices[0].finish_reason == "stop"
    assert stub.requests == 2
    assert sleeps == [7.0]  # the stub's Retry-After: 7


def test_retry_after_is_capped(stub: StubServer) -> None:
    stub.retry_after = "86400"  # a day
    stub.push("429", "429")
    sleeps: list[float] = []
    _call(stub, RetryPolicy(attempts=3, max_retry_after_s=30.0, sleep=sleeps.append))
    assert sleeps == [30.0, 30.0]


def test_unreadable_retry_after_falls_back_to_backoff_and_still_retries(stub: StubServer) -> None:
    """Regression: a malformed HTTP-date raised ValueError inside the wait, ending the retries."""
    stub.retry_after = "soon"
    stub.push("429")
    sleeps: list[float] = []
    _call(stub, RetryPolicy(attempts=3, initial_wait_s=0.5, max_wait_s=4.0, sleep=sleeps.append))
    assert stub.requests == 2
    assert len(sleeps) == 1 and 0.0 <= sleeps[0] <= 0.5


def test_429_without_retry_after_backs_off_exponentially_within_bounds(stub: StubServer) -> None:
    stub.push("429_bare", "429_bare", "429_bare", "429_bare")
    sleeps: list[float] = []
    policy = RetryPolicy(attempts=5, initial_wait_s=1.0, max_wait_s=3.0, sleep=sleeps.append)
    _call(stub, policy)
    assert stub.requests == 5
    assert len(sleeps) == 4
    for n, wait in enumerate(sleeps):
        assert 0.0 <= wait <= min(policy.max_wait_s, policy.initial_wait_s * 2**n)


@pytest.mark.parametrize("status", ["500", "502", "503"])
def test_server_errors_are_retried_then_succeed(stub: StubServer, status: str) -> None:
    stub.push(status, status)
    sleeps: list[float] = []
    answer = _call(stub, RetryPolicy(attempts=3, sleep=sleeps.append))
    assert answer.choices
    assert stub.requests == 3
    assert len(sleeps) == 2


def test_persistent_500_stops_after_the_configured_attempts(stub: StubServer) -> None:
    stub.default = "500"
    sleeps: list[float] = []
    with pytest.raises(openai.InternalServerError):
        _call(stub, RetryPolicy(attempts=4, sleep=sleeps.append))
    assert stub.requests == 4
    assert len(sleeps) == 3
    assert all(0 <= s <= RetryPolicy().max_wait_s for s in sleeps)


def test_read_timeout_is_retried_and_the_client_does_not_wait_for_the_server(stub: StubServer) -> None:
    stub.push("timeout")  # the stub hangs 5 s; the client gives up after 0.5 s
    sleeps: list[float] = []
    started = time.monotonic()
    answer = _call(stub, RetryPolicy(attempts=3, sleep=sleeps.append), timeout_s=0.5)
    assert answer.choices
    assert stub.requests == 2 and len(sleeps) == 1
    assert time.monotonic() - started < stub.hang_s


def test_connection_reset_is_retried(stub: StubServer) -> None:
    stub.push("reset", "reset")
    sleeps: list[float] = []
    assert _call(stub, RetryPolicy(attempts=3, sleep=sleeps.append)).choices
    assert stub.requests == 3 and len(sleeps) == 2


@pytest.mark.parametrize(("fault", "error"), [("401", openai.AuthenticationError)])
def test_client_errors_are_not_retried(stub: StubServer, fault: str, error: type[Exception]) -> None:
    stub.push(fault)
    sleeps: list[float] = []
    with pytest.raises(error):
        _call(stub, RetryPolicy(attempts=5, sleep=sleeps.append))
    assert stub.requests == 1 and sleeps == []


@pytest.mark.parametrize(
    ("fault", "reason"), [("non_json_body", "non-JSON body"), ("empty_choices", "no choices")]
)
def test_a_200_that_is_no_completion_fails_clearly_without_retries(
    stub: StubServer, fault: str, reason: str
) -> None:
    stub.push(fault)
    sleeps: list[float] = []
    with pytest.raises(MalformedAnswerError, match=reason):
        _call(stub, RetryPolicy(attempts=5, sleep=sleeps.append))
    assert stub.requests == 1 and sleeps == []


def test_on_retry_sees_each_error_and_its_wait(stub: StubServer) -> None:
    stub.push("503", "429")
    seen: list[tuple[str, float]] = []
    create = call_with_retries(
        _client(stub).chat.completions.create,
        RetryPolicy(attempts=3, initial_wait_s=0.25, sleep=lambda s: None),
        on_retry=lambda exc, wait: seen.append((type(exc).__name__, wait)),
    )
    create(model="stub", messages=MESSAGES)
    assert [name for name, _ in seen] == ["InternalServerError", "RateLimitError"]
    assert 0 <= seen[0][1] <= 0.25 and seen[1][1] == 7.0


# --- Retry-After parsing and classification, without a server ---------------------------------


def _rate_limited(headers: dict[str, str]) -> openai.RateLimitError:
    request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
    response = httpx2.Response(429, headers=headers, request=request)
    return openai.RateLimitError("rate limited", response=response, body=None)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after": "-3"}, 0.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"retry-after-ms": "junk", "retry-after": "9"}, 9.0),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "inf"}, None),
        ({"retry-after": "soon"}, None),
        ({"retry-after": ""}, None),
        ({}, None),
    ],
)
def test_retry_after_values(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_seconds(_rate_limited(headers)) == expected


def test_retry_after_http_date() -> None:
    future = email.utils.formatdate(time.time() + 120, usegmt=True)
    seconds = retry_after_seconds(_rate_limited({"retry-after": future}))
    assert seconds is not None and 100 <= seconds <= 121
    past = email.utils.formatdate(time.time() - 120, usegmt=True)
    assert retry_after_seconds(_rate_limited({"retry-after": past})) == 0.0


def test_only_transport_errors_are_transient() -> None:
    request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")

    def status_error(code: int) -> openai.APIStatusError:
        return openai.APIStatusError("x", response=httpx2.Response(code, request=request), body=None)

    assert is_transient(openai.APITimeoutError(request=request))
    assert is_transient(openai.APIConnectionError(request=request))
    for code in (408, 409, 429, 500, 502, 503, 504):
        assert is_transient(status_error(code)), code
    for code in (400, 401, 403, 404, 422):
        assert not is_transient(status_error(code)), code
    assert not is_transient(ValueError("bad JSON"))
    assert not is_transient(MalformedAnswerError("empty"))
