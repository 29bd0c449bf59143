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

import hashlib
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import SummarizerError
from .schema import LOSS_ALTERATIONS, Finding, PaperSummary, role_of
from .sources import find_quote, normalize_spaces
from .store import Store

# Alterations that add more of the factor; with LOSS_ALTERATIONS they fix the predicted role.
# The rest ("mutation", "other") say nothing about more or less, so the gold polarity decides.
GAIN_ALTERATIONS: frozenset[str] = frozenset({"overexpression", "upregulation", "amplification"})
RESISTANCE_EFFECTS: tuple[str, ...] = ("promotes_resistance", "reverses_resistance")
ROLES: tuple[str, ...] = ("pro_resistance", "anti_resistance")
POLARITIES: tuple[str, ...] = ("gain", "loss", "neutral")
# Cancer names this short are abbreviations (MM, HCC, ALL, ESCC): they must match as whole words,
# or "MM" would be found inside "inflammatory breast cancer" and "ALL" inside "small cell...".
# Longer names use plain containment, as the rule says ("oesophageal ..." contains "esophageal ...").
SHORT_NAME = 4
OVERLAP_FIELDS: tuple[str, ...] = ("mechanism_categories", "evidence_level", "pathways_or_partners")
DIRECTION_OUTCOMES: tuple[str, ...] = ("right", "flipped", "unknown", "missing")
# What went wrong, by class, read off the matching: a false positive's therapy that is no gold
# finding's (a drug used as a tool or co-treatment), or another gold finding's (a cross product
# of a sentence's factors and drugs); a name that is no gold factor, a second spelling of a
# matched one, or any finding in a text that has none; a flipped role; a required finding missed.
ERROR_CLASSES: tuple[str, ...] = (
    "wrong_therapy",
    "not_a_factor",
    "duplicate",
    "no_finding_text",
    "role_flipped",
    "missed",
    "cross_product",
    "wrong_cancer",
)


class EvalError(SummarizerError):
    """A gold folder, prediction file or database cannot be used for scoring."""


# --- names --------------------------------------------------------------------------------------


def normalize_name(name: str | None) -> str:
    """The comparison key of a name: NFKC, dashes unified, whitespace collapsed, lower case, no ``hsa-``."""
    if not name:
        return ""
    key = normalize_spaces(name).lower()
    if key.startswith("hsa-"):
        key = key[4:].strip()
    return key


def _partner_key(name: str) -> str:
    # Partner lists have no aliases, and "PI3K / Akt" (as an abstract writes it) vs "PI3K/Akt" (as a
    # curator does) is formatting, so spaces around separators are dropped for this overlap only.
    return re.sub(r"\s*([/-])\s*", r"\1", normalize_name(name))


def _contains(haystack: str, needle: str) -> bool:
    if len(needle) <= SHORT_NAME:
        return re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack) is not None
    return needle in haystack


def cancer_matches(predicted: str, gold_names: Iterable[str]) -> bool:
    """Whether a predicted cancer type matches any gold name (normalised; containment either way)."""
    pred = normalize_name(predicted)
    if not pred:
        return False
    for name in gold_names:
        gold = normalize_name(name)
        if gold and (pred == gold or _contains(pred, gold) or _contains(gold, pred)):
            return True
    return False


def _flip(role: str) -> str:
    return "anti_resistance" if role == "pro_resistance" else "pro_resistance"


