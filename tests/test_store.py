"""The SQLite store: migrations, idempotent results, atomic writes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from summarizer.schema import SCHEMA_VERSION, Evidence, Finding, PaperSummary, RejectedFinding
from summarizer.store import MIGRATIONS, RUN_LEASE_S, RunInfo, Store, result_key

TEXT = "GENEX knockdown restored cisplatin sensitivity in ovarian cancer cells."
INFO = RunInfo("local", "model-a", "f" * 64, "p" * 64, SCHEMA_VERSION, 0.0, 42, 2)


def paper(doc_id: str = "doc1", factor: str = "GENEX") -> PaperSummary:
    finding = Finding(
        factor=factor,
        factor_type="gene",
        alteration="knockdown",
        therapy="cisplatin",
        therapy_class="chemotherapy",
        cancer_type="ovarian cancer",
        effect="reverses_resistance",
        evidence=[Evidence(quote=TEXT, start=0, end=len(TEXT))],
    )
    return PaperSummary(
        doc_id=doc_id,
        sha256="a" * 64,
        summary="s",
        findings=[finding],
        rejected_findings=[
            RejectedFinding(reason="factor 'X' is not in the abstract", finding={"factor": "X"})
        ],
    )


def save(
    store: Store,
    run_id: int,
    key: str,
    result: PaperSummary | None,
    error: str | None = None,
    replace: bool = False,
) -> int | None:
    return store.save_result(
        key=key,
        run_id=run_id,
        info=INFO,
        doc_id="doc1",
        sha256="a" * 64,
        path="doc1.txt",
        source_text=TEXT,
        paper=result,
        error=error,
        calls=[
            {
                "request": {"messages": []},
                "response": {"id": "x"},
                "prompt_tokens": 10,
                "completion_tokens": 5,
            }
        ],
        seconds=1.0,
        replace=replace,
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "s.db") as s:
        yield s


def test_migrations_are_numbered_and_wal_is_on(store: Store) -> None:
    assert store.schema_version == len(MIGRATIONS)
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_reopening_does_not_migrate_again(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as first:
        run = first.start_run(INFO)
        save(first, run, "k1", paper())
    with Store(tmp_path / "s.db") as second:
        assert second.schema_version == len(MIGRATIONS)
        assert second.count("papers") == 1


def test_result_key_covers_hash_model_prompt_and_schema() -> None:
    keys = {
        result_key("a", "m", "p", "1"),
        result_key("b", "m", "p", "1"),
        result_key("a", "n", "p", "1"),
        result_key("a", "m", "q", "1"),
        result_key("a", "m", "p", "2"),
    }
    assert len(keys) == 5


def test_saving_the_same_key_twice_keeps_one_result(store: Store) -> None:
    run = store.start_run(INFO)
    save(store, run, "k1", paper(factor="GENEX"))
    save(store, run, "k1", paper(factor="GENEY"), replace=True)  # --force re-does the document
    assert store.count("papers") == 1
    assert store.count("findings") == 1
    assert store.count("rejections") == 1
    stored = store.get_result("k1")
    assert stored is not None and stored.paper is not None
    assert stored.paper.findings[0].factor == "GENEY"
    # The call log keeps every call: the replaced result's calls stay, without their paper.
    attached = store.conn.execute("SELECT COUNT(*) FROM calls WHERE paper_id=?", (stored.id,)).fetchone()[0]
    assert (store.count("calls"), attached) == (2, 1)


def test_a_result_another_run_stored_first_is_kept_with_its_call_log(tmp_path: Path) -> None:
    """Two runs finishing the same text (a lapsed claim): neither deletes the other's rows."""
    with Store(tmp_path / "s.db") as first, Store(tmp_path / "s.db") as second:
        run_a, run_b = first.start_run(INFO), second.start_run(INFO)
        kept = save(first, run_a, "k1", paper(factor="FIRST"))
        assert save(second, run_b, "k1", paper(factor="SECOND")) is None
        stored = first.get_result("k1")
        assert stored is not None and stored.id == kept and stored.paper is not None
        assert stored.paper.findings[0].factor == "FIRST"
        rows = first.conn.execute("SELECT run_id, paper_id FROM calls ORDER BY id").fetchall()
        assert [tuple(r) for r in rows] == [(run_a, kept), (run_b, None)]
        assert first.count("papers") == 1 and first.count("findings") == 1


