"""How names are varied and read against a text for the normaliser: descriptor words dropped, name
shapes (miRNAs, antibodies, CAR-T, combinations), and a text's own definitions and word runs as
evidence for ambiguous names.
"""

from __future__ import annotations

import functools
import re

from .keys import GREEK, fold, name_key

# Words after a gene name that describe what happened to it, not which gene it is.
GENE_TAIL = re.compile(
    r"^(?:[A-Z]\d+[A-Z*]|[A-Z]\d+(?:fs|del|ins|dup)\S*|p\.\S+|c\.\S+|exon\d+|ex\d+|Δ\S+|delta\S*|"
    r"mutations?|mutants?|mutated|variants?|isoforms?|amplification|amplified|overexpression|expression|"
    r"knockdown|knockout|loss|deletions?|gain|fusions?|rearrangements?|gene|genes|protein|proteins|mrna|"
    r"kinase-domain|kinase|domain|activation|activity|levels?|signal(?:l)?ing|pathway|axis|inhibition|"
    r"splice|splicing|copy-number|deficiency|positive|negative|high|low|wild-type|wt|status)$",
    re.IGNORECASE,
)


GENE_HEAD = re.compile(r"^(?:lncRNA|lincRNA|gene|human|the|protein)[-\s]+", re.IGNORECASE)


MIR = re.compile(
    r"^(?:(?P<species>[a-z]{3})[-_])?(?:micro[-\s]?rna|mirna|mir|mi-r|(?P<let>let))[-\s]?"
    r"(?P<num>\d+[a-z]?)(?P<locus>-\d+)?(?:[-\s]?(?P<arm>[35]p))?(?P<star>\*)?$",
    re.IGNORECASE,
)


PRECURSOR = re.compile(r"^hsa-(?P<kind>mir|let)-(?P<num>\d+[a-z]?)(?:-(?P<locus>\d+))?$")


CIRC = re.compile(r"^(?:circ|hsa_circ|circRNA)", re.IGNORECASE)


DRUG_TAIL = re.compile(
    r"[-\s]+(?:based|therapy|therapies|treatment|treatments|chemotherapy|monotherapy|regimens?|"
    r"exposure|administration|agents?)$",
    re.IGNORECASE,
)


ANTI = re.compile(
    r"^anti[-\s]?(?P<target>.+?)(?:[-\s]+(?:monoclonal|antibody|antibodies|mab|mabs|therapy|treatment|"
    r"blockade|immunotherapy|agents?|inhibitors?|drugs?))*$",
    re.IGNORECASE,
)


CAR_T = re.compile(
    r"^(?:CAR[-\s]?T[-\s]?(?P<a>[A-Za-z]*\d+)|(?P<b>[A-Za-z]*\d+)[-\s]?(?:directed\s+|targeted\s+)?"
    r"CAR[-\s]?T|CART[-\s]?(?P<c>[A-Za-z]*\d+))(?:[-\s]?cells?|[-\s]?therapy)?$",
    re.IGNORECASE,
)


CANCER_HEAD = re.compile(
    r"^(?:human|advanced|metastatic|recurrent|relapsed|refractory|relapsed/refractory|primary|"
    r"aggressive|newly diagnosed|locally advanced|unresectable|invasive)\s+",
    re.IGNORECASE,
)


CANCER_TAIL = re.compile(r"\s+(?:cells?|cell lines?|patients?|tissues?|models?|xenografts?)$", re.IGNORECASE)


COMBINATION = re.compile(r"\s*(?:\+|/|,|\bplus\b|\band\b|\bwith\b|\bcombined with\b)\s*", re.IGNORECASE)


WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")


def greek_letter_key(text: str) -> str:
    """Key with Greek letters as their Latin initial ('PLCγ2' -> 'plcg2', HGNC's spelling)."""
    initials = {ch: name[0] for ch, name in GREEK.items()}
    return name_key("".join(initials.get(ch, ch) for ch in text.casefold()))


def gene_of(candidate_id: str) -> str:
    """The gene behind an antibody or CAR-T candidate ('anti:HGNC:8760' -> 'HGNC:8760')."""
    return candidate_id.split(":", 1)[1] if candidate_id.startswith(("anti:", "CAR-T:")) else candidate_id


GROUP_OF_TYPE: dict[str, set[str]] = {
    "gene": {"protein", "family"},
    "protein": {"protein", "family"},
    "cytokine": {"protein", "family"},
    "lncRNA": {"ncRNA"},
    "miRNA": {"miRNA"},
}


