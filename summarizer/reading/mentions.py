"""Finding the therapies, factors and cancers a document names, sentence by sentence.

Deterministic and dictionary-driven (``lexicon``): a drug is found by its name, its INN stem or an
abbreviation (the text's own definitions first: "gemcitabine (GEM)"), radiotherapy by its many
names, an immunotherapy by "anti-<target>" / "<target> blockade". Factors are found by the shape
of their names (gene symbols, miRNAs, circRNAs, lncRNAs), with the acronyms, cell lines and units
that share that shape left out. Every mention keeps its sentence number and its span in the
original text, so later stages can quote it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from ..inputs.document import Document
from . import lexicon

Kind = Literal["factor", "therapy", "cancer"]

# Length-preserving clean-up so spans found in the copy index the original text.
_SAME_LENGTH = str.maketrans(
    {**{c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"}, "\u00a0": " "}
)

_GREEK = "αβγδεκλμ"
_MIRNA = re.compile(
    r"(?<![\w-])(?:hsa-)?(?:(?:agomi[Rr]|antagomi[Rr])-?|(?:mi[Rr]|MIR|microRNA|miRNA)-?)"
    r"(\d{1,4}[a-z]?(?:-\d)?(?:/(?:\d{1,4}[a-z]?|[a-z]))*(?:-[35]p)?)(?![\w])"
    r"|(?<![\w-])let-7[a-z]?(?:-[35]p)?(?![\w])"
)
_CIRC = re.compile(
    r"(?<![\w-])(?:circ(?:RNA)?[-_]?(?!RNAs?\b)[A-Z][A-Za-z0-9]*(?:[-_][A-Z0-9][A-Za-z0-9]*)*|hsa_circ_\d+)"
)
_SYMBOL = re.compile(
    rf"(?<![\w-])(?:[A-Z][A-Za-z0-9{_GREEK}]*[A-Z0-9{_GREEK}][A-Za-z0-9{_GREEK}]*|c-[A-Z][a-z]{{1,4}}|"
    rf"p\d{{2,3}}(?:[A-Z][a-z]{{2}}\d[a-z]?)?)"
    rf"(?:-(?:[A-Z0-9{_GREEK}][A-Za-z0-9{_GREEK}]*))*\+?(?![\w])"
)
_VARIANT = re.compile(r"^[A-Z]\d{1,4}(?:[A-Z]|fs|del|ins|\*)$")
_ROMAN = re.compile(r"^(?:I{1,3}|IV|V|VI{0,3}|IX|X)$")
_CELL_CONTEXT = re.compile(r"^(?:/[\w-]+)?\s+(?:cells?|cell\s+lines?|lines?|xenografts?)\b")
_CELL_TOKEN = re.compile(r"(?<![\w-])[A-Za-z0-9][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*(?![\w-])")
_CELL_LIST = re.compile(
    r"(?:cell\s+lines?\s*\(|\bcells\s*\(|\bin\s+|\blines\s+)(?P<items>[\w-]+(?:,\s*[\w-]+)*,?\s+(?:and|or)\s+[\w-]+)"
    r"(?:\)|\s+(?:cells|cell lines|lines)\b)"
)
_CAMEL_WORD = re.compile(r"[a-z]{3,}")
_COMPOUND_CODE = re.compile(r"^[A-Z]{1,4}\d{4,}$|^[A-Z]{2,4}-\d{3,}$")
_CIRC_WORDS = re.compile(r"\b(?:circular\s+RNA|circRNA)\s+$", re.IGNORECASE)
# "X inhibitor(s)" names a drug class where the text speaks of the drugs, not of lowering X.
_CLASS_AFTER = re.compile(
    r"^[- ](?:(?:tyrosine\s+)?kinase\s+)?(?:inhibitors?|TKIs?|antagonists?|blockers?)\b", re.IGNORECASE
)
_CLASS_BEFORE = re.compile(
    r"(?:resistance|resistant|response|sensitivity|refractory|relapse|progress\w*|treated|treatment)\s+"
    r"(?:to|with|on|after)\s+(?:the\s+)?(?:[\w-]+\s+){0,2}?$|"
    r"(?:generation|covalent|selective|potent|approved|earlier|other|clinical|current|novel|"
    r"reversible|irreversible|allosteric|type\s+I{1,2})\s+$",
    re.IGNORECASE,
)
_DRUG_AFTER = re.compile(
    r"^[- ](?:(?:tyrosine\s+)?kinase\s+)?(?:inhibitors?|TKIs?|antagonists?)\s*,?\s+(?:such\s+as\s+)?"
    r"[a-z]+(?:ib|mab|ide|ine)\b"
)
_SLASH_DRUG = re.compile(r"^/([\w-]+)")
_LNC_PREFIX = re.compile(r"(?:lncRNA|long\s+non-?coding\s+RNA)\s+$", re.IGNORECASE)
# A defined abbreviation whose long form is one of these is a measure or process, not a factor.
_NON_FACTOR_LONG_FORM = re.compile(
    r"(?:cytotoxicity|survival|assay|fraction|ratio|rate|concentration|analysis|score|burden|disease|"
    r"stage|therapy|treatment|inhibitors?|transition|species|joining|recombination|repair|response|"
    r"sequencing|reaction|microscopy|blot|chemotherapy|agents?|status|time|interval|index|cells?|"
    r"lymphoma|leuka?emia|myeloma|cancer|carcinoma|sarcoma|tumou?r|glioma|melanoma|neoplasm|"
    r"trial|study|cohort|group|arrest|death|apoptosis|instability)$",
    re.IGNORECASE,
)


_ABBREVIATION_DEF = re.compile(r"\(\s*([A-Z][A-Za-z0-9-]{1,9})\s*(?:\)|[,;]\s)")


_LONG_FORM = re.compile(r"(?:[\w'-]+\s+){1,8}$")


def defined_abbreviations(clean: str) -> dict[str, str]:
    """Abbreviations a normalised text (``Document.clean.text``) defines as "long form (ABBR)",
    e.g. {"HCC": "hepatocellular carcinoma"}.

    The long form is the longest run of words just before the parenthesis, at most one word per
    letter of the abbreviation, whose first word starts with the abbreviation's first letter.
    """
    found: dict[str, str] = {}
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


@dataclass(frozen=True)
class Mention:
    """A name found in one sentence: ``name`` is its canonical form, ``written`` the text's."""

    kind: Kind
    name: str
    written: str
    sentence: int
    start: int
    end: int


