"""The atlas graph's layout for the report: factors, therapies and cancers in three columns.

Only geometry and labels are computed here; ``templates/report.html`` draws them as inline SVG.
Edges are coloured by the factor's role and get thicker with the number of papers. The layout is
deterministic: nodes start by paper count and name, then each column is sorted by the mean
position of its neighbours in a few sweeps (fewer crossings), ties by paper count and name.
"""

from __future__ import annotations

from dataclasses import dataclass

from .atlas import Atlas, Node

# Roles: red/blue rather than red/green so colour-blind readers can tell them apart.
ROLE_COLOURS = {"pro_resistance": "#c8553d", "anti_resistance": "#2e6fb5", "none": "#8a8f98"}
ROLE_TEXT = {
    "pro_resistance": "promotes resistance",
    "anti_resistance": "reverses resistance",
    "none": "no effect / unclear",
}
# Average advance of a 13px sans-serif character, to place columns without measuring text.
CHAR_W = 7.5
KINDS = ("factor", "therapy", "cancer")


def truncate(text: str, limit: int = 36) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class GraphEdge:
    """One drawn edge: its path, colour, width, dash and tooltip."""

    role: str
    path: str
    colour: str
    width: str
    dashed: bool
    papers: int
    title: str


@dataclass(frozen=True)
class GraphNode:
    """One drawn node: centre, radius, label and where the label sits."""

    kind: str
    id: str
    key: str
    x: str
    y: str
    r: str
    text: str
    text_x: str
    text_y: str
    anchor: str
    title: str


@dataclass(frozen=True)
class Graph:
    """The whole drawing."""

    width: int
    height: int
    columns: list[tuple[str, str, str, str]]  # (label, x, y, text-anchor) of each column head
    edges: list[GraphEdge]
    nodes: list[GraphNode]


def node_text(node: Node) -> str:
    """A node's label in the graph: shortened, with its paper count when above one."""
    papers = len(node.papers)
    return truncate(node.label) + (f" ({papers})" if papers > 1 else "")


def radius(node: Node) -> float:
    """Node size grows with its papers (capped)."""
    return 5 + 1.5 * min(len(node.papers) - 1, 6)


def layout(atlas: Atlas) -> Graph | None:
    """The drawing of ``atlas``; None when there is nothing to draw."""
    columns = {kind: atlas.nodes_of(kind) for kind in KINDS}
    if not columns["therapy"]:
        return None
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

    for _ in range(3):
        reorder("factor", ("therapy",))
        reorder("cancer", ("therapy",))
        reorder("therapy", ("factor", "cancer"))
    reorder("factor", ("therapy",))
    reorder("cancer", ("therapy",))
    # Columns sit as close as their labels allow; the SVG keeps its natural size (no scaling, so
    # the text stays readable) and its box scrolls sideways on a narrow screen.
    longest = {kind: max(len(node_text(n)) for n in nodes) for kind, nodes in columns.items()}
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
    heads = []
    for kind, label in (("factor", "Factor"), ("therapy", "Therapy"), ("cancer", "Cancer")):
        anchor = {"factor": "end", "therapy": "middle", "cancer": "start"}[kind]
        x = xs[kind] + {"factor": -12, "therapy": 0, "cancer": 12}[kind]
        heads.append((label, f"{x:.1f}", "24", anchor))
    return Graph(
        width, height, heads, _edges(atlas, pos), [_node(n, k, pos[n.id]) for k in KINDS for n in columns[k]]
    )


def _edges(atlas: Atlas, pos: dict[str, tuple[float, float]]) -> list[GraphEdge]:
    # Parallel edges (same pair, different roles) are shifted apart so each stays visible.
    pair_count: dict[tuple[str, str], int] = {}
    for e in atlas.edges:
        pair_count[(e.source, e.target)] = pair_count.get((e.source, e.target), 0) + 1
    pair_seen: dict[tuple[str, str], int] = {}
    out = []
    for e in atlas.edges:
        (x1, y1), (x2, y2) = pos[e.source], pos[e.target]
        pair = (e.source, e.target)
        nth = pair_seen.get(pair, 0)
        pair_seen[pair] = nth + 1
        shift = (nth - (pair_count[pair] - 1) / 2) * 5
        y1, y2 = y1 + shift, y2 + shift
        mid = (x1 + x2) / 2
        papers = len(e.papers)
        label = (
            f"{atlas.nodes[e.source].label} → {atlas.nodes[e.target].label}: factor "
            f"{ROLE_TEXT[e.role]}; {papers} paper{'s' if papers != 1 else ''} ({', '.join(sorted(e.papers))})"
        )
        out.append(
            GraphEdge(
                role=e.role,
                path=f"M{x1:.1f} {y1:.1f} C{mid:.1f} {y1:.1f} {mid:.1f} {y2:.1f} {x2:.1f} {y2:.1f}",
                colour=ROLE_COLOURS[e.role],
                width=f"{min(1.8 + 2.4 * (papers - 1), 10):.1f}",
                dashed=e.role == "none",
                papers=papers,
                title=label,
            )
        )
    return out


def _node(node: Node, kind: str, at: tuple[float, float]) -> GraphNode:
    x, y = at
    papers = len(node.papers)
    r = radius(node)
    if kind == "factor":
        tx, ty, anchor = x - r - 6, y + 4, "end"
    elif kind == "cancer":
        tx, ty, anchor = x + r + 6, y + 4, "start"
    else:
        tx, ty, anchor = x, y - r - 5, "middle"
    tip = (
        f"{kind} {node.label}: {papers} paper{'s' if papers != 1 else ''}, {node.findings} finding"
        f"{'s' if node.findings != 1 else ''}"
        + (f"; written as {', '.join(node.spellings)}" if len(node.spellings) > 1 else "")
    )
    return GraphNode(
        kind,
        node.id,
        node.key,
        f"{x:.1f}",
        f"{y:.1f}",
        f"{r:.1f}",
        node_text(node),
        f"{tx:.1f}",
        f"{ty:.1f}",
        anchor,
        tip,
    )
