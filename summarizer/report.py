"""The review report: ONE self-contained HTML file with every paper, its evidence and the atlas.

Nothing is fetched when the file is opened: CSS and the small script are inlined, the atlas graph
is drawn here as inline SVG, and a Content-Security-Policy (``default-src 'none'``, the script
allowed by its hash only) makes the browser refuse anything else, including a ``<script>`` that
somehow slipped into the text. Every piece of text from the store goes through ``_e``/``_text``.
The only external URLs are plain links to doi.org and PubMed. Without the script the report still
reads top to bottom; with it, findings highlight their evidence and the atlas table filters/sorts.

Evidence spans of one paper may overlap (two findings citing the same sentence), so the source
text is cut at every span boundary and each piece lists all the findings and evidence quotes that
cover it (``data-f``, ``data-ev``): the pieces of one quote, joined, give back the quote exactly.
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
import re
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .atlas import Atlas, AtlasRow, Edge, Node, build_atlas
from .normterms import registry_url
from .output import STDOUT, OutputError, write_text
from .schema import EntityRef, Finding, PaperSummary, role_of
from .store import Store, StoredPaper

# Light highlight colours, one per finding of a paper (a paper has at most 6 findings).
HIGHLIGHTS = ("#ffe08a", "#a9dcf2", "#c6ecab", "#f7c3da", "#dacbef", "#ffcaa8")
# Roles: red/blue rather than red/green so colour-blind readers can tell them apart.
ROLE_COLOURS = {"pro_resistance": "#c8553d", "anti_resistance": "#2e6fb5", "none": "#8a8f98"}
ROLE_TEXT = {
    "pro_resistance": "promotes resistance",
    "anti_resistance": "reverses resistance",
    "none": "no effect / unclear",
}
PUBMED = "https://pubmed.ncbi.nlm.nih.gov/"
DOI_ORG = "https://doi.org/"


def _e(value: object) -> str:
    """Escape for HTML text and attribute values; CR kept as a reference so the DOM keeps it."""
    return html.escape(str(value), quote=True).replace("\r", "&#13;")


def _text(value: str) -> str:
    """Escape source text. ``\\r`` would be turned into ``\\n`` by the HTML parser, and evidence
    offsets count it, so it is written as a character reference, which the parser keeps."""
    return html.escape(value, quote=False).replace("\r", "&#13;")


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


def _highlight_style(findings: Sequence[int]) -> tuple[str, str]:
    """CSS class and inline style of a piece covered by ``findings`` (stripes when several)."""
    if len(findings) == 1:
        return f"ev h{findings[0] % len(HIGHLIGHTS)}", ""
    stops = []
    for i, f in enumerate(findings):
        colour = HIGHLIGHTS[f % len(HIGHLIGHTS)]
        stops.append(f"{colour} {i * 6}px {(i + 1) * 6}px")
    return "ev multi", f"--hl:repeating-linear-gradient(135deg,{','.join(stops)})"


def render_source(text: str, spans: Sequence[Span], slug: str) -> str:
    """The source text as HTML with every evidence span marked; anchors where each span starts."""
    starts: dict[int, list[Span]] = {}
    for s in spans:
        starts.setdefault(s.start, []).append(s)
    out: list[str] = []
    for seg in split_segments(len(text), spans):
        for s in starts.pop(seg.start, []):
            # An empty anchor, so a link can point at a quote that shares its first piece.
            out.append(
                f'<span class="anchor" id="ev-{slug}-{s.finding}-{s.evidence}" data-f="{s.finding}"></span>'
            )
        piece = _text(text[seg.start : seg.end])
        if not seg.spans:
            out.append(piece)
            continue
        findings = sorted({s.finding for s in seg.spans})
        css, style = _highlight_style(findings)
        title = "finding " + ", ".join(str(f + 1) for f in findings)
        out.append(
            f'<mark class="{css}" data-f="{" ".join(map(str, findings))}" '
            f'data-ev="{" ".join(f"{s.finding}.{s.evidence}" for s in seg.spans)}"'
            + (f' style="{style}"' if style else "")
            + f' title="{title}">{piece}</mark>'
        )
    return "".join(out)


# --- pieces ----------------------------------------------------------------------------------


def _chips(values: Sequence[str], css: str = "chip") -> str:
    values = list(dict.fromkeys(values))  # models sometimes repeat an item
    return "".join(f'<span class="{css}">{_e(v.replace("_", " "))}</span>' for v in values) or "—"


def _factor_name(name: str) -> str:
    # One-word names (miR-137, IGF-1R) must not break at their hyphen.
    css = "" if " " in name.strip() else ' class="nowrap"'
    return f"<b{css}>{_e(name)}</b>"


def _id_link(curie: str) -> str:
    url = registry_url(curie)
    if url is None:
        return f"<code>{_e(curie)}</code>"
    return f'<a class="ref" href="{_e(url)}" rel="noopener noreferrer">{_e(curie)}</a>'


def _ref_html(ref: EntityRef | None) -> str:
    """A mapped name's registry id as a plain link (nothing is loaded), or its candidates."""
    if ref is None or ref.status == "unmapped":
        return ""
    if ref.status == "mapped" and ref.id:
        return f'<div class="small">{_id_link(ref.id)} {_e(ref.name or "")}</div>'
    shown = ", ".join(
        f"{_id_link(c.split(' ', 1)[0])} {_e(c.split(' ', 1)[1] if ' ' in c else '')}" for c in ref.candidates
    )
    return f'<div class="small">ambiguous: {shown}</div>'


