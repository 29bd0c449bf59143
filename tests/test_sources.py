"""The source reader: identity, metadata and the cleaned, numbered view of each seed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from summarizer.errors import SourceError
from summarizer.sources import defined_abbreviations, find_quote, normalize_spaces, parse_text, read_document

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
GOLD = ROOT / "tests" / "gold"


def gold_for(seed: Path) -> dict:
    return json.loads((GOLD / f"{seed.stem}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_identity_is_stem_and_sha256_of_bytes(seed: Path) -> None:
    doc = read_document(str(seed))
    assert doc.doc_id == seed.stem
    assert doc.sha256 == hashlib.sha256(seed.read_bytes()).hexdigest()


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_title_doi_pmid_match_gold(seed: Path) -> None:
    doc = read_document(str(seed))
    gold = gold_for(seed)
    assert normalize_spaces(doc.title or "") == normalize_spaces(gold["title"])
    assert doc.doi == gold["doi"]
    assert doc.pmid == gold["pmid"]


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_year_is_gold_or_unknown(seed: Path) -> None:
    """A year is given only when the text states it for this paper; never a cited paper's year."""
    doc = read_document(str(seed))
    assert doc.year in (gold_for(seed)["year"], None)


def test_years_found_where_the_text_states_them() -> None:
    years = {p.stem[:3]: read_document(str(p)).year for p in SEEDS}
    assert years == {"000": 2024, "001": 2022, "002": None, "003": 2017, "004": None}


def test_citation_list_identifiers_are_not_taken() -> None:
    doc = read_document(str(ROOT / "seeds" / "002_086c7e09113d73fa.txt"))
    assert doc.doi is None and doc.pmid is None and doc.year is None
    view = doc.numbered_view()
    assert "39417171" not in view
    assert "Effects of T2DM" not in view  # a cited paper's title is not part of the abstract


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_sentences_are_spans_of_the_original_text(seed: Path) -> None:
    doc = read_document(str(seed))
    assert doc.sentences
    for n, s in enumerate(doc.sentences, start=1):
        assert s.number == n
        piece = doc.text[s.start : s.end]
        assert piece == piece.strip() and piece
        assert doc.sentence(n) == piece


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_gold_key_quotes_are_whole_sentences_of_the_view(seed: Path) -> None:
    """Every gold key quote must be citable: it lies inside the cleaned view."""
    doc = read_document(str(seed))
    spans = [(s.start, s.end) for s in doc.sentences]
    for finding in gold_for(seed)["findings"]:
        span = find_quote(finding["key_quote"], doc.text)
        assert span is not None, finding["key_quote"]
        assert any(a <= span[0] and span[1] <= b for a, b in spans), finding["key_quote"]


def test_noise_is_left_out_of_the_view() -> None:
    views = {p.stem[:3]: read_document(str(p)).numbered_view() for p in SEEDS}
    assert "D008113" not in views["003"]  # MeSH table
    assert "Related Publications" not in views["003"]
    assert "我是这篇论文的作者" not in views["004"]  # web-page UI text
    assert "National Natural Science Foundation" not in views["004"]  # funding list
    assert "Feng, Xiangling" not in views["001"]  # author list


def test_find_quote_tolerates_dash_and_space_variants() -> None:
    text = "ANT2 was upregulated in sorafenib\u2011resistant HCC\u00a0Huh7 cells and TP53\u2212/\u2212 lines."
    span = find_quote("sorafenib-resistant HCC Huh7 cells", text)
    assert span is not None
    assert text[span[0] : span[1]] == "sorafenib\u2011resistant HCC\u00a0Huh7 cells"
    span = find_quote("TP53-/-  lines.", text)
    assert span is not None and text[span[0] : span[1]] == "TP53\u2212/\u2212 lines."
    assert find_quote("sorafenib-sensitive", text) is None
    assert find_quote("   ", text) is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"   \n\t\n", "only whitespace"),
        (b"\x00\x01\x02binary", "binary"),
        ("Résumé of a résistance study".encode("latin-1"), "not valid UTF-8"),
    ],
)
def test_unusable_files_are_refused_with_the_file_named(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(SourceError) as info:
        read_document(str(path))
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_text_without_prose_is_not_an_abstract() -> None:
    with pytest.raises(SourceError, match="no abstract-like English prose"):
        parse_text("Menu\nLogin\nD000001 Table Row,A,B,C\n2024-01-01\n", doc_id="x")


def test_abbreviations_defined_in_the_text() -> None:
    text = (
        "Hepatocellular carcinoma (HCC) is common. Patients with multiple myeloma (MM) relapse. "
        "In esophageal squamous cell carcinoma (ESCC) cells, the aim of (RX) was unclear."
    )
    assert defined_abbreviations(text) == {
        "HCC": "hepatocellular carcinoma",
        "MM": "multiple myeloma",
        "ESCC": "esophageal squamous cell carcinoma",
    }
