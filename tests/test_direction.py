"""The cue-word direction reader, on invented sentences in common abstract phrasings."""

from __future__ import annotations

import pytest

from summarizer.inputs.text import normalize_spaces
from summarizer.reading.direction import change_of, outcome_of, role_in_sentence, role_in_sentences

PRO, ANTI = "pro_resistance", "anti_resistance"


@pytest.mark.parametrize(
    ("sentence", "factor", "role"),
    [
        ("Knockdown of GENEX restored cisplatin sensitivity in A549 cells.", "GENEX", PRO),
        ("GENEX silencing sensitized cells to gefitinib.", "GENEX", PRO),
        ("Reduced GENEX expression sensitized myeloma cells to bortezomib.", "GENEX", PRO),
        ("GENEX was upregulated in resistant cells and promoted paclitaxel resistance.", "GENEX", PRO),
        ("Overexpression of GENEX conferred resistance to 5-FU.", "GENEX", PRO),
        ("GENEX, highly expressed in HCC lines, resulted in resistance to sorafenib.", "GENEX", PRO),
        ("GENEX drives radioresistance in glioma.", "GENEX", PRO),
        ("Restoration of miR-77 reversed doxorubicin resistance.", "miR-77", ANTI),
        ("Upregulation of miR-77 overcomes docetaxel resistance by degrading GENEX.", "miR-77", ANTI),
        ("Upregulation of miR-77 overcomes docetaxel resistance by degrading GENEX.", "GENEX", PRO),
        (
            "miR-77 was downregulated in resistant cells and its restoration reversed resistance.",
            "miR-77",
            ANTI,
        ),
        ("Loss of GENEX conferred resistance to tamoxifen.", "GENEX", ANTI),
        ("GENEX-/- cells were resistant to cisplatin.", "GENEX", ANTI),
        ("Ectopic expression of GENEX enhanced the cytotoxicity of oxaliplatin.", "GENEX", ANTI),
        ("GENEX knockdown increased sorafenib-induced apoptosis.", "GENEX", PRO),
        ("GENEX down-regulates the sensitivity of gastric cancer to cisplatin.", "GENEX", PRO),
        ("A combination of TP99 knockout and GENEX overexpression induced drug resistance.", "GENEX", PRO),
        ("A combination of TP99 knockout and GENEX overexpression induced drug resistance.", "TP99", ANTI),
        # competing endogenous RNAs, mimics and inhibitors
        ("CircQRX1 confers gemcitabine resistance in glioma by sponging miR-77.", "miR-77", ANTI),
        ("CircQRX1 confers gemcitabine resistance in glioma by sponging miR-77.", "CircQRX1", PRO),
        ("LncQRX2 acted as a sponge of miR-77 and promoted cisplatin resistance.", "miR-77", ANTI),
        ("miR-77 mimics sensitized resistant cells to gemcitabine.", "miR-77", ANTI),
        ("Transfection of miR-77 inhibitors induced gemcitabine resistance.", "miR-77", ANTI),
        ("A GENEX inhibitor reversed cisplatin resistance in A549 cells.", "GENEX", PRO),
    ],
)
def test_role_in_sentence(sentence: str, factor: str, role: str) -> None:
    assert role_in_sentence(sentence, factor) == role


@pytest.mark.parametrize(
    "sentence",
    [
        "GENEX did not affect the response to cisplatin.",  # negated
        "Targeting GENEX may overcome cisplatin resistance.",  # hedged
        "We aimed to explore whether GENEX mediates resistance.",  # an aim, not a result
        "GENEX is expressed in many tumours.",  # no response stated
        "OTHER1 knockdown restored sensitivity.",  # factor not named
    ],
)
def test_no_role_without_a_stated_result(sentence: str) -> None:
    assert role_in_sentence(sentence, "GENEX") is None


def test_change_and_outcome_readings() -> None:
    assert change_of("Silencing of HO-1 sensitized cells.", "HO-1") == "decreased"
    # Dash variants match: in the factor's name, and in the sentence once the Document has
    # normalised it (the stages read clean sentences; nothing here normalises them again).
    assert change_of("HO-1 was overexpressed.", "HO\u20111") == "increased"
    assert change_of(normalize_spaces("HO\u20111 was\u00a0overexpressed."), "HO-1") == "increased"
    assert change_of("hsa-miR-21 expression was significantly higher.", "miR-21") == "increased"
    assert change_of("GENEX binds DNA.", "GENEX") == "present"
    assert change_of("Nothing here.", "GENEX") is None
    assert outcome_of("resistance was reversed by the inhibitor") == "sensitive"  # passive voice
    assert outcome_of("the inhibitor reversed resistance") == "sensitive"
    assert outcome_of("cells became refractory to treatment") == "resistant"


def test_sentences_must_agree() -> None:
    pro = "Knockdown of GENEX restored cisplatin sensitivity."
    anti = "Overexpression of GENEX sensitized cells to cisplatin."
    assert role_in_sentences([pro, "GENEX is a kinase."], "GENEX") == "pro_resistance"
    assert role_in_sentences([pro, anti], "GENEX") is None
    assert role_in_sentences([], "GENEX") is None


def test_a_contrasting_clause_does_not_lend_its_outcome() -> None:
    sentence = (
        "Overexpression of miR-77 sensitized cells to cisplatin, whereas GENEX restoration abolished this."
    )
    assert role_in_sentence(sentence, "miR-77") == ANTI
    assert role_in_sentence(sentence, "GENEX") is None
