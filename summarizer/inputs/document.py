"""One document as the stages see it: its identity, original text, metadata and sentence spans.

Its text is normalised (``normalize_spaces``: dash variants, every kind of whitespace) once, in
``clean``; the clean sentences, prose and spans the stages read are taken from that one view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .text import CleanView, clean_view, squash_clean


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
        return "\n".join(f"[{s.number}] {self.clean_sentence(s.number)}" for s in self.sentences)

    @cached_property
    def prose(self) -> str:
        """The sentences of the clean view joined by spaces (no metadata or reference lines)."""
        return " ".join(self.sentence(s.number) for s in self.sentences)

    @cached_property
    def clean(self) -> CleanView:
        """The whole text normalised, with the way from its offsets into the clean text: the one
        normalisation of this document's text."""
        return clean_view(self.text)

    @cached_property
    def clean_sentences(self) -> tuple[str, ...]:
        """``normalize_spaces`` of each sentence, in order (index 0 is sentence 1)."""
        return tuple(self.clean.span(s.start, s.end) for s in self.sentences)

    def clean_sentence(self, number: int) -> str:
        """``normalize_spaces`` of sentence ``number`` (1-based)."""
        return self.clean_sentences[number - 1]

    def clean_span(self, start: int, end: int) -> str:
        """``normalize_spaces(text[max(0, start):end])``: a stretch of the original text, normalised."""
        return self.clean.span(max(0, start), min(end, len(self.text)))

    @cached_property
    def clean_prose(self) -> str:
        """``normalize_spaces(prose)``: the clean sentences joined by spaces."""
        return " ".join(c for c in self.clean_sentences if c)

    # Grounding and evidence choice compare names against every sentence several times per
    # finding; squashing each sentence once per document keeps that off the per-request CPU.
    @cached_property
    def squashed_sentences(self) -> tuple[str, ...]:
        """``squash`` of each sentence, in order (index 0 is sentence 1)."""
        return tuple(squash_clean(c) for c in self.clean_sentences)

    @cached_property
    def squashed_prose(self) -> str:
        """``squash`` of ``prose``."""
        return squash_clean(self.clean_prose)
