"""A document's text is normalised once: the Document's clean view, which every stage reads.

``normalize_spaces`` (NFKC, dashes unified, whitespace collapsed) used to be applied to the same
sentences about twenty times per document, by each reading stage. Now ``Document.clean`` does it
once, in one pass that keeps the offsets, and the stages read clean sentences and spans off it.
"""

from __future__ import annotations

import ast
import random
import sys
from pathlib import Path

import pytest
import vcr as vcrpy
from seedrun import SEED_CASSETTE, SEEDS_DIR, VCR_CONFIG, model_backend, run_seeds

from summarizer.inputs import document, text
from summarizer.inputs.sources import parse_text
from summarizer.inputs.text import clean_view, normalize_spaces, squash
from summarizer.store import Store

ROOT = Path(__file__).resolve().parent.parent

# Characters that NFKC, the dash table or the whitespace rule change, join or split: marks that
# compose with the letter before ("e" + U+0301), Hangul jamo, a halfwidth voiced mark, a ligature,
# a diaeresis that decomposes to a space and a mark, fullwidth punctuation, every kind of space.
_PALETTE = [
    *"aZe1 -.;(", "  ", "\t", "\n", "\u00a0", "\u2014", "\u2011", "\u2212", "\u0301", "\u0308",
    "\u0327", "\u00e9", "\u1100", "\u1161", "\u11a8", "\uac00", "\uff76", "\uff9e", "\u00a8",
    "\ufb01", "\uff1b", "\u0f73", "\u0344", "\x1c", "\u2028", "\u3000", "\u0b47", "\u0b3e",
    "\u212b", "\u200b", "\u03b1", "\u00b5",
]  # fmt: skip


def test_the_clean_view_is_normalize_spaces_and_each_of_its_spans_too() -> None:
    rng = random.Random(19)
    for _ in range(800):
        original = "".join(rng.choice(_PALETTE) for _ in range(rng.randint(0, 12)))
        view = clean_view(original)
        assert view.text == normalize_spaces(original)
        for start in range(len(original) + 1):
            for end in range(start, len(original) + 1):
                assert view.span(start, end) == normalize_spaces(original[start:end]), (original, start, end)


def test_normalising_twice_changes_nothing() -> None:
    """What lets a stage read a clean sentence where it used to normalise the original."""
    rng = random.Random(7)
    for _ in range(2000):
        original = "".join(rng.choice(_PALETTE) for _ in range(rng.randint(0, 16)))
        once = normalize_spaces(original)
        assert normalize_spaces(once) == once


@pytest.mark.parametrize("seed", sorted(SEEDS_DIR.glob("*.txt")), ids=lambda p: p.stem)
def test_clean_sentences_and_prose_are_the_sentences_normalised(seed: Path) -> None:
    doc = parse_text(seed.read_text(encoding="utf-8"), doc_id=seed.stem)
    assert doc.clean_sentences == tuple(normalize_spaces(doc.sentence(s.number)) for s in doc.sentences)
    assert doc.clean_prose == normalize_spaces(doc.prose)
    assert doc.clean.text == normalize_spaces(doc.text)
    assert doc.squashed_sentences == tuple(squash(doc.sentence(s.number)) for s in doc.sentences)
    assert doc.squashed_prose == squash(doc.prose)
    assert doc.numbered_view().splitlines()[0] == f"[1] {normalize_spaces(doc.sentence(1))}"


def test_one_run_normalises_each_document_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The five seeds through the whole pipeline, replaying the recorded model answers: each
    document's text goes through the clean view once, and nothing normalises it again."""
    viewed: list[str] = []
    again: list[str] = []

    def counted_view(original: str) -> text.CleanView:
        viewed.append(original)
        return clean_view(original)

    def counted_spaces(original: str) -> str:
        again.append(original)
        return normalize_spaces(original)

    monkeypatch.setattr(document, "clean_view", counted_view)
    for name, module in list(sys.modules.items()):
        if name.startswith("summarizer") and getattr(module, "normalize_spaces", None) is normalize_spaces:
            monkeypatch.setattr(module, "normalize_spaces", counted_spaces)

    db = tmp_path / "store.db"
    config = dict(VCR_CONFIG)
    repeats = config.pop("allow_playback_repeats")
    with vcrpy.VCR(record_mode="none", **config).use_cassette(
        str(SEED_CASSETTE), allow_playback_repeats=repeats
    ):
        summary = run_seeds(model_backend("none", tmp_path), db)
    assert summary.ok, [r.message for r in summary.reports]
    with Store(db) as store:
        texts = [stored.source_text for stored in store.papers()]
    assert len(texts) == len(list(SEEDS_DIR.glob("*.txt")))
    assert sorted(viewed) == sorted(texts)  # once per document: its sentences are slices of it
    assert again == []


def test_no_reading_stage_imports_the_document_normaliser() -> None:
    """The reading stages take clean text from the Document; names have ``normalize_name``."""
    for path in sorted((ROOT / "summarizer" / "reading").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for a in node.names}
        assert "normalize_spaces" not in imported, path.name
