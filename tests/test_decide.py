"""The decision: which drafts become findings, with what confidence, for the error classes of unseen text.

Each class of issue 16 has a test built from invented sentences (gene names like QRX7 do not exist),
run through every stage after the model's answer with the fitted weights the package ships
(``summarizer/decision.json``). The model's proposal is the input here, as the embedded model would
give it; nothing is faked.
"""

from __future__ import annotations

import json

from summarizer.inputs.sources import parse_text
from summarizer.reading import decide
from summarizer.reading.extract import decide_drafts, drafts_for, rules_version
from summarizer.schema import PaperSummary, Proposal, role_of


def summarize(text: str, factors: list[str], therapies: list[str]) -> PaperSummary:
    doc = parse_text(text, "t", sha256="0" * 64)
    drafted = drafts_for(doc, Proposal(factors=factors, therapies=therapies))
    return decide_drafts(doc, drafted, decide.default_model())


def found(paper: PaperSummary) -> set[tuple[str, str, str | None]]:
    return {(f.factor, f.therapy, role_of(f.alteration, f.effect)) for f in paper.findings}


def test_every_finding_has_a_confidence_at_or_above_the_threshold() -> None:
    paper = summarize(
        "QRX7 drives cisplatin resistance in gastric cancer\n\n"
        "Cisplatin is the backbone of chemotherapy for advanced gastric cancer, but resistance is common. "
        "QRX7 was upregulated in cisplatin-resistant gastric cancer tissues and cell lines. "
        "Knockdown of QRX7 restored cisplatin sensitivity of resistant cells and slowed the growth of "
        "xenografts under cisplatin, whereas QRX7 overexpression conferred cisplatin resistance on "
        "sensitive cells.\n",
        ["QRX7"],
        ["cisplatin"],
    )
    assert found(paper) == {("QRX7", "cisplatin", "pro_resistance")}
    threshold = decide.default_model().threshold
    assert all(f.confidence is not None and threshold <= f.confidence <= 1 for f in paper.findings)


def test_class1_a_drug_used_as_a_tool_is_not_the_therapy() -> None:
    # The inhibitor blocks the factor; the therapy whose response was measured is docetaxel.
    paper = summarize(
        "QRX11 signalling and docetaxel resistance in prostate cancer\n\n"
        "Docetaxel prolongs survival in castration-resistant prostate cancer, yet most tumours become "
        "refractory. In docetaxel-resistant cells QRX11 was strongly activated. Blocking QRX11 with the "
        "selective inhibitor velpratinib restored docetaxel sensitivity of the resistant cells, and "
        "silencing QRX11 with siRNA had the same effect on docetaxel-induced apoptosis.\n",
        ["QRX11"],
        ["docetaxel", "velpratinib"],
    )
    therapies = {f.therapy for f in paper.findings}
    assert "velpratinib" not in therapies
    assert ("QRX11", "docetaxel", "pro_resistance") in found(paper)


def test_class2_a_read_out_and_a_prognosis_only_text_give_no_finding() -> None:
    # A marker measured after the change (an efflux pump) is not the finding's factor.
    paper = summarize(
        "QRX21 knockdown re-sensitizes ovarian cancer cells to paclitaxel\n\n"
        "Paclitaxel resistance limits treatment of ovarian cancer. QRX21 was overexpressed in "
        "paclitaxel-resistant SKOV9/PTX cells, and silencing of QRX21 restored paclitaxel sensitivity "
        "of these cells. Silencing of QRX21 also reduced the expression of the efflux pump P-gp and "
        "increased cleaved caspase-3 after paclitaxel treatment.\n",
        ["QRX21", "P-gp"],
        ["paclitaxel"],
    )
    assert ("QRX21", "paclitaxel", "pro_resistance") in found(paper)
    assert not any(f.factor == "P-gp" for f in paper.findings)
    prognosis = summarize(
        "QRX33 expression in colorectal cancer\n\n"
        "QRX33 was measured in 212 colorectal cancers by immunohistochemistry. High QRX33 expression "
        "was associated with advanced stage, lymph node metastasis and shorter overall survival. "
        "Treatment was not analysed in relation to QRX33 status in this cohort.\n",
        ["QRX33"],
        [],
    )
    assert prognosis.findings == []


