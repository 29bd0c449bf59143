"""CLI commands that read the store: export formats and clear errors."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import threading
from pathlib import Path
from typing import Any

import pytest
from stub_server import StubServer, synthetic_abstract, write_abstracts

from summarizer.cli import main
from summarizer.outputs.export import findings_csv
from summarizer.schema import Evidence, Finding, PaperSummary
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
    names = {doc_id: p.source_name for doc_id, p in papers.items() if p is not None}
    seeds = Path(__file__).parent.parent / "seeds"
    for row in rows:
        text = (seeds / f"{names[row['doc_id']]}.txt").read_text(encoding="utf-8")
        start, end = row["evidence_spans"].split(";")[0].split("-")
        assert text[int(start) : int(end)] == row["evidence"].split(" | ")[0]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _paper_with_cells(start: str) -> PaperSummary:
    """A paper whose model-written cells all begin with ``start`` (a formula trigger)."""
    quote = "GENEX knockdown restored cisplatin sensitivity."
    finding = Finding(
        factor=f'{start}HYPERLINK("http://x","GENEX")',
        factor_type="gene",
        alteration="knockdown",
        therapy=f"{start}cmd|' /C calc'!A0",
        therapy_class="chemotherapy",
        cancer_type=f"{start}ovarian cancer",
        effect="reverses_resistance",
        mechanism=f"{start}SUM(A1:A9)",
        pathways_or_partners=[f"{start}AKT"],
        models=[f"{start}xenograft"],
        evidence=[Evidence(quote=quote, start=0, end=len(quote))],
    )
    return PaperSummary(
        doc_id=f"{start}doc", sha256="a" * 64, title=f"{start}2+3", summary="s", findings=[finding]
    )


@pytest.mark.parametrize("start", FORMULA_STARTS, ids=["eq", "plus", "minus", "at", "tab", "cr"])
def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_neutralised(start: str) -> None:
    """OWASP CSV injection: a leading = + - @ tab or CR gets a single quote, and the cell is quoted."""
    text = findings_csv([_paper_with_cells(start)])
    (row,) = list(csv.DictReader(io.StringIO(text)))
    columns = ["doc_id", "title", "factor", "therapy", "cancer_type", "mechanism", "pathways_or_partners"]
    columns.append("models")
    for column in columns:
        assert row[column].startswith("'" + start), (column, row[column])
    assert text.count("\"'" + start) == len(columns), text  # and each such cell is quoted
    # A cell that merely contains such a character later on is left as it was.
    assert row["evidence"] == "GENEX knockdown restored cisplatin sensitivity."
    assert row["evidence_spans"] == "0-47"


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--limit", "-1"),
        ("--retries", "-1"),
        ("--retries", "0"),
        ("--concurrency", "-4"),
        ("--concurrency", "0"),
        ("--max-reasks", "-1"),
        ("--timeout", "-5"),
        ("--timeout", "0"),
    ],
)
def test_run_refuses_counts_below_their_minimum(
    flag: str, value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "store.db"
    with pytest.raises(SystemExit) as exit_:
        main(["run", str(tmp_path), "--backend", "openai", "--db", str(db), flag, value])
    assert exit_.value.code == 2  # argparse's usage error
    err = capsys.readouterr().err
    assert f"argument {flag}" in err and "Traceback" not in err
    assert not db.exists()


# Names a terminal would act on: colour/cursor escapes, a bell, a carriage return that overwrites
# the line, and bidirectional overrides that show a different name than the file's (Trojan Source).
HOSTILE_NAMES = {
    "escape": "red\x1b[31m\x1b[2Jx",
    "bell-cr": "bell\x07\rfake ok",
    "newline": "two\nlines",
    "bidi": "evil\u202etxt.exe\u2066x\u2069",
    "c1": "c1\x9bx",
}
RAW = ("\x1b", "\x07", "\r", "\u202e", "\u2066", "\u2069", "\x9b")


@pytest.fixture
def hostile_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for i, name in enumerate(HOSTILE_NAMES.values()):
        (folder / f"{name}.txt").write_text(synthetic_abstract(i), encoding="utf-8")
    (folder / "empty\x1b[1m.txt").write_bytes(b"")  # an invalid input: its message names it too
    return folder


def _assert_escaped(text: str) -> None:
    assert not [c for c in RAW if c in text], repr(text)
    assert "\\x1b" in text and "\\u202e" in text, text


def test_file_names_are_escaped_in_run_output(
    hostile_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with StubServer() as stub:
        args = ["run", str(hostile_folder), "--backend", "openai", "--base-url", stub.base_url]
        rc = main([*args, "--db", str(tmp_path / "store.db"), "-o", str(tmp_path / "out\x1b.jsonl")])
    out, err = capsys.readouterr()
    assert rc == 1, err  # the empty file failed
    _assert_escaped(out + err)
    assert err.count("\n[") + err.startswith("[") == len(HOSTILE_NAMES) + 1  # one line per file
    assert "\\u202e" in err and "two\\x0alines" in err


def test_file_names_are_escaped_in_dry_run_and_errors(
    hostile_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(hostile_folder), "--dry-run"]) == 1
    out, err = capsys.readouterr()
    headers = [line for line in out.splitlines() if line.startswith("=== ")]
    _assert_escaped("\n".join(headers))
    missing = tmp_path / "gone\x1b[2J\u202e.db"
    assert main(["export", "--db", str(missing)]) == 2
    _assert_escaped(capsys.readouterr().err + "\\x1b")


# --- -o: symlinks, standard output, write errors ---------------------------------------------


def _run_args(stub: StubServer, folder: Path, db: Path) -> list[str]:
    return ["run", str(folder), "--backend", "openai", "--base-url", stub.base_url, "--db", str(db)]


def test_output_through_a_symlink_writes_its_target(tmp_path: Path, seed_store: Path) -> None:
    """A symlinked -o (dotfiles, a shared folder) must stay a link; the file it points to is written."""
    (tmp_path / "real").mkdir()
    for name in ("run.jsonl", "export.csv", "report.html"):
        (tmp_path / name).symlink_to(Path("real") / name)
    paths = write_abstracts(tmp_path / "in", 2)
    with StubServer() as stub:
        assert (
            main([*_run_args(stub, tmp_path / "in", tmp_path / "s.db"), "-o", str(tmp_path / "run.jsonl")])
            == 0
        )
    assert (
        main(["export", "--db", str(seed_store), "--format", "csv", "-o", str(tmp_path / "export.csv")]) == 0
    )
    assert main(["report", "--db", str(seed_store), "-o", str(tmp_path / "report.html")]) == 0
    for name in ("run.jsonl", "export.csv", "report.html"):
        assert (tmp_path / name).is_symlink(), name
        assert (tmp_path / "real" / name).stat().st_size > 0, name
    lines = (tmp_path / "real" / "run.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["source_name"] for line in lines) == [p.stem for p in paths]


def test_output_into_a_named_pipe_writes_into_it(tmp_path: Path, seed_store: Path) -> None:
    """A FIFO (or a device) is written into, never replaced by a regular file."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    try:
        assert main(["export", "--db", str(seed_store), "-o", str(fifo)]) == 0
    finally:
        if reader.is_alive():  # the export failed before opening the pipe: unblock the reader
            with open(fifo, "wb"):
                pass
        reader.join(timeout=10)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert received and received[0].count(b"\n") == 5


