"""The source reader: identity, metadata and the cleaned, numbered view of each seed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from summarizer.errors import SourceError
from summarizer.inputs.labelled import read_labelled
from summarizer.inputs.sources import document_id, parse_text, read_document
from summarizer.inputs.text import find_quote, normalize_spaces
from summarizer.reading.mentions import defined_abbreviations

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
GOLD = ROOT / "tests" / "gold"
PAGES = Path(__file__).resolve().parent / "fixtures" / "inputs"
ABSTRACT = (
    "Abstract\n"
    "Background: Carboplatin is the backbone of chemotherapy for ovarian cancer, but most patients "
    "relapse with platinum-resistant disease.\n"
    "Results: Silencing the invented kinase ZQK7 restored carboplatin-induced apoptosis in resistant "
    "cells and slowed the growth of carboplatin-treated xenografts in mice.\n"
)


def synthetic_page(header: str = "", pmid_line: str = "", trailer: str = "") -> str:
    """An invented saved page: ``header`` lines, a title, ``pmid_line``, the abstract, ``trailer``."""
    title = "Loss of the invented kinase ZQK7 restores carboplatin sensitivity in ovarian cancer\n"
    return f"{header}\n{title}\n{pmid_line}\n\n{ABSTRACT}\n{trailer}"


def gold_for(seed: Path) -> dict:
    return json.loads((GOLD / f"{seed.stem}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_identity_is_name_path_id_and_sha256_of_bytes(seed: Path) -> None:
    doc = read_document(str(seed))
    assert doc.name == seed.stem  # what gold files are matched by
    assert doc.doc_id == document_id(str(seed), seed.stem) and doc.doc_id.startswith(seed.stem + "-")
    assert doc.sha256 == hashlib.sha256(seed.read_bytes()).hexdigest()
    assert doc.location == str(seed) and doc.record is None


def test_files_of_one_name_in_two_folders_are_two_papers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (ROOT / "seeds" / "003_c3207ab883172865.txt").read_text(encoding="utf-8")
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "paper.txt").write_text(text, encoding="utf-8")
    first, second = (read_document(str(tmp_path / f / "paper.txt")) for f in ("a", "b"))
    assert first.name == second.name == "paper"
    assert first.doc_id != second.doc_id
    assert first.sha256 == second.sha256  # one text: one result key, whichever file it came from
    # The id follows the file, not the way it was named on the command line.
    monkeypatch.chdir(tmp_path / "a")
    assert read_document("paper.txt").doc_id == first.doc_id


def test_a_known_pmid_is_the_id(tmp_path: Path) -> None:
    page = tmp_path / "saved.txt"
    page.write_text(synthetic_page(pmid_line="PMID: 90000555"), encoding="utf-8")
    doc = read_document(str(page))
    assert doc.pmid == "90000555" and doc.doc_id == "pmid:90000555" and doc.name == "saved"


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


# --- saved pages: where the abstract is, and the page's own metadata -------------------------------


def test_a_navigation_menu_naming_trailer_sections_above_the_abstract_is_not_the_trailer() -> None:
    """Regression: the menu's "Similar articles" was taken as the trailer start, and the page was
    refused with "no abstract-like English prose found (12 words of running text)"."""
    doc = read_document(str(PAGES / "pubmed_page_with_menu.txt"))
    view = doc.numbered_view()
    assert "Silencing ZQK7 restored carboplatin-induced apoptosis" in view
    assert "ZQK7 promotes carboplatin resistance in ovarian cancer" in view  # the last abstract line
    # The real trailer, below the abstract, is still left out.
    assert "QRT2" not in view and "organoids" not in view and "Carboplatin / pharmacology" not in view


@pytest.mark.parametrize(
    "menu",
    [
        "Abstract\nSimilar articles\nCited by\nMeSH terms\n",
        "Keywords\nReferences\nCited by\n",
        "Similar articles\n",  # one entry, before any prose
    ],
)
def test_trailer_headings_before_the_abstract_start_nothing(menu: str) -> None:
    doc = parse_text(synthetic_page(header="Page navigation\n" + menu), doc_id="x")
    assert "Silencing the invented kinase ZQK7" in doc.numbered_view()


def test_a_trailer_heading_after_the_abstract_still_ends_it() -> None:
    trailer = "Similar articles\nThe kinase QRT2 drives cisplatin resistance in lung cancer of mice.\n"
    doc = parse_text(synthetic_page(header="Similar articles\nCited by\n", trailer=trailer), doc_id="x")
    assert "ZQK7" in doc.numbered_view() and "QRT2" not in doc.numbered_view()


def test_page_metadata_from_the_header_not_from_similar_articles() -> None:
    doc = read_document(str(PAGES / "pubmed_page_with_menu.txt"))
    assert doc.title == (
        "Loss of the invented kinase ZQK7 restores carboplatin sensitivity in high-grade serous "
        "ovarian cancer"
    )
    assert doc.doi == "10.5555/ori.2019.0412"  # not 10.5555/goi.2017.0033 of a similar article
    assert doc.pmid == "90000017"
    assert doc.year == 2019  # the dated citation line, not 2017 or 2021 of other papers
    assert doc.journal == "Oncol Rep Invented"
    assert doc.doc_id == "pmid:90000017"


def test_journal_page_furniture_is_not_the_title_and_its_doi_and_date_are_read() -> None:
    doc = read_document(str(PAGES / "journal_page_breadcrumb.txt"))
    assert doc.title == (
        "Nuclear export of the invented protein PLX9 confers oxaliplatin resistance in colorectal "
        "cancer cells"
    )
    assert doc.doi == "10.5555/ijmo.22.2.114"  # "doi: ..." near the top
    assert doc.year == 2019  # the "2019 Nov 25" line
    assert doc.journal is None  # never the DOI line after the date


@pytest.mark.parametrize(
    "furniture",
    [
        "Jump to page content",
        "Skip to main content",
        "We value your privacy",
        "Journals > Invented Oncology Reports > Vol. 22(2)",
        "Home › Journals › Invented Oncology › 2015",
        "Research article | Open access | Download PDF",
        "Full text links  Cite  Share",
        "Authors Info & Affiliations",
        "Utilizamos cookies propias y de terceros. Si continúa navegando, acepta su uso.",
        "Buscar en el sitio...",
        "[ Accept all cookies ]   [ Reject non-essential ]",
        "Jennifer A Woyach, Richard R Furman, Ta-Ming Liu",
        "Download the full text as PDF",
    ],
)
def test_page_furniture_is_never_the_title(furniture: str) -> None:
    doc = parse_text(synthetic_page(header=furniture), doc_id="x")
    assert doc.title == "Loss of the invented kinase ZQK7 restores carboplatin sensitivity in ovarian cancer"


@pytest.mark.parametrize(
    ("header", "year"),
    [
        ("2019 Nov 25", 2019),
        ("Published: 25 November 2019", 2019),
        ("Research | Open access | Published: 2018", 2018),
        ("N Engl J Invented. 2014 Jun 12;370(24):2286-94.", 2014),
        ("Invented Nature, 2006", 2006),
        ("Volume 128, Issue 7 · August 2016", 2016),
        ("Home › Articles › 2015", 2015),
        ("", None),
    ],
)
def test_a_dated_publication_line_in_the_header_gives_the_year(header: str, year: int | None) -> None:
    assert parse_text(synthetic_page(header=header), doc_id="x").year == year


def test_identifiers_and_years_of_other_papers_are_never_taken() -> None:
    trailer = (
        "Cited by\n"
        "Invented follow-up study of ZQK7 in organoids.\n"
        "Berg L, et al. Nat Commun Invented. 2021;12:4410. doi: 10.5555/nci.2021.4410. PMID: 90000999\n"
        "Published: 2021\n"
    )
    doc = parse_text(synthetic_page(trailer=trailer), doc_id="x")
    assert (doc.doi, doc.pmid, doc.year, doc.journal) == (None, None, None, None)
    header = "Berg L, Solberg M, et al. Nat Commun Invented. 2021;12:4410. doi: 10.5555/nci.2021.4410.\n"
    doc = parse_text(synthetic_page(header=header), doc_id="x")  # a citation with authors: not this page's
    assert doc.doi is None


def test_the_doi_in_the_header_citation_line_is_the_pages_own() -> None:
    header = "Invented Oncol. 2019 Nov 25;41(6):1021-33. doi: 10.5555/io.2019.41. Epub 2019 Oct 2."
    doc = parse_text(synthetic_page(header=header), doc_id="x")
    assert (doc.doi, doc.year, doc.journal) == ("10.5555/io.2019.41", 2019, "Invented Oncol")


# A page saved as one long line of labelled fields (a reference manager's or data dump's record):
# written for this test, no real paper's text.
LABELLED_LINE = (
    "key: vance2021 authors: Vance P, Oduya K, Lindqvist M title: Loss of the phosphatase DUSP9 "
    "keeps ERK active and blunts the response to a MEK inhibitor in thyroid carcinoma cells "
    "date: 2021-06-02 journal: Thyroid Research Letters volume: 4 DOI: 10.5555/trl.2021.0042 "
    "sha: 0a1b2c doc_id: 88120 abstract: Purpose: MEK inhibitors shrink only a minority of "
    "thyroid tumours, and we asked why. Results: In four carcinoma cell lines, silencing DUSP9 with "
    "two siRNAs raised phospho-ERK and increased the IC50 of trametinib about fivefold, whereas "
    "restoring DUSP9 in cells that had lost it lowered the IC50 again. Conclusions: DUSP9 loss may "
    "be one cause of trametinib resistance in thyroid carcinoma. keywords: DUSP9; ERK; trametinib "
    "cited_by: 3 | similar: MEK inhibitor resistance through KRAS amplification in melanoma\n"
)


def test_a_page_of_one_labelled_line_is_read_as_its_abstract() -> None:
    doc = parse_text(LABELLED_LINE, "x")
    assert doc.title == (
        "Loss of the phosphatase DUSP9 keeps ERK active and blunts the response to a MEK inhibitor "
        "in thyroid carcinoma cells"
    )
    assert (doc.doi, doc.year, doc.journal) == ("10.5555/trl.2021.0042", 2021, "Thyroid Research Letters")
    sentences = [doc.sentence(s.number) for s in doc.sentences]
    assert sentences[0] == doc.title
    assert (
        sentences[1] == "Purpose: MEK inhibitors shrink only a minority of thyroid tumours, and we asked why."
    )
    assert (
        sentences[-1]
        == "Conclusions: DUSP9 loss may be one cause of trametinib resistance in thyroid carcinoma."
    )
    # The fields after the abstract (keywords, other papers' titles) are not the paper's text.
    assert not any("KRAS amplification" in s or "keywords" in s for s in sentences)
    for s in doc.sentences:
        assert LABELLED_LINE[s.start : s.end] == doc.sentence(s.number)


def test_only_a_line_opening_with_record_fields_is_a_labelled_record() -> None:
    # "Purpose:", "Results:" inside prose are not record fields, and a line needs an abstract field
    # and two more, the first at its start.
    abstract = LABELLED_LINE.split("abstract: ", 1)[1].split(" keywords:")[0]
    assert read_labelled(abstract) is None
    assert read_labelled("title: A study abstract: " + abstract) is None
    assert read_labelled("Some words first. key: x title: A study abstract: " + abstract) is None
    line = "id: x | title: A study | abstract: " + abstract
    record = read_labelled(line)
    assert record is not None
    assert (record.value(line, "title"), record.value(line, "abstract")) == ("A study", abstract)
