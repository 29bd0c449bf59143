"""One finding per entity: spellings the registry maps to one gene are merged (registry/merge.py).

The text is invented; the ids come from the fixture registry tables (tests/fixtures/normalize).
"""

from __future__ import annotations

import pytest
from normalize_fixtures import fixture_wheels

from summarizer.inputs.sources import parse_text
from summarizer.registry import normdata
from summarizer.registry.merge import merge_same_entities
from summarizer.registry.normalize import Normalizer
from summarizer.schema import Effect, Evidence, Finding, PaperSummary, findings_summary

TEXT = (
    "Doxorubicin-resistant breast cancer cells expressed high levels of P-gp. "
    "Silencing ABCB1 restored the response of these cells to doxorubicin. "
    "High MDR1 levels also lowered the response to paclitaxel."
)


@pytest.fixture(scope="module")
def norm(tmp_path_factory: pytest.TempPathFactory) -> Normalizer:
    folder = tmp_path_factory.mktemp("merge")
    target = folder / "index" / normdata.INDEX_NAME
    normdata.build_index(fixture_wheels(folder), target, {"fixture": "tables"})
    return Normalizer.open(target)


def _finding(
    factor: str, quote: str, therapy: str, confidence: float, effect: Effect = "promotes_resistance"
) -> Finding:
    start = TEXT.index(quote)
    return Finding(
        factor=factor,
        factor_type="gene",
        alteration="upregulation",
        therapy=therapy,
        therapy_class="chemotherapy",
        cancer_type="breast cancer",
        effect=effect,
        mechanism="",
        mechanism_categories=[],
        models=[],
        evidence_level=["in_vitro"],
        evidence=[Evidence(quote=quote, start=start, end=start + len(quote))],
        confidence=confidence,
    )


def _paper(findings: list[Finding]) -> PaperSummary:
    doc = parse_text(TEXT, "", "invented.txt", "0" * 64)
    return PaperSummary(**doc.identity(), findings=findings, summary=findings_summary(findings))


def test_two_spellings_of_one_gene_are_one_finding(norm: Normalizer) -> None:
    p_gp = _finding("P-gp", "expressed high levels of P-gp", "doxorubicin", 0.7)
    abcb1 = _finding("ABCB1", "Silencing ABCB1 restored the response", "doxorubicin", 0.9)
    paclitaxel = _finding("MDR1", "High MDR1 levels also lowered the response", "paclitaxel", 0.6)
    merged = merge_same_entities(norm.paper(_paper([p_gp, abcb1, paclitaxel]), TEXT))

    assert [(f.factor, f.therapy) for f in merged.findings] == [
        ("ABCB1", "doxorubicin"),
        ("MDR1", "paclitaxel"),
    ]
    (rejected,) = merged.rejected_findings
    assert rejected.finding["factor"] == "P-gp"
    assert "'ABCB1' (HGNC:40) again" in rejected.reason
    assert "P-gp" not in merged.summary and "ABCB1" in merged.summary


def test_opposite_effects_and_unmapped_names_are_left_for_a_curator(norm: Normalizer) -> None:
    up = _finding("P-gp", "expressed high levels of P-gp", "doxorubicin", 0.7)
    down = _finding(
        "ABCB1", "Silencing ABCB1 restored the response", "doxorubicin", 0.9, "reverses_resistance"
    )
    paper = norm.paper(_paper([up, down]), TEXT)
    assert merge_same_entities(paper) == paper

    unmapped = _paper([_finding("P-gp", "expressed high levels of P-gp", "doxorubicin", 0.7)] * 2)
    assert merge_same_entities(unmapped) == unmapped  # no ids: the reading's grouping stands