def test_output_dash_means_standard_output(
    tmp_path: Path, seed_store: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_abstracts(tmp_path / "in", 3)
    with StubServer() as stub:
        assert main([*_run_args(stub, tmp_path / "in", tmp_path / "s.db"), "-o", "-"]) == 0
    out, err = capsys.readouterr()
    assert sorted(json.loads(line)["source_name"] for line in out.splitlines()) == [
        "doc00000",
        "doc00001",
        "doc00002",
    ]
    assert "documents: 3 ok" in err and "wrote" not in err
    assert main(["export", "--db", str(seed_store), "-o", "-"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 5
    assert main(["report", "--db", str(seed_store), "-o", "-"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("<!DOCTYPE html>") and "wrote" not in err
    assert not (tmp_path / "-").exists()


def test_run_refuses_an_output_it_cannot_write_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_abstracts(tmp_path / "in", 2)
    (tmp_path / "a-folder").mkdir()
    with StubServer() as stub:
        for target in (tmp_path / "no-such-folder" / "out.jsonl", tmp_path / "a-folder"):
            assert main([*_run_args(stub, tmp_path / "in", tmp_path / "s.db"), "-o", str(target)]) == 2
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and err.startswith("error: ") and str(target) in err, err
        assert stub.requests == 0
    assert not (tmp_path / "s.db").exists()


def test_a_failed_output_write_after_the_run_keeps_the_results_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The output folder disappears while the batch runs: one line, exit 2, papers in the store."""
    write_abstracts(tmp_path / "in", 3)
    out_dir = tmp_path / "out"
    out_dir.mkdir()

    def remove_the_folder(index: int, body: dict[str, Any]) -> str:
        if out_dir.exists():
            out_dir.rmdir()
        return "ok"

    db = tmp_path / "s.db"
    with StubServer(choose=remove_the_folder) as stub:
        rc = main([*_run_args(stub, tmp_path / "in", db), "-o", str(out_dir / "out.jsonl")])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "Traceback" not in err and "documents: 3 ok" in err
    (line,) = [x for x in err.splitlines() if x.startswith("error:")]
    assert str(out_dir / "out.jsonl") in line and "summarizer export" in line
    with Store(db) as store:
        assert len(store.papers()) == 3