def _role_badge(role: str) -> str:
    return f'<span class="role role-{_e(role)}">{_e(ROLE_TEXT.get(role, role))}</span>'


def _ids_line(paper: PaperSummary, stored: StoredPaper) -> str:
    bits = [f"<span>id <code>{_e(paper.doc_id)}</code></span>"]
    if paper.doi:
        bits.append(
            f'<span>DOI <a href="{_e(doi_url(paper.doi))}" rel="noopener noreferrer">'
            f"{_e(paper.doi)}</a></span>"
        )
    if paper.pmid:
        bits.append(
            f'<span>PMID <a href="{_e(pmid_url(paper.pmid))}" rel="noopener noreferrer">'
            f"{_e(paper.pmid)}</a></span>"
        )
    if paper.year:
        bits.append(f"<span>{_e(paper.year)}</span>")
    if paper.journal:
        bits.append(f"<span><i>{_e(paper.journal)}</i></span>")
    bits.append(f"<span>model <code>{_e(stored.model)}</code></span>")
    return '<p class="meta">' + " · ".join(bits) + "</p>"


def _finding_row(slug: str, index: int, f: Finding, spans: Sequence[Span]) -> str:
    role = role_of(f.alteration, f.effect) or "none"
    links = " ".join(
        f'<a href="#ev-{slug}-{index}-{s.evidence}" title="{_e(_short_quote(f, s.evidence))}">'
        f"quote&nbsp;{s.evidence + 1}</a>"
        for s in spans
        if s.finding == index
    )
    mechanism = _chips(f.mechanism_categories)
    if f.mechanism:
        mechanism += f'<div class="small">{_e(f.mechanism)}</div>'
    if f.pathways_or_partners:
        mechanism += f'<div class="small">with {_e(", ".join(f.pathways_or_partners))}</div>'
    return (
        f'<tr class="finding" id="f-{slug}-{index}" data-f="{index}" tabindex="0">'
        f'<td><span class="sw h{index % len(HIGHLIGHTS)}"></span>{index + 1}</td>'
        f'<td>{_factor_name(f.factor)}<div class="small">{_e(f.factor_type)}</div>'
        f"{_ref_html(f.factor_ref)}</td>"
        f"<td>{_e(f.alteration)}</td>"
        f'<td>{_e(f.therapy)}<div class="small">{_e(f.therapy_class.replace("_", " "))}</div>'
        f"{_ref_html(f.therapy_ref)}</td>"
        f"<td>{_e(f.cancer_type) or '—'}{_ref_html(f.cancer_ref)}</td>"
        f'<td>{_e(f.effect.replace("_", " "))}<div class="small">factor {_role_badge(role)}</div></td>'
        f"<td>{mechanism}</td>"
        f"<td>{_e('; '.join(f.models)) or '—'}</td>"
        f"<td>{_chips(f.evidence_level)}</td>"
        f"<td>{links or '<span class=small>not in text</span>'}</td>"
        "</tr>"
    )


def _short_quote(f: Finding, evidence: int) -> str:
    """The quote of one evidence of a finding, shortened for a tooltip."""
    quote = f.evidence[evidence].quote
    return quote if len(quote) <= 200 else quote[:199] + "…"


def _rejected_finding_text(finding: dict[str, Any]) -> str:
    keys = ("factor", "alteration", "therapy", "cancer_type", "effect")
    parts = [str(finding[k]) for k in keys if finding.get(k) not in (None, "")]
    return " · ".join(parts) or "(no fields)"


def render_paper(stored: StoredPaper, slug: str) -> str:
    """One paper: title, ids, summary, findings table, source with evidence, rejected findings."""
    paper = stored.paper
    assert paper is not None
    spans, problems = evidence_spans(paper, stored.source_text)
    title = paper.title or paper.doc_id
    parts = [
        f'<article class="paper" id="paper-{slug}" data-doc="{_e(paper.doc_id)}">',
        f"<h3>{_e(title)}</h3>",
        _ids_line(paper, stored),
    ]
    if paper.cancer_types:
        parts.append(f'<p class="meta">cancers: {_chips(paper.cancer_types)}</p>')
    parts.append(
        '<div class="summary"><h4>Summary <span class="small">(written from the checked findings '
        "below)</span></h4>"
        f"<p>{_e(paper.summary) if paper.summary else '<i>none given</i>'}</p></div>"
    )
    if paper.findings:
        head = "".join(
            f"<th>{h}</th>"
            for h in (
                "#",
                "Factor",
                "Alteration",
                "Therapy",
                "Cancer",
                "Effect",
                "Mechanism",
                "Models",
                "Evidence level",
                "Evidence",
            )
        )
        rows = "".join(_finding_row(slug, i, f, spans) for i, f in enumerate(paper.findings))
        parts.append(
            f'<h4>Findings ({len(paper.findings)})</h4><p class="hint">Hover or select a row to '
            "show its evidence in the text below.</p>"
            f'<div class="scroll"><table class="findings"><thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table></div>"
        )
    else:
        parts.append("<h4>Findings</h4><p><i>No grounded finding.</i></p>")
    if problems:
        parts.append('<ul class="problems">' + "".join(f"<li>{_e(p)}</li>" for p in problems) + "</ul>")
    if paper.rejected_findings:
        items = "".join(
            f'<li><b>{_e(_rejected_finding_text(r.finding))}</b><div class="reason">{_e(r.reason)}</div></li>'
            for r in paper.rejected_findings
        )
        parts.append(
            f'<div class="rejected"><h4>Rejected findings ({len(paper.rejected_findings)})</h4>'
            f"<ul>{items}</ul></div>"
        )
    parts.append(
        f'<details class="source-box" open><summary>Source text ({len(stored.source_text):,} characters)'
        f'</summary><pre class="source" id="src-{slug}">{render_source(stored.source_text, spans, slug)}'
        "</pre></details>"
    )
    parts.append('<p class="top-link"><a href="#top">back to top</a></p></article>')
    return "\n".join(parts)


