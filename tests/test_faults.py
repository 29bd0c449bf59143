"""Every fault the stub can inject, through the whole pipeline: the documented outcome for the
document that meets it, bounded retries and waits, and the batch going on to the next document.

Outcomes (what a user sees and what a re-run does):

* transient (429, 5xx, timeout, reset): retried below instructor, then ``ok``; waits recorded;
* a bad answer (not JSON, wrong schema, ungrounded): re-asked with the error, then ``ok``;
* still bad after the re-asks: ``rejected`` (stored with the reason; a re-run does not ask again),
  or, for ungrounded findings, ``ok`` with those findings kept apart as rejected;
* no answer at all (retries exhausted, 401, a 200 that is no completion): ``failed``, nothing
  stored as a result, so a re-run tries the document again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from stub_server import UNGROUNDED_FACTOR, StubServer, run_batch, write_abstracts


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with StubServer(hang_s=5.0) as server:
        yield server


@pytest.fixture
def docs(tmp_path: Path) -> list[Path]:
    """Two abstracts: the fault meets the first, the second must still be done."""
    return write_abstracts(tmp_path / "in", 2)


@dataclass(frozen=True)
class Case:
    """A scripted fault for the first document and what must come of it."""

    script: tuple[str, ...]
    status: str
    requests: int  # PaperDraft requests for the first document (follow-up checks not counted)
    sleeps: int = 0
    reasks: int = 0  # requests that carried a re-ask (a retried re-ask is two)
    message: str | None = None
    max_reasks: int = 2


ATTEMPTS = 3
CASES = {
    # transient, then ok
    "429": Case(("429",), "ok", 2, sleeps=1),
    "429_bare": Case(("429_bare",), "ok", 2, sleeps=1),
    "500": Case(("500",), "ok", 2, sleeps=1),
    "502": Case(("502", "502"), "ok", 3, sleeps=2),
    "503": Case(("503",), "ok", 2, sleeps=1),
    "timeout": Case(("timeout",), "ok", 2, sleeps=1),
    "reset": Case(("reset",), "ok", 2, sleeps=1),
    "slow": Case(("slow",), "ok", 1),
    # bad answer, re-asked, then ok
    "non_json": Case(("non_json",), "ok", 2, reasks=1),
    "bad_schema": Case(("bad_schema",), "ok", 2, reasks=1),
    "ungrounded": Case(("ungrounded",), "ok", 2, reasks=1),
    # a transient error during the only re-ask allowed is retried without spending it
    "503+ungrounded+503": Case(("503", "ungrounded", "503"), "ok", 4, sleeps=2, reasks=2, max_reasks=1),
    # given up
    "503 x attempts": Case(("503",) * ATTEMPTS, "failed", ATTEMPTS, sleeps=ATTEMPTS - 1, message="HTTP 503"),
    "timeout x attempts": Case(
        ("timeout",) * ATTEMPTS, "failed", ATTEMPTS, sleeps=ATTEMPTS - 1, message="APITimeoutError"
    ),
    "401": Case(("401",), "failed", 1, message="refused the API key (HTTP 401)"),
    "non_json_body": Case(("non_json_body",), "failed", 1, message="non-JSON body"),
    "empty_choices": Case(("empty_choices",), "failed", 1, message="no choices"),
    "length": Case(("length",), "rejected", 1, message="cut off at max_tokens"),
    "bad_schema x 3": Case(("bad_schema",) * 3, "rejected", 3, reasks=2, message="invalid answer after 3"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_fault_outcome_and_the_batch_goes_on(
    name: str, stub: StubServer, docs: list[Path], tmp_path: Path
) -> None:
    case = CASES[name]
    stub.push(*case.script)
    sleeps: list[float] = []
    db = tmp_path / "store.db"
    summary = run_batch(
        stub.base_url, docs, db, attempts=ATTEMPTS, sleep=sleeps.append, max_reasks=case.max_reasks
    )

    first, second = summary.reports
    assert first.status == case.status, first.message
    assert stub.reasks == case.reasks
    if case.message:
        assert first.message and case.message in first.message
        assert "\n" not in first.message and len(first.message) < 400
    assert len(sleeps) == case.sleeps
    assert all(0.0 <= s <= 60.0 for s in sleeps)
    # The batch went on: the second document was asked exactly once and is done.
    assert second.status == "ok" and second.findings == 1
    assert stub.paper_requests == case.requests + 1

    with sqlite3.connect(db) as conn:
        papers = {Path(p).stem: s for p, s in conn.execute("SELECT path, status FROM papers")}
        problems = conn.execute("SELECT path, kind, reason FROM rejections WHERE kind='failure'").fetchall()
    if case.status == "failed":
        assert papers == {"doc00001": "ok"}  # nothing stored as a result for the failed one ...
        assert [(Path(p).stem, k) for p, k, _ in problems] == [("doc00000", "failure")]  # ... its reason is
        # ... so the same command again asks for it (and only for it).
        again = run_batch(stub.base_url, docs, db, attempts=ATTEMPTS)
        assert [r.status for r in again.reports] == ["ok", "skipped"]
        assert stub.paper_requests == case.requests + 2
    else:
        assert papers == {"doc00000": case.status, "doc00001": "ok"}
        assert problems == []


def test_transport_retries_are_logged_with_the_paper(
    stub: StubServer, docs: list[Path], tmp_path: Path
) -> None:
    stub.push("503", "reset")
    db = tmp_path / "store.db"
    run_batch(stub.base_url, docs[:1], db)
    with sqlite3.connect(db) as conn:
        errors = [e for (e,) in conn.execute("SELECT error FROM calls ORDER BY attempt")]
    assert errors[:2] == ["InternalServerError (HTTP 503)", "APIConnectionError: Connection error."]
    assert errors[2] is None


def test_findings_that_stay_ungrounded_are_kept_apart_with_the_reason(
    stub: StubServer, docs: list[Path], tmp_path: Path
) -> None:
    stub.push("ungrounded", "ungrounded", "ungrounded")  # the first answer and both re-asks
    db = tmp_path / "store.db"
    summary = run_batch(stub.base_url, docs, db, max_reasks=2)
    first, second = summary.reports
    # The ungrounded name is rejected; the finding the text itself states firmly (GENE0) is kept.
    assert (first.status, first.findings, first.rejected_findings, stub.reasks) == ("ok", 1, 1, 2)
    assert second.status == "ok"
    assert [r.reask for r in stub.records[:3]] == [False, True, True]
    with sqlite3.connect(db) as conn:
        (reason,) = conn.execute("SELECT reason FROM rejections WHERE kind='finding'").fetchone()
        factors = [f for (f,) in conn.execute("SELECT factor FROM findings")]
    assert sorted(factors) == ["GENE0", "GENE1"] and UNGROUNDED_FACTOR not in factors
    assert UNGROUNDED_FACTOR in reason and "not named in the abstract" in reason


def test_every_document_failing_still_finishes_the_batch(stub: StubServer, tmp_path: Path) -> None:
    """A dead endpoint: each document fails after its bounded retries; the run ends, nothing lost."""
    stub.default = "503"
    paths = write_abstracts(tmp_path / "in", 5)
    sleeps: list[float] = []
    summary = run_batch(stub.base_url, paths, tmp_path / "store.db", attempts=2, sleep=sleeps.append)
    assert [r.status for r in summary.reports] == ["failed"] * 5
    assert stub.paper_requests == 10 and len(sleeps) == 5
    assert not summary.ok
