"""Scoring predictions against gold files (``summarizer eval``).

The rules are those of the gold set's README (``tests/gold``, ``/work/shared/gold/README.md``):

1. names are normalised (lower case, leading ``hsa-`` stripped, dash variants unified, whitespace
   incl. NBSP collapsed);
2. the factor matches the gold ``factor``, ``hgnc_symbol`` or a ``factor_aliases`` entry, the therapy
   ``therapy`` or ``therapy_aliases``, the cancer ``cancer_type`` or ``cancer_aliases`` with
   containment either way;
3. direction is compared as the factor's role (pro/anti resistance), so "X knockdown reverses" equals
   "X overexpression promotes";
4. predictions with effect ``no_effect``/``unclear`` are counted apart, neither credited nor penalised;
5. one-to-one matching; all four matching on a required finding = TP, on an optional one = neutral,
   anything else = FP; unmatched required gold = FN; a text without gold findings expects none.

Nothing here calls a model: the module reads gold JSON, predictions (store or JSONL) and texts, and
returns an :class:`EvalResult` that the CLI prints as a table or as JSON.
"""

from __future__ import annotations

from .gold import (
    DIRECTION_OUTCOMES,
    ERROR_CLASSES,
    GAIN_ALTERATIONS,
    POLARITIES,
    RESISTANCE_EFFECTS,
    ROLES,
    EvalError,
    GoldDoc,
    GoldFinding,
    cancer_matches,
    load_gold,
    load_gold_file,
    normalize_name,
)
from .matching import PairCheck, check_pair, match_findings, predicted_role
from .predictions import Prediction, PredictionSet, load_jsonl_predictions, load_store_predictions
from .printing import format_report
from .results import DocResult, EvalResult, Item, PairStats
from .scoring import evaluate, jaccard, run_eval, score_document

__all__ = [
    "DIRECTION_OUTCOMES", "ERROR_CLASSES", "GAIN_ALTERATIONS", "POLARITIES", "RESISTANCE_EFFECTS", "ROLES",
    "DocResult", "EvalError", "EvalResult", "GoldDoc", "GoldFinding", "Item", "PairCheck", "PairStats",
    "Prediction", "PredictionSet", "cancer_matches", "check_pair", "evaluate", "format_report", "jaccard",
    "load_gold", "load_gold_file", "load_jsonl_predictions", "load_store_predictions", "match_findings",
    "normalize_name", "predicted_role", "run_eval", "score_document",
]  # fmt: skip
