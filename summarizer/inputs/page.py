"""A saved web page: where its abstract starts and ends, and what it states about its own paper.

Pages saved from a journal or PubMed carry menus, author lists and citation lists of other papers
around the abstract. Lines are told apart by shape (``is_prose``, tables, citations, menus), the
abstract by its heading or its first prose, the trailer by section headings and citations after
it, and the title, DOI, PMID, year and journal only where the page presents them as the paper's
own (never those of a citation). ``sources.parse_text`` uses these to build a ``Document``.
"""

from __future__ import annotations

import re

from .document import Metadata

SECTION_LABEL = re.compile(
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


DOI = re.compile(r"10\.\d{4,9}/[^\s\"<>]+")


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


_CITATION_MARKS = [re.compile(p) for p in (r"\bPMID\b", r"\bPMC\b", r"\bdoi\b", r"et al\.")]


_ASCII_LETTER = re.compile(r"[A-Za-z]")


def _letter_count(line: str) -> int:
    return sum(map(str.isalpha, line))


def is_latin(line: str) -> bool:
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


def is_prose(line: str) -> bool:
    words = line.split()
    if len(words) < 6 or not is_latin(line) or _is_table_line(line) or _is_citation_line(line):
        return False
    non_space = sum(not c.isspace() for c in line)
    if _letter_count(line) < 0.6 * non_space:
        return False
    lower_initial = sum(w[0].islower() for w in words if w[0].isalpha())
    return lower_initial >= 0.35 * len(words)


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


def abstract_heading(lines: list[tuple[int, str]]) -> int | None:
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
            if is_prose(nxt.strip()):
                return index
    return None


def starts_trailer(
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


def page_metadata(lines: list[tuple[int, str]], title_index: int | None, header_end: int) -> Metadata:
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


def find_title(lines: list[tuple[int, str]], abstract_at: int | None) -> tuple[int | None, int]:
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
    if not 4 <= len(words) <= 60 or len(line) > 400 or not is_latin(line) or SECTION_LABEL.match(line):
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
        if len(DOI.findall(line)) != 1 or "et al" in line:
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
        if len(stripped.split()) > 12 or is_prose(stripped):
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
        is_latin(line)
        and letters >= 0.6 * sum(not c.isspace() for c in line)
        and not DOI.search(line)
        and "://" not in line
        and not is_prose(line)
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