def gene_variants(name: str, factor_type: str | None) -> list[str]:
    """The name, then without descriptor words and leading 'lncRNA'/'gene', then a leading 'h'."""
    out = [name]
    stripped = GENE_HEAD.sub("", name)
    words = stripped.split()
    while len(words) > 1 and GENE_TAIL.match(words[-1]):
        words.pop()
    # A protein change or descriptor straight after the first word: 'ALK G1202R resistance'.
    if len(words) > 1 and GENE_TAIL.match(words[1]):
        words = words[:1]
    out.append(" ".join(words))
    for variant in list(out):
        if re.match(r"^h[A-Z]", variant):  # hENT1: human ENT1
            out.append(variant[1:])
    return out


def drug_variants(name: str) -> list[str]:
    out = [name]
    stripped = name
    while True:
        shorter = DRUG_TAIL.sub("", stripped)
        if shorter == stripped:
            break
        stripped = shorter
        out.append(stripped)
    for variant in list(out):
        if variant.lower().endswith("s") and len(variant) > 4:
            out.append(variant[:-1])
    return out


def cancer_variants(name: str) -> list[tuple[str, bool]]:
    """(variant, broader): the name, without cell/patient words, with cancer/carcinoma swapped;
    then without qualifiers (a broader term)."""
    base = CANCER_TAIL.sub("", name)
    out = [(name, False), (base, False)]
    for variant in (name, base):
        low = variant
        for a, b in (
            (r"\bcancers?\b", "carcinoma"),
            (r"\bcarcinomas?\b", "cancer"),
            (r"\btumou?rs?\b", "cancer"),
        ):
            swapped = re.sub(a, b, low, flags=re.IGNORECASE)
            if swapped != low:
                out.append((swapped, False))
        if low.lower().endswith("s"):
            out.append((low[:-1], False))
    trimmed = base
    while (shorter := CANCER_HEAD.sub("", trimmed)) != trimmed:
        trimmed = shorter
    if trimmed != base:
        out += [(trimmed, True), (re.sub(r"\bcancer\b", "carcinoma", trimmed), True)]
    return out


def text_definitions(name: str, text: str) -> list[str]:
    """Long forms the text gives for ``name``: 'long form (NAME)' and 'NAME (long form)'."""
    found = []
    esc = re.escape(name)
    for m in re.finditer(rf"((?:[^\W_][\w'/-]*[\s,-]+){{1,9}}?)\(\s*{esc}\s*[,;)]", text):
        words = m.group(1).split()
        # every tail of the preceding words is a candidate long form; the shortest that matches wins
        found += [" ".join(words[i:]) for i in range(len(words))]
    for m in re.finditer(rf"(?<![\w-]){esc}\s*\(([^()]{{3,80}})\)", text):
        found.append(m.group(1))
    return found


def name_words(text: str) -> set[str]:
    """The folded words of a name, for comparing long forms ('erythroid-derived' -> two words)."""
    return {w for w in re.split(r"[^0-9a-z]+", fold(text)) if w}


@functools.lru_cache(maxsize=8)  # the findings of one paper share its text
def text_grams(text: str) -> frozenset[str]:
    """Keys of every run of one to ten words in the text (for 'another name is in the text')."""
    words = [fold(w) for w in WORD.findall(text)]
    keys: set[str] = set()
    for i in range(len(words)):
        joined = ""
        for word in words[i : i + 10]:
            joined += name_key(word)
            keys.add(joined)
    return frozenset(keys)


def mirna_forms(mature: str) -> set[str]:
    """Spellings of a mature miRNA ('hsa-miR-21-5p' -> 'miR-21', 'microRNA-21', 'MIR21', ...)."""
    m = re.match(r"^hsa-(miR|let)-(\d+[a-z]?)(?:-([35]p))?$", mature)
    if m is None:
        return {mature}
    kind, num, arm = m.groups()
    stems = (
        {f"{kind}-{num}"}
        if kind == "let"
        else {f"miR-{num}", f"microRNA-{num}", f"miRNA-{num}", f"mir-{num}"}
    )
    forms = set(stems) | {f"hsa-{s}" for s in stems}
    if arm:
        forms |= {f"{s}-{arm}" for s in set(forms)}
    if kind == "miR":
        forms.add(f"MIR{num.upper()}")
    return forms
