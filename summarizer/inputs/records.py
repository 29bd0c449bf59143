"""One record of an export -> one ``Document``; the JSONL and CSV readers.

A record's text is its title, a blank line and its abstract, hashed as such; its metadata are
the record's own fields (``record_metadata``). JSONL objects and CSV rows name their id, title
and abstract by ``Columns``. ``InputStream`` opens an export, gzip-compressed or not.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from ..errors import SourceError
from .document import Document, Metadata
from .sources import MAX_BYTES, document_id, parse_text

GZIP_MAGIC = b"\x1f\x8b"

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


class InputStream:
    """``with InputStream(path) as stream``: the file's bytes, decompressed when gzip, closed at the end.

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
        gzipped = raw.peek(2)[:2] == GZIP_MAGIC
        self.stream = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw
        return self.stream

    def __exit__(self, *exc: object) -> None:
        # GzipFile.close() leaves the file it reads from open.
        for layer in (self.stream, self.raw):
            if layer is not None:
                layer.close()


def clean_field(value: Any) -> str:
    """A field's text with runs of whitespace (XML indentation, MEDLINE wrapping) made one space."""
    return re.sub(r"\s+", " ", str(value)).strip() if value is not None else ""


def record_metadata(
    title: str, pmid: Any = None, doi: Any = None, year: Any = None, journal: Any = None
) -> Metadata:
    """The record's fields, each kept only when it has the shape a stored paper allows."""
    pmid_text, doi_text = clean_field(pmid), clean_field(doi)
    doi_match = _DOI.search(doi_text)
    year_match = _YEAR.search(clean_field(year))
    return Metadata(
        title=title.rstrip(" .") or None,
        pmid=pmid_text if _PMID.match(pmid_text) else None,
        doi=doi_match.group(1).rstrip(".,;)") if doi_match else None,
        year=int(year_match.group(1)) if year_match else None,
        journal=clean_field(journal) or None,
    )


def record_document(
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


def row_record(
    path: str, label: str, number: int, row: dict[str, Any], columns: Columns
) -> Document | SourceError:
    """One JSONL object, CSV row or record given to ``summarise``, its keys already lower-cased."""
    key = clean_field(row.get(columns.id.lower()))
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
    title = clean_field(row.get(columns.title.lower()))
    meta = record_metadata(title, row.get("pmid"), row.get("doi"), row.get("year"), row.get("journal"))
    # The abstract's own line breaks (paragraphs) are kept; \r\n is read as \n.
    abstract = "\n".join(line.strip() for line in abstract_value.strip().splitlines())
    return record_document(path, label, key, number, title, abstract, meta)


def jsonl(path: str, columns: Columns) -> Iterator[Document | SourceError]:
    with InputStream(path) as stream:
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
            yield row_record(path, f"line {line_no}", number, row, columns)


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


def csv_rows(path: str, columns: Columns) -> Iterator[Document | SourceError]:
    with InputStream(path) as raw:
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
            yield row_record(path, f"line {first_line}", number, row, columns)
