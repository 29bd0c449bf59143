"""The SQLite store: migrations, idempotent results, atomic writes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from summarizer.schema import SCHEMA_VERSION, Evidence, Finding, PaperSummary, RejectedFinding
from summarizer.store import MIGRATIONS, RunInfo, Store, result_key

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


def save(store: Store, run_id: int, key: str, result: PaperSummary | None, error: str | None = None) -> int:
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
    save(store, run, "k1", paper(factor="GENEY"))  # --force re-does the document
    assert store.count("papers") == 1
    assert store.count("findings") == 1
    assert store.count("rejections") == 1
    assert store.count("calls") == 1
    stored = store.get_result("k1")
    assert stored is not None and stored.paper is not None
    assert stored.paper.findings[0].factor == "GENEY"


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