def _dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_only_dead_runs_are_marked_interrupted(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        alive = store.start_run(INFO)  # this process: alive
        dead = store.start_run(INFO)
        store.conn.execute("UPDATE runs SET pid=? WHERE id=?", (_dead_pid(), dead))
        elsewhere_stale = store.start_run(INFO)
        store.conn.execute(
            "UPDATE runs SET host='other-host', heartbeat_at=? WHERE id=?",
            (time.time() - RUN_LEASE_S - 60, elsewhere_stale),
        )
        elsewhere_fresh = store.start_run(INFO)
        store.conn.execute("UPDATE runs SET host='other-host' WHERE id=?", (elsewhere_fresh,))
        store.start_run(INFO)
        status = {r["id"]: r["status"] for r in store.runs()}
    assert status[alive] == "running"
    assert status[elsewhere_fresh] == "running"
    assert status[dead] == "interrupted"
    assert status[elsewhere_stale] == "interrupted"


def test_a_claim_holds_while_its_run_lives_and_passes_on_when_it_dies(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as a, Store(tmp_path / "s.db") as b:
        run_a, run_b = a.start_run(INFO), b.start_run(INFO)
        assert a.claim("k1", run_a) is None
        holder = b.claim("k1", run_b)
        assert holder is not None and holder.id == run_a and str(os.getpid()) in str(holder)
        assert a.claim("k1", run_a) is None  # its own claim, again
        a.conn.execute("UPDATE runs SET pid=? WHERE id=?", (_dead_pid(), run_a))  # run A was killed
        assert b.claim("k1", run_b) is None
        assert a.claim("k2", run_a) is None
        b.conn.execute("UPDATE runs SET pid=? WHERE id=?", (os.getpid(), run_a))
        a.finish_run(run_a, "done", {})  # a finished run holds nothing
        assert b.claim("k2", run_b) is None
        assert b.count("runs") == 2
        assert [tuple(r) for r in b.conn.execute("SELECT result_key, run_id FROM claims ORDER BY 1")] == [
            ("k1", run_b),
            ("k2", run_b),
        ]
        save(b, run_b, "k1", paper())  # saving ends the claim
        b.record_problem(run_id=run_b, doc_id="d", path="d", kind="failure", reason="x", key="k2")
        assert b.conn.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0


def test_rejected_paper_is_done_and_recorded_with_its_reason(store: Store) -> None:
    run = store.start_run(INFO)
    save(store, run, "k2", None, error="invalid answer after 3 attempts")
    assert store.has_result("k2")
    assert store.papers() == []  # not exported as good
    (rejection,) = store.rejections()
    assert rejection["kind"] == "paper" and "invalid answer" in rejection["reason"]


def test_a_failed_write_leaves_nothing_behind(store: Store) -> None:
    run = store.start_run(INFO)
    with pytest.raises(RuntimeError), store.transaction() as conn:
        conn.execute(
            "INSERT INTO papers (result_key, doc_id, sha256, model, prompt_sha256, schema_version,"
            " status, source_text, created_at) VALUES ('k3','d','s','m','p','1','ok','t',0)"
        )
        raise RuntimeError("crash in the middle of a paper")
    assert not store.has_result("k3")
    assert store.count("papers") == 0
    store.finish_run(run, "interrupted", {"docs_ok": 0})
    assert store.runs()[0]["status"] == "interrupted"


def test_latest_result_per_document_is_exported(store: Store) -> None:
    run = store.start_run(INFO)
    save(store, run, "old-prompt", paper(factor="OLD"))
    save(store, run, "new-prompt", paper(factor="NEW"))
    (latest,) = store.papers()
    assert latest.paper is not None and latest.paper.findings[0].factor == "NEW"
    assert len(store.papers(latest_only=False)) == 2
