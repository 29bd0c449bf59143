"""Exports as inputs: PubMed XML (.xml, .xml.gz), MEDLINE (.nbib, PubMed-format .txt), JSONL, CSV.

The fixtures in tests/fixtures/inputs are invented records laid out as those exports are; nothing
is copied from PubMed. Each record is one Document whose text is its title and abstract, whose
hash is that text's, and whose metadata are the record's own fields; bad records get one message
naming the file and the record, and reading goes on. The end-to-end test runs every format
through ``summarizer run`` against the loopback stub.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import shutil
import sqlite3
import sys
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from stub_server import StubServer

from summarizer.cli import main
from summarizer.errors import SourceError
from summarizer.inputs.document import Document
from summarizer.inputs.formats import Columns, count_documents, detect_format, read_documents
from summarizer.pipeline import count_inputs

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "inputs"
XML = FIXTURES / "pubmed_export.xml"
NBIB = FIXTURES / "pubmed_format.nbib"
JSONL = FIXTURES / "records.jsonl"
CSV = FIXTURES / "records.csv"


def read_all(path: Path | str, columns: Columns | None = None) -> list[Document | SourceError]:
    return list(read_documents(str(path), columns))


def docs_of(items: list[Document | SourceError]) -> list[Document]:
    return [i for i in items if isinstance(i, Document)]


def errors_of(items: list[Document | SourceError]) -> list[str]:
    return [str(i) for i in items if isinstance(i, SourceError)]


def assert_is_its_own_text(doc: Document) -> None:
    """The stored text is the record's (not the file's), hashed, and every sentence indexes it."""
    assert doc.sha256 == hashlib.sha256(doc.text.encode("utf-8")).hexdigest()
    assert doc.sentences and doc.sentence(1) == doc.text[doc.sentences[0].start : doc.sentences[0].end]
    for s in doc.sentences:
        piece = doc.text[s.start : s.end]
        assert piece and piece == piece.strip()


# --- PubMed XML -----------------------------------------------------------------------------------


def test_pubmed_xml_records_are_documents_with_their_own_fields() -> None:
    items = read_all(XML)
    docs = docs_of(items)
    assert [d.pmid for d in docs] == ["90000101", "90000102", "90000104"]
    first, second, book = docs
    assert first.title == (
        "The invented long non-coding RNA LINC-Q1 promotes gemcitabine resistance in pancreatic cancer"
    )
    assert first.doi == "10.5555/ijdr.2021.0101"  # not the reference's 10.5555/other.2015.0001
    assert (first.year, first.journal) == (2021, "Invented Journal of Drug Resistance")
    assert (second.doi, second.year, second.journal) == ("10.5555/iol.2018.0102", 2018, "Invented Oncol Lett")
    assert book.year == 2020
    assert book.title == "Invented chapter: the kinase TRV3 and resistance of breast cancer to tamoxifen"
    for doc in docs:
        assert doc.doc_id == f"pmid:{doc.pmid}" and doc.name == doc.pmid
        assert doc.path == str(XML) and doc.location.startswith(f"{XML} (record ")
        assert_is_its_own_text(doc)
        assert "<" not in doc.text and "PubmedArticle" not in doc.text


def test_a_structured_abstract_stays_one_text_with_its_labels() -> None:
    first = docs_of(read_all(XML))[0]
    assert first.text.splitlines()[0].startswith("The invented long non-coding RNA LINC-Q1")
    labels = [line.split(":")[0] for line in first.text.splitlines()[2:]]
    assert labels == ["BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS"]
    assert "advanced pancreatic ductal adenocarcinoma" in first.text  # XML indentation made one space
    assert "Invented copyright line" not in first.text
    view = first.numbered_view()
    assert "[1] The invented long non-coding RNA" in view
    assert "silencing LINC-Q1 restored gemcitabine-induced apoptosis" in view


def test_a_record_without_abstract_gets_one_line_naming_file_and_record() -> None:
    (message,) = errors_of(read_all(XML))
    assert message == f"{XML} (record 3, PMID 90000103): no abstract in this record"


def test_gzip_export_reads_the_same_records(tmp_path: Path) -> None:
    packed = tmp_path / "export.xml.gz"
    packed.write_bytes(gzip.compress(XML.read_bytes()))
    plain = docs_of(read_all(XML))
    zipped = docs_of(read_all(packed))
    assert [(d.doc_id, d.sha256, d.text) for d in zipped] == [(d.doc_id, d.sha256, d.text) for d in plain]


def test_malformed_xml_keeps_the_records_before_the_fault(tmp_path: Path) -> None:
    text = XML.read_text(encoding="utf-8")
    cut = text.index("<PubmedArticle>", text.index("</PubmedArticle>"))
    broken = tmp_path / "broken.xml"
    broken.write_text(text[:cut] + "<PubmedArticle><MedlineCitation><PMID>1</PMID>\n</PubmedArticleSet>\n")
    items = read_all(broken)
    assert [d.pmid for d in docs_of(items)] == ["90000101"]
    (message,) = errors_of(items)
    assert message.startswith(f"{broken}: XML is malformed (mismatched tag")
    assert message.endswith("the record before it was read")


def test_xml_that_is_not_a_pubmed_export_is_refused(tmp_path: Path) -> None:
    page = tmp_path / "page.xml"
    page.write_text("<html><body><p>Not a PubMed export.</p></body></html>")
    assert errors_of(read_all(page)) == [
        f"{page}: not a PubMed XML export (it starts with <html>, not <PubmedArticleSet>); "
        "save the records from PubMed as XML"
    ]


def _big_export(path: Path, records: int) -> None:
    template = XML.read_text(encoding="utf-8")
    one = template[template.index("<PubmedArticle>") : template.index("</PubmedArticle>") + 16]
    with path.open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" ?>\n<PubmedArticleSet>\n')
        for i in range(records):
            fh.write(one.replace("90000101", str(10_000_000 + i)).replace("60 patients", f"{i} patients"))
        fh.write("</PubmedArticleSet>\n")


def test_a_large_export_is_streamed_not_held(tmp_path: Path) -> None:
    """Memory stays flat however many records the file holds: each record is dropped once read."""
    big = tmp_path / "big.xml"
    _big_export(big, 4000)
    assert big.stat().st_size > 10_000_000
    tracemalloc.start()
    try:
        count = 0
        for item in read_documents(str(big)):
            assert isinstance(item, Document)
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 4000
    assert peak < 2_000_000, f"peak {peak:,} bytes while reading a {big.stat().st_size:,}-byte export"


def test_the_first_record_comes_before_the_file_is_read_through(tmp_path: Path) -> None:
    big = tmp_path / "big.xml"
    _big_export(big, 2000)
    with big.open("ab") as fh:
        fh.write(b"\x00 garbage after the end")
    items = read_documents(str(big))
    first = next(items)
    assert isinstance(first, Document) and first.pmid == "10000000"
    items.close()  # stopping early closes the file


# --- MEDLINE --------------------------------------------------------------------------------------


def test_medline_records_with_wrapped_fields() -> None:
    items = read_all(NBIB)
    docs = docs_of(items)
    assert [d.pmid for d in docs] == ["90000201", "90000203"]
    first = docs[0]
    assert first.title == (
        "The invented microRNA miR-9901 sensitizes glioblastoma cells to temozolomide by targeting the "
        "repair enzyme MGMT"
    )
    assert (first.doi, first.year, first.journal) == (
        "10.5555/ijno.2019.0201",
        2019,
        "Invented Journal of Neuro-Oncology",
    )
    assert "effect depends on MGMT. METHODS: We expressed" in first.text  # one text, labels inline
    assert (docs[1].year, docs[1].journal, docs[1].doi) == (2016, "Invented Prostate", None)
    for doc in docs:
        assert_is_its_own_text(doc)
    assert errors_of(items) == [f"{NBIB} (record 2, PMID 90000202): no abstract in this record"]


def test_pubmed_format_saved_as_txt_is_read_as_medline(tmp_path: Path) -> None:
    saved = tmp_path / "pubmed-invented-set.txt"
    shutil.copy(NBIB, saved)
    assert detect_format(str(saved)) == "medline"
    assert [d.text for d in docs_of(read_all(saved))] == [d.text for d in docs_of(read_all(NBIB))]


def test_same_abstract_from_txt_and_from_an_export_has_one_hash(tmp_path: Path) -> None:
    record = docs_of(read_all(NBIB))[0]
    page = tmp_path / "same.txt"
    page.write_text(record.text, encoding="utf-8")
    (single,) = read_all(page)
    assert isinstance(single, Document) and single.sha256 == record.sha256


# --- JSONL and CSV --------------------------------------------------------------------------------


def test_jsonl_rows_and_their_problems() -> None:
    items = read_all(JSONL)
    docs = docs_of(items)
    assert [(d.doc_id.split("-")[0], d.name, d.pmid) for d in docs] == [
        ("trial", "trial-7", None),
        ("pmid:90000301", "90000301", "90000301"),
    ]
    assert (docs[0].year, docs[0].journal) == (2022, "Invented Colorectal Reports")
    assert docs[1].doi == "10.5555/isr.2020.0301"  # a doi.org link is read as the DOI
    assert "hepatocellular carcinoma.\nThe invented kinase OKR1" in docs[1].text  # its line break kept
    for doc in docs:
        assert_is_its_own_text(doc)
    assert errors_of(items) == [
        f"{JSONL} (line 4): not JSON (Expecting ',' delimiter, column 39)",
        f"{JSONL} (line 5): not a JSON object; give one object per line",
        f"{JSONL} (line 6, id no-abstract-key): no 'abstract' field (fields: id, title); "
        "name it with --abstract-column",
        f"{JSONL} (line 7, id empty): no abstract in this record",
    ]


def test_csv_rows_with_quoted_line_breaks() -> None:
    items = read_all(CSV)
    docs = docs_of(items)
    assert [(d.name, d.location) for d in docs] == [
        ("csv-1", f"{CSV} (line 2, id csv-1)"),
        ("csv-2", f"{CSV} (line 4, id csv-2)"),
    ]
    assert (docs[0].doi, docs[0].year) == ("10.5555/ibc.2023.0001", 2023)
    assert (docs[1].doi, docs[1].year) == (None, None)
    for doc in docs:
        assert_is_its_own_text(doc)
    assert errors_of(items) == [f"{CSV} (line 5, id csv-3): no abstract in this record"]


def test_a_record_with_a_short_abstract_is_read(tmp_path: Path) -> None:
    # A structured export's abstract field is the abstract whatever its length: the length rule is
    # for telling a saved page's prose from its menus.
    short = "Loss of the invented gene QRT4 made colon cancer cells resistant to oxaliplatin."
    rows = tmp_path / "short.jsonl"
    rows.write_text(json.dumps({"id": "s1", "title": "QRT4 and oxaliplatin", "abstract": short}) + "\n")
    sheet = tmp_path / "short.csv"
    sheet.write_text(f'id,title,abstract\ns2,QRT4 and oxaliplatin,"{short}"\n', encoding="utf-8")
    for path in (rows, sheet):
        items = read_all(path)
        assert errors_of(items) == []
        (doc,) = docs_of(items)
        assert doc.sentence(len(doc.sentences)) == short
        assert_is_its_own_text(doc)


def test_csv_without_the_abstract_column_is_one_error_naming_the_columns(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("ref;name;summary\nr1;A title;Some text\n", encoding="utf-8")
    assert errors_of(read_all(sheet)) == [
        f"{sheet}: no 'abstract' column (columns: ref, name, summary); name it with --abstract-column"
    ]
    # Named, they are read (a spreadsheet's ";" delimiter too).
    columns = Columns(id="ref", title="name", abstract="summary")
    sheet.write_text(f'ref;name;summary\nr1;A title;"{CSV_ABSTRACT}"\n', encoding="utf-8")
    (doc,) = read_all(sheet, columns)
    assert isinstance(doc, Document) and (doc.name, doc.title) == ("r1", "A title")


CSV_ABSTRACT = (
    "Cisplatin is used for bladder cancer; the invented protein DRX5 was raised in resistant cells, "
    "and silencing DRX5 restored cisplatin-induced apoptosis in the cells and in xenografts of mice."
)


def test_column_names_come_from_flags_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Columns.from_settings() == Columns("id", "title", "abstract")
    monkeypatch.setenv("SUMMARIZER_ABSTRACT_COLUMN", "summary")
    monkeypatch.setenv("SUMMARIZER_ID_COLUMN", "ref")
    assert Columns.from_settings(id="key") == Columns("key", "title", "summary")


def test_rows_without_an_id_are_named_by_file_and_number(tmp_path: Path) -> None:
    rows = tmp_path / "rows.jsonl"
    lines = [json.dumps({"abstract": CSV_ABSTRACT}), json.dumps({"abstract": CSV_ABSTRACT + " More."})]
    rows.write_text("\n".join(lines))
    first, second = docs_of(read_all(rows))
    assert (first.name, second.name) == ("rows-1", "rows-2")
    assert first.doc_id != second.doc_id and first.title is None


# --- end to end: every format through `summarizer run` against the loopback stub ------------------

LINE = re.compile(r"^\[\s*\d+\]\s+(\w+)\s+\S+\s+(.*?): (.*)$")


@dataclass
class Run:
    rc: int
    lines: list[tuple[str, str, str]]  # (status, location, detail)
    output: str
    db: Path
    folder: Path
    stub: StubServer


@pytest.fixture(scope="module")
def e2e(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    root = tmp_path_factory.mktemp("formats")
    folder = root / "in"
    folder.mkdir()
    for fixture in (XML, NBIB, JSONL, CSV, FIXTURES / "pubmed_page_with_menu.txt"):
        shutil.copy(fixture, folder / fixture.name)
    (folder / "zz_export_copy.xml.gz").write_bytes(gzip.compress(XML.read_bytes()))  # the same records
    medline = NBIB.read_text().replace("900002", "900004").replace("glioblastoma", "astrocytoma")
    (folder / "pubmed-invented-set.txt").write_text(medline.replace("prostate", "bladder"))
    db = root / "store.db"
    with StubServer() as stub, pytest.MonkeyPatch.context() as mp:
        err = io.StringIO()
        mp.setattr(sys, "stderr", err)
        argv = ["run", str(folder), "--backend", "openai", "--base-url", stub.base_url, "--db", str(db)]
        rc = main([*argv, "--timeout", "5", "--retries", "1"])
        output = err.getvalue()
        lines = [(m[1], m[2], m[3]) for m in map(LINE.match, output.splitlines()) if m]
        yield Run(rc, lines, output, db, folder, stub)


def _stored(db: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM papers")]


def test_e2e_every_record_of_every_format_gets_one_line(e2e: Run) -> None:
    by_status: dict[str, list[str]] = {}
    for status, location, _ in e2e.lines:
        by_status.setdefault(status, []).append(location.removeprefix(str(e2e.folder) + "/"))
    assert sorted(by_status["ok"]) == sorted(
        [
            "pubmed_export.xml (record 1, PMID 90000101)",
            "pubmed_export.xml (record 2, PMID 90000102)",
            "pubmed_export.xml (record 4, PMID 90000104)",
            "pubmed_format.nbib (record 1, PMID 90000201)",
            "pubmed_format.nbib (record 3, PMID 90000203)",
            "pubmed-invented-set.txt (record 1, PMID 90000401)",
            "pubmed-invented-set.txt (record 3, PMID 90000403)",
            "records.jsonl (line 1, id trial-7)",
            "records.jsonl (line 2, id 12)",
            "records.csv (line 2, id csv-1)",
            "records.csv (line 4, id csv-2)",
            "pubmed_page_with_menu.txt",
        ]
    )
    # The .xml.gz holds the same records: same texts, one result each, no second model call.
    assert sorted(by_status["skipped"]) == [
        f"zz_export_copy.xml.gz (record {n}, PMID 9000010{n})" for n in (1, 2, 4)
    ]
    assert len(by_status["invalid"]) == 9  # 4 records without abstract (1 in the copy), 4 JSONL lines, 1 row
    assert e2e.rc == 1  # bad records make the run not ok; it ran to the end
    assert e2e.stub.paper_requests - e2e.stub.reasks == 12  # one model call per distinct text


def test_e2e_bad_records_are_named_by_file_and_record(e2e: Run) -> None:
    prefix = str(e2e.folder) + "/"
    invalid = {loc.removeprefix(prefix): detail for s, loc, detail in e2e.lines if s == "invalid"}
    assert invalid["pubmed_export.xml (record 3, PMID 90000103)"] == "no abstract in this record"
    assert invalid["zz_export_copy.xml.gz (record 3, PMID 90000103)"] == "no abstract in this record"
    assert invalid["records.jsonl (line 5)"] == "not a JSON object; give one object per line"
    assert invalid["records.csv (line 5, id csv-3)"] == "no abstract in this record"


def test_e2e_the_store_keeps_each_records_own_text_and_every_quote_indexes_it(e2e: Run) -> None:
    rows = _stored(e2e.db)
    assert len(rows) == 12 and len({r["doc_id"] for r in rows}) == 12
    checked = 0
    for row in rows:
        text = row["source_text"]
        assert row["sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
        assert "<PubmedArticle" not in text and "PMID- " not in text  # the record, not the file
        paper = json.loads(row["paper_json"])
        for ev in (ev for f in paper["findings"] for ev in f["evidence"]):
            assert text[ev["start"] : ev["end"]] == ev["quote"]
            checked += 1
    assert checked >= 11  # the stub's one finding per record (the saved page's is not grounded)
    xml_row = next(r for r in rows if r["doc_id"] == "pmid:90000101")
    assert xml_row["path"].endswith("pubmed_export.xml (record 1, PMID 90000101)")
    assert (xml_row["title"], xml_row["doi"], xml_row["year"]) == (
        "The invented long non-coding RNA LINC-Q1 promotes gemcitabine resistance in pancreatic cancer",
        "10.5555/ijdr.2021.0101",
        2021,
    )


def test_e2e_a_second_run_asks_nothing(e2e: Run, capsys: pytest.CaptureFixture[str]) -> None:
    before = e2e.stub.requests
    argv = ["run", str(e2e.folder), "--backend", "openai", "--base-url", e2e.stub.base_url]
    assert main([*argv, "--db", str(e2e.db), "--timeout", "5", "-q"]) == 1
    assert "0 ok, 15 already done" in capsys.readouterr().err
    assert e2e.stub.requests == before


def test_e2e_eval_matches_gold_by_record_and_file_name(
    e2e: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gold = tmp_path / "gold"
    gold.mkdir()
    for name in ("90000101", "csv-1", "pubmed_page_with_menu"):
        (gold / f"{name}.json").write_text('{"findings": []}')
    assert main(["eval", "--gold", str(gold), "--db", str(e2e.db), "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)["counts"]
    assert counts["scored_docs"] == 3 and counts["missing_docs"] == []
    assert len(counts["not_in_gold"]) == 9


def test_e2e_limit_counts_records(e2e: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["run", str(e2e.folder / "records.jsonl"), "--backend", "openai", "--base-url", e2e.stub.base_url]
    assert main([*argv, "--db", str(tmp_path / "s.db"), "--limit", "2", "--timeout", "5"]) == 0
    assert "documents: 2 ok, 0 already done" in capsys.readouterr().err


def test_e2e_column_flags(e2e: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(f'ref,name,summary\nr1,DRX5 and cisplatin in bladder cancer,"{CSV_ABSTRACT}"\n')
    argv = ["run", str(sheet), "--backend", "openai", "--base-url", e2e.stub.base_url]
    argv += ["--db", str(tmp_path / "s.db")]
    assert main([*argv, "--timeout", "5"]) == 1
    assert "no 'abstract' column (columns: ref, name, summary)" in capsys.readouterr().err
    flags = ["--id-column", "ref", "--title-column", "name", "--abstract-column", "summary"]
    assert main([*argv, "--timeout", "5", *flags]) == 0
    assert "documents: 1 ok" in capsys.readouterr().err


def test_the_progress_total_counts_records_without_parsing(tmp_path: Path) -> None:
    """``run`` shows done / total: an export's records are counted by a scan for their markers."""
    assert count_documents(str(XML)) == 4
    assert count_documents(str(NBIB)) == 3
    assert count_documents(str(CSV)) == 3  # rows after the header, a quoted line break inside one
    assert count_documents(str(JSONL)) == 7  # lines; the blank one is counted too (an estimate)
    assert count_documents(str(FIXTURES / "pubmed_page_with_menu.txt")) == 1
    big = tmp_path / "big.xml"
    _big_export(big, 3000)  # ~8 MB: markers across the 1 MiB chunks are counted once
    assert count_documents(str(big)) == 3000
    (tmp_path / "packed.xml.gz").write_bytes(gzip.compress(big.read_bytes()))
    assert count_inputs([str(tmp_path)]) == 6000
    assert count_inputs([str(tmp_path)], limit=10) == 10
