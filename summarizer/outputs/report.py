"""The review report: ONE self-contained HTML file with every paper, its evidence and the atlas.

The page is ``outputs/templates/report.html`` (Jinja2, autoescape on: every piece of text from the
store is escaped); its CSS (``outputs/static/common.css``, shared with the review app) and script
(``outputs/static/report.js``) are package files inlined when the report is rendered, so nothing
is fetched when the file is opened. A Content-Security-Policy (``default-src 'none'``, the script
allowed by its hash only) makes the browser refuse anything else, including a ``<script>`` that
somehow slipped into the text. The only external URLs are plain links to doi.org, PubMed and
registries. Without the script the report still reads top to bottom; with it, findings highlight
their evidence and the atlas table filters and sorts (confidence too).

Evidence spans of one paper may overlap (two findings citing the same sentence), so the source
text is cut at every span boundary and each piece lists all the findings and evidence quotes that
cover it (``data-f``, ``data-ev``): the pieces of one quote, joined, give back the quote exactly.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from ..registry.normterms import registry_url
from ..schema import EntityRef, Finding, PaperSummary, role_of
from ..store import Store, StoredPaper
from .atlas import Atlas, AtlasRow, build_atlas
from .files import STDOUT, OutputError, write_text
from .report_graph import ROLE_COLOURS, ROLE_TEXT, layout, truncate

ASSETS = Path(__file__).resolve().parent
# Light highlight colours, one per finding of a paper (common.css has a .hN class for each).
HIGHLIGHTS = ("#ffe08a", "#a9dcf2", "#c6ecab", "#f7c3da", "#dacbef", "#ffcaa8")
PUBMED = "https://pubmed.ncbi.nlm.nih.gov/"
DOI_ORG = "https://doi.org/"
ATLAS_COLUMNS = (
    ("factor", "Factor"),
    ("role", "Factor role"),
    ("alteration", "Alteration"),
    ("effect", "Effect"),
    ("therapy", "Therapy"),
    ("cancer", "Cancer"),
    ("mechanism", "Mechanisms"),
    ("level", "Evidence level"),
    ("confidence", "Confidence"),
    ("paper", "Paper"),
)
__all__ = ["HIGHLIGHTS", "ROLE_COLOURS", "ROLE_TEXT", "Span", "render_html", "render_report", "write_report"]


def source_text(value: str) -> Markup:
    """Escape source text. ``\\r`` would be turned into ``\\n`` by the HTML parser, and evidence
    offsets count it, so it is written as a character reference, which the parser keeps."""
    return Markup(str(escape(value)).replace("\r", "&#13;"))


@cache
def environment() -> Environment:
    """Jinja2 for the report: autoescape on for every template and string."""
    env = Environment(
        loader=FileSystemLoader(ASSETS / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.do"],
    )
    env.filters["srctext"] = source_text
    env.filters["add1"] = lambda n: n + 1
    env.globals.update(registry_url=registry_url, role_text=ROLE_TEXT, role_colours=ROLE_COLOURS)
    return env


def ref_html(ref: EntityRef | None) -> str:
    """A mapped name's registry id as a plain link (nothing is loaded), or its candidates."""
    return str(environment().get_template("report_macros.html").module.ref(ref))  # type: ignore[attr-defined]


def asset(name: str) -> str:
    """A static file of the package (CSS, JS) as text."""
    return (ASSETS / "static" / name).read_text(encoding="utf-8")


def doi_url(doi: str) -> str:
    """The resolver link of a DOI (characters outside the DOI grammar percent-encoded)."""
    return DOI_ORG + urllib.parse.quote(doi, safe="/:;()._-<>[]")


def pmid_url(pmid: str) -> str:
    """The PubMed page of a PMID."""
    return f"{PUBMED}{urllib.parse.quote(pmid, safe='')}/"


