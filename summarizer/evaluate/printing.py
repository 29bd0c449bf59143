"""The text report ``summarizer eval`` prints: totals, the direction table, each document's table."""

from __future__ import annotations

from .gold import DIRECTION_OUTCOMES
from .results import EvalResult


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def format_report(result: EvalResult) -> str:
    """The human-readable report: micro scores, secondary figures, then one block per document."""
    data = result.to_dict()
    micro, counts, sec = data["micro"], data["counts"], data["secondary"]
    lines = [
        f"gold: {result.gold_dir} ({counts['gold_docs']} documents); {result.source}",
        f"micro: precision {_fmt(micro['precision'])}  recall {_fmt(micro['recall'])}  "
        f"F1 {_fmt(micro['f1'])}   (TP {micro['tp']}, FP {micro['fp']}, FN {micro['fn']})",
        f"apart: {counts['neutral']} neutral (optional gold), {counts['not_assessed']} not assessed "
        f"(no_effect/unclear), {counts['direction_errors']} direction errors",
        f"documents: {counts['scored_docs']} scored, {len(counts['missing_docs'])} without prediction"
        + (f" ({', '.join(counts['missing_docs'])})" if counts["missing_docs"] else ""),
    ]
    if counts["not_in_gold"]:
        lines.append(f"ignored (no gold file): {', '.join(counts['not_in_gold'])}")
    if counts["duplicate_predictions"]:
        lines.append(f"repeated in predictions (last one used): {', '.join(counts['duplicate_predictions'])}")
    role, effect, grounding = sec["role_correct"], sec["effect_agreement"], sec["grounding"]
    lines += [
        "",
        f"secondary, over {sec['name_matched_pairs']} name-matched pairs:",
        f"  role correct          {role['correct']}/{role['pairs']} ({_fmt(role['rate'])})",
        f"  raw effect agreement  {effect['agree']}/{effect['pairs']} ({_fmt(effect['rate'])})",
        "  Jaccard overlap       "
        + ", ".join(f"{name} {_fmt(value)}" for name, value in sec["overlap"].items()),
    ]
    if grounding["quotes"] is None:
        lines.append("evidence grounding: n/a (no source text available)")
    else:
        lines.append(
            f"evidence grounding: {grounding['grounded']}/{grounding['quotes']} quotes found in the text "
            f"({_fmt(grounding['rate'])})"
            + (
                f"; no text for {', '.join(grounding['docs_without_text'])}"
                if grounding["docs_without_text"]
                else ""
            )
        )
    table = data["direction_table"]
    lines += ["", "direction of gold findings    " + "  ".join(f"{o:>8}" for o in DIRECTION_OUTCOMES)]
    for kind in ("required", "optional"):
        lines.append(f"  {kind:<27} " + "  ".join(f"{table[kind][o]:>8}" for o in DIRECTION_OUTCOMES))
    lines.append(
        "  (right/flipped: a prediction names the finding's factor, therapy and cancer with the right/wrong "
        "role; unknown: predicted or rejected without a direction; missing: not predicted)"
    )
    classes = data["error_classes"]
    for kind, label in (("fp", "false positives"), ("fn", "false negatives")):
        if classes[kind]:
            lines.append(
                f"{label} by class: " + ", ".join(f"{k} {v}" for k, v in sorted(classes[kind].items()))
            )
    if data["calibration"]:
        lines.append(
            "confidence bands (assessed findings, share right): "
            + "; ".join(
                f"{b['band']}: {b['findings']} at {b['mean_confidence']:.2f}, right {b['right']:.2f}"
                for b in data["calibration"]
            )
        )
    if data["rejections"]:
        lines.append(f"rejected by validation: {data['rejections']} (reasons under each document)")
    width = max([len(d.doc_id) for d in result.docs] + [8])
    lines += ["", f"{'document':<{width}}  {'TP':>3} {'FP':>3} {'FN':>3} {'neutral':>7} {'n/a':>4}  note"]
    labels = {"tp": "TP", "fp": "FP", "fn": "FN", "neutral": "neutral", "not_assessed": "not assessed"}
    for doc in result.docs:
        note = "no prediction" if doc.status == "missing" else ""
        if doc.expects_none:
            note = (note + "; " if note else "") + "expects no findings"
        if doc.direction_errors:
            note = (note + "; " if note else "") + f"{doc.direction_errors} direction error(s)"
        lines.append(
            f"{doc.doc_id:<{width}}  {doc.count('tp'):>3} {doc.count('fp'):>3} {doc.count('fn'):>3} "
            f"{doc.count('neutral'):>7} {doc.count('not_assessed'):>4}  {note}".rstrip()
        )
        for kind in ("tp", "fp", "fn", "neutral", "not_assessed"):
            for item in doc.items:
                if item.kind == kind:
                    lines.append(f"    {labels[kind]}: {item.text}")
        for reason in doc.rejections:
            lines.append(f"    rejected: {reason}")
    return "\n".join(lines)
