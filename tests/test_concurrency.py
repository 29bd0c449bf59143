"""Concurrency: many documents with ``--concurrency N`` under injected transient errors end with
exactly one stored result each: none lost, none doubled, and a re-run has nothing left to do.

Retries use a no-op sleep, so the injected errors cost no wall time.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stub_server import StubServer, run_batch, write_abstracts

DOCS = 1000  # as the issue asks: 1,000 documents under 10% injected transient errors
ERROR_RATE = 0.10
TRANSIENT = ("500", "502", "503", "429", "429_bare", "reset")


@pytest.fixture
def flaky_stub() -> Iterator[StubServer]:
    """Answers ~10% of requests (any kind) with a random transient fault; seeded, so repeatable."""
    rng = random.Random(4)

    def choose(index: int, body: dict[str, Any]) -> str:
        return rng.choice(TRANSIENT) if rng.random() < ERROR_RATE else "ok"

    with StubServer(choose=choose, delay_s=0.005, retry_after="1") as server:
        yield server


@pytest.mark.parametrize("concurrency", [8, 32])
def test_every_document_stored_exactly_once_under_transient_errors(
    concurrency: int, flaky_stub: StubServer, tmp_path: Path
) -> None:
    paths = write_abstracts(tmp_path / "in", DOCS)
    db = tmp_path / "store.db"
    sleeps: list[float] = []
    summary = run_batch(
        flaky_stub.base_url, paths, db, concurrency=concurrency, attempts=8, sleep=sleeps.append
    )

    assert [r.status for r in summary.reports].count("ok") == DOCS, [
        r.message for r in summary.reports if r.status != "ok"
    ]
    assert len(summary.reports) == DOCS
    assert sorted(r.path for r in summary.reports) == [str(p) for p in paths]
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT path, result_key, status FROM papers").fetchall()
        findings = conn.execute("SELECT COUNT(*), COUNT(DISTINCT paper_id) FROM findings").fetchone()
        (run_ok,) = conn.execute("SELECT docs_ok FROM runs").fetchone()
    assert len(rows) == DOCS
    assert len({doc for doc, _, _ in rows}) == DOCS  # none doubled ...
    assert len({key for _, key, _ in rows}) == DOCS
    assert {doc for doc, _, _ in rows} == {str(p) for p in paths}  # ... none lost
    assert {status for _, _, status in rows} == {"ok"}
    assert findings == (DOCS, DOCS)  # one finding per paper, each written once
    assert run_ok == DOCS

    # The faults were really injected, retried, and waited for (in no time).
    faults = sum(flaky_stub.count(f) for f in TRANSIENT)
    assert faults >= DOCS * ERROR_RATE / 2
    assert len(sleeps) == faults
    assert flaky_stub.paper_requests >= DOCS
    assert 1 < flaky_stub.max_in_flight <= concurrency

    # Nothing is left to do: the same batch again makes no request.
    before = flaky_stub.requests
    again = run_batch(flaky_stub.base_url, paths, db, concurrency=concurrency)
    assert [r.status for r in again.reports] == ["skipped"] * DOCS
    assert flaky_stub.requests == before
