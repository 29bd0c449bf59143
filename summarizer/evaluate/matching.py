"""Pairing predicted findings with gold findings, one to one, by how well their names and role agree."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..schema import LOSS_ALTERATIONS, Finding, role_of
from .gold import GAIN_ALTERATIONS, GoldFinding, cancer_matches, flip, normalize_name


def predicted_role(finding: Finding, gold_polarity: str | None = None) -> str | None:
    """The role a predicted finding gives its factor, read against a gold finding's polarity.

    Gain- and loss-type alterations decide by themselves (``schema.role_of``); for ``mutation`` and
    ``other`` the gold polarity decides (a loss-polarity gold reads "mutation promotes" as loss).
    """
    role = role_of(finding.alteration, finding.effect)
    if role is None or finding.alteration in LOSS_ALTERATIONS or finding.alteration in GAIN_ALTERATIONS:
        return role
    return flip(role) if gold_polarity == "loss" else role


@dataclass(frozen=True)
class PairCheck:
    """Which of the four criteria a (prediction, gold) pair meets."""

    factor: bool
    therapy: bool
    cancer: bool
    role: bool

    @property
    def names(self) -> bool:
        """Factor, therapy and cancer all match (role aside)."""
        return self.factor and self.therapy and self.cancer

    @property
    def full(self) -> bool:
        """All four match."""
        return self.names and self.role

    def misses(self) -> list[str]:
        """The criteria that failed, in report wording."""
        return [
            f"wrong {name}"
            for name, ok in (
                ("factor", self.factor),
                ("therapy", self.therapy),
                ("cancer", self.cancer),
                ("role", self.role),
            )
            if not ok
        ]


def check_pair(pred: Finding, gold: GoldFinding) -> PairCheck:
    """Compare one prediction with one gold finding by the four criteria."""
    return PairCheck(
        factor=normalize_name(pred.factor) in gold.factor_keys,
        therapy=normalize_name(pred.therapy) in gold.therapy_keys,
        cancer=cancer_matches(pred.cancer_type, gold.cancer_names),
        role=predicted_role(pred, gold.polarity) == gold.role,
    )


def _max_weight_assignment(weights: Sequence[Sequence[int]]) -> list[tuple[int, int]]:
    """Rows paired with columns so that the total weight is largest; zero-weight pairs are dropped.

    The Hungarian algorithm (O(n^3)) on the square, zero-padded cost matrix.
    """
    rows = len(weights)
    cols = len(weights[0]) if rows else 0
    n = max(rows, cols)
    if n == 0:
        return []
    cost = [[-float(weights[i][j]) if i < rows and j < cols else 0.0 for j in range(n)] for i in range(n)]
    u = [0.0] * (n + 1)
    v = [0.0] * (n + 1)
    owner = [0] * (n + 1)  # owner[j]: the row (1-based) assigned to column j; 0 = free
    way = [0] * (n + 1)
    for i in range(1, n + 1):
        owner[0] = i
        j0 = 0
        minv = [math.inf] * (n + 1)
        used = [False] * (n + 1)
        while True:
            used[j0] = True
            i0 = owner[j0]
            delta = math.inf
            j1 = 0
            for j in range(1, n + 1):
                if not used[j]:
                    cur = cost[i0 - 1][j - 1] - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j] = cur
                        way[j] = j0
                    if minv[j] < delta:
                        delta = minv[j]
                        j1 = j
            for j in range(n + 1):
                if used[j]:
                    u[owner[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if owner[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            owner[j0] = owner[j1]
            j0 = j1
    pairs = [
        (owner[j] - 1, j - 1)
        for j in range(1, n + 1)
        if owner[j] and owner[j] - 1 < rows and j - 1 < cols and weights[owner[j] - 1][j - 1] > 0
    ]
    return sorted(pairs)


def match_findings(
    preds: Sequence[Finding], gold: Sequence[GoldFinding]
) -> tuple[list[tuple[int, int]], list[list[PairCheck]]]:
    """One-to-one pairs (prediction index, gold index) and the full table of pair checks.

    Pairs are chosen lexicographically: most full matches on required gold (TP), then most full
    matches on optional gold (neutral rather than FP), then most name-only matches (kept as direction
    errors for diagnosis; they count as FP/FN all the same), and among equals earlier predictions.
    """
    checks = [[check_pair(p, g) for g in gold] for p in preds]
    k = min(len(preds), len(gold)) + 1
    name_only, optional_full = 1, k
    required_full = k * k
    # The tie-break term sums to less than `scale`, so it never outweighs a better matching.
    scale = len(preds) * len(preds) + 1
    weights = []
    for i, row in enumerate(checks):
        weight_row = []
        for j, check in enumerate(row):
            if check.full:
                level = optional_full if gold[j].optional else required_full
            elif check.names:
                level = name_only
            else:
                level = 0
            weight_row.append(level * scale + (len(preds) - i) if level else 0)
        weights.append(weight_row)
    return _max_weight_assignment(weights), checks
