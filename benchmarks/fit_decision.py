"""Fit the decision (``summarizer/decide.py``) on the tune part of the development data.

    pip install -e '.[fit]'
    python benchmarks/fit_decision.py [--cache ANSWERS.yaml] [--add EXPORTED_GOLD_DIR ...] [--write]

Every text of the *tune* part (``datasets.py``) goes through every stage before the decision,
with the embedded model's answers replayed from ``--cache`` where recorded (and asked and
recorded where not). Each draft the decision weighs (one with a role whose factor the model named
or the text states firmly, ``decide.eligible``) becomes one row: its evidence (``decide.features``)
and its label, read off the gold by the scorer's own matching (``evaluate.match_findings``): 1 where
it is a required gold finding (factor, therapy, cancer and role), 0 where it would be a false
positive; drafts that match an optional gold finding are left out (they count neither way).

A logistic regression (scikit-learn, standardised features, L2) is fitted; its strength and the
threshold are chosen by 5-fold cross-validation over whole texts (GroupKFold), maximising F1
where every required gold finding no draft reaches counts as missed. The script prints the
cross-validated figures and the calibration on tune (never anything of the check part), and with
``--write`` replaces ``summarizer/decision.json``. ``--add DIR`` fits on a team's reviewed papers too:
the folder ``summarizer export --format gold -o DIR`` writes (their texts are asked of the model
where ``--cache`` holds no answer for them).

Why logistic regression: about a hundred texts, a few hundred drafts and ~35 evidence features; its
probabilities are calibrated by construction (checked on *check* by ``quality.py``), its weights
can be read and printed, and applying it is a dot product with no dependency at run time.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from datasets import Text, exported_texts, model_answers, texts  # noqa: E402

from summarizer.evaluate.results import calibration_table  # noqa: E402

logging.getLogger("instructor").setLevel(logging.CRITICAL)

STRENGTHS = (0.03, 0.1, 0.3, 1.0, 3.0)
THRESHOLDS = tuple(round(0.20 + 0.02 * i, 2) for i in range(31))  # 0.20 .. 0.80
BAND_EDGES = (0.0, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


@dataclass
class Row:
    """One draft of one text: its evidence and the label the gold gives it."""

    stem: str
    values: dict[str, float]
    label: int


@dataclass
class TextRows:
    """The rows of one text and how many required gold findings it has."""

    stem: str
    rows: list[Row]
    required: int


@dataclass
class Drafted:
    """One tune text after every stage before the decision, with its gold."""

    stem: str
    doc: Any
    drafted: Any
    gold: Any


def draft_all(items: list[Text], extractor: Any) -> list[Drafted]:
    """Every stage before the decision, for every text (the model's answers replayed)."""
    from summarizer.evaluate import load_gold_file
    from summarizer.inputs.sources import read_document

    found = []
    for text in items:
        doc = read_document(str(text.doc))
        found.append(Drafted(text.stem, doc, extractor.draft(doc), load_gold_file(text.gold)))
    return found


def finding_rows(data: list[Drafted]) -> list[TextRows]:
    """Each draft the decision weighs (``decide.eligible``, with a role), labelled by the
    scorer's own matching (``evaluate.match_findings``): 1 where it is a required gold finding, 0
    where it would be a false positive; drafts matching an optional gold finding are left out
    (they count neither way)."""
    from summarizer.evaluate import match_findings
    from summarizer.reading import decide
    from summarizer.reading.summarise import to_finding

    found = []
    for item in data:
        drafted, doc, gold = item.drafted, item.doc, item.gold
        decided = [d for d in drafted.drafts if d.role is not None and decide.eligible(d)]
        names = {n for c in drafted.candidates for n in c.names}
        findings = [to_finding(doc, drafted.mentions, d, names) for d in decided]
        pairs, checks = match_findings(findings, gold.findings)
        paired = dict(pairs)
        rows = []
        for i, draft in enumerate(decided):
            j = paired.get(i)
            if j is not None and checks[i][j].full and gold.findings[j].optional:
                continue  # neutral either way
            label = int(j is not None and checks[i][j].full)
            rows.append(Row(item.stem, decide.features(draft, drafted.context), label))
        found.append(TextRows(item.stem, rows, len(gold.required)))
    return found


def f1_at(probabilities: list[float], labels: list[int], required: int, threshold: float) -> float:
    """F1 of keeping the drafts at or above ``threshold``; unreached gold counts as missed."""
    tp = sum(1 for p, y in zip(probabilities, labels, strict=True) if p >= threshold and y)
    fp = sum(1 for p, y in zip(probabilities, labels, strict=True) if p >= threshold and not y)
    fn = required - tp
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def fit(data: list[TextRows]) -> tuple[Any, dict[str, Any]]:
    """Choose strength and threshold by grouped cross-validation, then fit on all of tune."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold
    from sklearn.preprocessing import StandardScaler

    from summarizer.reading.decide import DecisionModel, Logistic

    rows = [r for t in data for r in t.rows]
    names = sorted({k for r in rows for k in r.values})
    x = np.array([[r.values.get(n, 0.0) for n in names] for r in rows])
    y = np.array([r.label for r in rows])
    groups = np.array([r.stem for r in rows])
    required = sum(t.required for t in data)

    best: tuple[float, float, float] = (-1.0, 0.0, 0.0)
    folds = list(GroupKFold(n_splits=5).split(x, y, groups))
    out_of_fold: dict[float, Any] = {}
    for strength in STRENGTHS:
        oof = np.zeros(len(y))
        for train, test in folds:
            scaler = StandardScaler().fit(x[train])
            model = LogisticRegression(C=strength, max_iter=2000).fit(scaler.transform(x[train]), y[train])
            oof[test] = model.predict_proba(scaler.transform(x[test]))[:, 1]
        out_of_fold[strength] = oof
        for threshold in THRESHOLDS:
            score = f1_at(list(oof), list(y), required, threshold)
            if score > best[0]:
                best = (score, strength, threshold)
    score, strength, threshold = best
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=strength, max_iter=2000).fit(scaler.transform(x), y)
    finding = Logistic(
        weights={n: float(w) for n, w in zip(names, model.coef_[0], strict=True)},
        bias=float(model.intercept_[0]),
        means={n: float(m) for n, m in zip(names, scaler.mean_, strict=True)},
        scales={n: float(s) for n, s in zip(names, scaler.scale_, strict=True)},
    )
    decision = DecisionModel(finding, threshold)
    oof = out_of_fold[strength]
    report = {
        "texts": len(data),
        "rows": len(rows),
        "positives": int(y.sum()),
        "required": required,
        "reachable": int(y.sum()),
        "strength": strength,
        "threshold": threshold,
        "cv_f1": score,
        "calibration": calibration(list(oof), list(y), threshold),
    }
    return decision, report


def calibration(probabilities: list[float], labels: list[int], threshold: float) -> list[dict[str, Any]]:
    """Per confidence band of the kept drafts: how many, mean confidence, share right."""
    kept = [(p, y) for p, y in zip(probabilities, labels, strict=True) if p >= threshold]
    return calibration_table(kept, BAND_EDGES)


def build_extractor() -> Any:
    """The embedded model's extractor, as ``Pipeline.extractor`` builds it."""
    from summarizer.model.backends import BackendSettings, get_backend
    from summarizer.model.prompts import load_prompts
    from summarizer.pipeline import RunOptions
    from summarizer.reading.extract import Extractor

    backend = get_backend("local", BackendSettings())
    options = RunOptions()
    extractor = Extractor(
        backend.client(),
        backend.model,
        backend.mode,
        load_prompts(),
        options.extract,
        options.retry,
        backend.request_options(),
    )
    extractor.backend = backend  # type: ignore[attr-defined]  # closed by the caller
    return extractor


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cache", type=Path, help="vcrpy cassette of model answers to replay and extend")
    parser.add_argument("--write", action="store_true", help="replace summarizer/decision.json")
    parser.add_argument(
        "--add",
        type=Path,
        action="append",
        default=[],
        help="also fit on a folder of reviewed papers (summarizer export --format gold -o DIR)",
    )
    args = parser.parse_args()

    items = texts("tune") + [t for folder in args.add for t in exported_texts(folder)]
    extractor = build_extractor()
    try:
        with model_answers(args.cache):
            drafted = draft_all(items, extractor)
    finally:
        extractor.backend.close()
    decision, report = fit(finding_rows(drafted))
    print(
        f"fitted on {report['texts']} texts, {report['rows']} drafts with a role, {report['positives']} of "
        f"{report['required']} required gold findings reachable by a draft"
    )
    print(
        f"chosen by 5-fold grouped CV: C={report['strength']}, threshold {report['threshold']:.2f}, "
        f"CV F1 {report['cv_f1']:.3f}"
    )
    print("calibration on tune (out of fold), kept drafts:")
    for band in report["calibration"]:
        print(
            f"  {band['band']}: {band['findings']:4d} findings, mean confidence "
            f"{band['mean_confidence']:.2f}, right {band['right']:.2f}"
        )
    print("weights (standardised features), strongest first:")
    for name, weight in sorted(decision.finding.weights.items(), key=lambda kv: -abs(kv[1])):
        print(f"  {weight:+.3f}  {name}")
    if args.write:
        from summarizer.reading.decide import MODEL_FILE

        MODEL_FILE.write_text(decision.to_json() + "\n", encoding="utf-8")
        print(f"wrote {MODEL_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
