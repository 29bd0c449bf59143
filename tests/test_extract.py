"""Grounding checks and the draft -> stored-summary step (no model involved)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from summarizer.direction import role_from as role_from_reading
from summarizer.extract import (
    GroundedPaperDraft,
    direction_check_model,
    effect_for_role,
    evidence_sentences,
    findings_summary,
    grounding_problems,
    to_summary,
)
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
        "pathways_or_partners": [],
        "models": ["A2780"],
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


def test_citations_are_repaired_to_sentences_naming_the_factor_with_the_therapy() -> None:
    # Sentence 2 does not name GENEX, sentence 40 does not exist: evidence comes from 3 and 5,
    # the sentences naming GENEX together with cisplatin.
    for cited in ([2], [40], [3]):
        assert grounding_problems(finding(evidence=cited), DOC) == []
        assert evidence_sentences(finding(evidence=cited), DOC) == [3, 5]
    # A cited sentence naming the factor only with a response cue is kept when cited.
    assert evidence_sentences(finding(evidence=[4]), DOC) == [3, 4]


def test_factor_never_stated_with_the_therapy_is_a_problem() -> None:
    doc = parse_text(
        "A study of kinases in ovarian cancer cells\n"
        "GENEZ is a kinase that is expressed in many tissues of the human body.\n"
        "Cisplatin resistance is common in ovarian cancer and limits treatment in the clinic.\n",
        doc_id="toy2",
    )
    (problem,) = grounding_problems(finding(factor="GENEZ", evidence=[3]), doc)
    assert "no sentence states 'GENEZ' with 'cisplatin'" in problem
    problems = grounding_problems(
        finding(factor="GENEZ", therapy="radiotherapy", therapy_class="radiotherapy", evidence=[2]), doc
    )
    assert "therapy 'radiotherapy' is not named in the abstract" in " ".join(problems)
    # Cited, but the sentence only says where GENEZ is expressed: not a response finding.
    assert "say nothing about response or resistance" in " ".join(problems)


def test_invented_factor_is_a_problem() -> None:
    (problem,) = grounding_problems(finding(factor="ABCB1"), DOC)
    assert "'ABCB1' is not in the abstract" in problem


def test_therapy_not_named_is_a_problem() -> None:
    (problem,) = grounding_problems(finding(therapy="paclitaxel"), DOC)
    assert "therapy 'paclitaxel' is not named" in problem


def test_radiotherapy_counts_as_named_when_radiation_is_mentioned() -> None:
    radiation = finding(therapy="radiotherapy", therapy_class="radiotherapy", evidence=[4])
    assert grounding_problems(radiation, DOC) == []


def test_grounded_draft_raises_with_reasons_the_model_can_act_on() -> None:
    draft = {"findings": [finding(factor="ABCB1").model_dump()]}
    with pytest.raises(ValidationError) as info:
        GroundedPaperDraft.model_validate(draft, context={"document": DOC})
    assert "findings[0]: factor 'ABCB1' is not in the abstract" in str(info.value)
    # Without a document in context only the structure is checked.
    assert GroundedPaperDraft.model_validate(draft).findings[0].factor == "ABCB1"


def test_therapy_that_is_the_factor_is_a_problem() -> None:
    (problem,) = grounding_problems(finding(factor="MIR99", therapy="MIR-99", evidence=[5]), DOC)
    assert "names a factor, not a treatment" in problem
    # ... also when it names the factor of another finding of the same answer (p53 next to TP53)
    (problem,) = grounding_problems(finding(therapy="MIR99", evidence=[3]), DOC, ("GENEX", "MIR-99"))
    assert "names a factor, not a treatment" in problem


def test_summary_copies_evidence_from_the_original_text() -> None:
    draft = PaperDraft(findings=[finding(evidence=[3, 3])])
    paper = to_summary(DOC, draft, [])
    (stored,) = paper.findings
    assert [e.quote for e in stored.evidence] == [DOC.sentence(3), DOC.sentence(5)]
    for ev in stored.evidence:
        assert TEXT[ev.start : ev.end] == ev.quote
    assert "\u2011" in stored.evidence[0].quote  # original characters kept, not normalised


def test_evidence_never_holds_a_sentence_without_the_factor() -> None:
    draft = PaperDraft(findings=[finding(evidence=[1, 2])])
    (stored,) = to_summary(DOC, draft, []).findings
    assert all("GENEX" in e.quote for e in stored.evidence)


def test_findings_with_the_same_role_are_merged_with_their_evidence() -> None:
    same_role = [
        finding(),  # knockdown reverses resistance
        finding(evidence=[4], alteration="overexpression", effect="promotes_resistance", factor="GENEX "),
    ]
    (merged,) = to_summary(DOC, PaperDraft(findings=same_role), []).findings
    assert [e.quote for e in merged.evidence] == [DOC.sentence(3), DOC.sentence(4), DOC.sentence(5)]
    opposite = [finding(), finding(effect="promotes_resistance")]
    assert len(to_summary(DOC, PaperDraft(findings=opposite), []).findings) == 2


def test_closed_vocabulary_fields_are_read_off_the_evidence() -> None:
    draft = PaperDraft(
        findings=[
            finding(factor="MIR99", alteration="overexpression", evidence=[5], mechanism="targets GENEX")
        ],
    )
    (stored,) = to_summary(DOC, draft, []).findings
    assert stored.evidence_level == ["in_vitro", "in_vivo"]  # "cells", "xenografts"


def test_drafts_are_bounded() -> None:
    with pytest.raises(ValidationError):
        finding(factor="x" * 61)
    with pytest.raises(ValidationError):
        finding(evidence=[1, 2, 3])
    with pytest.raises(ValidationError):
        PaperDraft(findings=[finding()] * 4)
    schema = PaperDraft.model_json_schema()
    assert schema["properties"]["findings"]["maxItems"] == 3
    assert set(schema["required"]) == set(schema["properties"]) == {"findings"}  # the answer ends there


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


@pytest.mark.parametrize(
    ("alteration", "role", "effect"),
    [
        ("overexpression", "pro_resistance", "promotes_resistance"),
        ("knockdown", "pro_resistance", "reverses_resistance"),
        ("overexpression", "anti_resistance", "reverses_resistance"),
        ("deletion", "anti_resistance", "promotes_resistance"),
    ],
)
def test_effect_is_restated_for_the_verified_role(alteration: str, role: str, effect: str) -> None:
    assert effect_for_role(alteration, role) == effect
    assert role_of(alteration, effect) == role


@pytest.mark.parametrize(
    ("change", "outcome", "role"),
    [
        ("increased", "resistant", "pro_resistance"),
        ("not_stated", "resistant", "pro_resistance"),
        ("decreased", "sensitive", "pro_resistance"),  # "reduced HO-1 sensitized cells"
        ("increased", "sensitive", "anti_resistance"),  # "restoring miR-137 reversed resistance"
        ("decreased", "resistant", "anti_resistance"),  # "TP53 loss caused resistance"
        ("increased", "not_stated", None),
    ],
)
def test_role_from_a_literal_reading(change: str, outcome: str, role: str | None) -> None:
    assert role_from_reading(change, outcome) == role


def test_direction_check_demands_exactly_one_answer_per_finding() -> None:
    model = direction_check_model(2)
    schema = model.model_json_schema()
    assert schema["properties"]["answers"]["minItems"] == 2
    assert schema["properties"]["answers"]["maxItems"] == 2
    one = {"change": "increased", "outcome": "resistant"}
    assert len(model.model_validate({"answers": [one, one]}).answers) == 2  # type: ignore[attr-defined]
    with pytest.raises(ValidationError):
        model.model_validate({"answers": [one]})


def test_cancer_abbreviations_are_spelled_out_as_the_text_defines_them() -> None:
    doc = parse_text(
        "GENEX and sorafenib in liver cancer\n"
        "GENEX knockdown restored sorafenib sensitivity in hepatocellular carcinoma (HCC) cells. "
        "Resistance to sorafenib limits the survival benefit for most patients with advanced HCC "
        "in the clinic today.\n",
        doc_id="toy3",
        sha256="0" * 64,
    )
    draft = PaperDraft(
        findings=[finding(therapy="sorafenib", cancer_type="HCC", evidence=[2])],
    )
    paper = to_summary(doc, draft, [])
    assert paper.findings[0].cancer_type == "hepatocellular carcinoma"
    assert paper.cancer_types == ["hepatocellular carcinoma"]


def test_response_models_are_instructor_ready_and_their_schema_is_built_once() -> None:
    """instructor neither re-wraps them nor rebuilds their schema per request; callers get copies."""
    from instructor import OpenAISchema
    from pydantic import BaseModel

    for model in (GroundedPaperDraft, direction_check_model(3)):
        assert issubclass(model, OpenAISchema)
        first = model.model_json_schema()
        assert first == BaseModel.model_json_schema.__func__(model)  # type: ignore[attr-defined]
        first["properties"].clear()  # a caller mutating its copy changes nothing for the next
        assert model.model_json_schema()["properties"]
    assert direction_check_model(3) is direction_check_model(3)


def test_instructor_scans_our_models_once_and_still_refuses_async_validators(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Our response models are scanned for async validators once; any other model every time."""
    from instructor.v2.core import patch
    from instructor.v2.validation import async_validators
    from pydantic import BaseModel

    visits: list[object] = []
    real_get_origin = async_validators.get_origin

    def counting_get_origin(tp: object) -> object:
        visits.append(tp)
        return real_get_origin(tp)

    monkeypatch.setattr(async_validators, "get_origin", counting_get_origin)
    scan = async_validators.reject_async_validators
    assert patch.reject_async_validators is scan  # the by-name import inside instructor too

    ours = direction_check_model(5)
    scan(ours)
    assert visits  # the first scan walks the model
    visits.clear()
    scan(ours)
    assert not visits  # remembered

    class Plain(BaseModel):
        value: int

    for _ in range(2):
        visits.clear()
        scan(Plain)
        assert visits  # not ours: instructor's own check every time

    class Unsafe(BaseModel):
        value: int

        @async_validators.async_field_validator("value")
        async def check(self, value: int) -> int:
            return value

    for _ in range(2):
        with pytest.raises(ValueError, match="async validators"):
            scan(Unsafe)


def test_the_stored_summary_says_what_the_grounded_findings_say() -> None:
    draft = PaperDraft(
        findings=[finding(), finding(factor="MIR99", alteration="overexpression", evidence=[4])],
    )
    paper = to_summary(DOC, draft, [])
    assert paper.summary == (
        "GENEX knockdown reverses resistance to cisplatin in ovarian cancer. "
        "MIR99 overexpression reverses resistance to cisplatin in ovarian cancer."
    )
    assert findings_summary([]) == "No finding about the response to a named therapy was stated."
    many = paper.findings * 6
    short = findings_summary(many, limit=200)
    assert len(short) <= 200 and short.endswith("more)")