# --- atlas -----------------------------------------------------------------------------------


def render_counts(atlas: Atlas, rejected_findings: int, unresolved_docs: int) -> str:
    """The headline numbers as cards, and the factors seen in more than one paper."""
    counts = atlas.counts()
    cards = [
        ("papers", counts["papers"]),
        ("findings", counts["findings"]),
        ("factors", counts["factors"]),
        ("therapies", counts["therapies"]),
        ("cancers", counts["cancers"]),
        ("factors in >1 paper", counts["shared_factors"]),
        ("rejected findings", rejected_findings),
        ("documents without result", unresolved_docs),
    ]
    html_cards = "".join(
        f'<div class="card" data-count="{_e(label)}"><b>{value}</b>{_e(label)}</div>'
        for label, value in cards
    )
    shared = atlas.shared_factors()
    line = ""
    if shared:
        links = ", ".join(
            f'<a href="#atlas-table" data-factor="{_e(n.key)}">{_e(n.label)}</a> ({len(n.papers)} papers)'
            for n in shared
        )
        line = f'<p class="shared">Seen in more than one paper: {links}</p>'
    return f'<div class="cards">{html_cards}</div>{line}'


def _truncate(text: str, limit: int = 36) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Average advance of a 13px sans-serif character, to place columns without measuring text.
CHAR_W = 7.5


def _node_text(node: Node) -> str:
    """A node's label in the graph: shortened, with its paper count when above one."""
    papers = len(node.papers)
    return _truncate(node.label) + (f" ({papers})" if papers > 1 else "")


def _radius(node: Node) -> float:
    return 5 + 1.5 * min(len(node.papers) - 1, 6)


def render_graph_svg(atlas: Atlas) -> str:
    """The atlas as an inline SVG: factors, therapies and cancers in three columns.

    Edges are coloured by the factor's role and get thicker with the number of papers. The layout
    is deterministic: nodes start by paper count and name, then each column is sorted by the mean
    position of its neighbours in a few sweeps (fewer crossings), ties by paper count and name.
    """
    columns = {kind: atlas.nodes_of(kind) for kind in ("factor", "therapy", "cancer")}
    if not columns["therapy"]:
        return '<p class="empty">No findings to draw.</p>'
    neighbours: dict[str, set[str]] = {n: set() for n in atlas.nodes}
    for e in atlas.edges:
        neighbours[e.source].add(e.target)
        neighbours[e.target].add(e.source)

    def reorder(kind: str, by: tuple[str, ...]) -> None:
        # Barycentre heuristic: each node goes to the mean height of its neighbours in ``by``.
        height = {n.id: (i + 0.5) / len(columns[k]) for k in by for i, n in enumerate(columns[k])}

        def centre(node: Node) -> float:
            linked = [height[m] for m in neighbours[node.id] if m in height]
            return sum(linked) / len(linked) if linked else 0.5

        columns[kind] = sorted(columns[kind], key=lambda n: (centre(n), -len(n.papers), n.label.casefold()))

    # A few sweeps from the therapies out and back (fewer crossings); always the same result.
    for _ in range(3):
        reorder("factor", ("therapy",))
        reorder("cancer", ("therapy",))
        reorder("therapy", ("factor", "cancer"))
    reorder("factor", ("therapy",))
    reorder("cancer", ("therapy",))
    # Columns sit as close as their labels allow; the SVG keeps its natural size (no scaling, so
    # the text stays readable) and its box scrolls sideways on a narrow screen.
    longest = {kind: max(len(_node_text(n)) for n in nodes) for kind, nodes in columns.items()}
    factor_x = max(110.0, 30 + longest["factor"] * CHAR_W)
    xs = {"factor": factor_x, "therapy": factor_x + 250, "cancer": factor_x + 480}
    width = round(xs["cancer"] + 30 + longest["cancer"] * CHAR_W)
    top, row_h = 44, 40
    rows = max(len(c) for c in columns.values())
    height = top + rows * row_h + 16
    pos: dict[str, tuple[float, float]] = {}
    for kind, nodes in columns.items():
        step = rows * row_h / len(nodes)
        for i, node in enumerate(nodes):
            pos[node.id] = (xs[kind], top + step * (i + 0.5))

    out = [
        f'<svg class="atlas-graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="graph-title">',
        '<title id="graph-title">Factors, therapies and cancers; edges coloured by the factor role</title>',
    ]
    for kind, label in (("factor", "Factor"), ("therapy", "Therapy"), ("cancer", "Cancer")):
        anchor = {"factor": "end", "therapy": "middle", "cancer": "start"}[kind]
        x = xs[kind] + {"factor": -12, "therapy": 0, "cancer": 12}[kind]
        out.append(f'<text class="col" x="{x:.1f}" y="24" text-anchor="{anchor}">{label}</text>')
    # Parallel edges (same pair, different roles) are shifted apart so each stays visible.
    pair_count: dict[tuple[str, str], int] = {}
    for e in atlas.edges:
        pair_count[(e.source, e.target)] = pair_count.get((e.source, e.target), 0) + 1
    pair_seen: dict[tuple[str, str], int] = {}
    for e in atlas.edges:
        out.append(_svg_edge(atlas, e, pos, pair_count, pair_seen))
    for kind, nodes in columns.items():
        for node in nodes:
            out.append(_svg_node(node, kind, pos[node.id]))
    out.append("</svg>")
    return "".join(out)


