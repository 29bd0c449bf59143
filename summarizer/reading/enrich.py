"""Deterministic fill-in of the closed-vocabulary fields from the finding's own evidence.

Measured on the embedded 1.5B model: asked to pick ``mechanism_categories`` and
``evidence_level``, it fills every list to its maximum with the first values it was shown. The
words of the cited sentences and the model's short mechanism text say the same thing reliably, at
no generation cost, so these fields are read off them by cue words instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..schema import Alteration, EvidenceLevel, MechanismCategory, TherapyClass

# Ordered: the first categories matched are the most specific ones; at most three are kept.
_MECHANISM_CUES: list[tuple[MechanismCategory, str]] = [
    ("drug_efflux", r"efflux|ABC[A-G]\d|P-?gp|P-glycoprotein|MDR1|BCRP|MRP\d|drug (accumulation|uptake)"),
    ("drug_metabolism", r"CYP\d|drug metabolism|detoxif|glutathione|inactivat\w* the drug"),
    ("target_alteration", r"(target|kinase)[- ]domain mutation|gatekeeper|secondary mutation|T790M"),
    (
        "dna_damage_repair",
        r"DNA (damage|repair)|double-strand break|homologous recombination|\bNHEJ\b|γ-?H2AX",
    ),
    ("autophagy", r"autophag"),
    ("apoptosis_evasion", r"apopto|anti-apoptosis|BCL-?2|caspase|cell death"),
    ("emt_metastasis", r"\bEMT\b|epithelial.mesenchymal|metasta|migration|invasion"),
    ("cancer_stemness", r"stem|cancer-initiating|tumou?r-initiating|sphere formation|CD133|ALDH"),
    ("cell_cycle", r"cell cycle|G[12]/[SM]|mitosis|mitotic|cyclin|\bCDK\d"),
    ("epigenetic", r"methylat|acetylat|histone|epigenetic|DNMT|chromatin"),
    ("tumor_microenvironment", r"microenvironment|stromal|paracrine|fibroblast|bone marrow|hypoxi"),
    ("immune_evasion", r"immune|PD-?L?1|T[- ]cell|macrophage|CTLA"),
    ("metabolic_reprogramming", r"glycoly|metabolic|glutamin|lipid|oxidative phosphorylation|warburg"),
    (
        "survival_signaling",
        r"PI3K|AKT|mTOR|MAPK|ERK|\bRAS\b|\bRAF\b|JAK|STAT\d|NF-?κB|NF-?kB|Wnt|Notch|Hedgehog|"
        r"signal(l)?ing|proliferat|survival",
    ),
]
_COMPILED = [(name, re.compile(pattern, re.IGNORECASE)) for name, pattern in _MECHANISM_CUES]

_IN_VIVO = re.compile(r"in vivo|xenograft|mice|mouse|murine|\brats?\b|zebrafish|animal", re.IGNORECASE)
_IN_VITRO = re.compile(r"in vitro|cell lines?|\bcells\b|cultur|organoid", re.IGNORECASE)
_CLINICAL = re.compile(
    r"patients?\b.*\b(response|respond|survival|outcome|relapse|prognos)|clinical trial|cohort",
    re.IGNORECASE,
)


def mechanism_categories(texts: Iterable[str], limit: int = 3) -> list[MechanismCategory]:
    """Categories whose cue words occur in ``texts`` (mechanism text and evidence), most specific first."""
    joined = " ".join(texts)
    found = [name for name, pattern in _COMPILED if pattern.search(joined)]
    return found[:limit]


def evidence_levels(texts: Iterable[str]) -> list[EvidenceLevel]:
    """in_vitro / in_vivo / clinical, as the evidence sentences describe the experiments."""
    joined = " ".join(texts)
    levels: list[EvidenceLevel] = []
    if _IN_VITRO.search(joined):
        levels.append("in_vitro")
    if _IN_VIVO.search(joined):
        levels.append("in_vivo")
    if _CLINICAL.search(joined):
        levels.append("clinical")
    return levels


# Ordered: the first class whose pattern matches the therapy's name wins. Drug-name stems and
# words that settle the class; a name none of them matches keeps the model's choice.
_THERAPY_CLASSES: list[tuple[TherapyClass, re.Pattern[str]]] = [
    (
        "radiotherapy",
        re.compile(r"radi(o|at)|irradiat|\bIR\b|x-?ray|proton|carbon.ion|gamma.ray|brachytherap", re.I),
    ),
    (
        "immunotherapy",
        re.compile(
            r"PD-?L?1|CTLA-?4|checkpoint|immunotherap|CAR-?T\b|"
            r"(nivo|pembro|atezo|durva|ave|ipili|cemip|tremeli|sinti|tisleli|toripa|camreli)\w*mab",
            re.I,
        ),
    ),
    (
        "hormone_therapy",
        re.compile(
            r"tamoxifen|fulvestrant|trozole|exemestane|lutamide|abiraterone|goserelin|leuprolide|"
            r"raloxifene|endocrine|androgen.deprivation|aromatase",
            re.I,
        ),
    ),
    (
        "targeted_therapy",
        # kinase (-nib), proteasome (-zomib), PARP (-parib), CDK4/6 (-ciclib), PI3K (-lisib),
        # mTOR (-rolimus), Hedgehog (-degib), BCL-2 (-toclax) inhibitors, monoclonal antibodies
        re.compile(r"\w(nib|zomib|parib|ciclib|lisib|rolimus|degib|toclax|mab)\b", re.I),
    ),
    (
        "chemotherapy",
        re.compile(
            r"platin|taxel|rubicin|citabine|fluorouracil|\b5-?FU\b|cyclophosphamide|ifosfamide|"
            r"methotrexate|trexed|etoposide|tecan\b|vincristine|vinblastine|vinorelbine|temozolomide|"
            r"dacarbazine|bleomycin|mitomycin|cytarabine|melphalan|mustine|chlorambucil|busulfan|"
            r"mitoxantrone|FOLFOX|FOLFIRI|chemotherap",
            re.I,
        ),
    ),
]


def therapy_class(therapy: str, given: TherapyClass) -> TherapyClass:
    """The class a drug-name stem or a radiation/immunotherapy word settles, else ``given``.

    The 1.5B model guesses the class and often misses (anti-PD-1 as a targeted therapy); where
    the name itself says, the name wins.
    """
    for name, pattern in _THERAPY_CLASSES:
        if pattern.search(therapy):
            return name
    return given


_KNOCKDOWN = r"knock|silenc|si-?rna|sh-?rna|deplet|inhibit|antagomir|block|neutrali|spong|sequest"
_INCREASE_ALTERATION = (
    r"overexpress|ectopic|enforced|forced|mimic|agomir|transfect|restor|re-?express|deliver|exogenous"
)


def alteration_of(change: str, cue: str) -> Alteration:
    """The alteration a change and its cue words name ("knockdown", "amplification", ...)."""
    cue = cue.lower()
    if change == "mutated":
        return "mutation"
    if change == "decreased":
        if re.search(r"delet|-/-|null|knock-?out", cue):
            return "deletion"
        if re.search(r"loss|lost|lack|absen|inactivat|no longer|negative|deficien", cue):
            return "loss"
        if "methyl" in cue:
            return "methylation"
        if re.search(_KNOCKDOWN, cue):
            return "knockdown"
        if re.search(r"\blow|reduc|decreas|down", cue):
            return "downregulation"
        return "knockdown"
    if change == "increased":
        if "amplif" in cue:
            return "amplification"
        if re.search(_INCREASE_ALTERATION, cue):
            return "overexpression"
        return "upregulation"
    # Named as the cause without a stated change ("X drives resistance"): more of it acts.
    return "upregulation"
