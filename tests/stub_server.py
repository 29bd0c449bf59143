"""A scriptable, fault-injecting OpenAI-compatible chat server for tests and benchmarks only.

It listens on 127.0.0.1 (random port) and answers ``POST /v1/chat/completions``. Each request takes
the next fault from a script (a queue, then ``default``), or from ``choose(index, body)`` when one
is given. The normal answer (``ok``) is a valid ``Proposal`` built from the request's JSON schema
and its numbered user message: one factor, a gene-like word of sentence 1, and one therapy, a
drug of the text, so it passes schema validation and grounding. A request
with another schema (any other question) gets the smallest valid
answer to that schema; ``paper_requests`` and ``reasks`` count proposal requests only.

Faults (``FAULTS``):

==================  =============================================================================
``ok``              200, one grounded factor and therapy
``ok_empty``        200, a valid answer naming nothing
``slow``            ``slow_s`` seconds later, ``ok``
``429``             429 with ``Retry-After: <retry_after>``
``429_bare``        429 without Retry-After
``500 502 503``     that status, JSON error body
``401``             401 whose error message ECHOES the bearer key (the worst case for secrets)
``timeout``         no answer for ``hang_s`` seconds (longer than the client timeout), then close
``reset``           the connection is reset (TCP RST) without an answer
``non_json_body``   200 with an HTML body
``non_json``        200 chat completion whose content is not JSON
``bad_schema``      200 chat completion whose JSON content fails the proposal schema
``length``          200 with truncated JSON content and ``finish_reason=length``
``empty_choices``   200 with ``choices: []``
``ungrounded``      200 naming a factor ``ZZZ9`` that is not in the text (grounding re-ask)
==================  =============================================================================

``GET /stats`` returns the request counts as JSON (used when the stub runs in its own process:
``python tests/stub_server.py --delay 0.2`` prints ``READY <base url>`` and serves until killed).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import socket
import struct
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from summarizer.pipeline import RunSummary

FAULTS = (
    "ok",
    "ok_empty",
    "slow",
    "429",
    "429_bare",
    "500",
    "502",
    "503",
    "401",
    "timeout",
    "reset",
    "non_json_body",
    "non_json",
    "bad_schema",
    "length",
    "empty_choices",
    "ungrounded",
)
UNGROUNDED_FACTOR = "ZZZ9"
_DRUGS = (
    "cisplatin",
    "carboplatin",
    "oxaliplatin",
    "doxorubicin",
    "paclitaxel",
    "docetaxel",
    "gemcitabine",
    "gefitinib",
    "osimertinib",
    "erlotinib",
    "tamoxifen",
    "temozolomide",
    "5-fluorouracil",
    "sorafenib",
    "radiotherapy",
)
_NUMBERED = re.compile(r"^\[(\d+)\] (.*)$", re.MULTILINE)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]{2,}")


@dataclass
class RequestRecord:
    """One chat request as the stub saw it."""

    index: int
    fault: str
    kind: str  # "paper" for a proposal request, else the schema's title (e.g. a follow-up check)
    reask: bool  # a paper request carrying an earlier answer and its errors
    authorization: str
    user_chars: int
    study: int | None = None  # the synthetic abstract's number ("Study N of GENEN ..."), if one


@dataclass
class StubServer:
    """The stub; use as a context manager (``with StubServer() as stub: stub.base_url``)."""

    script: Iterable[str] = ()
    default: str = "ok"
    choose: Callable[[int, dict[str, Any]], str] | None = None
    delay_s: float = 0.0
    slow_s: float = 0.3
    hang_s: float = 5.0
    retry_after: str = "7"
    model: str = "stub-model"
    records: list[RequestRecord] = field(default_factory=list, repr=False)
    max_in_flight: int = 0  # most chat requests being answered at the same moment
    _in_flight: int = field(default=0, repr=False)
    _queue: deque[str] = field(default_factory=deque, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _server: _Server | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._queue.extend(self.script)
        for fault in [*self._queue, self.default]:
            if fault not in FAULTS:
                raise ValueError(f"unknown fault {fault!r}")

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> StubServer:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.stub = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="stub-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; requests still hanging (``timeout``) are released at once."""
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> StubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the stub listens on."""
        assert self._server is not None, "start() the stub first"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL (``http://127.0.0.1:PORT/v1``)."""
        return f"http://127.0.0.1:{self.port}/v1"

    # --- scripting and counting -------------------------------------------------------------

    def push(self, *faults: str) -> None:
        """Queue faults for the next requests (then ``default`` again)."""
        for fault in faults:
            if fault not in FAULTS:
                raise ValueError(f"unknown fault {fault!r}")
        with self._lock:
            self._queue.extend(faults)

    @property
    def requests(self) -> int:
        """Chat requests received so far (of every kind)."""
        with self._lock:
            return len(self.records)

    @property
    def paper_requests(self) -> int:
        """Requests for a proposal (first asks and re-asks); follow-up checks not counted."""
        with self._lock:
            return sum(1 for r in self.records if r.kind == "paper")

    @property
    def reasks(self) -> int:
        """Proposal requests that were re-asks."""
        with self._lock:
            return sum(r.reask for r in self.records)

    def count(self, fault: str) -> int:
        """Chat requests that were answered with ``fault``."""
        with self._lock:
            return sum(1 for r in self.records if r.fault == fault)

    def stats(self) -> dict[str, Any]:
        """Request totals by fault, re-asks, and the number of requests."""
        with self._lock:
            return {
                "requests": len(self.records),
                "paper_requests": sum(1 for r in self.records if r.kind == "paper"),
                "reasks": sum(r.reask for r in self.records),
                "max_in_flight": self.max_in_flight,
                "by_fault": dict(Counter(r.fault for r in self.records)),
            }

    def _next_fault(self, body: dict[str, Any], headers: Any, user: str) -> str:
        with self._lock:
            index = len(self.records)
            if self._queue:
                fault = self._queue.popleft()
            elif self.choose is not None:
                fault = self.choose(index, body)
            else:
                fault = self.default
            messages = body.get("messages") or []
            kind = request_kind(body)
            self.records.append(
                RequestRecord(
                    index=index,
                    fault=fault,
                    kind=kind,
                    reask=kind == "paper" and len(messages) > 2,
                    authorization=str(headers.get("Authorization") or ""),
                    user_chars=len(user),
                    study=int(m[1]) if (m := _STUDY.search(user)) else None,
                )
            )
            return fault


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections: dict[threading.Thread, socket.socket] = {}
        self.connections_lock = threading.Lock()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        """Serve one connection, known to ``close_connections`` while it is open."""
        with self.connections_lock:
            self.connections[threading.current_thread()] = request
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.connections_lock:
                self.connections.pop(threading.current_thread(), None)

    def close_connections(self, timeout_s: float = 5.0) -> None:
        """End every open connection and wait for its thread: a client's kept-alive connection
        would otherwise keep a handler thread alive after the stub stopped."""
        with self.connections_lock:
            open_now = dict(self.connections)
        for sock in open_now.values():
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in open_now:
            thread.join(timeout_s)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle on, the body waits for the client's delayed
    # ACK (~40 ms) on a kept-alive connection, which would be the stub's latency, not the pipeline's.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        """No access log."""

    @property
    def stub(self) -> StubServer:
        return self.server.stub  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/stats"):
            self._send_json(200, self.stub.stats())
        else:
            self._send_json(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})
            return
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._send_json(400, {"error": {"message": "request body is not JSON"}})
            return
        user = _last_user_message(body)
        stub = self.stub
        fault = stub._next_fault(body, self.headers, user)
        with stub._lock:
            stub._in_flight += 1
            stub.max_in_flight = max(stub.max_in_flight, stub._in_flight)
        try:
            if stub.delay_s and stub._stop.wait(stub.delay_s):
                return
            self._answer(fault, body, user)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            with stub._lock:
                stub._in_flight -= 1

    def _answer(self, fault: str, body: dict[str, Any], user: str) -> None:
        stub = self.stub
        model = str(body.get("model") or stub.model)
        if fault == "slow":
            if stub._stop.wait(stub.slow_s):
                return
            fault = "ok"
        if fault == "429":
            self._send_json(429, _error("rate limited", "rate_limit"), {"Retry-After": stub.retry_after})
        elif fault == "429_bare":
            self._send_json(429, _error("rate limited", "rate_limit"))
        elif fault in ("500", "502", "503"):
            self._send_json(int(fault), _error(f"stub server error {fault}", "server_error"))
        elif fault == "401":
            key = str(self.headers.get("Authorization") or "").removeprefix("Bearer ")
            self._send_json(401, _error(f"Incorrect API key provided: {key}", "invalid_api_key"))
        elif fault == "timeout":
            stub._stop.wait(stub.hang_s)
            self._reset()
        elif fault == "reset":
            self._reset()
        elif fault == "non_json_body":
            self._send(200, b"<html><body>502 Bad Gateway (proxy)</body></html>", "text/html")
        elif fault == "empty_choices":
            self._send_json(200, _completion(model, None, "stop", user, choices=False))
        else:
            content, finish = _content_for(fault, user, _response_schema(body))
            self._send_json(200, _completion(model, content, finish, user))

    def _reset(self) -> None:
        """Drop the connection with a TCP RST and no answer."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", headers)

    def _send(self, status: int, data: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _error(message: str, code: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "stub_error", "code": code}}


def _last_user_message(body: dict[str, Any]) -> str:
    """The document's numbered sentences: the first user message (re-asks append more)."""
    for message in body.get("messages") or []:
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else json.dumps(content)
    return ""


