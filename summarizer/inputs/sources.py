"""Reading abstracts: bytes on disk -> a ``Document`` with metadata and a numbered, cleaned view.

Everything here is deterministic. The cleaned view is a list of sentence spans into the ORIGINAL
text, so whatever the model cites by sentence number maps straight back to exact offsets.

Noise these texts carry (web-page exports of abstracts) and how it is dropped, by shape rather
than by content: citation lists of other papers (lines with PMID/PMC/DOI pairs or
``2024; 14(9):4113``-style references) and everything prose-like after them; tables (MeSH rows,
comma-packed synonym lists); non-Latin UI text; author and keyword lists (few lower-case words).
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

from ..errors import SourceError
from .document import Document, Metadata, Sentence
from .labelled import LabelledRecord, read_labelled
from .page import (
    DOI,
    SECTION_LABEL,
    abstract_heading,
    find_title,
    is_latin,
    is_prose,
    page_metadata,
    starts_trailer,
)

# Texts above this many bytes are refused: an abstract page is a few kB, and the embedded model's
# context (8192 tokens) could not take more than ~20 kB of prose anyway.
MAX_BYTES = 200_000
# At most this many characters of cleaned prose are shown to the model; later sentences are cut.
MAX_PROMPT_CHARS = 9_000
MIN_PROSE_WORDS = 25


# A sentence ends at . ! ? followed by a capital, a digit, or a lower-case gene-like token (miR-137).
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9]|[a-z]+[A-Z0-9-])")
# Unicode category Cc (C0 and C1 controls) except the whitespace ones text files carry.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_ABBREVIATIONS = ("et al.", "e.g.", "i.e.", "vs.", "Fig.", "approx.", "ca.", "cf.", "No.")


def iter_source_paths(
    paths: list[str], suffixes: tuple[str, ...] = (".txt",)
) -> Iterator[tuple[str, SourceError | None]]:
    """Expand files and folders into input paths, sorted; unreadable entries come as errors.

    In folders only names ending in ``suffixes`` are inputs; a file named on the command line is
    an input whatever its name.

    Folders are walked without following symlinks to directories, so a symlink loop cannot hang
    the batch.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found: list[str] = []
            errors: list[SourceError] = []
            for root, dirs, files in os.walk(
                path,
                onerror=lambda e, errs=errors: errs.append(  # type: ignore[misc]
                    SourceError(str(e.filename), f"cannot list folder ({e.strerror})")
                ),
            ):
                dirs.sort()
                found.extend(os.path.join(root, f) for f in files if f.lower().endswith(suffixes))
            for err in errors:
                yield err.path, err
            for f in sorted(found):
                yield f, None
        elif path.exists() or path.is_symlink():
            yield str(path), None
        else:
            yield str(path), SourceError(str(path), "no such file or folder")