# --- gold ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoldFinding:
    """One curated finding with its precomputed comparison keys."""

    index: int
    factor: str
    therapy: str
    cancer_type: str
    role: str
    polarity: str
    optional: bool
    effect: str | None
    alteration: str | None
    factor_keys: frozenset[str]
    therapy_keys: frozenset[str]
    cancer_names: tuple[str, ...]
    mechanism_categories: tuple[str, ...] = ()
    evidence_level: tuple[str, ...] = ()
    pathways_or_partners: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``factor / therapy`` as shown in reports."""
        return f"{self.factor} / {self.therapy}"


@dataclass(frozen=True)
class GoldDoc:
    """One gold file: its doc id (the file stem) and findings (empty = the text expects none)."""

    doc_id: str
    path: str
    findings: tuple[GoldFinding, ...]

    @property
    def required(self) -> tuple[GoldFinding, ...]:
        """The findings a prediction must recover."""
        return tuple(g for g in self.findings if not g.optional)


def _str_list(value: Any, where: str, key: str) -> list[str]:
    # Curators write null or leave keys out; both mean "none".
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise EvalError(f"{where}: '{key}' must be a list of strings")
    return list(value)


def _opt_str(value: Any, where: str, key: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise EvalError(f"{where}: '{key}' must be a string")
    return value


def _gold_finding(raw: Any, index: int, where: str) -> GoldFinding:
    where = f"{where}: findings[{index}]"
    if not isinstance(raw, dict):
        raise EvalError(f"{where}: must be a JSON object")
    names: dict[str, str] = {}
    for key in ("factor", "therapy", "cancer_type"):
        value = _opt_str(raw.get(key), where, key)
        if not value or not value.strip():
            raise EvalError(f"{where}: '{key}' is missing or empty")
        names[key] = value
    alteration = _opt_str(raw.get("alteration"), where, "alteration")
    effect = _opt_str(raw.get("effect"), where, "effect")
    polarity = _opt_str(raw.get("alteration_polarity"), where, "alteration_polarity")
    if polarity not in POLARITIES:
        # No (valid) polarity recorded: read it off the alteration the curator wrote.
        if alteration in LOSS_ALTERATIONS:
            polarity = "loss"
        elif alteration in GAIN_ALTERATIONS:
            polarity = "gain"
        else:
            polarity = "neutral"
    role = _opt_str(raw.get("factor_role"), where, "factor_role")
    if role not in ROLES:
        if effect not in RESISTANCE_EFFECTS:
            raise EvalError(
                f"{where}: needs 'factor_role' (pro_resistance/anti_resistance) or an 'effect' of "
                "promotes_resistance/reverses_resistance"
            )
        role = "pro_resistance" if effect == "promotes_resistance" else "anti_resistance"
        if polarity == "loss":
            role = _flip(role)
    factor_names = [names["factor"], *_str_list(raw.get("factor_aliases"), where, "factor_aliases")]
    hgnc = _opt_str(raw.get("hgnc_symbol"), where, "hgnc_symbol")
    if hgnc:
        factor_names.append(hgnc)
    therapy_names = [names["therapy"], *_str_list(raw.get("therapy_aliases"), where, "therapy_aliases")]
    cancer_names = [names["cancer_type"], *_str_list(raw.get("cancer_aliases"), where, "cancer_aliases")]
    optional = raw.get("optional", False)
    if not isinstance(optional, bool):
        raise EvalError(f"{where}: 'optional' must be true or false")
    return GoldFinding(
        index=index,
        factor=names["factor"],
        therapy=names["therapy"],
        cancer_type=names["cancer_type"],
        role=role,
        polarity=polarity,
        optional=optional,
        effect=effect,
        alteration=alteration,
        factor_keys=frozenset(k for k in map(normalize_name, factor_names) if k),
        therapy_keys=frozenset(k for k in map(normalize_name, therapy_names) if k),
        cancer_names=tuple(cancer_names),
        mechanism_categories=tuple(_str_list(raw.get("mechanism_categories"), where, "mechanism_categories")),
        evidence_level=tuple(_str_list(raw.get("evidence_level"), where, "evidence_level")),
        pathways_or_partners=tuple(_str_list(raw.get("pathways_or_partners"), where, "pathways_or_partners")),
    )


def load_gold_file(path: Path | str) -> GoldDoc:
    """Read one gold JSON file; its stem is the doc id. Keys other than the names are optional."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EvalError(f"{path}: cannot read gold file ({exc.strerror or exc})") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EvalError(f"{path}: not valid UTF-8 JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise EvalError(f"{path}: a gold file must hold one JSON object")
    raw_findings = data.get("findings")
    if raw_findings is None:
        raw_findings = []
    if not isinstance(raw_findings, list):
        raise EvalError(f"{path}: 'findings' must be a list")
    findings = tuple(_gold_finding(raw, i, str(path)) for i, raw in enumerate(raw_findings))
    return GoldDoc(doc_id=path.stem, path=str(path), findings=findings)


