"""PubMed's own exports: PubMed XML (``PubmedArticleSet``, read with ``iterparse`` record by record)
and MEDLINE text (``.nbib``, "Save > PubMed format").

Only the record's own fields are read (``MedlineCitation/PMID``, ``ELocationID`` or the article's
id list for the DOI, ``PubDate``; MEDLINE ``PMID``, ``LID``/``AID [doi]``, ``DP``, ``JT``), never
those of its reference list or comments.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from typing import Any, cast

from ..errors import SourceError
from .document import Document
from .records import Columns, InputStream, clean_field, record_document, record_metadata

_MEDLINE_FIELD = re.compile(r"^([A-Z][A-Z0-9]{0,3}) *- ?(.*)$")


_ARTICLE_TAGS = ("PubmedArticle", "PubmedBookArticle")


def pubmed_xml(path: str, columns: Columns) -> Iterator[Document | SourceError]:
    with InputStream(path) as stream:
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
    return clean_field("".join(elem.itertext())) if elem is not None else ""


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
    meta = record_metadata(title, pmid=pmid, doi=_xml_doi(art, article), year=year, journal=journal)
    return record_document(path, label, "", number, title, "\n".join(sections), meta)


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


def medline(path: str, columns: Columns) -> Iterator[Document | SourceError]:
    with InputStream(path) as raw:
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
    title = clean_field(first.get("TI") or first.get("BTI") or first.get("VTI"))
    label = f"record {number}" + (f", PMID {pmid}" if pmid else "")
    journal = first.get("JT") or first.get("TA")
    meta = record_metadata(title, pmid=pmid, doi=doi, year=first.get("DP"), journal=journal)
    return record_document(path, label, "", number, title, clean_field(first.get("AB")), meta)