def slugify(text: str) -> str:
    """An anchor-safe id fragment (letters, digits, ``-`` and ``_`` only)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "paper"


def paper_slugs(doc_ids: Sequence[str]) -> list[str]:
    """Unique anchor slugs for papers, in order; clashes get a numeric suffix."""
    seen: set[str] = set()
    slugs = []
    for doc_id in doc_ids:
        base = slugify(doc_id)
        slug, n = base, 2
        while slug in seen:
            slug, n = f"{base}-{n}", n + 1
        seen.add(slug)
        slugs.append(slug)
    return slugs


# --- evidence highlighting ------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """One evidence quote of one finding: ``text[start:end]``."""

    finding: int
    evidence: int
    start: int
    end: int


@dataclass(frozen=True)
class Segment:
    """A stretch of the source text covered by the same set of spans (maybe none)."""

    start: int
    end: int
    spans: tuple[Span, ...]


def evidence_spans(paper: PaperSummary, text: str) -> tuple[list[Span], list[str]]:
    """The spans to highlight, and a note for each evidence that does not match ``text``.

    Only spans whose text is exactly the quote are drawn: the report promises verbatim evidence.
    """
    spans: list[Span] = []
    problems: list[str] = []
    for f_index, finding in enumerate(paper.findings):
        for e_index, ev in enumerate(finding.evidence):
            if ev.start >= ev.end:
                continue
            if ev.end > len(text) or text[ev.start : ev.end] != ev.quote:
                problems.append(
                    f"finding {f_index + 1}, evidence {e_index + 1}: the span {ev.start}-{ev.end} "
                    "does not hold the quote in the stored source text"
                )
                continue
            spans.append(Span(f_index, e_index, ev.start, ev.end))
    return spans, problems


def split_segments(length: int, spans: Sequence[Span]) -> list[Segment]:
    """Cut ``[0, length)`` at every span boundary; each piece knows every span covering it."""
    cuts = {0, length}
    for s in spans:
        cuts.update((s.start, s.end))
    points = sorted(c for c in cuts if 0 <= c <= length)
    segments = []
    for a, b in zip(points[:-1], points[1:], strict=True):
        covering = tuple(s for s in spans if s.start <= a and b <= s.end)
        segments.append(Segment(a, b, covering))
    return segments


@dataclass(frozen=True)
class Piece:
    """A stretch of source text as the template draws it: anchors first, then the text."""

    anchors: tuple[Span, ...]
    text: str
    findings: tuple[int, ...]
    evidence: str
    css: str
    style: str


def source_pieces(text: str, spans: Sequence[Span]) -> list[Piece]:
    """The source text cut at every evidence boundary, with an anchor where each span starts."""
    starts: dict[int, list[Span]] = {}
    for s in spans:
        starts.setdefault(s.start, []).append(s)
    out = []
    for seg in split_segments(len(text), spans):
        findings = tuple(sorted({s.finding for s in seg.spans}))
        css, style = "", ""
        if len(findings) == 1:
            css = f"ev h{findings[0] % len(HIGHLIGHTS)}"
        elif findings:
            stops = ",".join(
                f"{HIGHLIGHTS[f % len(HIGHLIGHTS)]} {i * 6}px {(i + 1) * 6}px" for i, f in enumerate(findings)
            )
            css, style = "ev multi", f"--hl:repeating-linear-gradient(135deg,{stops})"
        evidence = " ".join(f"{s.finding}.{s.evidence}" for s in seg.spans)
        out.append(
            Piece(tuple(starts.pop(seg.start, [])), text[seg.start : seg.end], findings, evidence, css, style)
        )
    return out


# --- what the template is given --------------------------------------------------------------


@dataclass
class PaperPart:
    """One paper of the report."""

    stored: StoredPaper
    paper: PaperSummary
    slug: str
    spans: list[Span]
    problems: list[str]
    pieces: list[Piece]

    def quotes(self, index: int) -> list[tuple[int, str]]:
        """(evidence number, shortened quote) of the drawn evidence of finding ``index``."""
        f = self.paper.findings[index]
        return [
            (s.evidence, truncate(f.evidence[s.evidence].quote, 200))
            for s in self.spans
            if s.finding == index
        ]

    def role(self, f: Finding) -> str:
        return role_of(f.alteration, f.effect) or "none"


def paper_part(stored: StoredPaper, slug: str) -> PaperPart:
    assert stored.paper is not None
    spans, problems = evidence_spans(stored.paper, stored.source_text)
    return PaperPart(stored, stored.paper, slug, spans, problems, source_pieces(stored.source_text, spans))


@dataclass
class AtlasGroup:
    """The rows of one factor in the atlas table."""

    key: str
    label: str
    papers: int
    spellings: list[str]
    label_key: str  # for sorting groups by name (case-folded)
    rows: list[tuple[AtlasRow, str, str, str]]  # (row, therapy label, cancer label, paper slug)


def atlas_groups(atlas: Atlas, slugs: Sequence[str]) -> list[AtlasGroup]:
    """One group per factor, by name."""
    factors = sorted(atlas.nodes_of("factor"), key=lambda n: (n.label.casefold(), n.key))
    groups = []
    for node in factors:
        rows = [
            (r, atlas.nodes[r.node_ids[1]].label, atlas.nodes[r.node_ids[2]].label, slugs[r.paper_index])
            for r in atlas.rows
            if r.factor_key == node.key
        ]
        groups.append(
            AtlasGroup(node.key, node.label, len(node.papers), node.spellings, node.label.casefold(), rows)
        )
    return groups


# --- rejections ------------------------------------------------------------------------------


@dataclass
class Problem:
    """A document-level rejection or failure, repeats of the same one folded together."""

    doc_id: str
    path: str
    kind: str
    reason: str
    times: int
    latest: float

    @property
    def when(self) -> str:
        if not self.latest:
            return "—"
        return datetime.fromtimestamp(self.latest, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def document_problems(
    rejections: Sequence[dict[str, Any]], ok_doc_ids: set[str]
) -> tuple[list[Problem], list[Problem]]:
    """Store rejections other than findings, split into (still without a result, since resolved).

    Each run records its own rows, so the same failure seen in three runs is one entry, ×3.
    """
    folded: dict[tuple[str, str, str, str], Problem] = {}
    for row in rejections:
        if row.get("kind") == "finding":
            continue  # shown with their paper, from PaperSummary.rejected_findings
        key = (str(row.get("doc_id") or ""), str(row.get("path") or ""), str(row["kind"]), str(row["reason"]))
        if key in folded:
            folded[key].times += 1
            folded[key].latest = max(folded[key].latest, float(row.get("created_at") or 0))
        else:
            folded[key] = Problem(*key, times=1, latest=float(row.get("created_at") or 0))
    ordered = sorted(folded.values(), key=lambda p: (p.doc_id, p.path, p.kind, p.reason))
    open_ = [p for p in ordered if p.doc_id not in ok_doc_ids]
    resolved = [p for p in ordered if p.doc_id in ok_doc_ids]
    return open_, resolved


def rejected_text(finding: dict[str, Any]) -> str:
    """A rejected candidate's fields in one line (older rejections have fewer keys)."""
    keys = ("factor", "alteration", "therapy", "cancer_type", "effect")
    parts = [str(finding[k]) for k in keys if finding.get(k) not in (None, "")]
    return " · ".join(parts) or "(no fields)"


