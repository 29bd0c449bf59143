"""Input formats: which reader a file needs, and the readers of exports that hold many records.

A ``.txt`` file is one saved page or abstract (``sources.read_document``). Exports hold many:

* PubMed XML: a ``PubmedArticleSet`` as PubMed's "Save > XML" or E-utilities efetch write it,
  ``.xml`` or gzip-compressed ``.xml.gz``;
* MEDLINE text: PubMed's "Save > PubMed format" (``.txt``, recognised by its ``PMID-`` first
  line) and the ``.nbib`` citation-manager file;
* JSONL (one JSON object per line) and CSV (a header row), with id / title / abstract columns
  whose names ``Columns`` sets; ``pmid``, ``doi``, ``year`` and ``journal`` columns are used when
  present.

Each record becomes one ``Document``: its text is the record's title, a blank line and its
abstract (a structured abstract's labelled sections one per line, ``LABEL: text``), and its
metadata are the record's own fields. Files are read record by record (XML with ``iterparse``,
each record dropped once read), so an export of any size is never held in memory; no DTD or
anything else is fetched. An unusable record comes as a ``SourceError`` naming the file and the
record, and reading goes on with the next one.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import json
import os
import re
import stat
import xml.etree.ElementTree as ET
from collections.abc import Generator, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from .errors import SourceError
from .sources import MAX_BYTES, Document, Metadata, document_id, iter_source_paths, parse_text, read_document

# Inputs found when walking folders (a file named on the command line is read whatever its name).
INPUT_SUFFIXES = (".txt", ".xml", ".xml.gz", ".nbib", ".medline", ".jsonl", ".ndjson", ".csv")
_GZIP_MAGIC = b"\x1f\x8b"
_MEDLINE_FIELD = re.compile(r"^([A-Z][A-Z0-9]{0,3}) *- ?(.*)$")
_YEAR = re.compile(r"\b((?:19|20)\d{2})\b")
_PMID = re.compile(r"^\d{1,9}$")
_DOI = re.compile(r"(10\.\d{4,9}/\S+)")


@dataclass(frozen=True)
class Columns:
    """Names of the id, title and abstract columns (CSV) or keys (JSONL), matched ignoring case."""

    id: str = "id"
    title: str = "title"
    abstract: str = "abstract"

    @classmethod
    def from_settings(
        cls,
        id: str | None = None,  # noqa: A002 - the column's name
        title: str | None = None,
        abstract: str | None = None,
    ) -> Columns:
        """Flags first, then $SUMMARIZER_ID_COLUMN / _TITLE_COLUMN / _ABSTRACT_COLUMN, then defaults."""
        env = os.environ.get
        return cls(
            id=id or env("SUMMARIZER_ID_COLUMN") or cls.id,
            title=title or env("SUMMARIZER_TITLE_COLUMN") or cls.title,
            abstract=abstract or env("SUMMARIZER_ABSTRACT_COLUMN") or cls.abstract,
        )


def iter_input_paths(paths: list[str]) -> Iterator[tuple[str, SourceError | None]]:
    """Files and folders expanded into input files of every known format (see ``INPUT_SUFFIXES``)."""
    return iter_source_paths(paths, INPUT_SUFFIXES)


def read_documents(
    path: str, columns: Columns | None = None
) -> Generator[Document | SourceError, None, None]:
    """Every document of one input file, in order; a ``SourceError`` for each unusable one.

    A plain text file is one document; an export is one per record. A problem with the whole
    file (unreadable, not the format its name says, malformed after some records) comes as one
    more ``SourceError`` after the records read before it.
    """
    columns = columns or Columns()
    kind = detect_format(path)
    if kind == "text":
        try:
            yield read_document(path)
        except SourceError as exc:
            yield exc
        return
    readers = {"pubmed-xml": _pubmed_xml, "medline": _medline, "jsonl": _jsonl, "csv": _csv}
    count = 0
    try:
        for item in readers[kind](path, columns):
            count += 1
            yield item
    except SourceError as exc:
        yield exc
    except (ET.ParseError, csv.Error, UnicodeDecodeError, OSError, EOFError) as exc:
        yield SourceError(path, f"{_file_problem(exc)}; {_read_before(count)}")


def count_documents(path: str) -> int:
    """About how many documents ``read_documents`` will give for ``path``, for a progress total.

    Exports are scanned for their record markers (``<PubmedArticle>``, ``PMID-`` lines, lines,
    rows), not parsed; a file that cannot be scanned counts as one.
    """
    kind = detect_format(path)
    if kind == "text":
        return 1
    try:
        with _Input(path) as stream:
            if kind == "csv":
                text = io.TextIOWrapper(cast(Any, stream), encoding="utf-8-sig", errors="replace", newline="")
                rows = sum(1 for row in csv.reader(text) if any(c.strip() for c in row))
                return max(rows - 1, 1)  # the header is not a document
            markers = {
                "pubmed-xml": (b"<PubmedArticle>", b"<PubmedBookArticle>"),
                "medline": (b"\nPMID-",),
                "jsonl": (b"\n",),
            }[kind]
            # The carry is the end of the last chunk (a marker may span two); markers wholly in it
            # were counted with that chunk. It starts as a line break: a record starts the file.
            count, carry = 0, b"\n"
            while chunk := stream.read(1 << 20):
                window = carry + chunk
                count += sum(window.count(m) - carry.count(m) for m in markers)
                carry = window[-32:]
            if kind == "jsonl" and not carry.endswith(b"\n"):
                count += 1  # the last line has no line break
            return max(count, 1)
    except (SourceError, csv.Error, OSError, EOFError):
        return 1


def _file_problem(exc: Exception) -> str:
    """What went wrong with a whole export, in words (``EOFError``: a truncated .gz)."""
    if isinstance(exc, ET.ParseError):
        return f"XML is malformed ({exc})"
    if isinstance(exc, csv.Error):
        return f"CSV cannot be read past this point ({exc})"
    if isinstance(exc, UnicodeDecodeError):
        return f"not valid UTF-8 ({exc.reason}); re-save it as UTF-8"
    return f"cannot read file ({getattr(exc, 'strerror', None) or exc})"


def _read_before(count: int) -> str:
    if count == 0:
        return "no record was read"
    return "the record before it was read" if count == 1 else f"the {count} records before it were read"


def detect_format(path: str) -> str:
    """``pubmed-xml``, ``medline``, ``jsonl``, ``csv`` or ``text``: by name, else by the first bytes."""
    name = path.lower()
    for suffixes, kind in (
        ((".xml", ".xml.gz"), "pubmed-xml"),
        ((".nbib", ".medline"), "medline"),
        ((".jsonl", ".ndjson"), "jsonl"),
        ((".csv",), "csv"),
    ):
        if name.endswith(suffixes):
            return kind
    head = _peek(path)
    if head.startswith(_GZIP_MAGIC):
        with suppress(OSError, EOFError, gzip.BadGzipFile):
            head = gzip.GzipFile(fileobj=io.BytesIO(head)).read1(4096)
    head = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if head.startswith(b"<") and b"<PubmedArticle" in head:
        return "pubmed-xml"
    if re.match(rb"PMID- ?\d", head):
        return "medline"
    return "text"


def _peek(path: str, size: int = 8192) -> bytes:
    """The first bytes of a regular file; b"" for anything else (``read_document`` says why)."""
    try:
        # O_NONBLOCK: a named pipe must not wait for a writer.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return b""
    with open(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return b""
        try:
            return fh.read(size)
        except OSError:
            return b""


class _Input:
    """``with _Input(path) as stream``: the file's bytes, decompressed when gzip, closed at the end.

    Opening raises ``SourceError`` naming the file when it cannot be read.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.raw: io.BufferedReader | None = None
        self.stream: io.BufferedIOBase | None = None

    def __enter__(self) -> io.BufferedIOBase:
        try:
            # O_NONBLOCK: a named pipe must not wait for a writer.
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError as exc:
            raise SourceError(self.path, f"cannot read file ({exc.strerror or exc})") from exc
        raw = self.raw = open(fd, "rb")  # noqa: SIM115 - closed in __exit__
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raw.close()
            raise SourceError(self.path, "not a regular file; give an export file")
        gzipped = raw.peek(2)[:2] == _GZIP_MAGIC
        self.stream = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw
        return self.stream

    def __exit__(self, *exc: object) -> None:
        # GzipFile.close() leaves the file it reads from open.
        for layer in (self.stream, self.raw):
            if layer is not None:
                layer.close()


