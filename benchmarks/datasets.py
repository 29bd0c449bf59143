"""The annotated texts the benchmarks use, and the split of the development data into tune and check.

Development data: ``benchmarks/dev`` (36), ``benchmarks/holdout`` (16) and ``benchmarks/written``
(texts written for issue 16), each a ``docs/`` folder of texts and a ``gold/`` folder of answers.
They are split into two parts by a hash of the file stem, so the split never depends on which
other texts exist (adding texts never moves one from check to tune):

* **tune**: read its errors freely, fit the decision on it (``fit_decision.py``);
* **check**: only aggregate numbers are ever printed (``quality.py`` refuses its per-text report);
  a change is kept only if check improves.

The seeds (``seeds/``, ``tests/gold``) are scored apart, as they always were.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEVELOPMENT = ("dev", "holdout", "written")
PARTS = ("tune", "check")
SPLIT_SALT = "issue-16-split-v1"
# Texts written from the same published paper (two helpers chose it) go to the same part as the
# first, so the facts of a check text are never read through its twin in tune.
SAME_PAPER = {
    "f21_samhd1_vpx_cytarabine_aml": "e17_samhd1_cytarabine_vpx_aml",
    "f14_jak1_jak2_b2m_pembrolizumab_melanoma": "c01_jak1_jak2_b2m_pembrolizumab_melanoma_relapse",
    "f19_circfbxo11_mir605_foxo3_oxaliplatin_hcc": "a17_circfbxo11_mir605_foxo3_abcb1_oxa_hcc",
    "f07_stk11_pd1_kras_luad": "c03_stk11_lkb1_pd1_kras_luad_pubmed",
}


@dataclass(frozen=True)
class Text:
    """One annotated text: the file to read and its gold answer."""

    stem: str
    source: str  # dev, holdout, written or seeds
    doc: Path
    gold: Path


def part_of(stem: str) -> str:
    """``tune`` or ``check`` for a development text, fixed by its file stem alone."""
    stem = SAME_PAPER.get(stem, stem)
    digest = hashlib.sha256(f"{SPLIT_SALT}:{stem}".encode()).digest()
    return PARTS[digest[0] & 1]


def _folder(source: str) -> list[Text]:
    if source == "seeds":
        docs, gold = ROOT / "seeds", ROOT / "tests" / "gold"
    else:
        docs, gold = ROOT / "benchmarks" / source / "docs", ROOT / "benchmarks" / source / "gold"
    texts = []
    for path in sorted(docs.glob("*.txt")):
        answer = gold / f"{path.stem}.json"
        if answer.exists():
            texts.append(Text(path.stem, source, path, answer))
    return texts


def exported_texts(folder: Path) -> list[Text]:
    """The texts of a folder that ``summarizer export --format gold -o FOLDER`` wrote (gold files
    beside a ``docs/`` folder of the stored texts): a team's reviewed papers, to fit on."""
    found = []
    for answer in sorted(folder.glob("*.json")):
        doc = folder / "docs" / f"{answer.stem}.txt"
        if doc.exists():
            found.append(Text(answer.stem, "exported", doc, answer))
    return found


def texts(name: str) -> list[Text]:
    """The texts of a set: ``seeds``, ``tune``, ``check``, or one development folder (``dev``,
    ``holdout``, ``written``; both parts)."""
    if name in PARTS:
        return [t for source in DEVELOPMENT for t in _folder(source) if part_of(t.stem) == name]
    if name == "seeds" or name in DEVELOPMENT:
        return _folder(name)
    raise ValueError(f"unknown set {name!r}: seeds, tune, check, {', '.join(DEVELOPMENT)}")


def model_answers(path: Path | None) -> Any:
    """A vcrpy cassette that replays the model's recorded HTTP answers and records new ones
    (``None``: a no-op). Rules after the model can then be measured without asking it again."""
    import contextlib

    if path is None:
        return contextlib.nullcontext()
    import vcr

    recorder = vcr.VCR(
        record_mode="new_episodes",
        match_on=["method", "path", "body"],
        filter_headers=["authorization"],
        decode_compressed_response=True,
    )
    return recorder.use_cassette(str(path), allow_playback_repeats=True)