def test_class3_an_inhibitor_of_a_factor_that_delays_resistance_makes_it_pro_resistance() -> None:
    paper = summarize(
        "QRX45 and acquired resistance to osimertinib\n\n"
        "Acquired resistance to osimertinib limits its benefit in EGFR-mutant lung cancer, and we "
        "searched for kinases whose activity rises while tumours adapt to the drug. In xenograft models, "
        "adding a selective QRX45 inhibitor to osimertinib delayed the onset of resistance to "
        "osimertinib by several months.\n",
        ["QRX45"],
        ["osimertinib"],
    )
    assert found(paper) == {("QRX45", "osimertinib", "pro_resistance")}


def test_class3_restoring_a_lost_protein_that_resensitizes_makes_it_anti_resistance() -> None:
    paper = summarize(
        "Loss of QRX46 in tamoxifen-resistant breast cancer\n\n"
        "Tamoxifen resistance is common in oestrogen receptor-positive breast cancer. QRX46 was lost in "
        "tamoxifen-resistant breast cancer cells and tumours. Restoring QRX46 in the resistant cells "
        "re-sensitized them to tamoxifen, and tumours re-expressing QRX46 regressed under tamoxifen in "
        "mice.\n",
        ["QRX46"],
        ["tamoxifen"],
    )
    assert found(paper) == {("QRX46", "tamoxifen", "anti_resistance")}


def test_class4_each_drug_of_a_list_is_its_own_finding() -> None:
    paper = summarize(
        "QRX52 confers multidrug resistance on gastric cancer cells\n\n"
        "Multidrug resistance limits chemotherapy of gastric cancer. QRX52 was upregulated in "
        "chemoresistant gastric cancer tissues. Enforced QRX52 expression made gastric cancer cells "
        "resistant to cisplatin, 5-fluorouracil and doxorubicin, whereas QRX52 knockdown restored "
        "their sensitivity to cisplatin, 5-fluorouracil and doxorubicin.\n",
        ["QRX52"],
        ["cisplatin", "5-fluorouracil", "doxorubicin"],
    )
    assert found(paper) == {
        ("QRX52", drug, "pro_resistance") for drug in ("cisplatin", "5-fluorouracil", "doxorubicin")
    }


def test_class5_only_the_stated_factor_and_drug_pairs() -> None:
    # Two factors and two drugs are named together, but only QRX61 with gemcitabine is a finding.
    paper = summarize(
        "QRX61 and gemcitabine resistance in pancreatic cancer\n\n"
        "Gemcitabine and oxaliplatin are used for advanced pancreatic cancer. QRX61 and QRX62 were "
        "measured in tumours of patients treated with gemcitabine or oxaliplatin. Knockdown of QRX61 "
        "restored gemcitabine sensitivity of resistant pancreatic cancer cells, while QRX62 knockdown "
        "did not change the response to gemcitabine or oxaliplatin.\n",
        ["QRX61", "QRX62"],
        ["gemcitabine", "oxaliplatin"],
    )
    assert found(paper) == {("QRX61", "gemcitabine", "pro_resistance")}


def test_a_draft_below_the_threshold_is_a_rejection_naming_its_confidence() -> None:
    strict = decide.DecisionModel(decide.default_model().finding, threshold=0.9999)
    doc = parse_text(
        "QRX7 and cisplatin\n\nCisplatin resistance limits chemotherapy of gastric cancer. Knockdown of "
        "QRX7 restored cisplatin sensitivity of resistant gastric cancer cells in culture and in xenografts "
        "grown in nude mice.\n",
        "t",
        sha256="0" * 64,
    )
    paper = decide_drafts(doc, drafts_for(doc, Proposal(factors=["QRX7"], therapies=["cisplatin"])), strict)
    assert paper.findings == []
    (rejection,) = [r for r in paper.rejected_findings if "confidence" in r.reason]
    assert rejection.finding["factor"] == "QRX7" and 0 <= rejection.finding["confidence"] < 0.9999
    assert rejection.finding["role"] == "pro_resistance"


def test_the_shipped_weights_round_trip_and_are_part_of_the_rules_hash() -> None:
    model = decide.default_model()
    assert decide.DecisionModel.from_json(model.to_json()) == model
    assert set(json.loads(decide.MODEL_FILE.read_text())) == {"threshold", "finding"}
    assert 0 < model.threshold < 1
    before = rules_version()
    original = decide.MODEL_FILE.read_bytes()
    try:
        decide.MODEL_FILE.write_bytes(original.replace(b'"threshold": ', b'"threshold":  '))
        assert rules_version() != before  # refitted weights re-do stored results
    finally:
        decide.MODEL_FILE.write_bytes(original)