# --- one record -> one Document -------------------------------------------------------------------


def _clean(value: Any) -> str:
    """A field's text with runs of whitespace (XML indentation, MEDLINE wrapping) made one space."""
    return re.sub(r"\s+", " ", str(value)).strip() if value is not None else ""


def _metadata(
    title: str, pmid: Any = None, doi: Any = None, year: Any = None, journal: Any = None
) -> Metadata:
    """The record's fields, each kept only when it has the shape a stored paper allows."""
    pmid_text, doi_text = _clean(pmid), _clean(doi)
    doi_match = _DOI.search(doi_text)
    year_match = _YEAR.search(_clean(year))
    return Metadata(
        title=title.rstrip(" .") or None,
        pmid=pmid_text if _PMID.match(pmid_text) else None,
        doi=doi_match.group(1).rstrip(".,;)") if doi_match else None,
        year=int(year_match.group(1)) if year_match else None,
        journal=_clean(journal) or None,
    )


def _record(
    path: str,
    label: str,
    own_id: str,
    number: int,
    title: str,
    abstract: str,
    meta: Metadata,
) -> Document | SourceError:
    """The Document of one record, or a ``SourceError`` naming the file and the record.

    ``label`` says where the record is (``record 3, PMID 123``). Its name is its PMID, else its
    ``own_id`` (the id column), else ``<file stem>-<number>``; its doc id follows from those.
    """
    location = f"{path} ({label})"
    name = meta.pmid or own_id or f"{Path(path).stem}-{number}"
    doc_id = document_id(path, name, meta.pmid, record_key=own_id or str(number))
    if not abstract.strip():
        return SourceError(location, "no abstract in this record", doc_id=doc_id)
    text = f"{title}\n\n{abstract}" if title else abstract
    data = text.encode("utf-8", "surrogatepass")
    if len(data) > MAX_BYTES:
        return SourceError(
            location, f"record is larger than {MAX_BYTES:,} bytes; an abstract is a few kB", doc_id=doc_id
        )
    try:
        return parse_text(
            text,
            doc_id,
            path=path,
            sha256=hashlib.sha256(data).hexdigest(),
            name=name,
            record=label,
            known=meta,
        )
    except SourceError as exc:
        return SourceError(location, exc.reason, doc_id=doc_id)