# --- the page --------------------------------------------------------------------------------


def script() -> str:
    """The report's script as inlined (its hash goes into the CSP)."""
    return asset("report.js").replace("__PALETTE__", str(len(HIGHLIGHTS)))


def csp(js: str) -> str:
    """Nothing may load; styles are inline; the one script runs because its hash is listed."""
    digest = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode("ascii")
    return (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )


def render_html(
    papers: Sequence[StoredPaper],
    rejections: Sequence[dict[str, Any]] = (),
    *,
    source_name: str = "",
    generated: datetime | None = None,
) -> str:
    """The whole report from stored papers (those with a PaperSummary) and store rejection rows."""
    papers = [p for p in papers if p.paper is not None]
    summaries: list[PaperSummary] = [p.paper for p in papers if p.paper is not None]
    slugs = paper_slugs([p.doc_id for p in papers])
    atlas = build_atlas(summaries)
    open_, resolved = document_problems(rejections, {p.doc_id for p in papers})
    counts = atlas.counts()
    cards = [
        ("papers", counts["papers"]),
        ("findings", counts["findings"]),
        ("factors", counts["factors"]),
        ("therapies", counts["therapies"]),
        ("cancers", counts["cancers"]),
        ("factors in >1 paper", counts["shared_factors"]),
        ("rejected findings", sum(len(s.rejected_findings) for s in summaries)),
        ("documents without result", len({p.doc_id for p in open_})),
    ]
    js = script()
    return (
        environment()
        .get_template("report.html")
        .render(
            csp=csp(js),
            css=Markup(asset("common.css")),
            js=Markup(js),
            papers=[paper_part(p, slug) for p, slug in zip(papers, slugs, strict=True)],
            source_name=source_name,
            when=(generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M %Z").strip(),
            cards=cards,
            shared=atlas.shared_factors(),
            graph=layout(atlas),
            groups=atlas_groups(atlas, slugs),
            atlas_rows=len(atlas.rows),
            factor_nodes=sorted(atlas.nodes_of("factor"), key=lambda n: (n.label.casefold(), n.key)),
            columns=ATLAS_COLUMNS,
            open_problems=open_,
            resolved=resolved,
            doi_url=doi_url,
            pmid_url=pmid_url,
            truncate=truncate,
            rejected_text=rejected_text,
            palette=len(HIGHLIGHTS),
        )
    )


def render_report(store: Store, *, generated: datetime | None = None) -> str:
    """The report of everything in ``store``: the newest ok result of each document."""
    return render_html(store.papers(), store.rejections(), source_name=store.path.name, generated=generated)


def write_report(store: Store, output: Path | str, *, generated: datetime | None = None) -> int:
    """Write the report to ``output`` (atomically; ``-`` is standard output); returns its size in bytes.

    A missing folder is created: a report is often written to a new place to be shared.
    """
    text = render_report(store, generated=generated)
    if str(output) != STDOUT:
        try:
            Path(os.path.realpath(output)).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create the folder of {output} ({exc.strerror or exc})") from exc
    return write_text(str(output), text)
