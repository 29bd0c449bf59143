"""Cue-word classification of mechanism categories and evidence levels; therapy class by name."""

from __future__ import annotations

import pytest

from summarizer.reading.enrich import evidence_levels, mechanism_categories, therapy_class


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


@pytest.mark.parametrize(
    ("therapy", "given", "expected"),
    [
        ("anti-PD-1 antibody", "targeted_therapy", "immunotherapy"),  # the model's usual miss
        ("pembrolizumab", "other", "immunotherapy"),
        ("ionizing radiation", "other", "radiotherapy"),
        ("X-ray irradiation", "chemotherapy", "radiotherapy"),
        ("gefitinib", "chemotherapy", "targeted_therapy"),
        ("olaparib", "other", "targeted_therapy"),
        ("trastuzumab", "immunotherapy", "targeted_therapy"),
        ("oxaliplatin", "targeted_therapy", "chemotherapy"),
        ("5-FU", "other", "chemotherapy"),
        ("tamoxifen", "chemotherapy", "hormone_therapy"),
        ("enzalutamide", "other", "hormone_therapy"),
        ("lenalidomide", "targeted_therapy", "targeted_therapy"),  # no stem settles it: kept
        ("velmotinib-X", "other", "targeted_therapy"),  # an unknown kinase inhibitor, by its stem
        ("p53", "other", "other"),
    ],
)
def test_therapy_class_follows_the_name_where_it_settles_it(therapy: str, given: str, expected: str) -> None:
    assert therapy_class(therapy, given) == expected  # type: ignore[arg-type]