def _svg_edge(
    atlas: Atlas,
    e: Edge,
    pos: dict[str, tuple[float, float]],
    pair_count: dict[tuple[str, str], int],
    pair_seen: dict[tuple[str, str], int],
) -> str:
    (x1, y1), (x2, y2) = pos[e.source], pos[e.target]
    pair = (e.source, e.target)
    nth = pair_seen.get(pair, 0)
    pair_seen[pair] = nth + 1
    shift = (nth - (pair_count[pair] - 1) / 2) * 5
    y1, y2 = y1 + shift, y2 + shift
    mid = (x1 + x2) / 2
    papers = len(e.papers)
    stroke = min(1.8 + 2.4 * (papers - 1), 10)
    dash = ' stroke-dasharray="5 4"' if e.role == "none" else ""
    label = (
        f"{atlas.nodes[e.source].label} → {atlas.nodes[e.target].label}: factor "
        f"{ROLE_TEXT[e.role]}; {papers} paper{'s' if papers != 1 else ''} ({', '.join(sorted(e.papers))})"
    )
    return (
        f'<path class="edge edge-{e.role}" d="M{x1:.1f} {y1:.1f} C{mid:.1f} {y1:.1f} {mid:.1f} {y2:.1f} '
        f'{x2:.1f} {y2:.1f}" stroke="{ROLE_COLOURS[e.role]}" stroke-width="{stroke:.1f}"{dash} '
        f'data-papers="{papers}"><title>{_e(label)}</title></path>'
    )


def _svg_node(node: Node, kind: str, at: tuple[float, float]) -> str:
    x, y = at
    papers = len(node.papers)
    r = _radius(node)
    text = _node_text(node)
    if kind == "factor":
        label = f'<text x="{x - r - 6:.1f}" y="{y + 4:.1f}" text-anchor="end">{_e(text)}</text>'
    elif kind == "cancer":
        label = f'<text x="{x + r + 6:.1f}" y="{y + 4:.1f}" text-anchor="start">{_e(text)}</text>'
    else:
        label = f'<text x="{x:.1f}" y="{y - r - 5:.1f}" text-anchor="middle">{_e(text)}</text>'
    tip = (
        f"{kind} {node.label}: {papers} paper{'s' if papers != 1 else ''}, {node.findings} finding"
        f"{'s' if node.findings != 1 else ''}"
        + (f"; written as {', '.join(node.spellings)}" if len(node.spellings) > 1 else "")
    )
    shape = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}"/>'
    body = f"<title>{_e(tip)}</title>{shape}{label}"
    if kind == "factor":
        # A factor node filters the atlas table to that factor (plain jump without the script).
        return (
            f'<a class="node node-{kind}" href="#atlas-table" data-factor="{_e(node.key)}" '
            f'data-node="{_e(node.id)}">{body}</a>'
        )
    return f'<g class="node node-{kind}" data-node="{_e(node.id)}">{body}</g>'


ATLAS_COLUMNS = (
    ("factor", "Factor"),
    ("role", "Factor role"),
    ("alteration", "Alteration"),
    ("effect", "Effect"),
    ("therapy", "Therapy"),
    ("cancer", "Cancer"),
    ("mechanism", "Mechanisms"),
    ("level", "Evidence level"),
    ("paper", "Paper"),
)


