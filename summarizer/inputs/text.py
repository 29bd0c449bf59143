"""Text helpers every stage shares: whitespace and dash normalisation, name squashing, quote spans.

A document's text is normalised once, by ``clean_view`` (``Document.clean``); the stages read
its clean sentences and spans off that view. ``normalize_name`` is for names (the model's answer,
a dictionary's word, a mention's spelling), never for a document's text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"


_DASH_TABLE = {ord(c): "-" for c in _DASHES}
_SPACES = re.compile(r"\s+")


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_DASH_TABLE)
    return _SPACES.sub(" ", text).strip()


def normalize_spaces(text: str) -> str:
    """Unify dash variants and collapse every kind of whitespace (NBSP included) to one space.

    Idempotent: normalising a normalised text changes nothing.
    """
    return _normalize(text)


def normalize_name(name: str) -> str:
    """``normalize_spaces`` for a name (the model's answer, a dictionary's word, a mention's
    spelling): kept apart so that a document's own text is seen to be normalised once."""
    return _normalize(name)


def squash(text: str) -> str:
    """Lower-case alphanumerics only: compares names across dash, space and case variants."""
    return squash_clean(_normalize(text))


def squash_clean(clean: str) -> str:
    """``squash`` of a text already normalised (a clean sentence)."""
    return re.sub(r"[^0-9a-z]", "", clean.lower())


@dataclass(frozen=True)
class CleanView:
    """A text after ``normalize_spaces``, with the way from the original's offsets into it."""

    original: str
    text: str  # normalize_spaces(original)
    # starts[i]: where original character i's normalised form begins in ``text`` (for i in a
    # whitespace run, where the run's one space goes); starts[len(original)] == len(text).
    starts: tuple[int, ...]
    # Original offsets inside a character that NFKC joins to the one before ("e" + U+0301):
    # a cut there is not a cut of the clean text.
    joined: frozenset[int]

    def span(self, start: int, end: int) -> str:
        """``normalize_spaces(original[start:end])``, read off the clean text."""
        if start in self.joined or end in self.joined:
            return normalize_spaces(self.original[start:end])  # a cut inside a composed character
        return self.text[self.starts[start] : self.starts[end]].strip(" ")


# Printable ASCII runs and whitespace runs, most of any text, are read a run at a time: NFKC
# changes neither, and no character joins one of them. Any other character is read alone.
_RUNS = re.compile(r"[!-~]+|\s+|.", re.DOTALL)


def clean_view(text: str) -> CleanView:
    """Normalise ``text`` as ``normalize_spaces`` does, in one pass that keeps its offsets.

    NFKC is applied to each run of characters that it may compose together (a character and the
    marks or jamo that join it), every other character stands alone, so the clean text is exactly
    ``normalize_spaces(text)`` and a cut between runs of the original is a cut of the clean text.
    """
    out: list[str] = []
    starts: list[int] = []
    joined: set[int] = set()
    pending = False  # whitespace seen since the last character written
    # The last run, which a combining character may still join: its start, and the length of
    # ``out`` and ``pending`` before it was written.
    run_start, run_out, run_pending = 0, 0, False

    def write(piece: str) -> None:
        nonlocal pending
        if piece and min(piece) >= "!" and max(piece) <= "~":  # printable ASCII: no space in it
            if pending:
                out.append(" ")
                pending = False
            out.extend(piece)
            return
        for ch in piece:
            if ch.isspace():
                pending = bool(out)  # one space, and none at the start or the end
            else:
                if pending:
                    out.append(" ")
                    pending = False
                out.append(ch)

    for m in _RUNS.finditer(text):
        token, at = m.group(0), m.start()
        if "!" <= token[0] <= "~" or token[0].isspace():
            # Each character of these runs is a run of its own; the last is the one a mark may join.
            first = len(out)
            write(token[:-1])
            run_start, run_out, run_pending = at + len(token) - 1, len(out), pending
            write(token[-1])
            if token[0].isspace():
                starts.extend([first] * len(token))
            else:
                starts.append(first)
                starts.extend(range(len(out) - len(token) + 1, len(out)))
        elif at > 0 and not _starts_run(text[run_start:at], token):
            del out[run_out:]  # NFKC joins it to the run before: that run is written again with it
            pending = run_pending
            write(unicodedata.normalize("NFKC", text[run_start : at + 1]).translate(_DASH_TABLE))
            starts.append(starts[run_start])
            joined.add(at)
        else:
            run_start, run_out, run_pending = at, len(out), pending
            starts.append(len(out))
            write(unicodedata.normalize("NFKC", token).translate(_DASH_TABLE))
    starts.append(len(out))
    return CleanView(text, "".join(out), tuple(starts), frozenset(joined))


def _starts_run(before: str, ch: str) -> bool:
    """Whether NFKC leaves ``ch`` apart from the run ``before`` it: ``ch`` and its decomposition
    begin with a starter, and it composes with nothing that ends ``before``."""
    nfkc = unicodedata.normalize
    if unicodedata.combining(ch) or unicodedata.combining(nfkc("NFKD", ch)[0]):
        return False
    return nfkc("NFKC", before + ch) == nfkc("NFKC", before) + nfkc("NFKC", ch)


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
