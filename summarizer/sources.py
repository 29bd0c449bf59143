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
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .errors import SourceError

# Texts above this many bytes are refused: an abstract page is a few kB, and the embedded model's
# context (8192 tokens) could not take more than ~20 kB of prose anyway.
MAX_BYTES = 200_000
# At most this many characters of cleaned prose are shown to the model; later sentences are cut.
MAX_PROMPT_CHARS = 9_000
MIN_PROSE_WORDS = 25

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"
_DASH_TABLE = {ord(c): "-" for c in _DASHES}

_SECTION_LABEL = re.compile(
    r"^\s*(abstract|background|methods?|results?|conclusions?|objectives?|purpose|aims?|"
    r"introduction|findings|significance|summary)\s*[:：]\s*",
    re.IGNORECASE,
)
_TRAILER_HEADINGS = {
    "related publications",
    "similar articles",
    "cited by",
    "references",
    "other objects",
    "associated",
    "related articles",
    "see also",
    "comment in",
    "publication types",
    "mesh terms",
    "substances",
    "grant support",
    "bibliographic citation",
    "data provider",
    "rights",
    "keywords",
}
_JOURNAL_REF = re.compile(r"\b(19|20)\d{2}\s*;\s*\d+\s*(\(\s*[\w-]+\s*\))?\s*:\s*\w*\d")
_DOI = re.compile(r"10\.\d{4,9}/[^\s\"<>]+")
_OWN_DOI_LINE = re.compile(
    r"^\s*doi\s*[:：]?\s*(?:https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)\s*$", re.IGNORECASE
)
_BARE_DOI_LINE = re.compile(r"^\s*(?:https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)\s*$")
_OWN_PMID_LINE = re.compile(r"^\s*pmid\s*[:：]?\s*(\d{1,9})\s*\.?\s*$", re.IGNORECASE)
_DATE_LINE = re.compile(r"^\s*((?:19|20)\d{2})(?:[-/.]\d{1,2}[-/.]\d{1,2})?\s*$")
_YEAR_FIELD = re.compile(r"\byear\s*[:=]\s*((?:19|20)\d{2})\b", re.IGNORECASE)
_TITLE_YEAR = re.compile(r"[.\s]+((?:19|20)\d{2})\s*$")
_JOURNAL_LABEL = re.compile(r"^\s*(journal|source|期刊|publication)\s*[:：]?\s*$", re.IGNORECASE)
# A sentence ends at . ! ? followed by a capital, a digit, or a lower-case gene-like token (miR-137).
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9]|[a-z]+[A-Z0-9-])")
_CITATION_MARKS = [re.compile(p) for p in (r"\bPMID\b", r"\bPMC\b", r"\bdoi\b", r"et al\.")]
_ASCII_LETTER = re.compile(r"[A-Za-z]")
# Unicode category Cc (C0 and C1 controls) except the whitespace ones text files carry.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_ABBREVIATION_DEF = re.compile(r"\(\s*([A-Z][A-Za-z0-9-]{1,9})\s*\)")
_LONG_FORM = re.compile(r"(?:[\w'-]+\s+){1,8}$")
_ABBREVIATIONS = ("et al.", "e.g.", "i.e.", "vs.", "Fig.", "approx.", "ca.", "cf.", "No.")


@dataclass(frozen=True)
class Sentence:
    """One sentence of the cleaned view: ``Document.text[start:end]``."""

    number: int
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    """One abstract: identity, the original text, deterministic metadata and its clean view."""

    doc_id: str
    path: str
    sha256: str
    text: str
    title: str | None = None
    doi: str | None = None
    pmid: str | None = None
    year: int | None = None
    journal: str | None = None
    sentences: tuple[Sentence, ...] = field(default_factory=tuple)
    truncated: bool = False

    def identity(self) -> dict[str, Any]:
        """The fields a stored paper takes from its source: id, hash and the metadata read here."""
        return {
            "doc_id": self.doc_id,
            "sha256": self.sha256,
            "title": self.title,
            "doi": self.doi,
            "pmid": self.pmid,
            "year": self.year,
            "journal": self.journal,
        }

    def sentence(self, number: int) -> str:
        """The original text of sentence ``number`` (1-based)."""
        s = self.sentences[number - 1]
        return self.text[s.start : s.end]

    def numbered_view(self) -> str:
        """The cleaned text the model sees: one ``[n] sentence`` per line."""
        return "\n".join(
            f"[{s.number}] {normalize_spaces(self.text[s.start : s.end])}" for s in self.sentences
        )

    @cached_property
    def prose(self) -> str:
        """The sentences of the clean view joined by spaces (no metadata or reference lines)."""
        return " ".join(self.sentence(s.number) for s in self.sentences)

    # Grounding and evidence choice compare names against every sentence several times per
    # finding; squashing each sentence once per document keeps that off the per-request CPU.
    @cached_property
    def squashed_sentences(self) -> tuple[str, ...]:
        """``squash`` of each sentence, in order (index 0 is sentence 1)."""
        return tuple(squash(self.sentence(s.number)) for s in self.sentences)

    @cached_property
    def squashed_prose(self) -> str:
        """``squash`` of ``prose``."""
        return squash(self.prose)


