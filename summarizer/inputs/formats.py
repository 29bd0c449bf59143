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
import io
import os
import re
import stat
import xml.etree.ElementTree as ET
from collections.abc import Generator, Iterator
from contextlib import suppress
from typing import Any, cast

from ..errors import SourceError
from .document import Document
from .pubmed import medline, pubmed_xml
from .records import GZIP_MAGIC, Columns, InputStream, csv_rows, jsonl
from .sources import iter_source_paths, read_document

# Inputs found when walking folders (a file named on the command line is read whatever its name).
INPUT_SUFFIXES = (".txt", ".xml", ".xml.gz", ".nbib", ".medline", ".jsonl", ".ndjson", ".csv")


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
    readers = {"pubmed-xml": pubmed_xml, "medline": medline, "jsonl": jsonl, "csv": csv_rows}
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
        with InputStream(path) as stream:
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
    if head.startswith(GZIP_MAGIC):
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