def _atlas_row(atlas: Atlas, row: AtlasRow, slug: str) -> str:
    f = row.finding
    therapy = atlas.nodes[row.node_ids[1]].label
    cancer = atlas.nodes[row.node_ids[2]].label
    paper_text = _truncate(row.paper_title or row.doc_id, 40) + (f" ({row.year})" if row.year else "")
    cells = [
        (f.factor, _factor_name(f.factor)),
        (ROLE_TEXT[row.role], _role_badge(row.role)),
        (f.alteration, _e(f.alteration)),
        (f.effect, _e(f.effect.replace("_", " "))),
        (therapy, _e(f.therapy)),
        (cancer, _e(f.cancer_type) or "—"),
        (" ".join(f.mechanism_categories), _chips(f.mechanism_categories)),
        (" ".join(f.evidence_level), _chips(f.evidence_level)),
        (
            f"{row.doc_id} {row.finding_index:03d}",
            f'<a href="#f-{slug}-{row.finding_index}" title="{_e(row.paper_title or row.doc_id)}">'
            f"{_e(paper_text)}</a> "
            f'<a class="small" href="#ev-{slug}-{row.finding_index}-0">evidence</a>',
        ),
    ]
    tds = "".join(f'<td data-v="{_e(v)}">{h}</td>' for v, h in cells)
    return (
        f'<tr class="row" data-factor="{_e(row.factor_key)}" data-role="{_e(row.role)}" '
        f'data-doc="{_e(row.doc_id)}">{tds}</tr>'
    )


def render_atlas_table(atlas: Atlas, slugs: Sequence[str]) -> str:
    """Every finding, one tbody per factor group, with filter controls and sortable headers."""
    if not atlas.rows:
        return '<p class="empty">No findings yet.</p>'
    factors = sorted(atlas.nodes_of("factor"), key=lambda n: (n.label.casefold(), n.key))
    options = "".join(
        f'<option value="{_e(n.key)}">{_e(n.label)} '
        f"({len(n.papers)} paper{'s' if len(n.papers) != 1 else ''})</option>"
        for n in factors
    )
    roles = "".join(f'<option value="{r}">{_e(t)}</option>' for r, t in ROLE_TEXT.items())
    controls = (
        '<div class="controls">'
        '<label>Factor <select id="atlas-factor"><option value="">all factors</option>'
        f"{options}</select></label>"
        f'<label>Role <select id="atlas-role"><option value="">any role</option>{roles}</select></label>'
        '<label>Search <input id="atlas-search" type="search" placeholder="therapy, cancer, mechanism…">'
        "</label>"
        '<label>Groups <select id="atlas-order"><option value="name">factor A–Z</option>'
        '<option value="papers">most papers first</option></select></label>'
        f'<span id="atlas-count" aria-live="polite">{len(atlas.rows)} of {len(atlas.rows)} findings</span>'
        "</div>"
    )
    head = "".join(
        f'<th data-sort="{key}" data-col="{i}" scope="col" title="sort">{_e(label)}</th>'
        for i, (key, label) in enumerate(ATLAS_COLUMNS)
    )
    groups: list[str] = []
    for node in factors:
        rows = [r for r in atlas.rows if r.factor_key == node.key]
        papers = len(node.papers)
        spellings = f" — written as {', '.join(node.spellings)}" if len(node.spellings) > 1 else ""
        group_head = (
            f'<tr class="group-head"><th colspan="{len(ATLAS_COLUMNS)}">{_e(node.label)} '
            f'<span class="small">{papers} paper{"s" if papers != 1 else ""}, {len(rows)} finding'
            f"{'s' if len(rows) != 1 else ''}{_e(spellings)}</span></th></tr>"
        )
        body = "".join(_atlas_row(atlas, r, slugs[r.paper_index]) for r in rows)
        groups.append(
            f'<tbody class="group" data-factor="{_e(node.key)}" data-label="{_e(node.label.casefold())}" '
            f'data-papers="{papers}">{group_head}{body}</tbody>'
        )
    return (
        f'{controls}<div class="scroll"><table id="atlas-table" class="atlas">'
        f"<thead><tr>{head}</tr></thead>{''.join(groups)}</table></div>"
    )


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


def _problem_table(problems: Sequence[Problem]) -> str:
    rows = "".join(
        f"<tr><td><code>{_e(p.doc_id)}</code><div class=small>{_e(p.path)}</div></td>"
        f'<td><span class="kind kind-{_e(p.kind)}">{_e(p.kind)}</span></td>'
        f'<td class="reason">{_e(p.reason)}</td>'
        f"<td>{p.times}× · {_e(_when(p.latest))}</td></tr>"
        for p in problems
    )
    return (
        '<div class="scroll"><table class="problems-table"><thead><tr><th>Document</th><th>Kind</th>'
        f"<th>Reason</th><th>Seen</th></tr></thead><tbody>{rows}</tbody></table></div>"
    )


def _when(ts: float) -> str:
    if not ts:
        return "—"
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def render_rejected(
    papers: Sequence[StoredPaper], slugs: Sequence[str], open_: Sequence[Problem], resolved: Sequence[Problem]
) -> str:
    """All rejected findings (with links to their paper) and documents that gave no result."""
    parts = []
    items = []
    for stored, slug in zip(papers, slugs, strict=True):
        assert stored.paper is not None
        for r in stored.paper.rejected_findings:
            items.append(
                f'<li><a href="#paper-{slug}">{_e(_truncate(stored.paper.title or stored.doc_id, 70))}</a>: '
                f"<b>{_e(_rejected_finding_text(r.finding))}</b>"
                f'<div class="reason">{_e(r.reason)}</div></li>'
            )
    parts.append(f"<h3>Rejected findings ({len(items)})</h3>")
    parts.append(f'<ul class="rejected-list">{"".join(items)}</ul>' if items else "<p><i>None.</i></p>")
    parts.append(f"<h3>Documents without a result ({len(open_)})</h3>")
    parts.append(
        "<p class=hint>Rejected papers (the answer never validated), unusable inputs (source) and "
        "transport failures; a re-run retries failures.</p>" + _problem_table(open_)
        if open_
        else "<p><i>None.</i></p>"
    )
    if resolved:
        parts.append(
            f"<details><summary>Earlier problems of documents that now have a result ({len(resolved)})"
            f"</summary>{_problem_table(resolved)}</details>"
        )
    return "\n".join(parts)