def normalize_spaces(text: str) -> str:
    """Unify dash variants and collapse every kind of whitespace (NBSP included) to one space."""
    text = unicodedata.normalize("NFKC", text).translate(_DASH_TABLE)
    return re.sub(r"\s+", " ", text).strip()


def squash(text: str) -> str:
    """Lower-case alphanumerics only: compares names across dash, space and case variants."""
    return re.sub(r"[^0-9a-z]", "", normalize_spaces(text).lower())


def iter_source_paths(paths: list[str]) -> Iterator[tuple[str, SourceError | None]]:
    """Expand files and folders into ``.txt`` paths, sorted; unreadable entries come as errors.

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
                found.extend(os.path.join(root, f) for f in files if f.endswith(".txt"))
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
    return parse_text(text, doc_id=Path(path).stem, path=path, sha256=digest)


def parse_text(text: str, doc_id: str, path: str = "", sha256: str = "") -> Document:
    """Build a ``Document`` from already-decoded text (metadata, clean view, sentence spans)."""
    lines = list(_lines_with_offsets(text))
    title_index, title, title_year = _find_title(lines)
    sentences: list[Sentence] = []
    prose_words = 0
    used_chars = 0
    truncated = False
    in_trailer = False
    seen_prose = False
    for index, (start, line) in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.lower().rstrip(":") in _TRAILER_HEADINGS or (seen_prose and _is_citation_line(stripped)):
            in_trailer = True
        if in_trailer:
            continue
        if index != title_index and not _is_prose(stripped):
            continue
        seen_prose = seen_prose or index != title_index
        offset = start + (len(line) - len(line.lstrip()))
        label = _SECTION_LABEL.match(stripped)
        if label:
            offset += label.end()
        if index == title_index and title:
            # The title is one sentence, without a trailing publication year.
            spans: Iterator[tuple[int, int]] = iter([(offset, offset + len(title))])
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
    if prose_words < MIN_PROSE_WORDS:
        raise SourceError(
            path or doc_id,
            f"no abstract-like English prose found ({prose_words} words of running text)",
        )
    return Document(
        doc_id=doc_id,
        path=path,
        sha256=sha256,
        text=text,
        title=title,
        doi=_find_own_doi(lines),
        pmid=_find_own_pmid(lines),
        year=title_year or _find_year(lines),
        journal=_find_journal(lines),
        sentences=tuple(sentences),
        truncated=truncated,
    )


def _lines_with_offsets(text: str) -> Iterator[tuple[int, str]]:
    offset = 0
    for line in text.splitlines(keepends=True):
        yield offset, line.rstrip("\r\n")
        offset += len(line)


def _letter_count(line: str) -> int:
    return sum(map(str.isalpha, line))


def _is_latin(line: str) -> bool:
    letters = _letter_count(line)
    return letters > 0 and len(_ASCII_LETTER.findall(line)) >= 0.9 * letters


def _is_citation_line(line: str) -> bool:
    markers = sum(1 for mark in _CITATION_MARKS if mark.search(line))
    return markers >= 2 or bool(_JOURNAL_REF.search(line))


def _is_table_line(line: str) -> bool:
    """MeSH-style rows, comma- or semicolon-packed term lists and ``key:value`` records."""
    return (
        bool(re.match(r"^[A-Z]\d{5,}\s", line))
        or len(re.findall(r",\S", line)) >= 3
        or (line.count(";") >= 3 and not line.rstrip().endswith("."))
        or len(re.findall(r"\b[a-z]+:\d", line)) >= 2
    )


def _is_prose(line: str) -> bool:
    words = line.split()
    if len(words) < 6 or not _is_latin(line) or _is_table_line(line) or _is_citation_line(line):
        return False
    non_space = sum(not c.isspace() for c in line)
    if _letter_count(line) < 0.6 * non_space:
        return False
    lower_initial = sum(w[0].islower() for w in words if w[0].isalpha())
    return lower_initial >= 0.35 * len(words)


def _split_sentences(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    chunk = text[start:end]
    cursor = 0
    for match in _SENTENCE_END.finditer(chunk):
        before = chunk[cursor : match.start()]
        if before.endswith(_ABBREVIATIONS) or re.search(r"\b[A-Z]\.$", before):
            continue
        if before.strip():
            yield start + cursor, start + match.start()
        cursor = match.end()
    tail = chunk[cursor:].rstrip()
    if tail.strip():
        yield start + cursor, start + cursor + len(tail)


def _find_title(lines: list[tuple[int, str]]) -> tuple[int | None, str | None, int | None]:
    """The first title-like line near the top; a trailing publication year is split off."""
    for index, (_, line) in enumerate(lines[:20]):
        stripped = line.strip()
        words = stripped.split()
        if len(words) < 4 or not _is_latin(stripped) or _SECTION_LABEL.match(stripped):
            continue
        if _is_citation_line(stripped) or _is_table_line(stripped) or len(stripped) > 400:
            continue
        if _letter_count(stripped) < 0.6 * sum(not c.isspace() for c in stripped):
            continue
        year = None
        m = _TITLE_YEAR.search(stripped)
        if m:
            year = int(m.group(1))
            stripped = stripped[: m.start()]
        return index, stripped.rstrip(" ."), year
    return None, None, None


def _find_own_doi(lines: list[tuple[int, str]]) -> str | None:
    """A DOI counts as the paper's own only on a line labelled DOI that holds nothing else."""
    previous = ""
    for _, line in lines:
        m = _OWN_DOI_LINE.match(line)
        if not m and previous.strip().lower().rstrip(":") == "doi":
            m = _BARE_DOI_LINE.match(line)
        if m:
            return m.group(1).rstrip(".,;)")
        if line.strip():
            previous = line
    return None