class Mentions:
    """Every therapy, factor and cancer mention of one document, found once."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.abbreviations = defined_abbreviations(doc.clean.text)

    @cached_property
    def drug_abbreviations(self) -> dict[str, str]:
        """Abbreviation -> drug name: the text's own definitions, then the common ones."""
        found = dict(lexicon.DRUG_ABBREVIATIONS)
        for abbr, long_form in self.abbreviations.items():
            drug = drug_name(long_form)
            if drug:
                found[abbr] = drug
        return found

    @cached_property
    def therapies(self) -> list[Mention]:
        """Drugs, radiotherapy and immunotherapies, in text order."""
        found: list[Mention] = []
        radiation_named = bool(lexicon.RADIATION_PATTERN.search(self.doc.text)) or any(
            lexicon.RADIATION_PATTERN.search(v) for k, v in self.abbreviations.items() if k in ("IR", "RT")
        )
        for number, start, text in self._sentences():
            add = _Spans("therapy", found, number, start, text).add

            for m in lexicon.IMMUNE_PATTERN.finditer(text):
                add(IMMUNE + m.group(0), m.start(), m.end())
            for m in lexicon.RADIATION_PATTERN.finditer(text):
                add(lexicon.RADIOTHERAPY, m.start(), m.end())
            if radiation_named:
                for m in lexicon.RADIATION_ABBREVIATIONS.finditer(text):
                    add(lexicon.RADIOTHERAPY, m.start(), m.end())
            for abbr, drug in self.drug_abbreviations.items():
                for m in re.finditer(rf"(?<![\w-]){re.escape(abbr)}(?![\w])", text):
                    add(drug, m.start(), m.end())
            for name in lexicon.DRUG_NAMES:
                if " " in name:
                    for m in re.finditer(rf"\b{re.escape(name)}\b", text, re.IGNORECASE):
                        add(lexicon.DRUG_NAMES[name], m.start(), m.end())
            for m in re.finditer(r"[A-Za-z0-9][\w-]*[a-z][\w-]*", text):
                named = drug_name(m.group(0))
                if named:
                    add(named, m.start(), m.end())
        found.sort(key=lambda m: m.start)
        return _name_immunotherapies(found)

    def add_therapies(self, extra: list[Mention]) -> None:
        """Add therapies found another way (the model's names the dictionaries did not know)."""
        taken = [(m.start, m.end) for m in self.therapies]
        new = [m for m in extra if not any(m.start < e and s < m.end for s, e in taken)]
        self.__dict__["therapies"] = sorted([*self.therapies, *new], key=lambda m: m.start)

    @cached_property
    def drug_aliases(self) -> dict[str, str]:
        """Codes and names given in parentheses right after a drug: "telaglenastat (CB-839)"."""
        aliases: dict[str, str] = {}
        for m in self.therapies:
            after = self.doc.text[m.end : m.end + 40].translate(_SAME_LENGTH)
            code = re.match(r"\s*\(\s*([A-Za-z0-9][\w-]*(?:\s[\w-]+)?)\s*[,;)]", after)
            if code and m.name != lexicon.RADIOTHERAPY:
                aliases[code.group(1)] = m.name
        return aliases

    @cached_property
    def cell_lines(self) -> frozenset[str]:
        """Tokens the text uses as cell-line names ("A549 cells", "SKOV3/PTX", "T24 and 5637 cells")."""
        names: set[str] = set()
        drugs = set(self.drug_abbreviations) | {"R", "Res", "DR"}
        for _, _, text in self._sentences():
            for m in _CELL_TOKEN.finditer(text):
                token, after = m.group(0), text[m.end() : m.end() + 40]
                slash = _SLASH_DRUG.match(after)
                if (
                    slash
                    and slash.group(1) in drugs
                    or _CELL_CONTEXT.match(after)
                    and (_has_digit(token) or _mixed_case(token))
                ):
                    names.add(token)
            # Lists: "HCT116 and SW480 cells", "cell lines (5637, T24 and UM-UC-3)".
            for m in _CELL_LIST.finditer(text):
                items = [i.strip() for i in re.split(r",|\band\b|\bor\b", m.group("items")) if i.strip()]
                if len(items) > 1 and all(_CELL_TOKEN.fullmatch(i) for i in items):
                    names.update(items)
        return frozenset(names)

    @cached_property
    def factors(self) -> list[Mention]:
        """Gene, protein, miRNA, circRNA and lncRNA names, in text order."""
        found: list[Mention] = []
        not_factors = self._not_factor_names()
        for number, start, text in self._sentences():
            add = _Spans("factor", found, number, start, text).add

            for m in _MIRNA.finditer(text):
                add(mirna_name(m.group(0)), m.start(), m.end())
            for m in _CIRC.finditer(text):
                add(m.group(0), m.start(), m.end())
            for m in _SYMBOL.finditer(text):
                token = m.group(0).rstrip("+")
                if _CIRC_WORDS.search(text[max(0, m.start() - 16) : m.start()]):
                    add("circ" + token, m.start(), m.start() + len(token))  # "circular RNA AKT3"
                    continue
                if _CLASS_AFTER.match(text[m.start() + len(token) : m.start() + len(token) + 60]) and (
                    _CLASS_BEFORE.search(text[max(0, m.start() - 50) : m.start()])
                    or _DRUG_AFTER.match(text[m.start() + len(token) : m.start() + len(token) + 60])
                ):
                    continue  # "resistance to ALK inhibitors", "the BTK inhibitor ibrutinib": a drug class
                if token in not_factors or token.upper() in lexicon.NOT_FACTORS:
                    continue
                if _VARIANT.match(token) or _ROMAN.match(token) or re.fullmatch(r"[A-Z]\d?", token):
                    continue
                before = text[max(0, m.start() - 12) : m.start()]
                if token.upper() in lexicon.UNIT_WORDS and re.search(r"\d\s*$", before):
                    continue
                if re.fullmatch(r"[A-Z][a-z]+", token):  # an ordinary capitalised word
                    continue
                if not _has_digit(token) and _CAMEL_WORD.search(token):  # ScienceDirect, SUMOylation
                    continue
                if _COMPOUND_CODE.match(token):  # GW4869, STI-571: compounds, not genes
                    continue
                if token.endswith("s") and token[:-1].upper() in lexicon.NOT_FACTORS:  # NSCLCs, GBMs
                    continue
                add(token, m.start(), m.start() + len(token))
        found.sort(key=lambda m: m.start)
        return found

    @cached_property
    def cancers(self) -> list[Mention]:
        """Cancer names (abbreviations spelled out where the text defines them), in text order."""
        found: list[Mention] = []
        cancer_abbr = {a: lf for a, lf in self.abbreviations.items() if lexicon.CANCER_PATTERN.fullmatch(lf)}
        for number, start, text in self._sentences():
            for m in lexicon.CANCER_PATTERN.finditer(text):
                name = clean_cancer(m.group(0))
                if name:
                    found.append(
                        Mention("cancer", name, m.group(0), number, start + m.start(), start + m.end())
                    )
            for abbr, long_form in cancer_abbr.items():
                for m in re.finditer(rf"(?<![\w-]){re.escape(abbr)}(?![\w-])", text):
                    name = clean_cancer(long_form)
                    if name:
                        found.append(
                            Mention("cancer", name, abbr, number, start + m.start(), start + m.end())
                        )
        found.sort(key=lambda m: m.start)
        return found

    def main_cancer(self) -> str | None:
        """The cancer the text names most (the title counts double), ties to the first named;
        "cancer" where the text names no particular one."""
        if not self.cancers:
            generic = re.search(r"\b(cancer|carcinoma|tumou?r|malignanc)", self.doc.prose, re.IGNORECASE)
            return "cancer" if generic else None
        counts: Counter[str] = Counter()
        first: dict[str, int] = {}
        for m in self.cancers:
            key = m.name.lower()
            counts[key] += 2 if m.sentence == 1 else 1
            first.setdefault(key, m.start)
        if not counts:
            return None
        # Prefer the most specific form among names that contain one another.
        best = max(
            counts,
            key=lambda k: (counts[k] + sum(c for o, c in counts.items() if o != k and o in k), -first[k]),
        )
        return next(m.name for m in self.cancers if m.name.lower() == best)

    def in_sentence(self, kind: Kind, number: int) -> list[Mention]:
        """Mentions of ``kind`` in sentence ``number``."""
        pool = {"factor": self.factors, "therapy": self.therapies, "cancer": self.cancers}[kind]
        return [m for m in pool if m.sentence == number]

    def _not_factor_names(self) -> set[str]:
        names = set(self.cell_lines) | set(self.drug_abbreviations) | set(self.drug_aliases) | {"IR", "RT"}
        for abbr, long_form in self.abbreviations.items():
            last = long_form.split()[-1] if long_form.split() else ""
            if _NON_FACTOR_LONG_FORM.search(last) or drug_name(long_form):
                names.add(abbr)
        return names

    def _sentences(self) -> list[tuple[int, int, str]]:
        return [
            (s.number, s.start, self.doc.text[s.start : s.end].translate(_SAME_LENGTH))
            for s in self.doc.sentences
        ]


