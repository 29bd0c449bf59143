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
from .labelled import LabelledRecord, read_labelled

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
_MONTH = r"(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
# A date alone on its line: 2019, 2019-11-25, 2019 Nov 25.
_DATE_LINE = re.compile(
    rf"^\s*((?:19|20)\d{{2}})(?:[-/.]\d{{1,2}}[-/.]\d{{1,2}}|\s+{_MONTH}(?:\s+\d{{1,2}})?)?\s*$"
)
# A short line ending with a date: "Nature, 2006", "Volume 128 · August 2016", "Articles › 2015".
_ENDS_WITH_DATE = re.compile(
    rf"(?:^|[\s,;|›>»·•:(\[])(?:{_MONTH}\s+)?(?:\d{{1,2}},?\s+)?((?:19|20)\d{{2}})\s*[)\].]?\s*$"
)
# "Published: 25 November 2019", "Epub 2014 May 28", "Publication date: 2020-03-12".
_PUBLISHED_DATE = re.compile(
    r"(?i:\b(?:e-?pub(?:lished)?|published(?:\s+online)?|first\s+published|publication\s+(?:date|year)|"
    r"date\s+of\s+publication|year\s+of\s+publication))\s*(?:online)?\s*(?:on)?\s*[:：]?\s*"
    rf"(?:(?:\d{{1,2}}(?:st|nd|rd|th)?|{_MONTH})[\s,./-]+){{0,3}}((?:19|20)\d{{2}})\b"
)
# The paper's own citation: "N Engl J Med. 2014 Jun 12;370(24):2286-94.", "Cancer Cell Int. 2024;24:55."
_DATED_CITATION = re.compile(
    r"^\s*(?P<journal>[A-Z][\w&'’().,:\- ]{1,100}?)\.\s+(?P<year>(?:19|20)\d{2})"
    rf"(?:\s+{_MONTH}(?:\s*\d{{1,2}})?(?:\s*-\s*\w+)?)?\s*;\s*\d"
)
_LABELLED_DOI = re.compile(
    r"(?:\bdoi\b\s*[:：]?\s*|https?://(?:dx\.)?doi\.org/)(10\.\d{4,9}/[^\s\"<>]+)", re.IGNORECASE
)
_LABELLED_PMID = re.compile(r"\bPMID\s*[:：]?\s*(\d{1,9})\b")
_ABSTRACT_LABEL = re.compile(r"^\s*abstract\s*(?:[:：.]\s*(\S.*)?)?$", re.IGNORECASE)
# Page furniture, by shape: menu separators, runs of spaces between items, [buttons].
_MENU_SHAPE = re.compile(r"[|›»·•\t]|\s>\s|\S {2,}[A-Z\[(]|^\s*\[|\]\s*$")
# ... and by the words of every site's chrome.
_UI_WORDS = re.compile(
    r"(?i)^(?:skip|jump|go|back|return)\s+to\b|\bcookies?\b|\bprivacy\b|\b(?:sign|log)\s*(?:in|out|up)\b"
)
_UI_VERB_START = re.compile(
    r"(?i)^(?:download|share|cite|print|e-?mail|save|search|menu|view|accept|reject|subscribe|follow|"
    r"register|login|open|close|show|hide|explore|browse)\b"
)
_SECOND_SENTENCE = re.compile(r"\b(?!(?:vs|al|et|approx|ca|cf|no|fig)\.)[a-z]{2,}[.!?]\s+[A-Z][a-z]")
_INSTITUTION = re.compile(
    r"\b(?:Department|Dept|Universit(?:y|à|é|ät)|Institute?|Hospital|Cent(?:er|re)|School|College|"
    r"Laborator(?:y|ies)|Faculty|Clinic)\b"
)
# A title in English has at least one of these.
_FUNCTION_WORDS_TEXT = (
    "of in the and to by with for on from via as after at through into during without within is are "
    "a an or vs versus against under across upon between among beyond toward towards not does do its "
    "their that which but can may using following over before"
)
_ENGLISH_FUNCTION_WORDS = frozenset(_FUNCTION_WORDS_TEXT.split())
_YEAR_FIELD = re.compile(r"\byear\s*[:=]\s*((?:19|20)\d{2})\b", re.IGNORECASE)
_TITLE_YEAR = re.compile(r"[.\s]+((?:19|20)\d{2})\s*$")
_JOURNAL_LABEL = re.compile(r"^\s*(journal|source|期刊|publication)\s*[:：]?\s*$", re.IGNORECASE)
# A sentence ends at . ! ? followed by a capital, a digit, or a lower-case gene-like token (miR-137).
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9]|[a-z]+[A-Z0-9-])")
_CITATION_MARKS = [re.compile(p) for p in (r"\bPMID\b", r"\bPMC\b", r"\bdoi\b", r"et al\.")]
_ASCII_LETTER = re.compile(r"[A-Za-z]")
# Unicode category Cc (C0 and C1 controls) except the whitespace ones text files carry.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_ABBREVIATION_DEF = re.compile(r"\(\s*([A-Z][A-Za-z0-9-]{1,9})\s*(?:\)|[,;]\s)")
_LONG_FORM = re.compile(r"(?:[\w'-]+\s+){1,8}$")
_ABBREVIATIONS = ("et al.", "e.g.", "i.e.", "vs.", "Fig.", "approx.", "ca.", "cf.", "No.")


