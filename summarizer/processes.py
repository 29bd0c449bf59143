"""Extraction in worker processes, for high concurrency against a fast endpoint.

One Python process runs Python code on one core at a time (the GIL). Each request costs the
client ~5 ms of CPU (openai SDK, instructor, pydantic, grounding), and 32 threads contending for
one GIL add ~30 ms to every 200 ms request of the stub benchmark. With ``processes`` > 1 the
documents go to that many worker processes, each running its share of the concurrency in
threads, while the parent keeps reading, skipping and saving: SQLite still has one writer.

The parent owns the outcome of every document it hands out. Workers ignore Ctrl-C (the parent
decides: it withdraws what no worker has taken and waits for what is in flight) and stop taking
work when the parent disappears.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import instructor
import openai

from .errors import BackendError
from .extract import ExtractionOutcome, Extractor, ExtractSettings, extract_safely
from .prompts import PromptSet
from .retry import RetryPolicy
from .sources import Document

# Seconds between checks that the parent (for a worker) or the workers (for the parent) are alive.
_POLL_S = 0.5
_IDLE = object()  # nothing arrived within _POLL_S


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a worker needs to build its own client and extractor (it is pickled to it)."""

    base_url: str
    api_key: str
    timeout: Any  # what the parent's client has: seconds or an httpx Timeout
    model: str
    mode: instructor.Mode
    prompts: PromptSet
    settings: ExtractSettings
    retry: RetryPolicy
    request_options: dict[str, Any]
    threads: int
    parent_pid: int


def _die_with_parent() -> None:
    """On Linux, have the kernel kill this worker when the parent dies (e.g. SIGKILLed): its
    answers could no longer be saved, so it must not go on spending requests."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the parent check in the loop still applies
        pass


def _serve(spec: WorkerSpec, inbox: Any, outbox: Any, inherited: Extractor | None = None) -> None:
    """A worker: take (index, Document) items, answer (index, ExtractionOutcome), until None.

    ``inherited`` is the parent's extractor in a forked worker: building a client costs ~20 ms
    (its TLS setup), paid once per process before the first request. A spawned worker builds
    its own from ``spec``.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    from .backends import hide_in_logs  # the parent's log redaction does not cross a spawn

    hide_in_logs(spec.api_key)
    extractor = inherited
    if extractor is None:
        client = openai.OpenAI(
            base_url=spec.base_url, api_key=spec.api_key, timeout=spec.timeout, max_retries=0
        )
        extractor = Extractor(
            client, spec.model, spec.mode, spec.prompts, spec.settings, spec.retry, spec.request_options
        )
    free = threading.Semaphore(spec.threads)

    def one(index: int, doc: Document) -> None:
        try:
            outbox.put((index, extract_safely(lambda: extractor, doc)))
        finally:
            free.release()

    with ThreadPoolExecutor(max_workers=spec.threads, thread_name_prefix="extract") as pool:
        while True:
            free.acquire()  # take work only for a free thread, so queued work stays withdrawable
            try:
                item = inbox.get(timeout=_POLL_S)
            except queue.Empty:
                item = _IDLE
            if os.getppid() != spec.parent_pid:  # orphaned: nobody can save what it would do
                outbox.cancel_join_thread()  # and nobody reads the outbox: do not hang at exit
                return
            if item is _IDLE:
                free.release()
                continue
            if item is None:
                return
            pool.submit(one, *item)


class WorkerPool:
    """``processes`` worker processes sharing one inbox and one outbox."""

    def __init__(self, spec: WorkerSpec, processes: int, fork_with: Extractor | None = None) -> None:
        # fork starts a worker in milliseconds with everything imported and the parent's
        # extractor ready (``fork_with``: it is inherited, not pickled); spawn re-imports (~1 s of
        # CPU each, a fifth of a 1,000-document run at concurrency 32). Forking is only safe from
        # a process running no other thread (a lock held there stays held in the child), so the
        # caller says when it may by passing the extractor.
        fork = fork_with is not None
        context = multiprocessing.get_context("fork") if fork else multiprocessing.get_context("spawn")
        self._inbox = context.Queue()
        self._outbox = context.Queue()
        args = (spec, self._inbox, self._outbox, fork_with) if fork else (spec, self._inbox, self._outbox)
        self._workers = [context.Process(target=_serve, args=args, daemon=True) for _ in range(processes)]
        for worker in self._workers:
            worker.start()

    def submit(self, index: int, doc: Document) -> None:
        """Queue one document; any free worker takes it."""
        self._inbox.put((index, doc))

    def next_result(self, stop: threading.Event | None = None) -> tuple[int, ExtractionOutcome] | None:
        """The next finished (index, outcome), or None once ``stop`` is set and none is ready.

        Workers stop only when told to, after their work is collected; one that stopped earlier
        (killed, out of memory) took documents with it, so waiting would never end: raise
        BackendError instead. What was saved stays saved, and a re-run does the rest.
        """
        while True:
            try:
                index, outcome = self._outbox.get(timeout=_POLL_S)
                return int(index), outcome
            except queue.Empty:
                if stop is not None and stop.is_set():
                    return None
                stopped = [w for w in self._workers if not w.is_alive()]
                if stopped:
                    codes = ", ".join(str(w.exitcode) for w in stopped)
                    raise BackendError(
                        f"{len(stopped)} worker process(es) stopped unexpectedly (exit code {codes}); "
                        "finished documents are saved, run the same command again for the rest"
                    ) from None

    def withdraw_queued(self) -> list[int]:
        """Take back the documents no worker has started; returns their indexes."""
        withdrawn: list[int] = []
        while True:
            try:
                item = self._inbox.get(timeout=0.05)
            except queue.Empty:
                return withdrawn
            if item is not None:
                withdrawn.append(int(item[0]))

    def close(self) -> None:
        """Tell every worker to stop once its work is done and wait for them (briefly)."""
        for _ in self._workers:
            self._inbox.put(None)
        for worker in self._workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.terminate()