# --- the page --------------------------------------------------------------------------------

CSS = """
:root{--fg:#1d232b;--muted:#5b6470;--line:#d9dee5;--soft:#f5f7fa;--head:#eef1f5;
--pro:#c8553d;--anti:#2e6fb5;--none:#8a8f98;color-scheme:light}
*{box-sizing:border-box}
html{scroll-padding-top:12px}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;
color:var(--fg);background:#fff}
main{max-width:1200px;margin:0 auto;padding:0 16px 48px}
h1{font-size:1.55rem;margin:.6em 0 .2em}
h2{font-size:1.3rem;margin:1.6em 0 .4em;padding-top:.4em;border-top:2px solid var(--line)}
h3{font-size:1.12rem;margin:1.2em 0 .3em}
h4{font-size:.95rem;margin:1em 0 .3em}
a{color:#1f5fa8}
code{font-size:.85em}
.meta,.hint,.small{color:var(--muted)}
.small{font-size:.8rem}
.hint{font-size:.85rem;margin:.2em 0}
nav.toc{font-size:.9rem;background:var(--soft);border:1px solid var(--line);border-radius:8px;
padding:8px 12px}
nav.toc ol{margin:.3em 0;padding-left:1.4em}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(120px,1fr));gap:8px;margin:8px 0}
.card{border:1px solid var(--line);border-radius:8px;padding:6px 10px;background:var(--soft);font-size:.85rem}
.card b{display:block;font-size:1.45rem;line-height:1.2}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:.86rem}
th,td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
thead th{background:var(--head);white-space:nowrap}
table.findings{min-width:900px}
table.atlas{min-width:980px}
table.atlas td:last-child{min-width:14em}
table.atlas thead th{cursor:pointer;user-select:none}
table.atlas thead th[aria-sort=ascending]::after{content:" ▲"}
table.atlas thead th[aria-sort=descending]::after{content:" ▼"}
tr.group-head th{background:#fafbfc;border-top:2px solid var(--line);font-size:.92rem}
tr.finding{cursor:pointer}
tr.finding:hover,tr.finding.on,tr.finding:target{background:#fff6d5}
.chip{display:inline-block;padding:0 6px;margin:1px 2px 1px 0;border-radius:9px;background:var(--head);
font-size:.76rem;white-space:nowrap}
.role{font-weight:600;white-space:nowrap}
.role-pro_resistance{color:var(--pro)}.role-anti_resistance{color:var(--anti)}.role-none{color:var(--none)}
.sw{display:inline-block;width:.9em;height:.9em;border-radius:3px;margin-right:4px;vertical-align:-1px;
background:var(--hl);border:1px solid rgba(0,0,0,.25)}
article.paper{border-top:1px solid var(--line);padding-top:.2em}
.summary p{margin:.2em 0;background:var(--soft);border-left:3px solid #9bb3cf;padding:6px 10px}
pre.source{white-space:pre-wrap;overflow-wrap:anywhere;
font:13px/1.6 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;
background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:10px;margin:.4em 0;
max-height:32em;overflow:auto}
details.source-box>summary{cursor:pointer;font-weight:600;font-size:.95rem;margin-top:.8em}
mark.ev{color:inherit;background:var(--hl);border-radius:2px;cursor:pointer}
mark.multi{box-shadow:inset 0 -2px 0 rgba(0,0,0,.35)}
.focus mark.ev{background:transparent;box-shadow:none}
.focus mark.ev.on{background:var(--fh);box-shadow:inset 0 -2px 0 #222}
.nowrap{white-space:nowrap}
.rejected,.problems{background:#fff4f2;border:1px solid #f0cfc8;border-radius:6px;padding:4px 12px;
margin:.6em 0}
.reason{color:#7a2e22;font-size:.85rem;overflow-wrap:anywhere}
table.problems-table{min-width:560px}
.problems-table td:first-child{max-width:18em;overflow-wrap:anywhere}
.problems-table td.reason{min-width:14em}
.kind{font-size:.78rem;padding:0 6px;border-radius:9px;background:#f6ddd8}
.controls{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;margin:8px 0;font-size:.88rem}
.controls select,.controls input{font:inherit;max-width:100%}
#atlas-count{color:var(--muted)}
.graph-box{overflow-x:auto;border:1px solid var(--line);border-radius:8px;background:#fff}
svg.atlas-graph{display:block;max-width:none;margin:0 auto;font:13px system-ui,sans-serif}
svg.atlas-graph .edge{fill:none;stroke-opacity:.7}
svg.atlas-graph .edge:hover{stroke-opacity:1}
svg.atlas-graph circle{stroke:#fff;stroke-width:1.5}
svg.atlas-graph .node-factor circle{fill:#3b4754}
svg.atlas-graph .node-therapy circle{fill:#7a5195}
svg.atlas-graph .node-cancer circle{fill:#a05a2c}
svg.atlas-graph text{fill:#1d232b;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
svg.atlas-graph text.col{font-weight:700;fill:var(--muted)}
svg.atlas-graph a.node:hover text{text-decoration:underline}
.legend{display:flex;flex-wrap:wrap;gap:6px 18px;font-size:.85rem;margin:6px 0}
.legend i{display:inline-block;width:28px;height:0;border-top:3px solid;vertical-align:middle;
margin-right:5px}
.top-link{font-size:.8rem;text-align:right;margin:.2em 0}
.empty{color:var(--muted);font-style:italic}
@media (max-width:600px){body{font-size:14px}main{padding:0 10px 32px}h1{font-size:1.3rem}}
@media print{pre.source{max-height:none}.controls,.top-link{display:none}}
"""

