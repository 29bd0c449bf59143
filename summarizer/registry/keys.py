"""The look-up key of a name in the normalisation index: folded, letters and digits only."""

from __future__ import annotations

import re
import unicodedata

# --- keys ----------------------------------------------------------------------------------------

GREEK: dict[str, str] = {
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "ε": "epsilon",
    "ζ": "zeta",
    "η": "eta",
    "θ": "theta",
    "ι": "iota",
    "κ": "kappa",
    "λ": "lambda",
    "μ": "mu",
    "ν": "nu",
    "ξ": "xi",
    "π": "pi",
    "ρ": "rho",
    "σ": "sigma",
    "τ": "tau",
    "υ": "upsilon",
    "φ": "phi",
    "χ": "chi",
    "ψ": "psi",
    "ω": "omega",
}
# British spellings folded to American ones, so "leukaemia" and "leukemia" share a key.
_SPELLINGS = (
    ("leukaem", "leukem"),
    ("tumour", "tumor"),
    ("oesophag", "esophag"),
    ("haem", "hem"),
    ("oestr", "estr"),
    ("anaem", "anem"),
    ("signalling", "signaling"),
    ("ionising", "ionizing"),
)
_NOT_KEY = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Case-folded text with Greek letters spelled out, accents dropped and British spellings
    made American; punctuation kept (``Δex2`` -> ``deltaex2``, ``TGF-β`` -> ``tgf-beta``)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(GREEK.get(ch, ch) for ch in text)
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    for british, american in _SPELLINGS:
        text = text.replace(british, american)
    return text


def name_key(text: str) -> str:
    """The lookup key of a name: folded, only letters and digits ('IGF-1R' == 'igf1r')."""
    return _NOT_KEY.sub("", fold(text))
