"""The shared vocabulary: what a resistance finding and a paper summary are.

Two families of models live here:

* ``Proposal``: what the model is asked to fill, the names of factors and therapies. Terse and
  bounded (every string and list has a maximum, so schema-constrained decoding terminates).
* ``PaperSummary`` / ``Finding``: what is stored and exported. Evidence is verbatim quotes with
  their character span in the ORIGINAL text, filled in by the pipeline, never by the model.

This module imports nothing else from the package.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

# 2: findings carry factor_ref / therapy_ref / cancer_ref; 3: findings read off the text, no
# fixed cap on their number; 4: each finding carries the decision's confidence
SCHEMA_VERSION = "4"

FactorType = Literal[
    "gene",
    "protein",
    "miRNA",
    "lncRNA",
    "circRNA",
    "pathway",
    "cytokine",
    "cell_population",
    "other",
]
Alteration = Literal[
    "overexpression",
    "upregulation",
    "amplification",
    "mutation",
    "deletion",
    "knockdown",
    "downregulation",
    "loss",
    "methylation",
    "other",
]
TherapyClass = Literal[
    "chemotherapy",
    "targeted_therapy",
    "radiotherapy",
    "immunotherapy",
    "hormone_therapy",
    "other",
]
Effect = Literal["promotes_resistance", "reverses_resistance", "no_effect", "unclear"]
MechanismCategory = Literal[
    "drug_efflux",
    "drug_metabolism",
    "target_alteration",
    "dna_damage_repair",
    "apoptosis_evasion",
    "autophagy",
    "emt_metastasis",
    "cancer_stemness",
    "survival_signaling",
    "cell_cycle",
    "epigenetic",
    "tumor_microenvironment",
    "immune_evasion",
    "metabolic_reprogramming",
    "other",
]
EvidenceLevel = Literal["in_vitro", "in_vivo", "clinical"]

# Alterations that remove or lower the factor: the role of the factor is the opposite of the
# stated effect ("X knockdown reverses resistance" == "X promotes resistance").
LOSS_ALTERATIONS: frozenset[str] = frozenset(
    {"knockdown", "downregulation", "loss", "deletion", "methylation"}
)

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


class Proposal(BaseModel):
    """The model's answer for one abstract: the factors it relates to a therapy's response, and
    those therapies, each named as the text writes it.

    Only names are asked. Which therapy, cancer and direction go with each factor is read off
    the sentences that name it (``relate``, ``direction``), where a 1.5B model's own answers
    flipped directions and dropped findings; a name list is short to generate and the model
    lists chain members and second drugs it left out of whole findings.
    """

    model_config = ConfigDict(extra="forbid")

    factors: list[Name] = Field(max_length=8)
    therapies: list[Name] = Field(max_length=4)


class Evidence(BaseModel):
    """A verbatim quote and where it sits in the original text (``text[start:end] == quote``)."""

    quote: str = Field(max_length=2000)
    start: int = Field(ge=0)
    end: int = Field(ge=0)

    @model_validator(mode="after")
    def _span_matches_quote_length(self) -> Evidence:
        if self.end - self.start != len(self.quote):
            raise ValueError("evidence span length differs from the quote length")
        return self


# --- normalisation (normalize.py): registry ids stored beside the names as written -------------


class EntityRef(BaseModel):
    """A name mapped to a registry id: HGNC, miRBase, DrugBank/ChEBI, MeSH, Disease Ontology.

    ``mapped``: ``id`` and ``name`` (the normalised name) are set; ``ambiguous``: the name is
    listed for several entities and nothing in the text settled which, ``candidates`` holds them
    as "ID NAME"; ``unmapped``: no entity of that name.
    """

    status: Literal["mapped", "ambiguous", "unmapped"]
    id: str | None = Field(default=None, max_length=80)
    name: str | None = Field(default=None, max_length=200)
    xrefs: list[str] = Field(default_factory=list, max_length=12)
    candidates: list[str] = Field(default_factory=list, max_length=8)


class Finding(BaseModel):
    """A stored, grounded resistance finding."""

    factor: str = Field(max_length=60)
    factor_type: FactorType
    alteration: Alteration
    therapy: str = Field(max_length=60)
    therapy_class: TherapyClass
    cancer_type: str = Field(max_length=80)
    effect: Effect
    mechanism: str = Field(default="", max_length=100)
    mechanism_categories: list[MechanismCategory] = Field(default_factory=list, max_length=3)
    pathways_or_partners: list[str] = Field(default_factory=list, max_length=3)
    models: list[str] = Field(default_factory=list, max_length=3)
    evidence_level: list[EvidenceLevel] = Field(default_factory=list, max_length=3)
    evidence: list[Evidence] = Field(min_length=1, max_length=3)
    # How often a finding with this confidence was right on data the decision was not fitted on
    # (``decide``); None for findings stored by a version without the decision stage.
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    # --- normalisation (normalize.py); None where no index was available ---
    factor_ref: EntityRef | None = None
    therapy_ref: EntityRef | None = None
    cancer_ref: EntityRef | None = None


class RejectedFinding(BaseModel):
    """A finding the model proposed that failed validation, kept with the reason."""

    reason: str = Field(max_length=1000)
    finding: dict[str, Any]


class PaperSummary(BaseModel):
    """Everything stored for one paper: identity, metadata, summary and grounded findings."""

    doc_id: str = Field(
        max_length=200, description="unique id: pmid:N, else the source name and a hash of its path"
    )
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the source text")
    source_name: str | None = Field(
        default=None, max_length=200, description="file stem, or the record's PMID or id; gold files match it"
    )
    title: str | None = Field(default=None, max_length=500)
    doi: str | None = Field(default=None, max_length=200)
    pmid: str | None = Field(default=None, pattern=r"^\d{1,9}$")
    year: int | None = Field(default=None, ge=1900, le=2100)
    journal: str | None = Field(default=None, max_length=200)
    cancer_types: list[str] = Field(default_factory=list, max_length=4)
    summary: str = Field(default="", max_length=350, description="the grounded findings in plain words")
    findings: list[Finding] = Field(default_factory=list, max_length=60)
    rejected_findings: list[RejectedFinding] = Field(default_factory=list, max_length=60)
    schema_version: str = SCHEMA_VERSION


def with_min_confidence(paper: PaperSummary, minimum: float | None) -> PaperSummary:
    """``paper`` with only the findings whose confidence is at least ``minimum`` (all when None).

    A finding without a confidence (stored before the decision stage) is kept: nothing says it
    is below the bar.
    """
    if minimum is None:
        return paper
    kept = [f for f in paper.findings if f.confidence is None or f.confidence >= minimum]
    return paper if len(kept) == len(paper.findings) else paper.model_copy(update={"findings": kept})


def role_of(alteration: str, effect: str) -> str | None:
    """The factor's role implied by a finding: ``pro_resistance``, ``anti_resistance`` or None.

    A loss-type alteration flips the stated effect; ``no_effect``/``unclear`` have no role.
    """
    if effect not in ("promotes_resistance", "reverses_resistance"):
        return None
    promotes = effect == "promotes_resistance"
    if alteration in LOSS_ALTERATIONS:
        promotes = not promotes
    return "pro_resistance" if promotes else "anti_resistance"


_EFFECT_WORDS = {
    "promotes_resistance": "promotes resistance to",
    "reverses_resistance": "reverses resistance to",
    "no_effect": "does not change the response to",
    "unclear": "has an unclear effect on the response to",
}


def findings_summary(findings: list[Finding], limit: int = 350) -> str:
    """The grounded findings in plain words, a sentence each, as many whole ones as ``limit`` holds.

    Written from validated fields only, so the summary never says more than the findings do.
    """
    if not findings:
        return "No finding about the response to a named therapy was stated."
    kept: list[str] = []
    for f in findings:
        where = f" in {f.cancer_type}" if f.cancer_type else ""
        sentence = f"{f.factor} {f.alteration} {_EFFECT_WORDS[f.effect]} {f.therapy}{where}."
        if len(" ".join([*kept, sentence])) + len(" (+99 more)") > limit:
            break
        kept.append(sentence)
    left = len(findings) - len(kept)
    return " ".join(kept) + (f" (+{left} more)" if left else "")
