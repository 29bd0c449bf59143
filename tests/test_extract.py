"""Grounding checks and the draft -> stored-summary step (no model involved)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from summarizer.extract import GroundedPaperDraft, grounding_problems, to_summary
from summarizer.schema import FindingDraft, PaperDraft, role_of
from summarizer.sources import parse_text

TEXT = (
    "MIR99 loss drives cisplatin resistance in ovarian cancer\n\n"
    "Background: Cisplatin is a standard therapy for ovarian cancer, but resistance is common.\n"
    "Results: GENEX was overexpressed in cisplatin\u2011resistant A2780 cells and its knockdown "
    "restored sensitivity to cisplatin. Radiation response was unchanged by GENEX. "
    "Restoring MIR99 reduced GENEX and sensitized cells to cisplatin in xenografts.\n"
)
DOC = parse_text(TEXT, doc_id="toy", sha256="0" * 64)


def finding(**overrides: Any) -> FindingDraft:
    data: dict[str, Any] = {
        "evidence": [3],
        "factor": "GENEX",
        "factor_type": "gene",
        "alteration": "knockdown",
        "therapy": "cisplatin",
        "therapy_class": "chemotherapy",
        "cancer_type": "ovarian cancer",
        "effect": "reverses_resistance",
        "mechanism": "unknown",
        "mechanism_categories": [],
        "pathways_or_partners": [],
        "models": ["A2780"],
        "evidence_level": ["in_vitro"],
    }
    data.update(overrides)
    return FindingDraft(**data)


def test_document_sentences() -> None:
    assert DOC.sentence(3).startswith("GENEX was overexpressed")
    assert DOC.sentence(5).startswith("Restoring MIR99")


def test_grounded_finding_has_no_problems() -> None:
    assert grounding_problems(finding(), DOC) == []
    # dash and case variants of the factor name still count as mentioned
    assert grounding_problems(finding(factor="genex", evidence=[3, 4]), DOC) == []
    assert grounding_problems(finding(factor="MIR-99", evidence=[5]), DOC) == []
    assert grounding_problems(finding(factor="hsa-MIR99", evidence=[5]), DOC) == []


def test_sentence_that_does_not_exist_is_a_problem() -> None:
    problems = grounding_problems(finding(evidence=[3, 40]), DOC)
    assert problems == ["evidence sentence(s) [40] do not exist: the abstract has 5 sentences"]


def test_factor_not_in_cited_sentence_is_a_problem() -> None:
    (problem,) = grounding_problems(finding(evidence=[2]), DOC)
    assert "is not in the cited sentence(s) [2]" in problem


def test_invented_factor_is_a_problem() -> None:
    (problem,) = grounding_problems(finding(factor="ABCB1"), DOC)
    assert "'ABCB1' is not in the abstract" in problem


def test_therapy_not_named_is_a_problem() -> None:
    (problem,) = grounding_problems(finding(therapy="paclitaxel"), DOC)
    assert "therapy 'paclitaxel' is not named" in problem


def test_radiotherapy_counts_as_named_when_radiation_is_mentioned() -> None:
    radiation = finding(therapy="radiotherapy", therapy_class="radiotherapy", evidence=[4])
    assert grounding_problems(radiation, DOC) == []
    assert grounding_problems(finding(therapy="radiotherapy", therapy_class="radiotherapy"), DOC)


def test_grounded_draft_raises_with_reasons_the_model_can_act_on() -> None:
    draft = {"findings": [finding(factor="ABCB1").model_dump()], "cancer_types": [], "summary": "s"}
    with pytest.raises(ValidationError) as info:
        GroundedPaperDraft.model_validate(draft, context={"document": DOC})
    assert "findings[0]: factor 'ABCB1' is not in the abstract" in str(info.value)
    # Without a document in context only the structure is checked.
    assert GroundedPaperDraft.model_validate(draft).findings[0].factor == "ABCB1"


def test_summary_copies_evidence_from_the_original_text() -> None:
    draft = PaperDraft(findings=[finding(evidence=[3, 3, 5])], cancer_types=["ovarian cancer"], summary="s")
    paper = to_summary(DOC, draft, [])
    (stored,) = paper.findings
    assert [e.quote for e in stored.evidence] == [DOC.sentence(3), DOC.sentence(5)]
    for ev in stored.evidence:
        assert TEXT[ev.start : ev.end] == ev.quote
    assert "\u2011" in stored.evidence[0].quote  # original characters kept, not normalised


def test_duplicate_findings_are_merged() -> None:
    twice = [finding(), finding(evidence=[4], factor="GENEX ")]
    paper = to_summary(DOC, PaperDraft(findings=twice, cancer_types=[], summary=""), [])
    assert len(paper.findings) == 1


def test_drafts_are_bounded() -> None:
    with pytest.raises(ValidationError):
        finding(factor="x" * 61)
    with pytest.raises(ValidationError):
        finding(evidence=[1, 2, 3, 4])
    with pytest.raises(ValidationError):
        PaperDraft(findings=[finding()] * 7, cancer_types=[], summary="")
    schema = PaperDraft.model_json_schema()
    assert schema["properties"]["findings"]["maxItems"] == 6
    assert set(schema["required"]) == {"findings", "cancer_types", "summary"}


@pytest.mark.parametrize(
    ("alteration", "effect", "role"),
    [
        ("overexpression", "promotes_resistance", "pro_resistance"),
        ("knockdown", "reverses_resistance", "pro_resistance"),
        ("overexpression", "reverses_resistance", "anti_resistance"),
        ("deletion", "promotes_resistance", "anti_resistance"),
        ("methylation", "promotes_resistance", "anti_resistance"),
        ("mutation", "promotes_resistance", "pro_resistance"),
        ("overexpression", "no_effect", None),
        ("knockdown", "unclear", None),
    ],
)
def test_role_flips_for_loss_type_alterations(alteration: str, effect: str, role: str | None) -> None:
    assert role_of(alteration, effect) == role