# --- PubMed XML -----------------------------------------------------------------------------------

_ARTICLE_TAGS = ("PubmedArticle", "PubmedBookArticle")


def _pubmed_xml(path: str, columns: Columns) -> Iterator[Document | SourceError]:
    with _Input(path) as stream:
        stack: list[ET.Element] = []
        number = 0
        for event, elem in ET.iterparse(stream, events=("start", "end")):
            if event == "start":
                if not stack and elem.tag not in ("PubmedArticleSet", "PubmedBookArticleSet"):
                    raise SourceError(
                        path,
                        f"not a PubMed XML export (it starts with <{elem.tag}>, not <PubmedArticleSet>); "
                        "save the records from PubMed as XML",
                    )
                stack.append(elem)
                continue
            stack.pop()
            if elem.tag in _ARTICLE_TAGS:
                number += 1
                yield _xml_record(path, number, elem)
            # Drop what has been read: only the record being parsed stays in memory.
            if elem.tag in _ARTICLE_TAGS or len(stack) == 1:
                stack[-1].remove(elem)


def _text_of(elem: ET.Element | None) -> str:
    """All text inside ``elem`` (inline markup such as <i> or <sup> included), whitespace made one."""
    return _clean("".join(elem.itertext())) if elem is not None else ""


def _xml_record(path: str, number: int, art: ET.Element) -> Document | SourceError:
    citation = art.find("MedlineCitation")
    book = art.find("BookDocument")
    base = citation if citation is not None else book
    article = citation.find("Article") if citation is not None else book
    pmid = _text_of(base.find("PMID")) if base is not None else ""
    label = f"record {number}" + (f", PMID {pmid}" if pmid else "")
    if article is None:
        return SourceError(f"{path} ({label})", "no article in this record")
    title = (
        _text_of(article.find("ArticleTitle"))
        or _text_of(article.find("VernacularTitle"))
        or _text_of(article.find("Book/BookTitle"))
    )
    sections = []
    for part in article.findall("Abstract/AbstractText"):
        text = _text_of(part)
        if text:
            heading = (part.get("Label") or "").strip()
            sections.append(f"{heading}: {text}" if heading else text)
    journal = _text_of(article.find("Journal/Title")) or _text_of(article.find("Journal/ISOAbbreviation"))
    year = (
        _xml_year(article.find("Journal/JournalIssue/PubDate"))
        or _xml_year(article.find("ArticleDate"))
        or _xml_year(article.find("Book/PubDate"))
    )
    meta = _metadata(title, pmid=pmid, doi=_xml_doi(art, article), year=year, journal=journal)
    return _record(path, label, "", number, title, "\n".join(sections), meta)


