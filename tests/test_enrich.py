"""Cue-word classification of mechanism categories and evidence levels."""

from __future__ import annotations

from summarizer.enrich import evidence_levels, mechanism_categories


def test_mechanism_categories_from_cues() -> None:
    assert mechanism_categories(["inducing protective autophagy"]) == ["autophagy"]
    assert mechanism_categories(["via PI3K/Akt signaling and reduced apoptosis"]) == [
        "apoptosis_evasion",
        "survival_signaling",
    ]
    assert mechanism_categories(["ABCB1-mediated drug efflux"]) == ["drug_efflux"]
    assert mechanism_categories(["cancer-initiating cell traits and metastasis"]) == [
        "emt_metastasis",
        "cancer_stemness",
    ]
    assert mechanism_categories(["no recognisable cue here"]) == []


def test_at_most_three_categories() -> None:
    text = "autophagy, apoptosis, EMT, stemness, DNA repair, glycolysis"
    assert len(mechanism_categories([text])) == 3


def test_evidence_levels() -> None:
    assert evidence_levels(["Knockdown in HepG2 cells restored sensitivity."]) == ["in_vitro"]
    assert evidence_levels(["Tumour growth of xenografts in nude mice was reduced."]) == ["in_vivo"]
    assert evidence_levels(["Patients with high X had poor response to cisplatin."]) == ["clinical"]
    assert evidence_levels(["It is a marker."]) == []
