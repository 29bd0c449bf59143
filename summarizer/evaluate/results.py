"""Scores as data: each document's table, the totals, and their JSON form."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .gold import DIRECTION_OUTCOMES, OVERLAP_FIELDS


@dataclass(frozen=True)
class Item:
    """One line of a document's table: a TP, FP, FN, neutral or not-assessed finding."""

    kind: str
    text: str
    prediction: dict[str, Any] | None = None
    gold: dict[str, Any] | None = None
    reason: str | None = None
    direction_error: bool = False
    error_class: str | None = None  # an FP's or FN's class (ERROR_CLASSES)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "kind": self.kind,
            "text": self.text,
            "prediction": self.prediction,
            "gold": self.gold,
            "reason": self.reason,
            "direction_error": self.direction_error,
            "error_class": self.error_class,
        }


@dataclass
class PairStats:
    """Secondary figures over name-matched (factor, therapy, cancer) pairs."""

    pairs: int = 0
    role_correct: int = 0
    effect_compared: int = 0
    effect_agree: int = 0
    jaccard: dict[str, list[float]] = field(default_factory=lambda: {f: [] for f in OVERLAP_FIELDS})

    def add(self, other: PairStats) -> None:
        """Accumulate another document's figures."""
        self.pairs += other.pairs
        self.role_correct += other.role_correct
        self.effect_compared += other.effect_compared
        self.effect_agree += other.effect_agree
        for name in OVERLAP_FIELDS:
            self.jaccard[name].extend(other.jaccard[name])


