"""Two runs at once on one store (two terminals, a cron job overlapping the last one).

* Opening a NEW store at the same moment: every opener succeeds, the schema is made once.
* Two batches over the same folder: each text is sent to the model once in all, each result is
  stored once with its whole call log, neither run marks the other interrupted, both end 'done'.

A killed run's claims are taken over at once by the next run (its pid is gone): test_crash's
SIGKILL cases resume every unsaved document.

Real processes throughout: SQLite's locks are per process, and so are pids.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from stub_server import StubServer, write_abstracts

from summarizer.schema import SCHEMA_VERSION
from summarizer.store import MIGRATIONS, RunInfo, Store

INFO = RunInfo("openai", "m", None, "p" * 64, SCHEMA_VERSION, 0.0, 42, 1)
DEADLINE_S = 60.0


def _open_and_run(db: str, go: Any, results: Any) -> None:
    go.wait(DEADLINE_S)
    try:
        with Store(db) as store:
            store.finish_run(store.start_run(INFO), "done", {})
        results.put("ok")
    except Exception as exc:  # reported to the test, which shows it
        results.put(f"{type(exc).__name__}: {exc}")


def test_runs_opening_a_new_store_at_once_all_succeed(tmp_path: Path) -> None:
    """Before: about one opener in three failed ('table runs already exists', 'database is locked')."""
    context = multiprocessing.get_context("fork")
    openers, rounds = 4, 10
    outcomes: Counter[str] = Counter()
    for round_ in range(rounds):
        db = tmp_path / f"new{round_}.db"
        go, results = context.Event(), context.Queue()
        procs = [context.Process(target=_open_and_run, args=(str(db), go, results)) for _ in range(openers)]
        for proc in procs:
            proc.start()
        go.set()  # all at once
        for _ in procs:
            outcomes[results.get(timeout=DEADLINE_S)] += 1
        for proc in procs:
            proc.join(DEADLINE_S)
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert conn.execute("SELECT COUNT(*), MIN(status), MAX(status) FROM runs").fetchone() == (
                openers,
                "done",
                "done",
            )
    assert outcomes == {"ok": openers * rounds}


def _start(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # see test_crash._start
    try:
        with open(log, "wb") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "summarizer.cli", *args], stdout=out, stderr=subprocess.STDOUT, env=env
            )
    finally:
        signal.signal(signal.SIGINT, previous)


def _runs(db: Path) -> list[tuple[int, str]]:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return [(r[0], r[1]) for r in conn.execute("SELECT id, status FROM runs ORDER BY id")]
    except sqlite3.OperationalError:  # not created yet
        return []


def test_two_runs_on_one_folder_share_the_work(tmp_path: Path) -> None:
    docs = 24
    folder = tmp_path / "in"
    write_abstracts(folder, docs)
    db = tmp_path / "store.db"
    first_seen_by_second: list[str] = []

    def overlap(index: int, body: dict[str, Any]) -> str:
        """After a few answers, hold the first run until the second has started: they overlap."""
        if index >= 4 and not first_seen_by_second:
            deadline = time.monotonic() + DEADLINE_S
            while len(runs := _runs(db)) < 2:
                assert time.monotonic() < deadline, "the second run never started"
                with contextlib.suppress(subprocess.TimeoutExpired):
                    second.wait(timeout=0.02)  # a bounded wait on the process, not a sleep
            first_seen_by_second.append(runs[0][1])  # the first run's status once the second began
        return "ok"

    env = {**os.environ, "SUMMARIZER_HOME": str(tmp_path / "home")}
    env.pop("OPENAI_API_KEY", None)
    with StubServer(choose=overlap, delay_s=0.02) as stub:
        args = ["run", str(folder), "--backend", "openai", "--base-url", stub.base_url, "--db", str(db)]
        args += ["--concurrency", "2"]
        first = _start(args, tmp_path / "first.log", env)
        # The second starts once the first has its run row, so it opens an existing store.
        deadline = time.monotonic() + DEADLINE_S
        while not _runs(db):
            assert first.poll() is None and time.monotonic() < deadline
            with contextlib.suppress(subprocess.TimeoutExpired):
                first.wait(timeout=0.02)
        second = _start(args, tmp_path / "second.log", env)
        try:
            rcs = (first.wait(timeout=DEADLINE_S), second.wait(timeout=DEADLINE_S))
        finally:
            for proc in (first, second):
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        records = list(stub.records)

    logs = [(tmp_path / name).read_text(errors="replace") for name in ("first.log", "second.log")]
    assert rcs == (0, 0), logs
    assert first_seen_by_second == ["running"], "the second run marked the first one interrupted"

    asked = Counter(r.study for r in records if r.kind == "paper")
    assert set(asked) == set(range(docs))
    assert [study for study, n in asked.items() if n > 1] == [], "a text was sent to the model twice"
    done = [set(re.findall(r"\] ok .*?(doc\d+)\.txt", log)) for log in logs]
    assert done[0] and done[1] and not done[0] & done[1] and len(done[0] | done[1]) == docs
    assert "in progress in another run" in logs[1]  # what the first was working on when it began

    with sqlite3.connect(db) as conn:
        papers = conn.execute("SELECT path, id FROM papers").fetchall()
        calls = conn.execute("SELECT paper_id FROM calls").fetchall()
        statuses = [s for (s,) in conn.execute("SELECT status FROM runs")]
        claims = conn.execute("SELECT COUNT(*) FROM claims").fetchone()[0]
    assert sorted(Path(p).stem for p, _ in papers) == [f"doc{i:05d}" for i in range(docs)]
    assert len(calls) == len(records), "a run deleted the other run's call log"
    assert {p for (p,) in calls} == {i for _, i in papers}
    assert statuses == ["done", "done"] and claims == 0