def read_document(path: str, max_bytes: int = MAX_BYTES) -> Document:
    """Read one abstract file; raise ``SourceError`` naming the file when it cannot be used."""
    try:
        # O_NONBLOCK: opening a named pipe must not wait for a writer (it would hang the batch).
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise SourceError(path, f"cannot read file ({exc.strerror or exc})") from exc
    with open(fd, "rb") as fh:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "a named pipe" if stat.S_ISFIFO(mode) else "a device"
            raise SourceError(path, f"not a regular file ({kind}); give a .txt file")
        try:
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise SourceError(path, f"cannot read file ({exc.strerror or exc})") from exc
    if len(data) > max_bytes:
        raise SourceError(path, f"file is larger than {max_bytes:,} bytes; an abstract should be a few kB")
    if not data:
        raise SourceError(path, "file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError(path, "file is UTF-16 text; re-save it as UTF-8")
    if b"\x00" in data:
        raise SourceError(path, "file looks binary (contains NUL bytes), not a text abstract")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(
            path,
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "re-save the file as UTF-8",
        ) from exc
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise SourceError(path, "file contains only whitespace")
    controls = len(_CONTROL.findall(text))
    if controls > len(text) * 0.01:
        raise SourceError(path, "file looks binary (many control characters), not a text abstract")
    digest = hashlib.sha256(data).hexdigest()
    return parse_text(text, path=path, sha256=digest, name=Path(path).stem)


def document_id(path: str, name: str, pmid: str | None = None, record_key: str = "") -> str:
    """A paper's unique id: ``pmid:N`` where the PMID is known, else its name and a path hash.

    The hash is of the resolved absolute path (and the record's key inside a multi-record file), so
    two files named alike in two folders are two papers, while one file keeps its id whatever
    folder the run starts from. The result key is separate: the hash of the text.
    """
    if pmid:
        return f"pmid:{pmid}"
    where = os.path.realpath(path) if path else ""
    if record_key:
        where += "#" + record_key
    digest = hashlib.sha256(where.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    safe = re.sub(r"[\s\x00-\x1f\x7f-\x9f]+", "_", name).strip("_")[:100] or "doc"
    return f"{safe}-{digest}"


def parse_text(
    text: str,
    doc_id: str | None = None,
    path: str = "",
    sha256: str = "",
    *,
    name: str = "",
    record: str | None = None,
    known: Metadata | None = None,
) -> Document:
    """Build a ``Document`` from already-decoded text (metadata, clean view, sentence spans).

    A saved page (``known`` None) has its metadata read off the text, and its noise left out of
    the view. A record of an export (``known`` given) is its title on the first line and its
    abstract below: every line of it is the paper's, and its metadata are the record's own fields.
    ``doc_id`` defaults to ``document_id(path, name, pmid)``.
    """
    if known is None and (record_fields := read_labelled(text)) is not None:
        return _labelled_document(text, record_fields, doc_id, path, sha256, name, record)
    lines = list(_lines_with_offsets(text))
    abstract_at = None if known else abstract_heading(lines)
    if known is not None:
        title_index = 0 if known.title and lines else None
        title_len = len(lines[0][1].rstrip()) if title_index == 0 else 0
    else:
        title_index, title_len = find_title(lines, abstract_at)
    sentences: list[Sentence] = []
    prose_words = 0
    used_chars = 0
    truncated = False
    in_trailer = False
    seen_prose = False
    first_prose: int | None = None
    for index, (start, line) in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if known is None and not in_trailer:
            in_trailer = starts_trailer(lines, index, seen_prose, abstract_at)
        if in_trailer:
            continue
        if index != title_index and not (is_latin(stripped) if known else is_prose(stripped)):
            continue
        if index != title_index and not seen_prose:
            seen_prose, first_prose = True, index
        offset = start + (len(line) - len(line.lstrip()))
        label = SECTION_LABEL.match(stripped)
        if label:
            offset += label.end()
        if index == title_index:
            # The title is one sentence, without a trailing publication year.
            spans: Iterator[tuple[int, int]] = iter([(offset, offset + title_len)])
        else:
            spans = _split_sentences(text, offset, start + len(line.rstrip()))
        for s_start, s_end in spans:
            if used_chars + (s_end - s_start) > MAX_PROMPT_CHARS:
                truncated = True
                break
            used_chars += s_end - s_start
            sentences.append(Sentence(len(sentences) + 1, s_start, s_end))
            if index != title_index:
                prose_words += len(text[s_start:s_end].split())
        if truncated:
            break
    # The length rule tells a saved page's abstract from its menus; a record's abstract field is
    # the abstract whatever its length (a conference abstract, a short communication).
    if prose_words < (1 if known is not None else MIN_PROSE_WORDS):
        raise SourceError(
            path or doc_id or name,
            f"no abstract-like English prose found ({prose_words} words of running text)",
        )
    if known is None:
        header_end = abstract_at if abstract_at is not None else first_prose or 0
        known = page_metadata(lines, title_index, header_end)
    return Document(
        doc_id=doc_id or document_id(path, name, known.pmid),
        path=path,
        sha256=sha256,
        text=text,
        title=_clip(known.title, 500),
        doi=known.doi,
        pmid=known.pmid,
        year=known.year,
        journal=_clip(known.journal, 200),
        sentences=tuple(sentences),
        truncated=truncated,
        name=name,
        record=record,
    )


def _labelled_document(
    text: str,
    fields: LabelledRecord,
    doc_id: str | None,
    path: str,
    sha256: str,
    name: str,
    record: str | None,
) -> Document:
    """A record saved as one line of labelled fields: its title and abstract are the sentences,
    its other fields the metadata (``labelled``)."""
    spans: list[tuple[int, int]] = []
    if "title" in fields.fields:
        spans.append(fields.fields["title"])
    spans += list(_split_sentences(text, *fields.abstract))
    sentences: list[Sentence] = []
    used = 0
    for start, end in spans:
        if used + end - start > MAX_PROMPT_CHARS:
            break
        used += end - start
        sentences.append(Sentence(len(sentences) + 1, start, end))
    words = sum(len(text[s:e].split()) for s, e in _split_sentences(text, *fields.abstract))
    if words < MIN_PROSE_WORDS:
        raise SourceError(path or doc_id or name, f"the record's abstract is too short ({words} words)")
    doi = fields.value(text, "doi")
    found_doi = DOI.search(doi) if doi else None
    pmid = fields.value(text, "pmid")
    return Document(
        doc_id=doc_id or document_id(path, name, pmid if pmid and pmid.isdigit() else None),
        path=path,
        sha256=sha256,
        text=text,
        title=_clip(fields.value(text, "title"), 500),
        doi=found_doi.group(0).rstrip(".,;") if found_doi else None,
        pmid=pmid if pmid and pmid.isdigit() and len(pmid) <= 9 else None,
        year=fields.year(text),
        journal=_clip(fields.value(text, "journal") or fields.value(text, "venue"), 200),
        sentences=tuple(sentences),
        truncated=len(sentences) < len(spans),
        name=name,
        record=record,
    )


def _clip(value: str | None, limit: int) -> str | None:
    """At most ``limit`` characters (the stored paper's field limits), cut at a word."""
    if value is None or len(value) <= limit:
        return value
    return value[: limit - 1].rsplit(" ", 1)[0] + "…"


def _lines_with_offsets(text: str) -> Iterator[tuple[int, str]]:
    offset = 0
    for line in text.splitlines(keepends=True):
        yield offset, line.rstrip("\r\n")
        offset += len(line)


def _split_sentences(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    chunk = text[start:end]
    cursor = 0
    for match in _SENTENCE_END.finditer(chunk):
        before = chunk[cursor : match.start()]
        # "J. Smith" is an initial; "epothilone B." or "vitamin D." ends a sentence.
        if before.endswith(_ABBREVIATIONS) or (
            re.search(r"\b[A-Z]\.$", before) and not re.search(r"\b[a-z][\w-]{3,}\s+[A-Z]\.$", before)
        ):
            continue
        if before.strip():
            yield start + cursor, start + match.start()
        cursor = match.end()
    tail = chunk[cursor:].rstrip()
    if tail.strip():
        yield start + cursor, start + cursor + len(tail)