@dataclass(frozen=True)
class Sentence:
    """One sentence of the cleaned view: ``Document.text[start:end]``."""

    number: int
    start: int
    end: int


@dataclass(frozen=True)
class Metadata:
    """What a record states about itself (PubMed XML, MEDLINE, a JSONL or CSV row's columns)."""

    title: str | None = None
    doi: str | None = None
    pmid: str | None = None
    year: int | None = None
    journal: str | None = None


@dataclass(frozen=True)
class Document:
    """One abstract: identity, the original text, deterministic metadata and its clean view.

    ``text`` is exactly what was read for this document (a whole ``.txt`` file, or one record of
    an export rebuilt as title + abstract) and is what the store keeps, so every stored span
    indexes it. ``name`` is the source's own name (the file stem, or the record's PMID or id):
    gold files are matched by it. ``record`` says which record of a multi-record file this is.
    """

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
    name: str = ""
    record: str | None = None

    @property
    def location(self) -> str:
        """The file, and the record inside it, for messages and the store: ``x.xml (record 3)``."""
        return f"{self.path} ({self.record})" if self.record else self.path

    def identity(self) -> dict[str, Any]:
        """The fields a stored paper takes from its source: id, hash and the metadata read here."""
        return {
            "doc_id": self.doc_id,
            "sha256": self.sha256,
            "source_name": self.name or None,
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
    abstract_at = None if known else _abstract_heading(lines)
    if known is not None:
        title_index = 0 if known.title and lines else None
        title_len = len(lines[0][1].rstrip()) if title_index == 0 else 0
    else:
        title_index, title_len = _find_title(lines, abstract_at)
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
            in_trailer = _starts_trailer(lines, index, seen_prose, abstract_at)
        if in_trailer:
            continue
        if index != title_index and not (_is_latin(stripped) if known else _is_prose(stripped)):
            continue
        if index != title_index and not seen_prose:
            seen_prose, first_prose = True, index
        offset = start + (len(line) - len(line.lstrip()))
        label = _SECTION_LABEL.match(stripped)
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
        known = _page_metadata(lines, title_index, header_end)
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
    found_doi = _DOI.search(doi) if doi else None
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


# --- where the abstract is ----------------------------------------------------------------------
# A saved page is header (menus, title, authors, journal and date), abstract, then trailer (other
# papers, MeSH terms). Navigation menus name trailer sections too, above the abstract: a heading
# only starts the trailer once the abstract has begun, and never inside a run of headings.


def _heading_key(line: str) -> str:
    return line.strip().lower().rstrip(":： ")


def _is_nav_heading(line: str) -> bool:
    return _heading_key(line) in _TRAILER_HEADINGS or _heading_key(line) == "abstract"


def _neighbours(lines: list[tuple[int, str]], index: int) -> tuple[str, str]:
    """The nearest non-empty lines before and after ``index`` ("" at either end)."""
    before = next((ln for _, ln in reversed(lines[:index]) if ln.strip()), "")
    after = next((ln for _, ln in lines[index + 1 :] if ln.strip()), "")
    return before, after


def _abstract_heading(lines: list[tuple[int, str]]) -> int | None:
    """The line that opens the abstract: ``Abstract`` (or ``Abstract: text``) followed by prose.

    An ``Abstract`` entry of a navigation menu is followed by other section names, not prose.
    """
    for index, (_, line) in enumerate(lines):
        m = _ABSTRACT_LABEL.match(line)
        if not m:
            continue
        if m.group(1):  # "Abstract: text" on one line
            return index
        following = [ln for _, ln in lines[index + 1 : index + 12] if ln.strip()][:3]
        for nxt in following:
            if _heading_key(nxt) in _TRAILER_HEADINGS:
                break
            if _is_prose(nxt.strip()):
                return index
    return None


def _starts_trailer(
    lines: list[tuple[int, str]], index: int, seen_prose: bool, abstract_at: int | None
) -> bool:
    """Whether line ``index`` starts the trailer: a section heading after the abstract began, or a
    citation of another paper after some prose."""
    stripped = lines[index][1].strip()
    if not seen_prose or (abstract_at is not None and index <= abstract_at):
        return False
    if _heading_key(stripped) in _TRAILER_HEADINGS:
        return not any(_is_nav_heading(n) for n in _neighbours(lines, index))  # not a menu entry
    return _is_citation_line(stripped)


# --- metadata of a saved page -----------------------------------------------------------------
# Only what the page states for ITS paper: the header above the abstract, or a labelled field.
# Identifiers and dates inside citations (other papers: "Similar articles", references) are not.


def _page_metadata(lines: list[tuple[int, str]], title_index: int | None, header_end: int) -> Metadata:
    """Title, DOI, PMID, year and journal read off a page whose abstract starts at ``header_end``."""
    header = lines[:header_end]
    title, title_year = None, None
    if title_index is not None:
        title = lines[title_index][1].strip()
        m = _TITLE_YEAR.search(title)
        if m:
            title_year, title = int(m.group(1)), title[: m.start()]
        title = title.rstrip(" .")
    cited = _own_citation(header)
    return Metadata(
        title=title,
        doi=_find_own_doi(lines, header),
        pmid=_find_own_pmid(lines, header),
        year=title_year or _find_year(lines, header, cited),
        journal=_find_journal(lines, header, cited),
    )


def _find_title(lines: list[tuple[int, str]], abstract_at: int | None) -> tuple[int | None, int]:
    """The first title-like line above the abstract: (its index, the length of the title in it).

    The title's span leaves out a trailing publication year and period.
    """
    window = lines[:abstract_at] if abstract_at is not None else lines[:40]
    for index, (_, line) in enumerate(window):
        stripped = line.strip()
        if _is_title_like(stripped):
            m = _TITLE_YEAR.search(stripped)
            title = stripped[: m.start()] if m else stripped
            return index, len(title.rstrip(" ."))
    return None, 0


def _is_title_like(line: str) -> bool:
    """A paper title: one sentence-like English line of 4+ words, not page furniture.

    Furniture is recognised by shape (menu separators, buttons, lists of names, several
    sentences, a truncated "...") and by the few words every site's chrome uses.
    """
    words = line.split()
    if not 4 <= len(words) <= 60 or len(line) > 400 or not _is_latin(line) or _SECTION_LABEL.match(line):
        return False
    if _is_citation_line(line) or _is_table_line(line) or line.endswith((":", "...", "…")):
        return False
    if _letter_count(line) < 0.6 * sum(not c.isspace() for c in line):
        return False
    if _MENU_SHAPE.search(line) or _UI_WORDS.search(line) or _SECOND_SENTENCE.search(line):
        return False
    if len(words) <= 8 and _UI_VERB_START.match(line):
        return False  # "Download PDF and supplementary files", "View full text in a new window"
    lower = [w for w in words if w[0].isalpha()]
    if line.count(",") >= 2 and sum(w[0].islower() for w in lower) <= 0.2 * len(lower):
        return False  # a list of names
    if line.count(",") >= 2 and _INSTITUTION.search(line):
        return False  # an affiliation
    if any(w.lower().strip(",:;") in _ENGLISH_FUNCTION_WORDS for w in words):
        return True
    # Short lines without an English function word are menu items ("Authors Info & Affiliations")
    # unless they name a gene or drug code ("ZQK7 drives carboplatin resistance").
    return len(words) >= 6 or any(re.search(r"\d|[A-Z]{2}", w) for w in words)


def _own_citation(header: list[tuple[int, str]]) -> re.Match[str] | None:
    """The paper's own citation in the header, e.g. ``N Engl J Med. 2014 Jun 12;370(24):2286-94.``"""
    for _, line in header:
        if "et al" in line:
            continue
        m = _DATED_CITATION.search(line)
        if m:
            return m
    return None


def _find_own_doi(lines: list[tuple[int, str]], header: list[tuple[int, str]]) -> str | None:
    """A DOI labelled as such on a line holding nothing else, anywhere; or labelled in the header.

    In the header (above the abstract) the DOI may share its line with the citation
    (``... 2019;7:12. doi: 10.1/x. Epub 2019``), but not with other DOIs or a list of authors.
    """
    previous = ""
    for _, line in lines:
        m = _OWN_DOI_LINE.match(line)
        if not m and previous.strip().lower().rstrip(":") == "doi":
            m = _BARE_DOI_LINE.match(line)
        if m:
            return m.group(1).rstrip(".,;)")
        if line.strip():
            previous = line
    for _, line in header:
        if len(_DOI.findall(line)) != 1 or "et al" in line:
            continue
        m = _LABELLED_DOI.search(line) or _BARE_DOI_LINE.match(line)
        if m:
            return m.group(1).rstrip(".,;)")
    return None


def _find_own_pmid(lines: list[tuple[int, str]], header: list[tuple[int, str]]) -> str | None:
    previous = ""
    for _, line in lines:
        m = _OWN_PMID_LINE.match(line)
        if not m and previous.strip().lower().rstrip(":") == "pmid":
            m = re.match(r"^\s*(\d{1,9})\s*$", line)
        if m:
            return m.group(1)
        if line.strip():
            previous = line
    for _, line in header:
        m = _LABELLED_PMID.search(line)
        if m and "et al" not in line and len(_LABELLED_PMID.findall(line)) == 1:
            return m.group(1)
    return None


def _find_year(
    lines: list[tuple[int, str]], header: list[tuple[int, str]], cited: re.Match[str] | None
) -> int | None:
    """The paper's publication year, never a cited paper's.

    In order: a labelled publication date (``Published: 2019``, ``Epub 2019 Nov 25``) in the
    header; the year of the paper's own citation in the header; a header line that is a date or
    ends with one (``2019 Nov 25``, ``Nature, 2006``, ``Volume 128 · August 2016``); a ``year:``
    field of the record anywhere outside citations.
    """
    for _, line in header:
        m = _PUBLISHED_DATE.search(line)
        if m:
            return int(m.group(1))
    if cited is not None:
        return int(cited.group("year"))
    for _, line in header:
        stripped = line.strip()
        if len(stripped.split()) > 12 or _is_prose(stripped):
            continue
        m = _DATE_LINE.match(stripped) or _ENDS_WITH_DATE.search(stripped)
        if m:
            return int(m.group(1))
    for _, line in lines:
        if _is_citation_line(line):
            continue
        m = _YEAR_FIELD.search(line)
        if m:
            return int(m.group(1))
    return None


def _is_journal_like(line: str) -> bool:
    """A journal's name: Latin letters, no identifier or address, not a sentence."""
    letters = _letter_count(line)
    return (
        _is_latin(line)
        and letters >= 0.6 * sum(not c.isspace() for c in line)
        and not _DOI.search(line)
        and "://" not in line
        and not _is_prose(line)
    )


def _find_journal(
    lines: list[tuple[int, str]], header: list[tuple[int, str]], cited: re.Match[str] | None
) -> str | None:
    """The line after a journal label, or the short line right after a header date line; else
    the journal of the paper's own citation in the header (``N Engl J Med. 2014 ...``)."""
    non_empty = [line.strip() for _, line in lines if line.strip()]
    for i, line in enumerate(non_empty[:-1]):
        nxt = non_empty[i + 1]
        after_label = _JOURNAL_LABEL.match(line) or (i < 15 and _DATE_LINE.match(line))
        if after_label and 1 <= len(nxt.split()) <= 10 and _is_journal_like(nxt):
            return nxt
    if cited is not None:
        return cited.group("journal").strip()
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
