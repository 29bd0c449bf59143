"""Gold files and the scoring's name rules: how names compare, what a gold finding holds."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SummarizerError
from ..inputs.text import normalize_spaces
from ..schema import LOSS_ALTERATIONS

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


def partner_key(name: str) -> str:
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


def flip(role: str) -> str:
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
            role = flip(role)
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
