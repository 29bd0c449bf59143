"""Text helpers every stage shares: whitespace and dash normalisation, name squashing, quote spans."""

from __future__ import annotations

import re
import unicodedata

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"


_DASH_TABLE = {ord(c): "-" for c in _DASHES}


def normalize_spaces(text: str) -> str:
    """Unify dash variants and collapse every kind of whitespace (NBSP included) to one space."""
    text = unicodedata.normalize("NFKC", text).translate(_DASH_TABLE)
    return re.sub(r"\s+", " ", text).strip()


def squash(text: str) -> str:
    """Lower-case alphanumerics only: compares names across dash, space and case variants."""
    return re.sub(r"[^0-9a-z]", "", normalize_spaces(text).lower())


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
