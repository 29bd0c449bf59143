"""The stages after the model's answer: mentions, candidates, relations and the stored summary.

Nothing here runs a model. The texts are invented (gene names like QRX7 do not exist), in the
phrasings abstracts use, so the rules are checked on wordings they were not written from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from stub_server import StubServer, run_batch

from summarizer.inputs.sources import parse_text
from summarizer.model import answer
from summarizer.reading.candidates import build_candidates, group_key, is_named, split_combined
from summarizer.reading.mentions import Mentions, drug_name
from summarizer.reading.relate import could_hold_a_finding, relate
from summarizer.reading.summarise import to_finding, to_summary
from summarizer.schema import findings_summary

CHAIN = parse_text(
    "Long non-coding RNA LNC77 drives oxaliplatin resistance in gastric cancer by sponging miR-4242\n\n"
    "Abstract\n"
    "Oxaliplatin (L-OHP) is a first-line drug for advanced gastric cancer (GC), but resistance limits "
    "its use. LNC77 was upregulated in L-OHP-resistant GC tissues and in the resistant cell lines "
    "MKN99/L-OHP and BGC42/L-OHP. Knockdown of LNC77 restored L-OHP sensitivity of MKN99/L-OHP cells "
    "and reduced the growth of xenografts under L-OHP. LNC77 acted as a sponge of miR-4242, and "
    "miR-4242 mimics sensitized resistant cells to L-OHP and to 5-FU. QRX7, a direct target of "
    "miR-4242, was overexpressed in resistant cells, and enforced QRX7 expression abolished the "
    "sensitization caused by the miR-4242 mimic.\n",
    doc_id="chain",
    sha256="0" * 64,
)

NEGATIVE = parse_text(
    "QRX9 status in colorectal cancer\n\n"
    "QRX9 mutations were found in 20% of colorectal cancers and were associated with shorter survival. "
    "Neither overexpression nor knockdown of QRX9 changed the response of HCT99 cells to "
    "5-fluorouracil or irinotecan in our experiments, and apoptosis was comparable.\n",
    doc_id="negative",
    sha256="1" * 64,
)


def drafts_of(doc: Any, proposed: tuple[str, ...] = ()) -> dict[tuple[str, str], str | None]:
    mentions = Mentions(doc)
    candidates, _ = build_candidates(doc, mentions, proposed)
    return {(d.candidate.name, d.therapy): d.role for d in relate(doc, mentions, candidates)}


def test_therapies_by_name_stem_and_abbreviation() -> None:
    mentions = Mentions(CHAIN)
    assert {m.name for m in mentions.therapies} == {"oxaliplatin", "5-fluorouracil"}
    assert mentions.drug_abbreviations["L-OHP"] == "oxaliplatin"  # defined by the text
    assert drug_name("velmotinib") == "velmotinib"  # an INN stem the dictionary never listed
    assert drug_name("Receptor") is None


def test_radiotherapy_and_immunotherapy_names() -> None:
    doc = parse_text(
        "QRX3 and the response to radiation and checkpoint blockade\n\n"
        "Ionizing radiation and anti-PD-1 antibodies were given to the patients of this cohort; PD-1 "
        "blockade failed in QRX3-high melanoma, whereas X-ray irradiation shrank the tumours of the "
        "mice that were treated in this study.\n",
        doc_id="rt",
    )
    names = {m.name for m in Mentions(doc).therapies}
    # One name per immunotherapy target; every radiation wording is radiotherapy.
    assert names == {"radiotherapy", "anti-PD-1 antibodies"}


def test_factors_leave_out_cell_lines_assays_and_codes() -> None:
    doc = parse_text(
        "A study of QRX5 in lung cancer cells\n\n"
        "QRX5 knockdown lowered the IC50 of cisplatin in A549 and H1299 cells and in SPC-A1/DDP cells, "
        "as shown by CCK-8 assays, and the exosome inhibitor GW4869 had no effect on QRX5 levels.\n",
        doc_id="cells",
    )
    names = {m.name for m in Mentions(doc).factors}
    assert names == {"QRX5"}


def test_candidates_group_spellings_and_split_combined_names() -> None:
    assert split_combined("miR-221/222") == ["miR-221", "miR-222"]
    assert split_combined("miR-200b/c") == ["miR-200b", "miR-200c"]
    assert split_combined("JAK1/2") == ["JAK1", "JAK2"]
    assert split_combined("PI3K/AKT") == ["PI3K/AKT"]  # two genes, not a shorthand
    assert group_key("miR-21-5p") == group_key("hsa-miR-21")
    assert group_key("Keap1") == group_key("KEAP1")
    assert group_key("HER2") == group_key("ERBB2")
    assert group_key("FLT3-ITD") == group_key("FLT3")


def test_proposals_not_in_the_text_are_rejected_with_the_reason() -> None:
    mentions = Mentions(CHAIN)
    candidates, rejected = build_candidates(CHAIN, mentions, ["LNC77", "ZZZ9", "microRNA-4242"])
    assert [r.name for r in rejected] == ["ZZZ9"]
    assert "not named in the abstract" in rejected[0].reason
    proposed = {c.name for c in candidates if c.proposed}
    assert proposed == {"LNC77", "miR-4242"}
    assert is_named("Oxaliplatin", CHAIN, mentions) and not is_named("ZZZ9", CHAIN, mentions)


def test_a_chain_gives_each_member_its_role_and_each_drug_its_finding() -> None:
    drafts = drafts_of(CHAIN)
    assert drafts[("LNC77", "oxaliplatin")] == "pro_resistance"
    assert drafts[("miR-4242", "oxaliplatin")] == "anti_resistance"
    assert drafts[("miR-4242", "5-fluorouracil")] == "anti_resistance"  # two drugs, one sentence
    assert drafts[("QRX7", "oxaliplatin")] == "pro_resistance"  # "abolished the sensitization"


def test_a_negated_result_gives_no_finding() -> None:
    assert not any(role for role in drafts_of(NEGATIVE).values())


def test_a_drug_used_to_change_the_factor_is_not_its_therapy() -> None:
    doc = parse_text(
        "QRX2 and gefitinib resistance\n\n"
        "Gefitinib is used for lung adenocarcinoma, but most tumours become resistant within a year. "
        "Blocking QRX2 with cetuximab restored the sensitivity of resistant cells to gefitinib in "
        "lung adenocarcinoma models.\n",
        doc_id="tool",
    )
    assert drafts_of(doc) == {("QRX2", "gefitinib"): "pro_resistance"}


def test_a_sentence_in_another_cancer_gives_its_own_finding() -> None:
    doc = parse_text(
        "QRX4 limits vemurafenib in colorectal cancer\n\n"
        "QRX4 overexpression reduced the sensitivity of colorectal cancer cells to vemurafenib in "
        "culture and in xenografts. Conversely, enforced QRX4 expression in melanoma cells also "
        "conferred vemurafenib resistance.\n",
        doc_id="two cancers",
    )
    mentions = Mentions(doc)
    candidates, _ = build_candidates(doc, mentions)
    cancers = {d.cancer for d in relate(doc, mentions, candidates) if d.role}
    assert cancers == {"colorectal cancer", "melanoma"}


def test_stored_findings_quote_the_original_text() -> None:
    mentions = Mentions(CHAIN)
    candidates, _ = build_candidates(CHAIN, mentions)
    names = {n for c in candidates for n in c.names}
    findings = [to_finding(CHAIN, mentions, d, names) for d in relate(CHAIN, mentions, candidates) if d.role]
    paper = to_summary(CHAIN, findings, [])
    assert paper.findings and paper.cancer_types == ["gastric cancer"]
    for finding in paper.findings:
        for ev in finding.evidence:
            assert CHAIN.text[ev.start : ev.end] == ev.quote
    lnc = next(f for f in paper.findings if f.factor == "LNC77" and f.therapy == "oxaliplatin")
    assert (lnc.factor_type, lnc.alteration, lnc.effect) == ("lncRNA", "knockdown", "reverses_resistance")


def test_the_proposal_validator_names_what_is_missing() -> None:
    mentions = Mentions(CHAIN)

    def named(name: str) -> bool:
        return is_named(name, CHAIN, mentions)

    ok = answer.GroundedProposal.model_validate(
        {"factors": ["LNC77"], "therapies": ["L-OHP"]}, context={"is_named": named}
    )
    assert ok.factors == ["LNC77"]
    with pytest.raises(ValidationError, match="not in the abstract: 'ZZZ9'"):
        answer.GroundedProposal.model_validate(
            {"factors": ["ZZZ9"], "therapies": []}, context={"is_named": named}
        )
    # Bounded for schema-constrained decoding: at most eight factors.
    with pytest.raises(ValidationError):
        answer.GroundedProposal.model_validate({"factors": ["A"] * 9, "therapies": []})


def test_the_summary_is_written_from_the_findings() -> None:
    assert findings_summary([]) == "No finding about the response to a named therapy was stated."
    mentions = Mentions(CHAIN)
    candidates, _ = build_candidates(CHAIN, mentions)
    findings = [to_finding(CHAIN, mentions, d, set()) for d in relate(CHAIN, mentions, candidates) if d.role]
    text = findings_summary(findings, limit=120)
    assert len(text) <= 120 and text.endswith("more)")


def test_a_text_that_cannot_hold_a_finding_is_decided_without_the_model(tmp_path: Path) -> None:
    # No factor: a trial of two drugs. No word about the response: a gene's expression in tissue.
    trial = (
        "Capecitabine and oxaliplatin after gastrectomy\n\nIn this phase 3 trial, 1,035 patients with "
        "resected gastric cancer were randomly assigned to capecitabine plus oxaliplatin or to "
        "observation; the three-year disease-free survival was 74% and 59%, respectively.\n"
    )
    expression = (
        "QRX31 in the normal and diseased pancreas\n\nWe measured QRX31 messenger RNA in 84 pancreatic "
        "tissues by quantitative PCR and found it higher in chronic pancreatitis and in ductal "
        "adenocarcinoma than in the normal gland, most of all in the islets.\n"
    )
    for text in (trial, expression):
        doc = parse_text(text, "t", sha256="0" * 64)
        assert not could_hold_a_finding(doc, Mentions(doc))
    assert could_hold_a_finding(CHAIN, Mentions(CHAIN))
    paths = []
    for name, text in (("trial", trial), ("expression", expression)):
        (tmp_path / f"{name}.txt").write_text(text, encoding="utf-8")
        paths.append(tmp_path / f"{name}.txt")
    with StubServer() as stub:
        summary = run_batch(stub.base_url, paths, tmp_path / "store.db")
    assert [(r.status, r.findings) for r in summary.reports] == [("ok", 0), ("ok", 0)]
    assert stub.requests == 0
