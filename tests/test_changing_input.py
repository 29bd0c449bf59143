"""A file that changes while the batch reads it is reported, never stored as a result.

An export being written, an editor saving, a sync client replacing the file: the run read some
version of the text, and a result of a text that no longer exists (often a truncated one) must not
be stored as the paper's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stub_server import StubServer, run_batch, synthetic_abstract

from summarizer.store import Store


def test_a_file_still_being_written_is_reported_invalid_not_stored(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    full = synthetic_abstract(1, extra_sentences=4)
    growing = folder / "growing.txt"
    growing.write_text(full[: len(full) // 2], encoding="utf-8")  # the writer is half way
    (folder / "steady.txt").write_text(synthetic_abstract(2), encoding="utf-8")

    def writer_finishes(index: int, body: dict[str, Any]) -> str:
        # The batch read the first half; while the model works, the writer completes the file.
        if growing.read_text(encoding="utf-8") != full:
            growing.write_text(full, encoding="utf-8")
        return "ok"

    db = tmp_path / "store.db"
    with StubServer(choose=writer_finishes) as stub:
        first = run_batch(stub.base_url, [folder], db)
        status = {Path(r.path).stem: (r.status, r.message) for r in first.reports}
        assert status["steady"] == ("ok", None)
        assert status["growing"][0] == "invalid"
        assert "changed while it was read" in (status["growing"][1] or "")
        with Store(db) as store:
            assert [p.paper and p.paper.source_name for p in store.papers()] == ["steady"]
            (problem,) = [r for r in store.rejections() if r["path"] == str(growing)]
            assert problem["kind"] == "source"
            assert store.conn.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0

        again = run_batch(stub.base_url, [folder], db)  # the writer is done: now it is read whole
    assert {Path(r.path).stem: r.status for r in again.reports} == {"growing": "ok", "steady": "skipped"}
    with Store(db) as store:
        (paper,) = [p for p in store.papers() if p.paper and p.paper.source_name == "growing"]
    assert paper.source_text == full