class _Spans:
    """Mentions of one kind in one sentence, first found first kept: their spans never overlap."""

    def __init__(self, kind: Kind, found: list[Mention], number: int, start: int, text: str) -> None:
        self.kind, self.found, self.number, self.start, self.text = kind, found, number, start, text
        self.taken: list[tuple[int, int]] = []

    def add(self, name: str, s: int, e: int) -> None:
        """Keep ``name`` at ``text[s:e]`` unless an earlier mention covers part of it."""
        if any(s < te and ts < e for ts, te in self.taken):
            return
        self.taken.append((s, e))
        self.found.append(
            Mention(self.kind, name, self.text[s:e], self.number, self.start + s, self.start + e)
        )


def _has_digit(token: str) -> bool:
    return any(c.isdigit() for c in token)


def _mixed_case(token: str) -> bool:
    """LNCaP, CaSki, SiHa: capitals after lower case, as cell-line names are written."""
    return bool(re.search(r"[a-z][A-Z]", token))


def drug_name(word: str) -> str | None:
    """The drug a word names (by name or INN stem), lower case, else None."""
    key = word.strip().lower().translate(_SAME_LENGTH)
    if "-" in key and key not in lexicon.DRUG_NAMES:
        # "post-alectinib", "BCR-ABL-imatinib", "daratumumab-dependent": a drug joined to a word
        parts = key.split("-")
        for part in (parts[-1], parts[0]):
            if part != key and (found := drug_name(part)):
                return found
        return None
    if key in lexicon.DRUG_NAMES:
        return lexicon.DRUG_NAMES[key]
    if re.fullmatch(r"[a-z][a-z-]{3,}", key) and key.endswith(lexicon.DRUG_STEMS):
        stem = next(s for s in lexicon.DRUG_STEMS if key.endswith(s))
        if len(key) >= len(stem) + 3:
            return key
    return None