def load_gold(folder: Path | str) -> dict[str, GoldDoc]:
    """Every ``*.json`` gold file in ``folder``, by doc id (other files, e.g. README.md, are skipped)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise EvalError(f"{folder}: gold folder not found")
    files = sorted(folder.glob("*.json"))
    if not files:
        raise EvalError(f"{folder}: no *.json gold files in this folder")
    return {doc.doc_id: doc for doc in map(load_gold_file, files)}


# --- predictions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prediction:
    """One predicted paper and the text its evidence should come from (None: not available)."""

    paper: PaperSummary
    text: str | None
    text_note: str = ""


@dataclass
class PredictionSet:
    """Predictions by doc id, with where they came from and any duplicates dropped."""

    source: str
    by_doc: dict[str, Prediction]
    duplicates: list[str] = field(default_factory=list)

    def match(self, gold_ids: list[str]) -> tuple[dict[str, Prediction], list[str]]:
        """The prediction of each gold id, and the doc ids of predictions no gold file matches.

        A gold file matches the paper whose doc id is its stem, else the one paper whose source
        name is (a file stem, or a record's PMID or id), so ``docs/01_x.txt`` is scored against
        ``gold/01_x.json`` whatever its unique doc id. Two papers with that name (files of one
        name in two folders) are listed as duplicates, and the first by doc id is scored.
        """
        by_name: dict[str, list[str]] = {}
        for doc_id, prediction in sorted(self.by_doc.items()):
            if prediction.paper.source_name:
                by_name.setdefault(prediction.paper.source_name, []).append(doc_id)
        matched: dict[str, Prediction] = {}
        for gold_id in gold_ids:
            if gold_id in self.by_doc:
                matched[gold_id] = self.by_doc[gold_id]
            elif gold_id in by_name:
                doc_ids = by_name[gold_id]
                if len(doc_ids) > 1:
                    self.duplicates.append(gold_id)
                matched[gold_id] = self.by_doc[doc_ids[0]]
        used = {id(p) for p in matched.values()}
        return matched, sorted(d for d, p in self.by_doc.items() if id(p) not in used)


def load_store_predictions(db: Path | str) -> PredictionSet:
    """The newest ``ok`` result per document in the store, with the stored source text."""
    path = Path(db)
    # Store() would create an empty database; a typo in --db should be an error, not "all missing".
    if not path.exists():
        raise EvalError(f"{path}: no such database (run `summarizer run` first, or pass --predictions)")
    with Store(path, read_only=True) as store:
        stored = store.papers()
    by_doc = {
        p.doc_id: Prediction(paper=p.paper, text=p.source_text, text_note="store")
        for p in stored
        if p.paper is not None
    }
    return PredictionSet(source=f"store {path}", by_doc=by_doc)


def load_jsonl_predictions(path: Path | str, texts: Path | str | None = None) -> PredictionSet:
    """PaperSummary objects, one per line; the last line wins for a repeated doc id.

    Texts are read from ``texts/<source name or doc_id>.txt`` and used only when their SHA-256
    equals the paper's, so grounding is never judged against a different version of the text.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EvalError(f"{path}: cannot read predictions ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise EvalError(f"{path}: predictions are not valid UTF-8 ({exc})") from exc
    papers: dict[str, PaperSummary] = {}
    duplicates: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            paper = PaperSummary.model_validate_json(line)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first.get("loc", ()))
            raise EvalError(
                f"{path}:{number}: not a PaperSummary object ({loc}: {first.get('msg')})"
            ) from exc
        if paper.doc_id in papers:
            duplicates.append(paper.doc_id)
        papers[paper.doc_id] = paper
    text_dir = Path(texts) if texts is not None else None
    by_doc = {doc_id: _with_text(paper, text_dir) for doc_id, paper in papers.items()}
    return PredictionSet(source=f"predictions {path}", by_doc=by_doc, duplicates=duplicates)


def _with_text(paper: PaperSummary, text_dir: Path | None) -> Prediction:
    if text_dir is None:
        return Prediction(paper=paper, text=None, text_note="no text folder")
    path = text_dir / f"{paper.source_name or paper.doc_id}.txt"
    try:
        data = path.read_bytes()
    except OSError:
        return Prediction(paper=paper, text=None, text_note=f"no {path}")
    if hashlib.sha256(data).hexdigest() != paper.sha256:
        return Prediction(paper=paper, text=None, text_note=f"{path} differs from the summarized text")
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    return Prediction(paper=paper, text=text, text_note=str(path))


# --- matching -------------------------------------------------------------------------------------


def predicted_role(finding: Finding, gold_polarity: str | None = None) -> str | None:
    """The role a predicted finding gives its factor, read against a gold finding's polarity.

    Gain- and loss-type alterations decide by themselves (``schema.role_of``); for ``mutation`` and
    ``other`` the gold polarity decides (a loss-polarity gold reads "mutation promotes" as loss).
    """
    role = role_of(finding.alteration, finding.effect)
    if role is None or finding.alteration in LOSS_ALTERATIONS or finding.alteration in GAIN_ALTERATIONS:
        return role
    return _flip(role) if gold_polarity == "loss" else role


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


# --- results --------------------------------------------------------------------------------------


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


# --- scoring --------------------------------------------------------------------------------------


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
        jaccard(map(_partner_key, pred.pathways_or_partners), map(_partner_key, gold.pathways_or_partners))
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


# --- text report ----------------------------------------------------------------------------------


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