def _xml_year(date: ET.Element | None) -> str:
    """``<Year>``, else the first year of a ``<MedlineDate>`` such as ``2019 Nov-Dec``."""
    if date is None:
        return ""
    return _text_of(date.find("Year")) or _text_of(date.find("MedlineDate"))


def _xml_doi(art: ET.Element, article: ET.Element) -> str:
    """The record's own DOI: ``ELocationID`` or the article's id list, never a reference's."""
    for loc in article.findall("ELocationID"):
        if loc.get("EIdType") == "doi" and loc.get("ValidYN", "Y") == "Y":
            return _text_of(loc)
    for ident in art.findall("PubmedData/ArticleIdList/ArticleId"):
        if ident.get("IdType") == "doi":
            return _text_of(ident)
    return ""


# --- MEDLINE / .nbib ------------------------------------------------------------------------------


def _medline(path: str, columns: Columns) -> Iterator[Document | SourceError]:
    with _Input(path) as raw:
        stream = io.TextIOWrapper(cast(Any, raw), encoding="utf-8-sig", newline=None)
        for number, fields in enumerate(_medline_records(stream), start=1):
            yield _medline_record(path, number, fields)


def _medline_records(lines: Iterable[str]) -> Iterator[list[tuple[str, str]]]:
    """Each record's (tag, value) fields; wrapped lines (six leading spaces) joined to their field.

    A record ends at a blank line or where the next ``PMID-`` starts.
    """
    fields: list[tuple[str, str]] = []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line.strip():
            if fields:
                yield fields
            fields = []
            continue
        if line.startswith(" ") and fields:
            tag, value = fields[-1]
            fields[-1] = (tag, f"{value} {line.strip()}")
            continue
        m = _MEDLINE_FIELD.match(line)
        if not m:
            continue  # not a field line (a stray header): ignored
        if m.group(1) == "PMID" and fields:
            yield fields
            fields = []
        fields.append((m.group(1), m.group(2).strip()))
    if fields:
        yield fields


def _medline_record(path: str, number: int, fields: list[tuple[str, str]]) -> Document | SourceError:
    first: dict[str, str] = {}
    for tag, value in fields:
        first.setdefault(tag, value)
    pmid = first.get("PMID", "")
    doi = next(
        (v for tag, v in fields if tag in ("LID", "AID") and v.endswith("[doi]")),
        "",
    ).removesuffix("[doi]")
    title = _clean(first.get("TI") or first.get("BTI") or first.get("VTI"))
    label = f"record {number}" + (f", PMID {pmid}" if pmid else "")
    journal = first.get("JT") or first.get("TA")
    meta = _metadata(title, pmid=pmid, doi=doi, year=first.get("DP"), journal=journal)
    return _record(path, label, "", number, title, _clean(first.get("AB")), meta)


