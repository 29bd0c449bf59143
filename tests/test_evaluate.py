"""``summarizer eval``: every matching rule of the gold README, with hand-made predictions.

Nothing here runs a model. Predictions are built from ``Finding`` objects; evidence is either a real
span of a seed text (``find_quote``) or a small made-up quote.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from summarizer.cli import main
from summarizer.evaluate import (
    EvalError,
    EvalResult,
    GoldDoc,
    Prediction,
    PredictionSet,
    cancer_matches,
    evaluate,
    format_report,
    jaccard,
    load_gold,
    load_gold_file,
    load_jsonl_predictions,
    normalize_name,
    run_eval,
)
from summarizer.evaluate.matching import _max_weight_assignment
from summarizer.inputs.text import find_quote
from summarizer.schema import Evidence, Finding, PaperSummary
from summarizer.store import RunInfo, Store

ROOT = Path(__file__).resolve().parent.parent
GOLD_DIR = ROOT / "tests" / "gold"
SEEDS = ROOT / "seeds"

NEK2_DOC = "000_1b4b948c82071c84"
MM_DOC = "001_837cbbdf8654306a"
IGF_DOC = "002_086c7e09113d73fa"
ANT2_DOC = "003_c3207ab883172865"
HO1_DOC = "004_072cb448b0c6164d"

# Verbatim in seeds/001 (with the U+2212 minus signs of "TP53−/−").
MM_QUOTE = (
    "In contrast, delivery of wild type p53 and suppression of NEK2 in TP53\u2212/\u2212 MM cell lines "
    "inhibit tumor formation and enhance the effect of Bortezomib against MM."
)


def seed_text(doc_id: str) -> str:
    return (SEEDS / f"{doc_id}.txt").read_text(encoding="utf-8")


def seed_sha(doc_id: str) -> str:
    return hashlib.sha256((SEEDS / f"{doc_id}.txt").read_bytes()).hexdigest()


def evidence(quote: str, text: str | None = None) -> Evidence:
    """A real span when the quote is in ``text``; otherwise a made-up one (for ungrounded quotes)."""
    span = find_quote(quote, text) if text is not None else None
    if span is None:
        return Evidence(quote=quote, start=0, end=len(quote))
    return Evidence(quote=text[span[0] : span[1]] if text else quote, start=span[0], end=span[1])


def finding(
    factor: str,
    therapy: str,
    cancer: str,
    alteration: str = "overexpression",
    effect: str = "promotes_resistance",
    quotes: list[Evidence] | None = None,
    **extra: Any,
) -> Finding:
    return Finding(
        factor=factor,
        factor_type="gene",
        alteration=alteration,  # type: ignore[arg-type]
        therapy=therapy,
        therapy_class="other",
        cancer_type=cancer,
        effect=effect,  # type: ignore[arg-type]
        evidence=quotes or [evidence("made up quote")],
        **extra,
    )


def paper(doc_id: str, findings: list[Finding], sha: str | None = None) -> PaperSummary:
    return PaperSummary(doc_id=doc_id, sha256=sha or "0" * 64, findings=findings)


def preds(*papers: PaperSummary, texts: dict[str, str] | None = None) -> PredictionSet:
    texts = texts or {}
    return PredictionSet(
        source="test",
        by_doc={p.doc_id: Prediction(paper=p, text=texts.get(p.doc_id)) for p in papers},
    )


def seed_gold(*doc_ids: str) -> dict[str, GoldDoc]:
    gold = load_gold(GOLD_DIR)
    return {d: gold[d] for d in doc_ids}


def gold_finding(factor: str, therapy: str, cancer: str, **extra: Any) -> dict[str, Any]:
    """A minimal gold finding: only the keys the rules need, the rest left out on purpose."""
    return {"factor": factor, "therapy": therapy, "cancer_type": cancer, **extra}


def write_gold(folder: Path, doc_id: str, findings: list[dict[str, Any]] | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {"title": None}
    if findings is not None:
        data["findings"] = findings
    path = folder / f"{doc_id}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def counts(result: EvalResult) -> tuple[int, int, int, int, int]:
    return (
        result.total("tp"),
        result.total("fp"),
        result.total("fn"),
        result.total("neutral"),
        result.total("not_assessed"),
    )


def texts_of(result: EvalResult, kind: str) -> list[str]:
    return [item.text for doc in result.docs for item in doc.items if item.kind == kind]


# --- gold loading ---------------------------------------------------------------------------------


def test_seed_gold_loads_with_roles_and_keys() -> None:
    gold = load_gold(GOLD_DIR)
    assert sorted(gold) == [NEK2_DOC, MM_DOC, IGF_DOC, ANT2_DOC, HO1_DOC]
    assert [len(gold[d].required) for d in sorted(gold)] == [1, 2, 1, 2, 2]
    assert sum(len(d.findings) for d in gold.values()) == 11
    tp53 = gold[MM_DOC].findings[1]
    assert (tp53.factor, tp53.role, tp53.polarity) == ("TP53", "anti_resistance", "loss")
    mir = gold[ANT2_DOC].findings[1]
    # "hsa-miR-137" alias and "MIR137" symbol, normalised.
    assert mir.factor_keys == {"mir-137", "mir137", "microrna-137"}


def test_gold_minimal_finding_and_missing_findings_key_are_tolerated(tmp_path: Path) -> None:
    write_gold(tmp_path, "a", [gold_finding("GENE1", "drug", "lung cancer", effect="promotes_resistance")])
    write_gold(tmp_path, "b", None)
    (tmp_path / "README.md").write_text("not a gold file")
    gold = load_gold(tmp_path)
    assert sorted(gold) == ["a", "b"]
    g = gold["a"].findings[0]
    assert (g.role, g.polarity, g.optional, g.effect) == (
        "pro_resistance",
        "neutral",
        False,
        "promotes_resistance",
    )
    assert g.mechanism_categories == () and g.pathways_or_partners == ()
    assert gold["b"].findings == ()


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"therapy": "drug", "cancer_type": "c", "effect": "promotes_resistance"}, "'factor' is missing"),
        (gold_finding("G", "drug", "c"), "needs 'factor_role'"),
        (gold_finding("G", "drug", "c", effect="no_effect"), "needs 'factor_role'"),
        (gold_finding("G", "drug", "c", factor_role="pro_resistance", factor_aliases=[1]), "list of strings"),
    ],
)
def test_gold_errors_name_the_file_and_finding(tmp_path: Path, bad: dict[str, Any], message: str) -> None:
    path = write_gold(tmp_path, "x", [bad])
    with pytest.raises(EvalError, match=message) as info:
        load_gold_file(path)
    assert "x.json: findings[0]" in str(info.value)


def test_gold_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(EvalError, match="gold folder not found"):
        load_gold(tmp_path / "nope")
    with pytest.raises(EvalError, match="no \\*.json gold files"):
        load_gold(tmp_path)


# --- names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, key",
    [
        ("hsa-miR-137", "mir-137"),
        ("HSA-MIR-21", "mir-21"),
        ("IGF\u20101R", "igf-1r"),  # hyphen
        ("IGF\u20111R", "igf-1r"),  # non-breaking hyphen
        ("IGF\u20131R", "igf-1r"),  # en dash
        ("IGF\u20141R", "igf-1r"),  # em dash
        ("TP53\u2212/\u2212", "tp53-/-"),  # minus sign
        ("  multiple\u00a0\u00a0 Myeloma\n", "multiple myeloma"),
        ("", ""),
    ],
)
def test_normalize_name(raw: str, key: str) -> None:
    assert normalize_name(raw) == key


def test_cancer_containment_both_ways_and_abbreviations_as_words() -> None:
    gold = ["lung adenocarcinoma", "LUAD"]
    assert cancer_matches("EGFR\u2011mutant lung adenocarcinoma", gold)  # prediction contains gold
    assert cancer_matches("Lung\u00a0Adenocarcinoma", gold)
    assert cancer_matches("adenocarcinoma", gold)  # gold contains prediction
    assert cancer_matches("luad", gold)
    assert not cancer_matches("small cell lung cancer", gold)
    assert not cancer_matches("", gold)
    myeloma = ["multiple myeloma", "MM"]
    assert cancer_matches("MM cell lines", myeloma)
    # A short abbreviation is a word, not a substring of "inflammatory" or "gamma".
    assert not cancer_matches("inflammatory breast cancer", myeloma)
    assert not cancer_matches("gamma", ["MM"])
    assert cancer_matches("oesophageal squamous cell carcinoma", ["esophageal squamous cell carcinoma"])


def test_jaccard() -> None:
    assert jaccard([], []) == 1.0
    assert jaccard(["a"], []) == 0.0
    assert jaccard(["a", "b"], ["b", "c"]) == pytest.approx(1 / 3)


def test_assignment_maximises_total_weight() -> None:
    # Greedy row by row would take (0, 0)=5 and leave row 1 nothing; the best total is 4 + 4.
    assert _max_weight_assignment([[5, 4], [4, 0]]) == [(0, 1), (1, 0)]
    assert _max_weight_assignment([[0, 0], [0, 3], [0, 0]]) == [(1, 1)]
    assert _max_weight_assignment([]) == []


# --- the matching rules on the seed gold ------------------------------------------------------------


def test_factor_matches_hgnc_symbol_alias_hsa_prefix_and_dash_variants() -> None:
    result = evaluate(
        seed_gold(ANT2_DOC, HO1_DOC),
        preds(
            paper(
                ANT2_DOC,
                [
                    finding("SLC25A5", "Nexavar", "HCC"),  # HGNC symbol, therapy alias, cancer alias
                    finding(
                        "hsa-miR-137", "sorafenib", "hepatocellular carcinoma", effect="reverses_resistance"
                    ),
                ],
            ),
            paper(
                HO1_DOC,
                [
                    finding("heme oxygenase\u20111", "Revlimid", "myeloma"),  # alias with U+2011
                    finding("interleukin\u2010 6", "lenalidomide", "MM", alteration="other"),  # no
                    finding("Interleukin\u00a0(IL)\u22126", "lenalidomide", "MM", alteration="other"),
                ],
            ),
        ),
    )
    assert counts(result) == (4, 1, 0, 0, 0)
    assert texts_of(result, "fp") == [
        "interleukin\u2010 6 other->lenalidomide (role pro_resistance, factor not in gold)"
    ]


def test_therapy_alias_with_nbsp_and_case() -> None:
    result = evaluate(
        seed_gold(NEK2_DOC, MM_DOC),
        preds(
            paper(NEK2_DOC, [finding("nek2", "Ionizing\u00a0Radiation", "ESCC")]),
            paper(
                MM_DOC,
                [finding("NEK2", "BTZ", "multiple myeloma"), finding("TP53", "velcade", "MM", "deletion")],
            ),
        ),
    )
    assert counts(result) == (3, 0, 0, 0, 0)


def test_cancer_containment_in_scoring() -> None:
    result = evaluate(
        seed_gold(IGF_DOC, MM_DOC),
        preds(
            paper(IGF_DOC, [finding("IGF-1R", "sorafenib", "sorafenib-resistant hepatocellular carcinoma")]),
            paper(
                MM_DOC,
                [
                    finding("NEK2", "bortezomib", "myeloma"),  # gold "multiple myeloma" contains it
                    finding("TP53", "bortezomib", "breast cancer", "deletion"),
                ],
            ),
        ),
    )
    assert counts(result) == (2, 1, 1, 0, 0)
    assert texts_of(result, "fp") == [
        "TP53 deletion->bortezomib (role anti_resistance, wrong cancer vs gold TP53 / bortezomib)"
    ]
    assert texts_of(result, "fn") == ["TP53 / bortezomib (anti_resistance)"]


def test_loss_type_alterations_flip_the_role() -> None:
    gold = seed_gold(MM_DOC)
    # "NEK2 knockdown reverses" == "NEK2 overexpression promotes"; "p53 restoration reverses" ==
    # "TP53 deletion promotes" (gold role anti_resistance).
    same = evaluate(
        gold,
        preds(
            paper(
                MM_DOC,
                [
                    finding("NEK2", "bortezomib", "MM", "knockdown", "reverses_resistance"),
                    finding("p53", "bortezomib", "MM", "overexpression", "reverses_resistance"),
                ],
            )
        ),
    )
    assert counts(same) == (2, 0, 0, 0, 0)
    stats = same.to_dict()["secondary"]
    assert stats["role_correct"] == {"correct": 2, "pairs": 2, "rate": 1.0}
    # Same roles, but the raw effects (reverses) both differ from the gold's (promotes).
    assert stats["effect_agreement"] == {"agree": 0, "pairs": 2, "rate": 0.0}


def test_wrong_role_is_fp_plus_fn_and_a_direction_error() -> None:
    result = evaluate(
        seed_gold(MM_DOC),
        preds(
            paper(
                MM_DOC,
                [
                    finding("TP53", "bortezomib", "multiple myeloma", "deletion", "reverses_resistance"),
                    finding(
                        "NEK2", "bortezomib", "multiple myeloma", "downregulation", "promotes_resistance"
                    ),
                ],
            )
        ),
    )
    assert counts(result) == (0, 2, 2, 0, 0)
    assert texts_of(result, "fp") == [
        "TP53 deletion->bortezomib (role pro_resistance, wrong role; gold TP53 / bortezomib is "
        "anti_resistance)",
        "NEK2 downregulation->bortezomib (role anti_resistance, wrong role; gold NEK2 / bortezomib is "
        "pro_resistance)",
    ]
    assert texts_of(result, "fn") == [
        "NEK2 / bortezomib (pro_resistance; predicted with the wrong role)",
        "TP53 / bortezomib (anti_resistance; predicted with the wrong role)",
    ]
    data = result.to_dict()
    assert data["counts"]["direction_errors"] == 2
    assert data["documents"][0]["direction_errors"] == 2
    assert data["secondary"]["role_correct"] == {"correct": 0, "pairs": 2, "rate": 0.0}
    assert data["secondary"]["effect_agreement"] == {"agree": 1, "pairs": 2, "rate": 0.5}


def test_gold_polarity_fallback_and_mutation_read_by_gold_polarity(tmp_path: Path) -> None:
    write_gold(
        tmp_path,
        "d",
        [
            # No factor_role: effect + alteration_polarity decide (loss flips: role anti_resistance).
            gold_finding(
                "LOSSG", "drugA", "glioma", effect="promotes_resistance", alteration_polarity="loss"
            ),
            # No factor_role and no polarity: the gold alteration (knockdown) implies loss.
            gold_finding("KDG", "drugA", "glioma", effect="reverses_resistance", alteration="knockdown"),
            # Gain polarity: the effect is the role.
            gold_finding(
                "GAING", "drugA", "glioma", effect="reverses_resistance", alteration_polarity="gain"
            ),
            # Explicit factor_role wins over effect + polarity.
            gold_finding(
                "ROLEG",
                "drugA",
                "glioma",
                effect="promotes_resistance",
                alteration="deletion",
                factor_role="pro_resistance",
            ),
        ],
    )
    gold = load_gold(tmp_path)
    assert [g.role for g in gold["d"].findings] == [
        "anti_resistance",
        "pro_resistance",
        "anti_resistance",
        "pro_resistance",
    ]
    result = evaluate(
        gold,
        preds(
            paper(
                "d",
                [
                    finding("LOSSG", "drugA", "glioma", "knockdown", "promotes_resistance"),  # anti: TP
                    # "mutation" says nothing about more/less: read with the gold's loss polarity.
                    finding("KDG", "drugA", "glioma", "mutation", "reverses_resistance"),  # pro: TP
                    finding("GAING", "drugA", "glioma", "mutation", "reverses_resistance"),  # anti: TP
                    finding("ROLEG", "drugA", "glioma", "deletion", "promotes_resistance"),  # anti: wrong
                ],
            )
        ),
    )
    assert counts(result) == (3, 1, 1, 0, 0)
    assert result.to_dict()["counts"]["direction_errors"] == 1


def test_optional_findings_are_neutral() -> None:
    gold = seed_gold(NEK2_DOC)
    result = evaluate(
        gold,
        preds(
            paper(
                NEK2_DOC,
                [
                    finding("NEK2", "radiotherapy", "esophageal squamous cell carcinoma"),
                    finding("TRIM21", "radiation", "ESCC", alteration="other"),
                    finding("autophagy", "RT", "ESCC", alteration="upregulation"),
                ],
            )
        ),
    )
    assert counts(result) == (1, 0, 0, 2, 0)
    m = result.micro()
    assert (m["precision"], m["recall"], m["f1"]) == (1.0, 1.0, 1.0)
    # Optional with the wrong role: an FP (direction error), but no FN since the gold is optional.
    wrong = evaluate(
        gold,
        preds(
            paper(NEK2_DOC, [finding("TRIM21", "radiotherapy", "ESCC", "knockdown", "promotes_resistance")])
        ),
    )
    assert counts(wrong) == (0, 1, 1, 0, 0)
    assert texts_of(wrong, "fn") == ["NEK2 / radiotherapy (pro_resistance)"]
    assert texts_of(wrong, "fp") == [
        "TRIM21 knockdown->radiotherapy (role anti_resistance, wrong role; gold TRIM21 / radiotherapy is "
        "pro_resistance (optional))"
    ]


def test_required_gold_is_preferred_over_optional(tmp_path: Path) -> None:
    write_gold(
        tmp_path,
        "d",
        [
            gold_finding("GENEX", "drugA", "HCC", factor_aliases=["X-ALIAS"], factor_role="pro_resistance"),
            gold_finding("GENEX", "drugA", "HCC", factor_role="pro_resistance", optional=True),
        ],
    )
    gold = load_gold(tmp_path)
    # One prediction fitting both: it goes to the required finding.
    one = evaluate(gold, preds(paper("d", [finding("GENEX", "drugA", "HCC")])))
    assert counts(one) == (1, 0, 0, 0, 0)
    # The first prediction fits both, the second only the required one: the best matching gives
    # 1 TP + 1 neutral, where a greedy first-come matching would give 1 TP + 1 FP.
    two = evaluate(
        gold, preds(paper("d", [finding("GENEX", "drugA", "HCC"), finding("X-ALIAS", "drugA", "HCC")]))
    )
    assert counts(two) == (1, 0, 0, 1, 0)


def test_no_effect_and_unclear_are_counted_apart() -> None:
    result = evaluate(
        seed_gold(IGF_DOC),
        preds(
            paper(
                IGF_DOC,
                [
                    finding("IGF1R", "sorafenib", "HCC", effect="no_effect"),
                    finding("AKT1", "sorafenib", "HCC", effect="unclear"),
                ],
            )
        ),
    )
    assert counts(result) == (0, 0, 1, 0, 2)
    assert texts_of(result, "not_assessed") == [
        "IGF1R overexpression->sorafenib (no_effect)",
        "AKT1 overexpression->sorafenib (unclear)",
    ]
    assert result.micro()["precision"] is None and result.micro()["recall"] == 0.0


def test_text_without_findings_makes_every_prediction_fp(tmp_path: Path) -> None:
    write_gold(tmp_path, "empty", [])
    write_gold(tmp_path, "nokey", None)
    gold = load_gold(tmp_path)
    result = evaluate(
        gold,
        preds(
            paper(
                "empty",
                [
                    finding("GENE1", "drugA", "HCC"),
                    finding("GENE2", "drugB", "HCC", "knockdown", "reverses_resistance"),
                    finding("GENE3", "drugB", "HCC", effect="no_effect"),  # still counted apart
                ],
            ),
            paper("nokey", [finding("GENE4", "drugA", "HCC")]),
        ),
    )
    assert counts(result) == (0, 3, 0, 0, 1)
    assert (
        texts_of(result, "fp")[0]
        == "GENE1 overexpression->drugA (role pro_resistance, no findings expected in this text)"
    )
    m = result.micro()
    assert (m["precision"], m["recall"], m["f1"]) == (0.0, None, 0.0)
    assert all(d.expects_none for d in result.docs)


def test_one_prediction_per_gold_finding() -> None:
    nek2 = finding("NEK2", "bortezomib", "multiple myeloma")
    result = evaluate(seed_gold(MM_DOC), preds(paper(MM_DOC, [nek2, nek2])))
    assert counts(result) == (1, 1, 1, 0, 0)
    assert texts_of(result, "tp") == [
        "NEK2 overexpression->bortezomib (role pro_resistance) = gold NEK2 / bortezomib"
    ]
    assert texts_of(result, "fp") == [
        "NEK2 overexpression->bortezomib (role pro_resistance, duplicate: gold NEK2 / bortezomib "
        "already matched)"
    ]
    m = result.micro()
    assert (m["precision"], m["recall"], m["f1"]) == (0.5, 0.5, 0.5)


def test_missing_predictions_are_fn_and_extra_docs_are_ignored(tmp_path: Path) -> None:
    write_gold(tmp_path, "a", [gold_finding("GENE1", "drugA", "HCC", factor_role="pro_resistance")])
    write_gold(
        tmp_path,
        "b",
        [
            gold_finding("GENE2", "drugA", "HCC", factor_role="pro_resistance"),
            gold_finding("GENE3", "drugA", "HCC", factor_role="pro_resistance"),
            gold_finding("GENE4", "drugA", "HCC", factor_role="pro_resistance", optional=True),
        ],
    )
    write_gold(tmp_path, "c", [])
    result = evaluate(
        load_gold(tmp_path),
        preds(
            paper("a", [finding("GENE1", "drugA", "HCC")]), paper("zzz", [finding("GENE9", "drugA", "HCC")])
        ),
    )
    assert counts(result) == (1, 0, 2, 0, 0)
    data = result.to_dict()
    assert data["counts"]["missing_docs"] == ["b", "c"]
    assert data["counts"]["not_in_gold"] == ["zzz"]
    assert data["counts"]["scored_docs"] == 1
    assert texts_of(result, "fn") == [
        "GENE2 / drugA (pro_resistance; no prediction for this text)",
        "GENE3 / drugA (pro_resistance; no prediction for this text)",
    ]
    m = data["micro"]
    assert (m["precision"], m["recall"], m["f1"]) == (1.0, pytest.approx(1 / 3), 0.5)


def test_gold_files_match_papers_by_source_name_when_the_id_is_unique(tmp_path: Path) -> None:
    """Paper ids are unique (``01_x-3fa2b1c0``, ``pmid:N``); gold ``01_x.json`` still finds its paper."""
    write_gold(tmp_path, "01_x", [gold_finding("GENE1", "drugA", "HCC", factor_role="pro_resistance")])
    write_gold(tmp_path, "90000101", [gold_finding("GENE2", "drugA", "HCC", factor_role="pro_resistance")])
    write_gold(tmp_path, "02_twice", [gold_finding("GENE3", "drugA", "HCC", factor_role="pro_resistance")])
    named = [
        paper("01_x-3fa2b1c0", [finding("GENE1", "drugA", "HCC")]),
        paper("pmid:90000101", [finding("GENE2", "drugA", "HCC")]),
        paper("02_twice-aaaaaaaa", [finding("GENE3", "drugA", "HCC")]),
        paper("02_twice-bbbbbbbb", [finding("GENE9", "drugA", "HCC")]),  # same name, another folder
    ]
    for p, name in zip(named, ["01_x", "90000101", "02_twice", "02_twice"], strict=True):
        p.source_name = name
    result = evaluate(load_gold(tmp_path), preds(*named))
    data = result.to_dict()["counts"]
    assert data["scored_docs"] == 3 and data["missing_docs"] == []
    assert data["duplicate_predictions"] == ["02_twice"]  # ambiguous: said so, first by id scored
    assert data["not_in_gold"] == ["02_twice-bbbbbbbb"]
    assert counts(result)[:3] == (3, 0, 0)


def test_near_miss_reasons() -> None:
    result = evaluate(
        seed_gold(ANT2_DOC),
        preds(
            paper(
                ANT2_DOC,
                [
                    finding("ANT2", "cisplatin", "HCC"),
                    finding("ANT2", "cisplatin", "gastric cancer", "knockdown", "promotes_resistance"),
                    finding("HIFU", "sorafenib", "HCC"),
                ],
            )
        ),
    )
    assert texts_of(result, "fp") == [
        "ANT2 overexpression->cisplatin (role pro_resistance, wrong therapy vs gold ANT2 / sorafenib)",
        "ANT2 knockdown->cisplatin (role anti_resistance, wrong therapy, wrong cancer, wrong role vs gold "
        "ANT2 / sorafenib)",
        "HIFU overexpression->sorafenib (role pro_resistance, factor not in gold)",
    ]


# --- secondary figures ----------------------------------------------------------------------------


def test_overlap_is_averaged_over_name_matched_pairs() -> None:
    result = evaluate(
        seed_gold(IGF_DOC, ANT2_DOC),
        preds(
            paper(
                IGF_DOC,
                [
                    finding(
                        "IGF-1R",
                        "sorafenib",
                        "HCC",
                        mechanism_categories=["survival_signaling"],  # gold: + apoptosis_evasion -> 1/2
                        evidence_level=["in_vitro"],  # 1
                        pathways_or_partners=["PI3K / Akt", "ras/raf/erk", "STAT3"],  # 2/3
                    )
                ],
            ),
            paper(
                ANT2_DOC,
                [
                    finding(
                        "ANT2",
                        "sorafenib",
                        "HCC",
                        "knockdown",  # wrong role: still a name-matched pair for the overlaps
                        mechanism_categories=["cancer_stemness", "emt_metastasis"],  # 1
                        evidence_level=["in_vitro", "in_vivo"],  # 1/2
                        pathways_or_partners=["hsa-miR-137"],  # 1
                    )
                ],
            ),
        ),
    )
    overlap = result.to_dict()["secondary"]["overlap"]
    assert overlap["mechanism_categories"] == pytest.approx((0.5 + 1) / 2)
    assert overlap["evidence_level"] == pytest.approx((1 + 0.5) / 2)
    assert overlap["pathways_or_partners"] == pytest.approx((2 / 3 + 1) / 2)
    assert result.to_dict()["secondary"]["name_matched_pairs"] == 2


def test_grounding_rate_uses_normalised_quotes() -> None:
    text = seed_text(ANT2_DOC)
    plain = (
        "In the present study, we found that adenine nucleotide translocator 2 (ANT2) was upregulated in "
        "sorafenib-resistant HCC Huh7 cells (Huh7-R) and its overexpression promoted sorafenib resistance."
    )
    assert plain not in text  # the seed has NBSPs and a U+2011 hyphen in this sentence
    quotes = [
        evidence(plain),  # spaces and hyphen differ from the text: grounded after normalisation
        evidence("MIR-137 WAS DOWNREGULATED in the Huh7-R cells"),  # case differs: grounded
        evidence("ANT2 confers resistance to every drug known"),  # not in the text
    ]
    result = evaluate(
        seed_gold(ANT2_DOC, IGF_DOC),
        preds(
            paper(ANT2_DOC, [finding("ANT2", "sorafenib", "HCC", quotes=quotes)]),
            paper(IGF_DOC, [finding("IGF1R", "sorafenib", "HCC")]),  # no text: left out of the rate
            texts={ANT2_DOC: text},
        ),
    )
    grounding = result.to_dict()["secondary"]["grounding"]
    assert grounding == {
        "quotes": 3,
        "grounded": 2,
        "rate": pytest.approx(2 / 3),
        "docs_without_text": [IGF_DOC],
    }
    assert "evidence grounding: 2/3 quotes found in the text (0.667); no text for 002" in format_report(
        result
    )


def test_grounding_is_na_without_text() -> None:
    result = evaluate(seed_gold(IGF_DOC), preds(paper(IGF_DOC, [finding("IGF1R", "sorafenib", "HCC")])))
    grounding = result.to_dict()["secondary"]["grounding"]
    assert grounding == {"quotes": None, "grounded": None, "rate": None, "docs_without_text": [IGF_DOC]}
    assert "evidence grounding: n/a (no source text available)" in format_report(result)


# --- JSONL, texts, store and the CLI --------------------------------------------------------------


def mm_papers() -> list[PaperSummary]:
    """Seed 001 predicted with one direction error; seed 002 predicted right; the rest missing."""
    mm_text = seed_text(MM_DOC)
    igf_text = seed_text(IGF_DOC)
    igf_quote = "resulting in HCC resistance to sorafenib"
    return [
        paper(
            MM_DOC,
            [
                finding(
                    "TP53",
                    "bortezomib",
                    "multiple myeloma",
                    "deletion",
                    "reverses_resistance",
                    quotes=[evidence(MM_QUOTE, mm_text)],
                ),
                finding(
                    "NEK2", "Bortezomib", "MM", "knockdown", "no_effect", quotes=[evidence(MM_QUOTE, mm_text)]
                ),
            ],
            sha=seed_sha(MM_DOC),
        ),
        paper(
            IGF_DOC,
            [
                finding(
                    "IGF\u20111R",
                    "sorafenib",
                    "HCC",
                    quotes=[evidence(igf_quote, igf_text), evidence("invented")],
                )
            ],
            sha=seed_sha(IGF_DOC),
        ),
        paper("not_a_gold_doc", [finding("GENE", "drug", "HCC")]),
    ]


def write_jsonl(path: Path, papers: list[PaperSummary]) -> Path:
    path.write_text("".join(p.model_dump_json() + "\n" for p in papers), encoding="utf-8")
    return path


def test_jsonl_texts_are_used_only_when_the_hash_matches(tmp_path: Path) -> None:
    jsonl = write_jsonl(tmp_path / "p.jsonl", mm_papers())
    texts = tmp_path / "texts"
    texts.mkdir()
    (texts / f"{MM_DOC}.txt").write_bytes((SEEDS / f"{MM_DOC}.txt").read_bytes())
    (texts / f"{IGF_DOC}.txt").write_text("another version of the text", encoding="utf-8")
    loaded = load_jsonl_predictions(jsonl, texts)
    assert loaded.by_doc[MM_DOC].text == seed_text(MM_DOC)
    assert loaded.by_doc[IGF_DOC].text is None
    assert "differs from the summarized text" in loaded.by_doc[IGF_DOC].text_note
    assert load_jsonl_predictions(jsonl).by_doc[MM_DOC].text is None


def test_jsonl_errors_and_repeats(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"doc_id": "x"}\n', encoding="utf-8")
    with pytest.raises(EvalError, match="bad.jsonl:1: not a PaperSummary"):
        load_jsonl_predictions(bad)
    first = paper(IGF_DOC, [finding("AKT1", "sorafenib", "HCC")])
    second = paper(IGF_DOC, [finding("IGF1R", "sorafenib", "HCC")])
    jsonl = write_jsonl(tmp_path / "rep.jsonl", [first, second])
    result = run_eval(GOLD_DIR, predictions=jsonl, texts=tmp_path)
    assert result.duplicates == [IGF_DOC]
    assert result.docs[2].count("tp") == 1  # the last line wins


def test_cli_end_to_end_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jsonl = write_jsonl(tmp_path / "p.jsonl", mm_papers())
    code = main(["eval", "--gold", str(GOLD_DIR), "--predictions", str(jsonl), "--texts", str(SEEDS)])
    out = capsys.readouterr().out
    assert code == 0
    assert "micro: precision 0.500  recall 0.125  F1 0.200   (TP 1, FP 1, FN 7)" in out
    assert (
        "FP: TP53 deletion->bortezomib (role pro_resistance, wrong role; gold TP53 / bortezomib is "
        "anti_resistance)" in out
    )
    assert "FN: NEK2 / bortezomib (pro_resistance)" in out
    assert "FN: TP53 / bortezomib (anti_resistance; predicted with the wrong role)" in out
    assert "not assessed: NEK2 knockdown->Bortezomib (no_effect)" in out
    assert "TP: IGF\u20111R overexpression->sorafenib (role pro_resistance) = gold IGF1R / sorafenib" in out
    assert "ignored (no gold file): not_a_gold_doc" in out
    assert "evidence grounding: 3/4 quotes found in the text (0.750)" in out
    assert f"{MM_DOC}    0   1   2       0    1  1 direction error(s)" in out
    assert f"{NEK2_DOC}    0   0   1       0    0  no prediction" in out


def test_cli_json_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jsonl = write_jsonl(tmp_path / "p.jsonl", mm_papers())
    code = main(
        ["eval", "--gold", str(GOLD_DIR), "--predictions", str(jsonl), "--texts", str(SEEDS), "--json"]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {
        "gold_dir", "source", "micro", "counts", "direction_table", "error_classes", "calibration",
        "rejections", "secondary", "documents",
    }  # fmt: skip
    assert data["micro"] == {"tp": 1, "fp": 1, "fn": 7, "precision": 0.5, "recall": 0.125, "f1": 0.2}
    # The one FP and one of the FNs are TP53 with the wrong role; the other six were not predicted.
    assert data["error_classes"] == {"fp": {"role_flipped": 1}, "fn": {"missed": 6, "role_flipped": 1}}
    # NEK2 predicted "unclear" (unknown), TP53 with the wrong role (flipped), IGF1R right.
    assert data["direction_table"] == {
        "required": {"right": 1, "flipped": 1, "unknown": 1, "missing": 5},
        "optional": {"right": 0, "flipped": 0, "unknown": 0, "missing": 3},
    }
    assert data["counts"] == {
        "gold_docs": 5,
        "scored_docs": 2,
        "missing_docs": [NEK2_DOC, ANT2_DOC, HO1_DOC],
        "not_in_gold": ["not_a_gold_doc"],
        "duplicate_predictions": [],
        "neutral": 0,
        "not_assessed": 1,
        "direction_errors": 1,
    }
    sec = data["secondary"]
    assert set(sec) == {"name_matched_pairs", "role_correct", "effect_agreement", "grounding", "overlap"}
    assert sec["name_matched_pairs"] == 2
    assert sec["role_correct"] == {"correct": 1, "pairs": 2, "rate": 0.5}
    assert sec["effect_agreement"] == {"agree": 1, "pairs": 2, "rate": 0.5}
    assert sec["grounding"] == {"quotes": 4, "grounded": 3, "rate": 0.75, "docs_without_text": []}
    assert set(sec["overlap"]) == {"mechanism_categories", "evidence_level", "pathways_or_partners"}
    docs = {d["doc_id"]: d for d in data["documents"]}
    assert list(docs) == [NEK2_DOC, MM_DOC, IGF_DOC, ANT2_DOC, HO1_DOC]
    mm = docs[MM_DOC]
    assert (mm["status"], mm["tp"], mm["fp"], mm["fn"], mm["not_assessed"]) == ("scored", 0, 1, 2, 1)
    assert mm["grounding"]["quotes"] == 2 and mm["grounding"]["grounded"] == 2
    fp = next(i for i in mm["items"] if i["kind"] == "fp")
    assert fp["direction_error"] is True and fp["reason"] == "wrong role"
    assert fp["prediction"]["role"] == "pro_resistance" and fp["gold"]["role"] == "anti_resistance"
    assert docs[NEK2_DOC]["status"] == "missing" and docs[NEK2_DOC]["grounding"]["quotes"] is None


def test_cli_reads_the_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "s.db"
    info = RunInfo(
        backend="test",
        model="m",
        model_sha256=None,
        prompt_sha256="p" * 8,
        schema_version="1",
        temperature=0.0,
        seed=42,
        max_reasks=0,
    )
    with Store(db) as store:
        run_id = store.start_run(info)
        for p in mm_papers():
            text = seed_text(p.doc_id) if (SEEDS / f"{p.doc_id}.txt").exists() else "some text"
            store.save_result(
                key=p.doc_id,
                run_id=run_id,
                info=info,
                doc_id=p.doc_id,
                sha256=p.sha256,
                path="x",
                source_text=text,
                paper=p,
                error=None,
                calls=[],
                seconds=0.0,
            )
    code = main(["eval", "--gold", str(GOLD_DIR), "--db", str(db), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["source"] == f"store {db}"
    assert data["micro"]["tp"] == 1 and data["micro"]["fp"] == 1 and data["micro"]["fn"] == 7
    assert data["secondary"]["grounding"]["quotes"] == 4 and data["secondary"]["grounding"]["grounded"] == 3


def test_cli_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--gold", str(GOLD_DIR), "--db", str(tmp_path / "none.db")]) == 2
    assert "no such database" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()
    assert main(["eval", "--gold", str(tmp_path), "--predictions", str(tmp_path / "x.jsonl")]) == 2
    assert "no *.json gold files" in capsys.readouterr().err
