"""The HTML review report and the atlas: grouping, escaping, evidence highlighting, GraphML, and
that the file needs nothing from the network."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC
from html.parser import HTMLParser
from pathlib import Path

import pytest
from report_fixtures import INFO, build_store, save

from summarizer.cli import main
from summarizer.inputs.document import Document
from summarizer.outputs.atlas import GRAPHML_NS, build_atlas, graphml, name_key
from summarizer.outputs.report import (
    Span,
    doi_url,
    evidence_spans,
    pmid_url,
    render_html,
    render_report,
    split_segments,
)
from summarizer.schema import Evidence, Finding, PaperSummary
from summarizer.store import Store, StoredPaper

HOSTILE = "<script>alert(1)</script>"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with build_store(tmp_path_factory.mktemp("report") / "report.db") as s:
        yield s


@pytest.fixture(scope="module")
def report_html(store: Store) -> str:
    return render_report(store)


def make_finding(factor: str, therapy: str = "sorafenib", cancer: str = "HCC", **kw: object) -> Finding:
    data: dict[str, object] = {
        "factor": factor,
        "factor_type": "gene",
        "alteration": "overexpression",
        "therapy": therapy,
        "therapy_class": "targeted_therapy",
        "cancer_type": cancer,
        "effect": "promotes_resistance",
        "evidence": [Evidence(quote="x", start=0, end=1)],
    }
    data.update(kw)
    return Finding.model_validate(data)


def make_paper(doc_id: str, *findings: Finding, **kw: object) -> PaperSummary:
    return PaperSummary(doc_id=doc_id, sha256="0" * 64, findings=list(findings), **kw)  # type: ignore[arg-type]


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside each <mark>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.marks: list[tuple[dict[str, str | None], str]] = []
        self._in_mark: dict[str, str | None] | None = None
        self._mark_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = dict(attrs)
        self.tags.append((tag, element))
        if tag == "mark":
            self._in_mark, self._mark_text = element, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark" and self._in_mark is not None:
            self.marks.append((self._in_mark, "".join(self._mark_text)))
            self._in_mark = None

    def handle_data(self, data: str) -> None:
        if self._in_mark is not None:
            self._mark_text.append(data)


def parse(html_text: str) -> Elements:
    parser = Elements()
    parser.feed(html_text)
    parser.close()
    return parser


# --- grouping ----------------------------------------------------------------------------------


def test_name_key_ignores_case_dashes_and_spaces() -> None:
    assert name_key("IGF-1R") == name_key("IGF1R") == name_key("igf 1r") == name_key("IGF\u20111R")
    assert name_key("Sorafenib") == name_key("sorafenib")
    assert name_key("miR-137") != name_key("miR-138")
    # Greek letters are kept: TGF-β and TGF-α are different factors.
    assert name_key("TGF-β") != name_key("TGF-α")


def test_atlas_groups_factor_and_therapy_spellings_across_papers() -> None:
    atlas = build_atlas(
        [
            make_paper("a", make_finding("IGF-1R", "Sorafenib"), make_finding("NEK2", "cisplatin")),
            make_paper("b", make_finding("IGF1R", "sorafenib"), make_finding("nek2", "Cisplatin")),
            make_paper(
                "c", make_finding("igf-1r", "SORAFENIB", alteration="knockdown", effect="reverses_resistance")
            ),
        ]
    )
    factors = {n.key: n for n in atlas.nodes_of("factor")}
    therapies = {n.key: n for n in atlas.nodes_of("therapy")}
    assert set(factors) == {"igf1r", "nek2"}
    assert factors["igf1r"].papers == {"a", "b", "c"}
    assert factors["igf1r"].spellings == ["IGF-1R", "IGF1R", "igf-1r"]
    assert factors["nek2"].label == "NEK2"  # ties: the alphabetically first spelling
    assert set(therapies) == {"sorafenib", "cisplatin"}
    assert len(therapies["sorafenib"].papers) == 3
    # 'knockdown reverses' is the same role as 'overexpression promotes': one edge, three papers.
    edges = [e for e in atlas.edges if e.source == "factor:igf1r"]
    assert [(e.target, e.role, len(e.papers)) for e in edges] == [("therapy:sorafenib", "pro_resistance", 3)]
    counts = atlas.counts()
    assert counts == {
        "papers": 3,
        "findings": 5,
        "factors": 2,
        "therapies": 2,
        "cancers": 1,
        "shared_factors": 2,
    }


def test_atlas_keeps_disagreeing_roles_as_separate_edges() -> None:
    atlas = build_atlas(
        [
            make_paper("a", make_finding("X")),
            make_paper("b", make_finding("X", effect="reverses_resistance")),
            make_paper("c", make_finding("X", effect="unclear")),
        ]
    )
    roles = sorted(e.role for e in atlas.edges if e.source == "factor:x")
    assert roles == ["anti_resistance", "none", "pro_resistance"]


def test_fixture_atlas(store: Store) -> None:
    atlas = build_atlas([p.paper for p in store.papers() if p.paper])
    nek2 = atlas.nodes["factor:nek2"]
    assert len(nek2.papers) == 2
    assert [n.label for n in atlas.shared_factors()] == ["NEK2"]
    sorafenib = atlas.nodes["therapy:sorafenib"]
    assert len(sorafenib.papers) == 2
    hcc = [
        e
        for e in atlas.edges
        if e.source == "therapy:sorafenib" and e.target == "cancer:hepatocellularcarcinoma"
    ]
    # IGF-1R knockdown reverses + IGF1R and ANT2 promote -> pro; miR-137 restoration reverses -> anti.
    assert {(e.role, len(e.papers), e.findings) for e in hcc} == {
        ("pro_resistance", 2, 3),
        ("anti_resistance", 1, 1),
    }
    assert atlas.nodes["therapy:radiotherapy"].spellings == ["Radiotherapy", "radiotherapy"]


# --- highlighting ------------------------------------------------------------------------------


def test_split_segments_cuts_at_every_boundary() -> None:
    spans = [Span(0, 0, 2, 8), Span(1, 0, 5, 12), Span(2, 0, 5, 8)]
    segments = split_segments(15, spans)
    assert [(s.start, s.end) for s in segments] == [(0, 2), (2, 5), (5, 8), (8, 12), (12, 15)]
    assert [sorted(x.finding for x in s.spans) for s in segments] == [[], [0], [0, 1, 2], [1], []]


def highlighted_quotes(html_text: str) -> dict[tuple[str, str], str]:
    """(doc_id, 'finding.evidence') -> the text of all its marked pieces, in document order."""
    out: dict[tuple[str, str], str] = {}
    doc = None
    parser = parse(html_text)
    # Walk tags and marks in order: marks are appended on their end tag, tags on their start.
    marks = iter(parser.marks)
    for tag, attrs in parser.tags:
        if tag == "article":
            doc = attrs["data-doc"]
        if tag == "mark":
            mark_attrs, text = next(marks)
            assert mark_attrs is attrs
            assert doc is not None
            for ev in (attrs.get("data-ev") or "").split():
                out[(doc, ev)] = out.get((doc, ev), "") + text
    return out


def test_every_highlighted_span_equals_its_quote(store: Store, report_html: str) -> None:
    found = highlighted_quotes(report_html)
    expected = {}
    for stored in store.papers():
        assert stored.paper is not None
        for fi, f in enumerate(stored.paper.findings):
            for ei, ev in enumerate(f.evidence):
                expected[(stored.doc_id, f"{fi}.{ei}")] = ev.quote
    assert found == expected
    # The overlap is real: one piece of seed 000 is covered by three findings.
    assert any(len((a.get("data-f") or "").split()) == 3 for a, _ in parse(report_html).marks)


def test_carriage_returns_survive_in_highlights() -> None:
    text = (
        "Title line of the paper here\r\nGENEX knockdown restored\r\ncisplatin sensitivity in cells.\r\n" * 2
    )
    quote = "GENEX knockdown restored\r\ncisplatin sensitivity"
    start = text.index(quote)
    f = make_finding("GENEX", evidence=[Evidence(quote=quote, start=start, end=start + len(quote))])
    stored = StoredPaper(1, "crlf", "ok", None, make_paper("crlf", f), text, "m", 0.0)
    html_text = render_html([stored])
    assert "restored&#13;\ncisplatin" in html_text


def test_mismatched_evidence_is_reported_not_highlighted() -> None:
    text = "GENEX knockdown restored cisplatin sensitivity."
    f = make_finding("GENEX", evidence=[Evidence(quote="other words", start=0, end=11)])
    spans, problems = evidence_spans(make_paper("d", f), text)
    assert spans == []
    assert problems and "does not hold the quote" in problems[0]
    html_text = render_html([StoredPaper(1, "d", "ok", None, make_paper("d", f), text, "m", 0.0)])
    assert "<mark" not in html_text
    assert "does not hold the quote" in html_text


# --- escaping and links ------------------------------------------------------------------------


def test_hostile_text_is_escaped() -> None:
    text = (
        f"Title {HOSTILE} of a paper about GENEX\n{HOSTILE} GENEX knockdown restored cisplatin sensitivity."
    )
    quote = f"{HOSTILE} GENEX knockdown"
    start = text.index(quote)
    f = make_finding(
        f"GENEX{HOSTILE}",
        therapy=f'cis"platin{HOSTILE}',
        cancer=HOSTILE,
        mechanism=HOSTILE,
        models=[HOSTILE],
        evidence=[Evidence(quote=quote, start=start, end=start + len(quote))],
    )
    paper = make_paper(
        f"doc{HOSTILE}",
        f,
        title=HOSTILE,
        summary=HOSTILE,
        journal=HOSTILE,
        doi='10.1000/x"><script>alert(1)</script>',
        rejected_findings=[{"reason": HOSTILE, "finding": {"factor": HOSTILE}}],
    )
    stored = StoredPaper(1, paper.doc_id, "ok", None, paper, text, HOSTILE, 0.0)
    problems = [{"doc_id": HOSTILE, "path": HOSTILE, "kind": "failure", "reason": HOSTILE, "created_at": 0}]
    html_text = render_html([stored], problems, source_name=HOSTILE)
    elements = parse(html_text)
    scripts = [attrs for tag, attrs in elements.tags if tag == "script"]
    assert len(scripts) == 1  # only the report's own script
    assert "<script>alert" not in html_text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_text
    # The highlighted quote still reads back as the hostile text, verbatim.
    assert highlighted_quotes(html_text) == {(paper.doc_id, "0.0"): quote}


def test_ids_are_links(report_html: str) -> None:
    hrefs = [a.get("href") for tag, a in parse(report_html).tags if tag == "a"]
    assert "https://doi.org/10.1186/s12935-024-03367-5" in hrefs
    assert doi_url("10.1000/a b") == "https://doi.org/10.1000/a%20b"
    paper = make_paper("p", title="T", pmid="12345", year=2020)
    html_text = render_html([StoredPaper(1, "p", "ok", None, paper, "text", "m", 0.0)])
    assert f'href="{pmid_url("12345")}"' in html_text
    assert pmid_url("12345") == "https://pubmed.ncbi.nlm.nih.gov/12345/"


def test_report_is_self_contained(report_html: str) -> None:
    elements = parse(report_html)
    external = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
    for tag, attrs in elements.tags:
        assert tag not in ("link", "iframe", "object", "embed", "img", "base"), tag
        for name in ("src", "srcset", "data", "action", "poster", "xlink:href"):
            assert not attrs.get(name), (tag, name, attrs.get(name))
        href = attrs.get("href") or ""
        if external.match(href):
            assert tag == "a", href
            assert href.startswith(("https://doi.org/", "https://pubmed.ncbi.nlm.nih.gov/")), href
    styles_and_scripts = "".join(re.findall(r"<(?:style|script)>(.*?)</(?:style|script)>", report_html, re.S))
    assert "url(" not in styles_and_scripts and "@import" not in styles_and_scripts
    assert "http" not in styles_and_scripts
    # The CSP forbids loading anything anyway.
    (csp,) = [a["content"] for t, a in elements.tags if t == "meta" and a.get("http-equiv")]
    assert csp is not None and csp.startswith("default-src 'none';")
    assert len(report_html.encode()) < 300_000


def test_report_sections(store: Store, report_html: str) -> None:
    html_text = report_html
    # Headline counts.
    counts = dict(re.findall(r'data-count="([^"]+)"><b>(\d+)</b>', html_text))
    assert counts == {
        "papers": "4",
        "findings": "9",
        "factors": "7",
        "therapies": "3",
        "cancers": "3",
        "factors in &gt;1 paper": "1",
        "rejected findings": "2",
        "documents without result": "3",
    }
    # Rejected findings, rejected paper, failure and bad source are all listed with their reason.
    for reason in (
        "evidence sentence 14 does not exist",
        "factor &#39;HIFU&#39; is not named",  # Jinja2 (markupsafe) writes ' as &#39;
        "invalid answer after 3 attempts",
        "file is empty",
        "request timed out after 600 s",
    ):
        assert reason in html_text, reason
    # Atlas rows link to finding rows and evidence anchors that exist.
    ids = {a.get("id") for _, a in parse(html_text).tags if a.get("id")}
    links = re.findall(r'href="#([^"]+)"', html_text)
    assert links and all(link in ids for link in links), [link for link in links if link not in ids]
    assert html_text.count('<tr class="row"') == 9
    # The graph: 7 factor, 3 therapy and 3 cancer nodes.
    assert html_text.count('class="node node-factor"') == 7
    assert html_text.count('class="node node-therapy"') == 3
    assert html_text.count('class="node node-cancer"') == 3
    assert 'class="edge edge-anti_resistance"' in html_text


def test_report_is_deterministic(store: Store) -> None:
    from datetime import datetime

    when = datetime(2025, 1, 1, tzinfo=UTC)
    assert render_report(store, generated=when) == render_report(store, generated=when)


def test_empty_store_renders(tmp_path: Path) -> None:
    with Store(tmp_path / "empty.db") as empty:
        html_text = render_report(empty)
    assert "No paper in the store yet" in html_text
    assert "No findings to draw" in html_text


def test_resolved_problems_are_kept_apart(tmp_path: Path) -> None:
    with build_store(tmp_path / "s.db") as s:
        run_id = s.start_run(INFO)
        doc = Document(doc_id="slow", path="inbox/slow.txt", sha256="1" * 64, text="GENEX text")
        save(s, run_id, doc, make_paper("slow", title="Slow but done"))
        html_text = render_report(s)
    assert "Documents without a result (2)" in html_text
    assert "Earlier problems of documents that now have a result (1)" in html_text


# --- GraphML and the CLI -----------------------------------------------------------------------


def test_graphml_parses_with_expected_nodes_and_edges(store: Store) -> None:
    atlas = build_atlas([p.paper for p in store.papers() if p.paper])
    root = ET.fromstring(graphml(atlas).encode())
    ns = {"g": GRAPHML_NS}
    keys = {k.get("id"): k.get("attr.name") for k in root.findall("g:key", ns)}

    def data(el: ET.Element) -> dict[str, str]:
        return {str(keys[d.get("key")]): d.text or "" for d in el.findall("g:data", ns)}

    nodes = {n.get("id"): data(n) for n in root.findall("g:graph/g:node", ns)}
    assert len(nodes) == 13
    assert nodes["factor:nek2"] == {
        "label": "NEK2",
        "type": "factor",
        "papers": "2",
        "findings": "2",
        "spellings": "NEK2",
    }
    assert nodes["factor:igf1r"]["spellings"] == "IGF-1R; IGF1R"
    assert {v["type"] for v in nodes.values()} == {"factor", "therapy", "cancer"}
    edges = [(e.get("source"), e.get("target"), data(e)) for e in root.findall("g:graph/g:edge", ns)]
    assert all(s in nodes and t in nodes for s, t, _ in edges)
    by_pair = {(s, t, d["role"]): d for s, t, d in edges}
    assert by_pair[("factor:nek2", "therapy:radiotherapy", "pro_resistance")]["papers"] == "1"
    assert by_pair[("factor:tp53", "therapy:bortezomib", "anti_resistance")]["doc_ids"].startswith("001_")
    sorafenib_hcc = by_pair[("therapy:sorafenib", "cancer:hepatocellularcarcinoma", "pro_resistance")]
    assert (sorafenib_hcc["papers"], sorafenib_hcc["findings"]) == ("2", "3")
    # 8 factor -> therapy (both IGF-1R spellings share one), 5 therapy -> cancer (two roles twice).
    assert len(edges) == 13


def test_cli_report_and_graphml_export(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.html"
    assert main(["report", "--db", str(store.path), "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "wrote" in capsys.readouterr().err
    assert main(["report", "--db", str(store.path), "-o", str(tmp_path / "new" / "dir" / "r.html")]) == 0
    assert main(["report", "--db", str(tmp_path / "typo.db"), "-o", str(out)]) == 2
    assert "no store at" in capsys.readouterr().err
    assert not (tmp_path / "typo.db").exists()
    graph = tmp_path / "atlas.graphml"
    assert main(["export", "--db", str(store.path), "--format", "graphml", "-o", str(graph)]) == 0
    assert ET.parse(graph).getroot().tag == f"{{{GRAPHML_NS}}}graphml"


def test_report_of_the_replayed_seed_store(seed_store: Path) -> None:
    """Real model output (the recorded seed run): every evidence highlighted verbatim, links resolve."""
    with Store(seed_store) as real:
        html_text = render_report(real)
        papers = [p for p in real.papers() if p.paper is not None]
    assert papers
    expected = {
        (p.doc_id, f"{fi}.{ei}"): ev.quote
        for p in papers
        if p.paper is not None
        for fi, f in enumerate(p.paper.findings)
        for ei, ev in enumerate(f.evidence)
    }
    assert highlighted_quotes(html_text) == expected
    ids = {a.get("id") for _, a in parse(html_text).tags if a.get("id")}
    assert all(link in ids for link in re.findall(r'href="#([^"]+)"', html_text))
    # Kept for a person to open: the report of the real recorded run.
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "report-seeds.html").write_text(html_text, encoding="utf-8")
    root = ET.fromstring(graphml(build_atlas([p.paper for p in papers if p.paper])).encode())
    assert root.tag == f"{{{GRAPHML_NS}}}graphml"


def test_confidence_is_shown_and_sortable() -> None:
    """Each finding's confidence in its paper's table and as a sortable atlas column."""
    paper = make_paper(
        "conf",
        make_finding("A1", confidence=0.9),
        make_finding("B2", confidence=0.25),
        make_finding("C3"),  # stored before the decision stage: no confidence
    )
    stored = StoredPaper(1, "conf", "ok", None, paper, "x", "m", 0.0)
    html_text = render_html([stored])
    sortable = re.findall(r'<th data-sort="confidence" data-col="(\d+)"', html_text)
    assert sortable == ["8"]
    # Atlas cells sort by a fixed-width value (rows are grouped by factor, A-Z).
    assert re.findall(r'<td data-v="(\d\.\d{3})">(0\.\d\d)</td>', html_text) == [
        ("0.900", "0.90"),
        ("0.250", "0.25"),
    ]
    rows = {r.split("</b>")[0]: r for r in html_text.split('<tr class="finding"')[1:]}
    assert "<td>0.90</td>" in rows[next(k for k in rows if "A1" in k)]
    assert "<td>—</td>" in rows[next(k for k in rows if "C3" in k)]