@dataclass
class DocResult:
    """Scores and diagnostics of one gold document."""

    doc_id: str
    status: str  # "scored" or "missing" (no prediction for this gold document)
    expects_none: bool
    items: list[Item] = field(default_factory=list)
    stats: PairStats = field(default_factory=PairStats)
    quotes: int = 0
    grounded: int = 0
    text_available: bool = False
    text_note: str = ""
    # Gold finding index -> "right" / "flipped" / "unknown" / "missing": how its direction came out.
    directions: dict[int, str] = field(default_factory=dict)
    optional: set[int] = field(default_factory=set)
    rejections: list[str] = field(default_factory=list)  # "reason" lines of the paper's rejections

    def count(self, kind: str) -> int:
        """Number of items of one kind (tp, fp, fn, neutral, not_assessed)."""
        return sum(1 for item in self.items if item.kind == kind)

    @property
    def direction_errors(self) -> int:
        """Predictions that matched a gold finding by names but gave the factor the wrong role."""
        return sum(1 for item in self.items if item.kind == "fp" and item.direction_error)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "doc_id": self.doc_id,
            "status": self.status,
            "expects_none": self.expects_none,
            "tp": self.count("tp"),
            "fp": self.count("fp"),
            "fn": self.count("fn"),
            "neutral": self.count("neutral"),
            "not_assessed": self.count("not_assessed"),
            "direction_errors": self.direction_errors,
            "directions": {str(k): v for k, v in sorted(self.directions.items())},
            "rejections": self.rejections,
            "grounding": {
                "quotes": self.quotes if self.text_available else None,
                "grounded": self.grounded if self.text_available else None,
                "text": self.text_note,
            },
            "items": [item.to_dict() for item in self.items],
        }


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass
class EvalResult:
    """Everything ``summarizer eval`` reports."""

    gold_dir: str
    source: str
    docs: list[DocResult]
    not_in_gold: list[str]
    duplicates: list[str] = field(default_factory=list)

    def total(self, kind: str) -> int:
        """Sum of one item kind over all gold documents."""
        return sum(d.count(kind) for d in self.docs)

    @property
    def stats(self) -> PairStats:
        """Secondary pair figures over all documents."""
        total = PairStats()
        for doc in self.docs:
            total.add(doc.stats)
        return total

    def direction_table(self) -> dict[str, dict[str, int]]:
        """Gold findings by how their direction came out: right, flipped (a name-matched
        prediction with the wrong role), unknown (predicted or rejected without a direction) or
        missing (not predicted), for required and optional gold apart."""
        table = {kind: dict.fromkeys(DIRECTION_OUTCOMES, 0) for kind in ("required", "optional")}
        for doc in self.docs:
            for index, outcome in doc.directions.items():
                table["optional" if index in doc.optional else "required"][outcome] += 1
        return table

    def error_classes(self) -> dict[str, dict[str, int]]:
        """False positives and false negatives counted by class (``ERROR_CLASSES``)."""
        table: dict[str, dict[str, int]] = {"fp": {}, "fn": {}}
        for doc in self.docs:
            for item in doc.items:
                if item.kind in table and item.error_class:
                    row = table[item.kind]
                    row[item.error_class] = row.get(item.error_class, 0) + 1
        return table

    def calibration(
        self, bands: Sequence[float] = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
    ) -> list[dict[str, Any]]:
        """Per confidence band: the assessed findings in it (TP and FP; neutral ones count
        neither way), their mean confidence and the share that was right."""
        scored = [
            (float(item.prediction["confidence"]), item.kind == "tp")
            for doc in self.docs
            for item in doc.items
            if item.kind in ("tp", "fp") and item.prediction and item.prediction.get("confidence") is not None
        ]
        return calibration_table(scored, bands)

    def micro(self) -> dict[str, Any]:
        """Micro precision, recall and F1 (None where undefined: nothing predicted / nothing expected)."""
        tp, fp, fn = self.total("tp"), self.total("fp"), self.total("fn")
        return {
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "precision": _ratio(tp, tp + fp),
            "recall": _ratio(tp, tp + fn),
            # 2TP/(2TP+FP+FN) equals the harmonic mean where both exist and is 0 when TP is 0.
            "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        }

    def grounding(self) -> dict[str, Any]:
        """Evidence quotes found in their source text, over scored documents whose text is available.

        Every predicted finding's quotes count, no_effect/unclear ones included: grounding judges the
        extraction, not the resistance call.
        """
        with_text = [d for d in self.docs if d.status == "scored" and d.text_available]
        quotes = sum(d.quotes for d in with_text)
        grounded = sum(d.grounded for d in with_text)
        return {
            "quotes": quotes if with_text else None,
            "grounded": grounded if with_text else None,
            "rate": _ratio(grounded, quotes),
            "docs_without_text": [
                d.doc_id for d in self.docs if d.status == "scored" and not d.text_available
            ],
        }

    def to_dict(self) -> dict[str, Any]:
        """One JSON-ready object with every figure and the per-document tables."""
        stats = self.stats
        return {
            "gold_dir": self.gold_dir,
            "source": self.source,
            "micro": self.micro(),
            "counts": {
                "gold_docs": len(self.docs),
                "scored_docs": sum(1 for d in self.docs if d.status == "scored"),
                "missing_docs": [d.doc_id for d in self.docs if d.status == "missing"],
                "not_in_gold": self.not_in_gold,
                "duplicate_predictions": self.duplicates,
                "neutral": self.total("neutral"),
                "not_assessed": self.total("not_assessed"),
                "direction_errors": sum(d.direction_errors for d in self.docs),
            },
            "direction_table": self.direction_table(),
            "error_classes": self.error_classes(),
            "calibration": self.calibration(),
            "rejections": sum(len(d.rejections) for d in self.docs),
            "secondary": {
                "name_matched_pairs": stats.pairs,
                "role_correct": {
                    "correct": stats.role_correct,
                    "pairs": stats.pairs,
                    "rate": _ratio(stats.role_correct, stats.pairs),
                },
                "effect_agreement": {
                    "agree": stats.effect_agree,
                    "pairs": stats.effect_compared,
                    "rate": _ratio(stats.effect_agree, stats.effect_compared),
                },
                "grounding": self.grounding(),
                "overlap": {name: _mean(stats.jaccard[name]) for name in OVERLAP_FIELDS},
            },
            "documents": [d.to_dict() for d in self.docs],
        }


def calibration_table(
    scored: Sequence[tuple[float, bool | int]], bands: Sequence[float]
) -> list[dict[str, Any]]:
    """Per band of ``bands`` (edges; the last band includes its top): how many (confidence, right)
    pairs fall in it, their mean confidence and the share that was right. Empty bands are left out."""
    table = []
    for low, high in zip(bands, bands[1:], strict=False):
        inside = [(c, ok) for c, ok in scored if low <= c < high or (high == bands[-1] and c == high)]
        if inside:
            table.append(
                {
                    "band": f"{low:.1f}-{high:.1f}",
                    "findings": len(inside),
                    "mean_confidence": sum(c for c, _ in inside) / len(inside),
                    "right": sum(ok for _, ok in inside) / len(inside),
                }
            )
    return table