IMMUNE = "\x00immune:"  # marks an immunotherapy mention until it is named
_IMMUNE_KEY = re.compile(r"PD-?L1|PD-?1|CTLA-?4|LAG-?3|TIM-?3|TIGIT|CD\d{1,3}|EGFR|HER2|CAR", re.IGNORECASE)


def _name_immunotherapies(found: list[Mention]) -> list[Mention]:
    """One name per immunotherapy target: "PD-1 blockade", "anti-PD-1" and "anti-PD-1 treatment"
    in one text are one therapy, named by its first "anti-" form; "checkpoint blockade" is the
    text's one checkpoint therapy where it names just one."""
    written_by_key: dict[str, list[str]] = {}
    for m in found:
        if m.name.startswith(IMMUNE):
            key = _immune_key(m.written)
            written_by_key.setdefault(key, []).append(immune_name(m.written))
    names = {
        key: min((w for w in forms if w.lower().startswith("anti-")), key=len, default=forms[0])
        for key, forms in written_by_key.items()
    }
    checkpoint = [k for k in names if k in ("PD1", "PDL1", "CTLA4", "LAG3", "TIM3", "TIGIT")]
    if "checkpoint" in names and checkpoint:  # the text's most named checkpoint therapy
        names["checkpoint"] = names[max(checkpoint, key=lambda k: len(written_by_key[k]))]
    return [
        Mention(m.kind, names[_immune_key(m.written)], m.written, m.sentence, m.start, m.end)
        if m.name.startswith(IMMUNE)
        else m
        for m in found
    ]