def _find_own_pmid(lines: list[tuple[int, str]]) -> str | None:
    previous = ""
    for _, line in lines:
        m = _OWN_PMID_LINE.match(line)
        if not m and previous.strip().lower().rstrip(":") == "pmid":
            m = re.match(r"^\s*(\d{1,9})\s*$", line)
        if m:
            return m.group(1)
        if line.strip():
            previous = line
    return None


def _find_year(lines: list[tuple[int, str]]) -> int | None:
    """A bare date line in the header, or a ``year:`` field of the record; never a cited year."""
    for _, line in lines[:15]:
        m = _DATE_LINE.match(line)
        if m:
            return int(m.group(1))
    for _, line in lines:
        if _is_citation_line(line):
            continue
        m = _YEAR_FIELD.search(line)
        if m:
            return int(m.group(1))
    return None


def _find_journal(lines: list[tuple[int, str]]) -> str | None:
    """The line after a journal label, or the short line right after a header date line."""
    non_empty = [line.strip() for _, line in lines if line.strip()]
    for i, line in enumerate(non_empty[:-1]):
        nxt = non_empty[i + 1]
        after_label = _JOURNAL_LABEL.match(line) or (i < 15 and _DATE_LINE.match(line))
        if after_label and 1 <= len(nxt.split()) <= 10 and _is_latin(nxt) and not _is_prose(nxt):
            return nxt
    return None


def defined_abbreviations(text: str) -> dict[str, str]:
    """Abbreviations the text defines as "long form (ABBR)", e.g. {"HCC": "hepatocellular carcinoma"}.

    The long form is the longest run of words just before the parenthesis, at most one word per
    letter of the abbreviation, whose first word starts with the abbreviation's first letter.
    """
    found: dict[str, str] = {}
    clean = normalize_spaces(text)
    previous_end = 0
    # Each "(ABBR)" first, then the words just before it: one regex over the whole text that
    # started with the words backtracked at every word and was the slowest step of reading.
    for m in _ABBREVIATION_DEF.finditer(clean):
        before = _LONG_FORM.search(clean, max(previous_end, m.start() - 400), m.start())
        if before is None:
            continue
        previous_end = m.end()
        abbr = m.group(1)
        words = before.group(0).split()
        for n in range(min(len(abbr), len(words)), 0, -1):
            candidate = words[-n:]
            if candidate[0][0].lower() == abbr[0].lower():
                first = candidate[0]
                if first[:1].isupper() and first[1:].islower():  # sentence-initial capital
                    candidate[0] = first.lower()
                found.setdefault(abbr, " ".join(candidate))
                break
    return found


def find_quote(quote: str, text: str) -> tuple[int, int] | None:
    """Locate ``quote`` in ``text`` tolerating whitespace and dash variants; return its span.

    The span indexes the ORIGINAL text, so ``text[start:end]`` is the verbatim passage.
    """
    target = normalize_spaces(quote)
    if not target:
        return None
    # Build the normalized text with a map from each normalized char back to its original index.
    norm_chars: list[str] = []
    origin: list[int] = []
    pending_space = False
    for i, ch in enumerate(text):
        mapped = unicodedata.normalize("NFKC", ch).translate(_DASH_TABLE)
        if not mapped or mapped.isspace():
            pending_space = bool(norm_chars)
            continue
        if pending_space:
            norm_chars.append(" ")
            origin.append(i)
            pending_space = False
        for m in mapped:
            norm_chars.append(m)
            origin.append(i)
    haystack = "".join(norm_chars)
    at = haystack.find(target)
    if at < 0:
        return None
    start = origin[at]
    last = origin[at + len(target) - 1]
    return start, last + 1