def _response_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON schema the request asks the answer to follow (``response_format``), if any."""
    response_format = body.get("response_format")
    if isinstance(response_format, dict):
        schema = (response_format.get("json_schema") or {}).get("schema")
        if isinstance(schema, dict):
            return schema
    return None


def _is_paper_schema(schema: dict[str, Any] | None) -> bool:
    return schema is None or "factors" in schema.get("properties", {})


def request_kind(body: dict[str, Any]) -> str:
    """``paper`` for a proposal request (or one without a schema), else the schema's title."""
    schema = _response_schema(body)
    return "paper" if _is_paper_schema(schema) else str((schema or {}).get("title") or "other")


_STUDY = re.compile(r"Study (\d+) of GENE\d+")


def sentences_of(user: str) -> dict[int, str]:
    """``{number: sentence}`` from a numbered user message."""
    return {int(n): text for n, text in _NUMBERED.findall(user)}


def pick_factor(sentence: str) -> str:
    """A gene-like word of ``sentence`` (digits or capitals), else its first longer word."""
    words = _WORD.findall(sentence)
    for word in words:
        if any(c.isdigit() for c in word) or (sum(c.isupper() for c in word) >= 2):
            return word[:60]
    return (words[0] if words else "factor")[:60]


def pick_therapy(text: str) -> str:
    """A drug named in ``text``, else its longest word (the grounding check only needs it named)."""
    lower = text.lower()
    for drug in _DRUGS:
        if drug in lower:
            return drug
    words = _WORD.findall(text)
    return max(words, key=len)[:60] if words else "therapy"


