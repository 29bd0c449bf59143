"""One document as the stages see it: its identity, original text, metadata and sentence spans."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .text import normalize_spaces, squash


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