def _immune_key(written: str) -> str:
    m = _IMMUNE_KEY.search(written)
    if m is None:
        return "checkpoint" if "checkpoint" in written.lower() else immune_name(written).lower()
    key = m.group(0).upper().replace("-", "")
    return "CAR" if key == "CAR" or written.upper().startswith("CART") else key


def immune_name(written: str) -> str:
    """An immunotherapy as the text writes it, dashes unified ("anti-PD-1 antibodies")."""
    return re.sub(r"\s+", " ", written.translate(_SAME_LENGTH)).strip()


def mirna_name(written: str) -> str:
    """``miR-21-5p`` from "hsa-miR-21-5p", "microRNA-21-5p" or "agomiR-21" (arm kept as written)."""
    name = written.translate(_SAME_LENGTH)
    name = re.sub(r"^hsa-", "", name)
    name = re.sub(r"^(?:agomi[Rr]|antagomi[Rr]|microRNA|miRNA|mir|MIR|MiR)-?", "miR-", name)
    return name if name.startswith(("miR-", "let-")) else "miR-" + name


def clean_cancer(name: str) -> str | None:
    """A cancer name without leading words that are not part of it ("resistant", "human")."""
    words = re.sub(r"\s+", " ", name.translate(_SAME_LENGTH)).strip().split(" ")
    while words and words[0].lower() in lexicon.CANCER_NOISE_WORDS:
        words.pop(0)
    if not words:
        return None
    if len(words) == 1 and words[0].lower().rstrip("s") in (
        "cancer",
        "tumour",
        "tumor",
        "neoplasm",
        "malignancy",
    ):
        return None
    text = " ".join(words)
    return text[0].lower() + text[1:] if text[:1].isupper() and text[1:2].islower() else text


def cancers_overlap(a: str, b: str) -> bool:
    """Whether two cancer names are one cancer at two levels of detail (one contains the other)."""
    x, y = (re.sub(r"[^a-z0-9]+", " ", n.lower().translate(_SAME_LENGTH)).strip() for n in (a, b))
    x, y = (
        re.sub(r"(?:s|es)\b", "", n).replace("leukaemia", "leukemia").replace("tumour", "tumor")
        for n in (x, y)
    )
    return bool(x and y) and (x in y or y in x)
