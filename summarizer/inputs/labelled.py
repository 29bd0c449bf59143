"""A record saved as one long line of labelled fields, the abstract among them.

Reference managers, data dumps (CORD-19-like) and some repositories save a paper as
``key: smith2019 authors: Smith J, Lee K title: ... date: 2019-03-04 journal: ... DOI: ...
abstract: ... keywords: ...`` on one line, sometimes with ``|`` between the fields. Read as a page,
such a line is neither a title nor prose, so the paper was refused as "no English prose". Here the
line is cut at its field labels (a fixed list of bibliographic ones, so "Results:" inside the
abstract stays text): the abstract and title are returned as spans of the original text, the other
fields as metadata. Imports nothing of the package.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Field labels of bibliographic records; a label counts only at the start of the line or after
# whitespace or "|", followed by ":" and a space.
LABELS = (
    "key", "id", "type", "authors", "author", "title", "date", "published", "year", "journal", "venue",
    "source", "source_x", "volume", "issue", "pages", "doi", "pmid", "pmcid", "sha", "doc_id", "cord_uid",
    "license", "lang", "language", "tags", "keywords", "subjects", "trial", "abstract", "cited_by", "pdf",
    "url", "similar",
)  # fmt: skip
_LABEL = re.compile(rf"(?:^|(?<=\s)|(?<=\|))({'|'.join(LABELS)}):\s", re.IGNORECASE)
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
MIN_FIELDS = 3  # the abstract and at least two more


@dataclass(frozen=True)
class LabelledRecord:
    """The fields of one labelled line: name -> (start, end) span in the original text."""

    fields: dict[str, tuple[int, int]]

    def value(self, text: str, name: str) -> str | None:
        """The field's text, stripped of separators, or None."""
        span = self.fields.get(name)
        if span is None:
            return None
        return text[span[0] : span[1]].strip(" |\t") or None

    @property
    def abstract(self) -> tuple[int, int]:
        """The abstract's span."""
        return self.fields["abstract"]

    def year(self, text: str) -> int | None:
        """The year of the date, year or published field."""
        for name in ("year", "date", "published"):
            found = _YEAR.search(self.value(text, name) or "")
            if found:
                return int(found.group(0))
        return None


def read_labelled(text: str) -> LabelledRecord | None:
    """The labelled record a text holds on one line, or None when it is not such a text."""
    for line_start, line in _lines(text):
        labels = list(_LABEL.finditer(line))
        names = [m.group(1).lower() for m in labels]
        if "abstract" not in names or len(set(names)) < MIN_FIELDS or not labels or labels[0].start() > 0:
            continue
        fields: dict[str, tuple[int, int]] = {}
        for m, following in zip(labels, [*labels[1:], None], strict=True):
            start = m.end()
            end = following.start() if following is not None else len(line.rstrip())
            while end > start and line[end - 1] in " |\t":
                end -= 1
            fields.setdefault(m.group(1).lower(), (line_start + start, line_start + end))
        if fields["abstract"][1] - fields["abstract"][0] > 0:
            return LabelledRecord(fields)
    return None


def _lines(text: str) -> list[tuple[int, str]]:
    found, offset = [], 0
    for line in text.splitlines(keepends=True):
        found.append((offset, line))
        offset += len(line)
    return found