JS = """
(function () {
  "use strict";
  var PALETTE = __PALETTE__;  // number of highlight colours (HIGHLIGHTS)
  // Findings <-> evidence: a row and the marks of its quotes share the finding number (data-f).
  function focusFinding(article, f) {
    article.querySelectorAll("mark.ev.on, tr.finding.on").forEach(function (el) {
      el.classList.remove("on");
    });
    for (var k = 0; k < PALETTE; k++) article.classList.remove("fh" + k);
    if (f === null || f === undefined || f === "") {
      article.classList.remove("focus");
      return;
    }
    // The focused finding's own colour, also on pieces that several findings share.
    article.classList.add("focus", "fh" + (Number(f) % PALETTE));
    article.querySelectorAll('mark.ev[data-f~="' + f + '"]').forEach(function (el) {
      el.classList.add("on");
    });
    var row = article.querySelector('tr.finding[data-f="' + f + '"]');
    if (row) row.classList.add("on");
  }
  function pinned(article) { return article.getAttribute("data-pinned"); }
  function pin(article, f) {
    if (f === null) article.removeAttribute("data-pinned"); else article.setAttribute("data-pinned", f);
    focusFinding(article, f);
  }
  document.addEventListener("mouseover", function (ev) {
    var row = ev.target.closest && ev.target.closest("tr.finding");
    if (row) focusFinding(row.closest("article"), row.getAttribute("data-f"));
  });
  document.addEventListener("mouseout", function (ev) {
    var row = ev.target.closest && ev.target.closest("tr.finding");
    if (row && !(ev.relatedTarget && row.contains(ev.relatedTarget))) {
      var article = row.closest("article");
      focusFinding(article, pinned(article));
    }
  });
  document.addEventListener("click", function (ev) {
    var t = ev.target;
    var row = t.closest && t.closest("tr.finding");
    if (row && !t.closest("a")) {
      var article = row.closest("article"), f = row.getAttribute("data-f");
      pin(article, pinned(article) === f ? null : f);
      return;
    }
    var mark = t.closest && t.closest("mark.ev");
    if (mark) {
      var art = mark.closest("article"), fs = mark.getAttribute("data-f").split(" ");
      // Several findings may share this piece: each click moves on to the next one.
      var i = fs.indexOf(pinned(art));
      pin(art, i >= 0 && i + 1 < fs.length ? fs[i + 1] : (i >= 0 ? null : fs[0]));
      return;
    }
    var link = t.closest && t.closest("[data-factor]");
    if (link && factorSelect) {
      ev.preventDefault();
      factorSelect.value = link.getAttribute("data-factor");
      applyFilter();
      document.getElementById("atlas-table").scrollIntoView();
    }
  });
  document.addEventListener("focusin", function (ev) {
    var row = ev.target.closest && ev.target.closest("tr.finding");
    if (row) pin(row.closest("article"), row.getAttribute("data-f"));
  });
  function followHash() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (!el || !el.hasAttribute("data-f")) return;
    var article = el.closest("article");
    if (article) pin(article, el.getAttribute("data-f"));
  }
  window.addEventListener("hashchange", followHash);

  // Atlas table: filter by factor, role and free text; sort rows within factor groups.
  var table = document.getElementById("atlas-table");
  var factorSelect = document.getElementById("atlas-factor");
  var roleSelect = document.getElementById("atlas-role");
  var search = document.getElementById("atlas-search");
  var order = document.getElementById("atlas-order");
  var count = document.getElementById("atlas-count");
  function applyFilter() {
    if (!table) return;
    var fk = factorSelect.value, role = roleSelect.value, q = search.value.trim().toLowerCase();
    var shown = 0, total = 0;
    table.querySelectorAll("tbody.group").forEach(function (group) {
      var any = false;
      group.querySelectorAll("tr.row").forEach(function (row) {
        total++;
        var ok = (!fk || row.getAttribute("data-factor") === fk) &&
          (!role || row.getAttribute("data-role") === role) &&
          (!q || row.textContent.toLowerCase().indexOf(q) >= 0);
        row.hidden = !ok;
        if (ok) { any = true; shown++; }
      });
      group.hidden = !any;
    });
    count.textContent = shown + " of " + total + " findings";
  }
  function cellValue(row, col) {
    var cell = row.children[col];
    return cell ? (cell.getAttribute("data-v") || cell.textContent).toLowerCase() : "";
  }
  function compare(a, b) {
    var x = parseFloat(a), y = parseFloat(b);
    if (!isNaN(x) && !isNaN(y) && String(x) === a && String(y) === b) return x - y;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  function sortGroups(how, dir) {
    var groups = Array.prototype.slice.call(table.querySelectorAll("tbody.group"));
    groups.sort(function (a, b) {
      var byName = compare(a.getAttribute("data-label"), b.getAttribute("data-label"));
      if (how === "papers") {
        return (b.getAttribute("data-papers") - a.getAttribute("data-papers")) || byName;
      }
      return dir * byName;
    });
    groups.forEach(function (g) { table.appendChild(g); });
  }
  if (table) {
    [factorSelect, roleSelect].forEach(function (el) { el.addEventListener("change", applyFilter); });
    search.addEventListener("input", applyFilter);
    order.addEventListener("change", function () { sortGroups(order.value, 1); });
    table.querySelectorAll("thead th[data-sort]").forEach(function (th) {
      th.tabIndex = 0;
      function sortBy() {
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
        var col = Number(th.getAttribute("data-col"));
        if (th.getAttribute("data-sort") === "factor") { sortGroups("name", dir); return; }
        table.querySelectorAll("tbody.group").forEach(function (group) {
          var rows = Array.prototype.slice.call(group.querySelectorAll("tr.row"));
          rows.sort(function (a, b) { return dir * compare(cellValue(a, col), cellValue(b, col)); });
          rows.forEach(function (r) { group.appendChild(r); });
        });
      }
      th.addEventListener("click", sortBy);
      th.addEventListener("keydown", function (ev) { if (ev.key === "Enter") sortBy(); });
    });
    applyFilter();
  }
  followHash();
})();
""".replace("__PALETTE__", str(len(HIGHLIGHTS)))


