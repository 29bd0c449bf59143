"""CLI commands that read the store: export formats and clear errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from summarizer.cli import main
from summarizer.store import Store


def test_export_refuses_a_missing_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.db"
    assert main(["export", "--db", str(missing)]) == 2
    assert f"no store at {missing}" in capsys.readouterr().err
    assert not missing.exists()


def test_export_jsonl_and_csv_from_the_seed_run(seed_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Store(seed_store) as store:
        papers = {p.doc_id: p.paper for p in store.papers()}
    assert main(["export", "--db", str(seed_store), "--format", "jsonl"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert sorted(json.loads(line)["doc_id"] for line in lines) == sorted(papers)

    assert main(["export", "--db", str(seed_store), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == sum(len(p.findings) for p in papers.values() if p is not None)
    for row in rows:
        text = (Path(__file__).parent.parent / "seeds" / f"{row['doc_id']}.txt").read_text(encoding="utf-8")
        start, end = row["evidence_spans"].split(";")[0].split("-")
        assert text[int(start) : int(end)] == row["evidence"].split(" | ")[0]
