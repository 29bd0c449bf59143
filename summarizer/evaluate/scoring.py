"""Scoring: each document's predictions against its gold findings, and a whole gold folder."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..inputs.text import find_quote
from ..schema import Finding
from .gold import (
    RESISTANCE_EFFECTS,
    EvalError,
    GoldDoc,
    GoldFinding,
    cancer_matches,
    load_gold,
    normalize_name,
    partner_key,
)
from .matching import PairCheck, match_findings, predicted_role
from .predictions import Prediction, PredictionSet, load_jsonl_predictions, load_store_predictions
from .results import DocResult, EvalResult, Item, PairStats


def _pred_info(f: Finding, role: str | None) -> dict[str, Any]:
    return {
        "factor": f.factor,
        "alteration": f.alteration,
        "therapy": f.therapy,
        "cancer_type": f.cancer_type,
        "effect": f.effect,
        "role": role,
        "confidence": f.confidence,
    }


def _gold_info(g: GoldFinding) -> dict[str, Any]:
    return {
        "index": g.index,
        "factor": g.factor,
        "therapy": g.therapy,
        "cancer_type": g.cancer_type,
        "role": g.role,
        "optional": g.optional,
    }


def _pred_label(f: Finding) -> str:
    return f"{f.factor} {f.alteration}->{f.therapy}"


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    """|A∩B| / |A∪B|; two empty sets agree completely (1.0)."""
    sa, sb = set(a), set(b)
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)


def _pair_stats(pred: Finding, gold: GoldFinding, check: PairCheck) -> PairStats:
    stats = PairStats(pairs=1, role_correct=int(check.role))
    if gold.effect in RESISTANCE_EFFECTS:
        stats.effect_compared = 1
        stats.effect_agree = int(pred.effect == gold.effect)
    stats.jaccard["mechanism_categories"].append(
        jaccard(pred.mechanism_categories, gold.mechanism_categories)
    )
    stats.jaccard["evidence_level"].append(jaccard(pred.evidence_level, gold.evidence_level))
    stats.jaccard["pathways_or_partners"].append(
        jaccard(map(partner_key, pred.pathways_or_partners), map(partner_key, gold.pathways_or_partners))
    )
    return stats


def _unmatched_reason(
    pred: Finding, i: int, gold: GoldDoc, checks: list[list[PairCheck]], taken: set[int]
) -> str:
    """Why an unpaired prediction is an FP, naming the closest gold finding."""
    if not gold.findings:
        return "no findings expected in this text"
    row = checks[i]
    # Closest gold: a factor match first (that is what makes a near miss), then most criteria met.
    best = max(
        range(len(gold.findings)),
        key=lambda j: (row[j].factor, 4 - len(row[j].misses()), -j),
    )
    check, g = row[best], gold.findings[best]
    if not check.factor:
        return "factor not in gold"
    if check.full:
        return f"duplicate: gold {g.label} already matched"
    if check.names and best in taken:
        return f"wrong role (gold {g.label}: {g.role}, already matched)"
    return f"{', '.join(check.misses())} vs gold {g.label}"


def _error_class(pred: Finding, row: list[PairCheck], gold: GoldDoc) -> str:
    """The class of an unpaired false positive (``ERROR_CLASSES``)."""
    if not gold.findings:
        return "no_finding_text"
    if not any(c.factor for c in row):
        return "not_a_factor"
    if any(c.full for c in row):
        return "duplicate"
    if any(c.names for c in row):
        return "role_flipped"
    if any(c.factor and not c.therapy for c in row):
        therapy = normalize_name(pred.therapy)
        return "cross_product" if any(therapy in g.therapy_keys for g in gold.findings) else "wrong_therapy"
    return "wrong_cancer"


def score_document(gold: GoldDoc, prediction: Prediction | None) -> DocResult:
    """Score one gold document against its predicted paper (None: no prediction at all)."""
    result = DocResult(
        doc_id=gold.doc_id,
        status="missing" if prediction is None else "scored",
        expects_none=not gold.findings,
    )
    if prediction is None:
        for j, g in enumerate(gold.findings):
            result.directions[j] = "missing"
            if g.optional:
                result.optional.add(j)
        for g in gold.required:
            result.items.append(
                Item(
                    "fn",
                    f"{g.label} ({g.role}; no prediction for this text)",
                    gold=_gold_info(g),
                    error_class="missed",
                )
            )
        return result

    findings = prediction.paper.findings
    assessed = [f for f in findings if f.effect in RESISTANCE_EFFECTS]
    pairs, checks = match_findings(assessed, gold.findings)
    paired_gold = {j: i for i, j in pairs}
    paired_pred = {i: j for i, j in pairs}

    for i, f in enumerate(assessed):
        if i in paired_pred:
            g = gold.findings[paired_pred[i]]
            check = checks[i][paired_pred[i]]
            role = predicted_role(f, g.polarity)
            result.stats.add(_pair_stats(f, g, check))
            if check.full and not g.optional:
                result.items.append(
                    Item(
                        "tp",
                        f"{_pred_label(f)} (role {role}) = gold {g.label}",
                        _pred_info(f, role),
                        _gold_info(g),
                    )
                )
            elif check.full:
                result.items.append(
                    Item(
                        "neutral",
                        f"{_pred_label(f)} (role {role}) = optional gold {g.label}",
                        _pred_info(f, role),
                        _gold_info(g),
                    )
                )
            else:
                reason = f"wrong role; gold {g.label} is {g.role}" + (" (optional)" if g.optional else "")
                result.items.append(
                    Item(
                        "fp",
                        f"{_pred_label(f)} (role {role}, {reason})",
                        _pred_info(f, role),
                        _gold_info(g),
                        reason="wrong role",
                        direction_error=True,
                        error_class="role_flipped",
                    )
                )
        else:
            role = predicted_role(f)
            reason = _unmatched_reason(f, i, gold, checks, set(paired_gold))
            result.items.append(
                Item(
                    "fp",
                    f"{_pred_label(f)} (role {role}, {reason})",
                    _pred_info(f, role),
                    reason=reason,
                    error_class=_error_class(f, checks[i], gold),
                )
            )

    for j, g in enumerate(gold.findings):
        if g.optional:
            continue
        if j not in paired_gold:
            result.items.append(Item("fn", f"{g.label} ({g.role})", gold=_gold_info(g), error_class="missed"))
        elif not checks[paired_gold[j]][j].full:
            result.items.append(
                Item(
                    "fn",
                    f"{g.label} ({g.role}; predicted with the wrong role)",
                    gold=_gold_info(g),
                    reason="wrong role",
                    direction_error=True,
                    error_class="role_flipped",
                )
            )

    for f in findings:
        if f.effect not in RESISTANCE_EFFECTS:
            result.items.append(Item("not_assessed", f"{_pred_label(f)} ({f.effect})", _pred_info(f, None)))

    undirected = [f for f in findings if f.effect not in RESISTANCE_EFFECTS]
    result.rejections = [r.reason for r in prediction.paper.rejected_findings]
    for j, g in enumerate(gold.findings):
        if g.optional:
            result.optional.add(j)
        if j in paired_gold:
            result.directions[j] = "right" if checks[paired_gold[j]][j].full else "flipped"
        elif any(_names_match(f.factor, f.therapy, f.cancer_type, g) for f in undirected) or any(
            _names_match(
                str(r.finding.get("factor", "")),
                str(r.finding.get("therapy", "")),
                str(r.finding.get("cancer_type", "")),
                g,
            )
            for r in prediction.paper.rejected_findings
        ):
            result.directions[j] = "unknown"
        else:
            result.directions[j] = "missing"

    result.text_note = prediction.text_note
    if prediction.text is not None:
        result.text_available = True
        text = prediction.text.lower()
        for f in findings:
            for ev in f.evidence:
                result.quotes += 1
                # find_quote already unifies whitespace and dashes; lower-casing both sides adds the
                # last part of the gold README's normalisation.
                result.grounded += find_quote(ev.quote.lower(), text) is not None
    return result


def _names_match(factor: str, therapy: str, cancer: str, gold: GoldFinding) -> bool:
    """Factor and therapy match (and the cancer, where one is given)."""
    return (
        normalize_name(factor) in gold.factor_keys
        and normalize_name(therapy) in gold.therapy_keys
        and (not cancer or cancer_matches(cancer, gold.cancer_names))
    )


def evaluate(gold: dict[str, GoldDoc], predictions: PredictionSet, gold_dir: str = "") -> EvalResult:
    """Score every gold document; predictions for documents without gold are listed, not scored."""
    matched, extra = predictions.match(sorted(gold))
    docs = [score_document(gold[doc_id], matched.get(doc_id)) for doc_id in sorted(gold)]
    return EvalResult(
        gold_dir=gold_dir,
        source=predictions.source,
        docs=docs,
        not_in_gold=extra,
        duplicates=sorted(set(predictions.duplicates)),
    )


def run_eval(
    gold_dir: Path | str,
    *,
    db: Path | str | None = None,
    predictions: Path | str | None = None,
    texts: Path | str | None = None,
) -> EvalResult:
    """Load gold and predictions (a JSONL file if given, else the store at ``db``) and score them.

    For JSONL, texts come from ``texts`` or, when not given, from ``seeds/`` if that folder exists.
    """
    gold = load_gold(gold_dir)
    if predictions is not None:
        if texts is None and Path("seeds").is_dir():
            texts = "seeds"
        elif texts is not None and not Path(texts).is_dir():
            raise EvalError(f"{texts}: texts folder not found")
        pred_set = load_jsonl_predictions(predictions, texts)
    elif db is not None:
        pred_set = load_store_predictions(db)
    else:
        raise EvalError("give a store (--db) or a predictions file (--predictions)")
    return evaluate(gold, pred_set, gold_dir=str(gold_dir))