# --- JSONL and CSV --------------------------------------------------------------------------------


def _row_record(
    path: str, label: str, number: int, row: dict[str, Any], columns: Columns
) -> Document | SourceError:
    """One JSONL object or CSV row, its keys already lower-cased."""
    key = _clean(row.get(columns.id.lower()))
    label += f", id {key}" if key else ""
    abstract_value = row.get(columns.abstract.lower())
    if abstract_value is not None and not isinstance(abstract_value, str):
        return SourceError(f"{path} ({label})", f"'{columns.abstract}' is not text")
    if abstract_value is None:
        found = ", ".join(sorted(row)) or "none"
        return SourceError(
            f"{path} ({label})",
            f"no '{columns.abstract}' field (fields: {found}); name it with --abstract-column",
        )
    title = _clean(row.get(columns.title.lower()))
    meta = _metadata(title, row.get("pmid"), row.get("doi"), row.get("year"), row.get("journal"))
    # The abstract's own line breaks (paragraphs) are kept; \r\n is read as \n.
    abstract = "\n".join(line.strip() for line in abstract_value.strip().splitlines())
    return _record(path, label, key, number, title, abstract, meta)


def _jsonl(path: str, columns: Columns) -> Iterator[Document | SourceError]:
    with _Input(path) as stream:
        number = 0
        for line_no, line in enumerate(_bounded_lines(stream, MAX_BYTES * 2), start=1):
            where = f"{path} (line {line_no})"
            if line is not None and not line.strip():
                continue
            number += 1
            if line is None:
                yield SourceError(where, f"line is over {MAX_BYTES * 2:,} bytes; an abstract is a few kB")
                continue
            try:
                obj = json.loads(line.decode("utf-8-sig" if line_no == 1 else "utf-8").strip())
            except UnicodeDecodeError:
                yield SourceError(where, "not valid UTF-8; re-save the file as UTF-8")
                continue
            except json.JSONDecodeError as exc:
                yield SourceError(where, f"not JSON ({exc.msg}, column {exc.colno})")
                continue
            if not isinstance(obj, dict):
                yield SourceError(where, "not a JSON object; give one object per line")
                continue
            row = {str(k).strip().lower(): v for k, v in obj.items()}
            yield _row_record(path, f"line {line_no}", number, row, columns)


def _bounded_lines(stream: io.BufferedIOBase, limit: int) -> Iterator[bytes | None]:
    """Lines of at most ``limit`` bytes; None for a longer one, which is skipped, not held."""
    while True:
        line = stream.readline(limit)
        if not line:
            return
        if len(line) == limit and not line.endswith(b"\n"):
            while (rest := stream.readline(limit)) and not rest.endswith(b"\n"):
                pass
            yield None
            continue
        yield line


def _csv(path: str, columns: Columns) -> Iterator[Document | SourceError]:
    with _Input(path) as raw:
        stream = io.TextIOWrapper(cast(Any, raw), encoding="utf-8-sig", newline="")
        header_line = stream.readline()
        delimiter = max(",;\t", key=header_line.count)  # a spreadsheet's ";" or a tab, else ","
        header = next(csv.reader([header_line], delimiter=delimiter), [])
        names = [h.strip().lower() for h in header]
        if columns.abstract.lower() not in names:
            found = ", ".join(h.strip() for h in header) or "none"
            raise SourceError(
                path, f"no '{columns.abstract}' column (columns: {found}); name it with --abstract-column"
            )
        reader = csv.reader(stream, delimiter=delimiter)
        number = done_lines = 0  # lines the reader has read (the header is not counted)
        for cells in reader:
            first_line, done_lines = done_lines + 2, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            number += 1
            row = dict(zip(names, cells, strict=False))
            yield _row_record(path, f"line {first_line}", number, row, columns)
