"""Which names in a document could be a finding's factor: the model's proposals and the text's own.

A candidate is one factor with every name the text gives it: "NEAT1" and its spelled-out form
"nuclear paraspeckle assembly transcript 1", "Keap1" and "KEAP1", "PLCγ2" and "PLCG2". Combined
names stand for their members ("miR-221/222" is miR-221 and miR-222; "ERK1/2" is ERK1 and ERK2).
The model's proposals are grounded here: a proposed name the text does not contain, under any of
these spellings, is rejected with the reason; ``is_named`` is the same test for the model's
answer while it is validated (a name not in the text is sent back).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..inputs.document import Document
from ..inputs.text import normalize_name, squash
from ..schema import FactorType
from . import lexicon
from .direction import mention_pattern
from .mentions import Mentions, drug_name, mirna_name

_GREEK_TO_LATIN = str.maketrans(
    {"α": "a", "β": "b", "γ": "g", "δ": "d", "ε": "e", "κ": "k", "λ": "l", "μ": "m"}
)
# Words a name carries that the text may not write next to it.
_GENERIC_WORDS = re.compile(
    r"\s*\b(?:pathway|signall?ing|axis|gene|protein|expression|activation|activity|levels?|"
    r"overexpression|upregulation|amplification|mutations?|loss|knockdown|reactivation|"
    r"lncRNA|long\s+non-?coding\s+RNA|circRNA|circular\s+RNA|microRNA|family|status)\b\s*",
    re.IGNORECASE,
)
_ARM = re.compile(r"-[35]p$")
_VARIANT_SUFFIX = re.compile(r"(?:[- ](?:ITD|TKD|[A-Z]\d{1,4}(?:[A-Z]|fs|del|ins|\*)|exon\s*\d+\s*\w*))+$")
# "miR-221/222", "miR-200b/c", "miR-199a/b-5p", "JAK1/2", "ERK1/2": a stem and short member tails.
_COMBINED = re.compile(
    r"^(?P<stem>.*?[A-Za-z-])(?P<first>\d+[a-z]?|[a-z])(?P<rest>(?:/(?:\d+[a-z]?|[a-z]))+)(?P<arm>-[35]p)?$"
)
_LNC_CONTEXT = re.compile(
    r"\b(?:lncRNA|long\s+non-?coding\s+RNA|long\s+noncoding\s+RNA|LINC\d)", re.IGNORECASE
)
_CYTOKINE = re.compile(
    r"^(?:IL-?\d+\w*|TGF-?[βb]\w*|TNF-?[αa]?|IFN-?[γgαab]?|CCL\d+|CXCL\d+|VEGF\w*|HGF|FGF\d*|bFGF|EGF|"
    r"heregulin|neuregulin|interleukin\S*|GM-CSF|M-CSF|G-CSF)$",
    re.IGNORECASE,
)


def name_key(name: str) -> str:
    """The comparison key of a factor name: Greek letters spelled, generic words and arms dropped."""
    text = normalize_name(name).translate(_GREEK_TO_LATIN)
    text = _GENERIC_WORDS.sub(" ", text).strip() or text
    key = squash(text).removeprefix("hsa")
    return key


def group_key(name: str) -> str:
    """Like ``name_key`` with a miRNA's arm left out and common aliases joined, so miR-21 and
    miR-21-5p, or HER2 and ERBB2, are one factor."""
    text = _ARM.sub("", normalize_name(name))
    text = _VARIANT_SUFFIX.sub("", text) or text  # FLT3-ITD, KRAS G12C, EGFR T790M: the gene
    key = name_key(text)
    return lexicon.GENE_ALIASES.get(key, key)


def split_combined(name: str) -> list[str]:
    """The members a combined name stands for: miR-221/222 -> miR-221, miR-222; else [name]."""
    m = _COMBINED.match(normalize_name(name))
    if not m:
        return [name]
    stem, arm = m.group("stem"), m.group("arm") or ""
    tails = [m.group("first"), *m.group("rest").strip("/").split("/")]
    members = []
    for tail in tails:
        if tail.isalpha() and m.group("first")[:-1].isdigit():  # miR-200b/c: the letter replaces
            members.append(f"{stem}{m.group('first')[:-1]}{tail}{arm}")
        else:
            members.append(f"{stem}{tail}{arm}")
    return members


def is_named(name: str, doc: Document, mentions: Mentions) -> bool:
    """Whether the abstract names ``name`` (any dash, space or case variant, a defined long form
    or abbreviation, a combined name's member)."""
    key = squash(name)
    if not key:
        return False
    if key in doc.squashed_prose:
        return True
    keys = {group_key(m) for m in split_combined(name)}
    found = {group_key(m.name) for m in mentions.factors}
    found |= {group_key(a) for a in mentions.abbreviations}
    found |= {group_key(lf) for lf in mentions.abbreviations.values()}
    return bool(keys & found) or (
        drug_name(name) is not None and drug_name(name) in {m.name for m in mentions.therapies}
    )


def _better_name(new: str, current: str) -> bool:
    variant_new, variant_current = bool(_VARIANT_SUFFIX.search(new)), bool(_VARIANT_SUFFIX.search(current))
    if variant_new != variant_current:
        return variant_current
    return len(name_key(new)) > len(name_key(current))


def factor_type(name: str, doc: Document) -> FactorType:
    """The kind of factor a name is, read off its spelling and the words the text puts next to it."""
    clean = normalize_name(name)
    if re.match(r"(?:hsa-)?(?:miR|let)-", clean, re.IGNORECASE):
        return "miRNA"
    if re.match(r"circ", clean, re.IGNORECASE):
        return "circRNA"
    if re.search(r"\bcells?\b|\bfibroblasts?\b|\bmacrophages?\b|\bpopulation\b", clean, re.IGNORECASE):
        return "cell_population"
    if re.search(r"pathway|signall?ing|axis|/", clean, re.IGNORECASE):
        return "pathway"
    if _CYTOKINE.match(clean):
        return "cytokine"
    if clean.upper().startswith("LINC") or _lnc_context(clean, doc.clean.text):
        return "lncRNA"
    return "gene"


def _lnc_context(name: str, clean: str) -> bool:
    """Whether the normalised text calls the name a long non-coding RNA next to it."""
    for m in re.finditer(rf"(?<![\w-]){re.escape(name)}(?![\w-])", clean):
        window = clean[max(0, m.start() - 40) : m.end() + 40]
        if _LNC_CONTEXT.search(window):
            return True
    return False


@dataclass
class Candidate:
    """One factor the text names, with all its spellings and the sentences that name it."""

    name: str
    names: list[str]
    factor_type: FactorType
    sentences: list[int] = field(default_factory=list)
    proposed: bool = False  # the model listed it


@dataclass(frozen=True)
class RejectedName:
    """A proposed factor the text does not name."""

    name: str
    reason: str


def build_candidates(
    doc: Document, mentions: Mentions, proposed: Iterable[str] = ()
) -> tuple[list[Candidate], list[RejectedName]]:
    """Candidates from the text's factor mentions and the model's proposals (grounded here)."""
    by_key: dict[str, Candidate] = {}
    therapy_spans = [(m.start, m.end) for m in mentions.therapies]

    def add(name: str, sentence: int | None, is_proposed: bool, written: str | None = None) -> None:
        for member in split_combined(name):
            key = group_key(member)
            if not key:
                continue
            cand = by_key.get(key)
            if cand is None:
                cand = by_key[key] = Candidate(member, [], factor_type(member, doc))
            # The most specific spelling names the factor (miR-21-5p rather than miR-21), but a
            # gene keeps its own name over a variant's (FLT3, not FLT3-ITD; ALK, not ALK G1202R).
            if _better_name(member, cand.name):
                cand.name = member
            for spelling in (written or member, member):
                if spelling not in cand.names:
                    cand.names.append(spelling)
            if sentence is not None and sentence not in cand.sentences:
                cand.sentences.append(sentence)
            cand.proposed = cand.proposed or is_proposed

    for m in mentions.factors:
        if any(s <= m.start and m.end <= e for s, e in therapy_spans):
            continue  # "PD-1" inside "anti-PD-1": a therapy's target, written as the therapy
        add(m.name, m.sentence, False, m.written)

    rejected: list[RejectedName] = []
    for raw in proposed:
        name, why_not = clean_proposal(normalize_name(raw), mentions)
        if why_not:
            rejected.append(RejectedName(raw, why_not))
            continue
        found = _find_spellings(name, doc, mentions)
        if not found:
            rejected.append(RejectedName(name, f"factor {name!r} is not named in the abstract"))
            continue
        for spelling, sentence in found:
            add(spelling, sentence, True)

    _add_long_forms(by_key, mentions)
    candidates = list(by_key.values())
    for cand in candidates:
        cand.sentences.sort()
    return candidates, rejected


_REAGENT_WORDS = re.compile(
    r"\s+(?:mimics?|inhibitors?|agomirs?|antagomirs?|knockdown|overexpression|amplification|deletion|"
    r"fusions?|rearrangements?|translocations?|"
    r"loss|silencing|(?:kinase[- ]domain\s+|ligand[- ]binding[- ]domain\s+|point\s+|activating\s+)?"
    r"mutations?|variants?|status|expression|levels?)$",
    re.IGNORECASE,
)
_VARIANT_ONLY = re.compile(r"^(?:p\.)?[A-Z]\d{1,4}(?:[A-Z]|fs|del|ins|\*)$|^(?:ITD|TKD)(?:\s+mutations?)?$")


def clean_proposal(name: str, mentions: Mentions) -> tuple[str, str | None]:
    """A proposed factor name as a factor: reagent and alteration words dropped ("miR-21 mimic",
    "ESR1 mutations"), "circular RNA X" as circX; or the reason it is not a factor at all (a
    therapy, a cancer, a bare variant)."""
    name = re.sub(r"^(?:circular\s+RNA|circRNA)\s+(?!circ)", "circ", name, flags=re.IGNORECASE)
    name = re.sub(r"^(?:long\s+non-?coding\s+RNA|lncRNA)\s+", "", name, flags=re.IGNORECASE)
    while _REAGENT_WORDS.search(name):
        name = _REAGENT_WORDS.sub("", name)
    if not name:
        return name, "an alteration without a factor's name"
    key = squash(name)
    if any(key in (squash(m.name), squash(m.written)) for m in mentions.therapies) or drug_name(name):
        return name, f"{name!r} is a therapy, not a factor"
    if any(key == squash(m.name) or key == squash(m.written) for m in mentions.cancers):
        return name, f"{name!r} is a cancer, not a factor"
    if _VARIANT_ONLY.match(name):
        return name, f"{name!r} is a variant; the factor is the gene that carries it"
    if re.match(r"^\d+-[a-z]{4,}", name):  # "3-methyladenine", "5-aza-2'-deoxycytidine"
        return name, f"{name!r} is a compound, not a factor"
    return name, None


def _find_spellings(name: str, doc: Document, mentions: Mentions) -> list[tuple[str, int]]:
    """Where the text writes a proposed name: (spelling as written, sentence number)."""
    if re.match(r"(?:hsa-)?(?:miR|mir|MIR|microRNA|miRNA)-?\d", name):
        name = mirna_name(name)  # "microRNA-21" is written miR-21 in the mentions
    keys = {name_key(name), group_key(name)}
    for abbr, long_form in mentions.abbreviations.items():  # "glucocorticoid receptor" -> GR
        if name_key(long_form) in keys or name_key(abbr) in keys:
            keys |= {name_key(abbr), name_key(long_form)}
    keys.discard("")
    found: list[tuple[str, int]] = []
    for m in mentions.factors:
        if group_key(m.name) in keys or name_key(m.name) in keys:
            found.append((m.name, m.sentence))
    if found:
        return found
    # Not a symbol-shaped mention ("heregulin", "androgen receptor"): look for the words.
    words = normalize_name(_GENERIC_WORDS.sub(" ", name)).strip() or name
    if re.fullmatch(r"[\w\s-]{3,60}", words):
        pattern = mention_pattern(words)
        for s in doc.sentences:
            if pattern.search(doc.clean_sentence(s.number)):
                found.append((words, s.number))
    if not found and len(squash(name)) >= 4:  # "PI3K / Akt" written "PI3K/Akt": spacing aside
        key = squash(name)
        found = [(name, n) for n, squashed in enumerate(doc.squashed_sentences, start=1) if key in squashed]
    return found


def _add_long_forms(by_key: dict[str, Candidate], mentions: Mentions) -> None:
    """A factor defined as "long form (ABBR)" is also named by its long form; a candidate found
    under the long form (a proposal such as "heregulin" for HRG) joins the abbreviation's."""
    for abbr, long_form in mentions.abbreviations.items():
        cand = by_key.get(group_key(abbr))
        if cand is None:
            continue
        if long_form not in cand.names and len(long_form) > len(abbr):
            cand.names.append(long_form)
        other = by_key.get(group_key(long_form))
        if other is not None and other is not cand:
            cand.names += [n for n in other.names if n not in cand.names]
            cand.sentences += [n for n in other.sentences if n not in cand.sentences]
            cand.proposed = cand.proposed or other.proposed
            del by_key[group_key(long_form)]