def _palette_css() -> str:
    """``.hN`` (a piece's colour) and ``.fhN`` (the focused finding's colour) from HIGHLIGHTS."""
    return "".join(f".h{i}{{--hl:{c}}}.fh{i}{{--fh:{c}}}" for i, c in enumerate(HIGHLIGHTS)) + "\n"


def _csp(script: str) -> str:
    """Nothing may load; styles are inline; the one script runs because its hash is listed."""
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
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
    rejected_findings = sum(len(s.rejected_findings) for s in summaries)
    when = (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M %Z").strip()
    toc = "".join(
        f'<li><a href="#paper-{slug}">{_e(_truncate(p.paper.title or p.doc_id, 90))}</a>'
        f' <span class="small">{len(p.paper.findings)} finding{"s" if len(p.paper.findings) != 1 else ""}'
        "</span></li>"
        for p, slug in zip(papers, slugs, strict=True)
        if p.paper is not None
    )
    legend = "".join(
        f'<span><i style="border-color:{ROLE_COLOURS[r]}{";border-top-style:dashed" if r == "none" else ""}">'
        f"</i>factor {_e(t)}</span>"
        for r, t in ROLE_TEXT.items()
    )
    body = [
        '<main id="top">',
        "<header><h1>Therapy-resistance review report</h1>",
        f'<p class="meta">{len(papers)} papers'
        + (f" from <code>{_e(source_name)}</code>" if source_name else "")
        + f" · generated {_e(when)}</p></header>",
        '<nav class="toc"><b>Contents</b><ol><li><a href="#atlas">Atlas</a></li>'
        f'<li><a href="#papers">Papers</a><ol>{toc}</ol></li>'
        '<li><a href="#rejected">Rejected and failed</a></li></ol></nav>',
        '<section id="atlas"><h2>Atlas</h2>',
        render_counts(atlas, rejected_findings, len({p.doc_id for p in open_})),
        "<h3>Factors, therapies and cancers</h3>",
        '<p class="hint">Edge colour: the factor\'s role (a knockdown that reverses resistance means the '
        "factor promotes it). Edge width and node size: number of papers. Click a factor to filter "
        "the table.</p>",
        f'<div class="legend">{legend}</div>',
        f'<div class="graph-box">{render_graph_svg(atlas)}</div>',
        "<h3>All findings by factor</h3>",
        render_atlas_table(atlas, slugs),
        "</section>",
        '<section id="papers"><h2>Papers</h2>',
        *(render_paper(p, slug) for p, slug in zip(papers, slugs, strict=True)),
        "" if papers else '<p class="empty">No paper in the store yet.</p>',
        "</section>",
        '<section id="rejected"><h2>Rejected and failed</h2>',
        render_rejected(papers, slugs, open_, resolved),
        "</section></main>",
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(_csp(JS))}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Therapy-resistance review report</title>"
        f"<style>{CSS}{_palette_css()}</style></head><body>\n"
        + "\n".join(body)
        + f"\n<script>{JS}</script>\n</body></html>\n"
    )


def render_report(store: Store, *, generated: datetime | None = None) -> str:
    """The report of everything in ``store``: the newest ok result of each document."""
    return render_html(
        store.papers(),
        store.rejections(),
        source_name=store.path.name,
        generated=generated,
    )


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