def grounded_draft(user: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """A proposal that passes validation and grounding for this numbered user message: a
    gene-like word of sentence 1 as the factor and a drug of the text as the therapy.

    It is built from the request's JSON schema when there is one (as a schema-constrained server
    would), so it follows the schema as that changes: every required field gets a valid value,
    and the name lists get words of the text.
    """
    sentences = sentences_of(user)
    wanted = {
        "factors": [pick_factor(sentences.get(1, ""))],
        "therapies": [pick_therapy(" ".join(sentences.values()))],
    }
    if not schema:
        return wanted
    draft = _instance(schema, schema.get("$defs", {}))
    for key, value in wanted.items():
        if key in draft:
            draft[key] = value
    return draft


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    return _resolve(defs[ref.rsplit("/", 1)[-1]], defs) if ref else node


def _instance(node: dict[str, Any], defs: dict[str, Any]) -> Any:
    """The smallest value valid under a (pydantic-style) JSON schema node."""
    node = _resolve(node, defs)
    for key in ("anyOf", "oneOf"):
        if key in node:
            options = [o for o in node[key] if o.get("type") != "null"] or node[key]
            return _instance(options[0], defs)
    if "const" in node:
        return node["const"]
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type")
    if kind == "object":
        properties = node.get("properties", {})
        required = node.get("required", list(properties))
        return {k: _instance(v, defs) for k, v in properties.items() if k in required}
    if kind == "array":
        return [_instance(node.get("items", {}), defs) for _ in range(node.get("minItems", 0))]
    if kind in ("integer", "number"):
        return node.get("minimum", 1)
    if kind == "boolean":
        return False
    if kind == "string":
        return "stub".ljust(node.get("minLength", 0), "x")[: node.get("maxLength", 4)]
    return None


def _content_for(fault: str, user: str, schema: dict[str, Any] | None) -> tuple[str, str]:
    """The assistant message content and finish_reason for a 200 answer."""
    if _is_paper_schema(schema):
        draft = grounded_draft(user, schema)
    else:  # a follow-up question with its own schema: its smallest valid answer
        draft = _instance(schema or {}, (schema or {}).get("$defs", {}))
        fault = fault if fault in ("non_json", "bad_schema", "length") else "ok"
    if fault == "ok_empty":
        draft = {key: [] for key in draft}
    elif fault == "ungrounded":
        draft["factors"] = [UNGROUNDED_FACTOR]
    elif fault == "non_json":
        return "Sure! Here are the findings you asked for: NEK2 promotes resistance.", "stop"
    elif fault == "bad_schema":
        return json.dumps({"factors": "none", "therapies": 42}), "stop"
    text = json.dumps(draft)
    if fault == "length":
        return text[: len(text) // 2], "length"
    return text, "stop"


def _completion(
    model: str, content: str | None, finish: str, user: str, choices: bool = True
) -> dict[str, Any]:
    completion_tokens = len(content or "") // 4
    prompt_tokens = len(user) // 4
    return {
        "id": f"chatcmpl-stub-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": (
            [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": finish,
                    "logprobs": None,
                }
            ]
            if choices
            else []
        ),
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def synthetic_abstract(i: int, extra_sentences: int = 0) -> str:
    """A small, unique abstract that ``sources.read_document`` accepts (title + 3-line prose)."""
    more = " ".join(
        f"Additional experiment {k} in cohort {i} confirmed the effect on the resistant cells in culture."
        for k in range(extra_sentences)
    )
    return (
        f"Study {i} of GENE{i} in cisplatin resistance of gastric cancer\n\n"
        f"Background: GENE{i} overexpression promotes cisplatin resistance in gastric cancer cells "
        "through enhanced drug efflux and reduced apoptosis.\n"
        f"Methods: we treated resistant cell lines derived from patient {i} with cisplatin and measured "
        "the viability of the cells over several days.\n"
        f"Results: knockdown of GENE{i} restored sensitivity to the drug in vitro and in xenograft "
        f"models of the disease. {more}\n"
    )


def write_abstracts(folder: Path, count: int, start: int = 0, extra_sentences: int = 0) -> list[Path]:
    """``count`` distinct synthetic abstracts ``doc00000.txt``... in ``folder`` (created)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + count):
        path = folder / f"doc{i:05d}.txt"
        path.write_text(synthetic_abstract(i, extra_sentences), encoding="utf-8")
        paths.append(path)
    return paths


def no_sleep(seconds: float) -> None:
    """A retry wait that takes no time."""


def run_batch(
    base_url: str,
    paths: Sequence[str | Path],
    db: Path | str,
    *,
    concurrency: int = 1,
    attempts: int = 3,
    sleep: Callable[[float], None] | None = None,
    timeout_s: float = 0.5,
    max_reasks: int = 2,
    api_key: str = "sk-stub-key-000",
    force: bool = False,
) -> RunSummary:
    """One pipeline run against ``base_url`` with the openai backend; returns the RunSummary.

    ``sleep`` defaults to a no-op, so retries cost no wall time.
    """
    from summarizer.model.backends import BackendSettings, get_backend
    from summarizer.model.prompts import load_prompts
    from summarizer.model.retry import RetryPolicy
    from summarizer.pipeline import Pipeline, RunOptions
    from summarizer.store import Store

    backend = get_backend("openai", BackendSettings(base_url=base_url, api_key=api_key, timeout_s=timeout_s))
    options = RunOptions(
        concurrency=concurrency,
        force=force,
        retry=RetryPolicy(attempts=attempts, sleep=sleep or no_sleep),
    )
    options.extract.max_reasks = max_reasks
    with Store(db) as store:
        return Pipeline(backend, store, load_prompts(), options).run([str(p) for p in paths])


def main(argv: list[str] | None = None) -> int:
    """Run the stub in this process until SIGTERM/SIGINT; prints ``READY <base url>`` first."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--default", default="ok", choices=FAULTS)
    parser.add_argument("--script", default="", help="comma-separated faults for the first requests")
    parser.add_argument("--error-rate", type=float, default=0.0, help="fraction of requests answered 503")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    choose = None
    if args.error_rate:
        default = args.default

        def choose(index: int, body: dict[str, Any]) -> str:
            return "503" if rng.random() < args.error_rate else default

    script = [s for s in args.script.split(",") if s]
    stub = StubServer(script=script, default=args.default, choose=choose, delay_s=args.delay).start()
    print(f"READY {stub.base_url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        stub.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
