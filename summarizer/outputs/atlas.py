"""The cross-paper resistance atlas: findings of all papers grouped by factor, therapy and cancer.

Names are grouped by their registry id where normalisation mapped them (``Finding.factor_ref``
and friends: 'HO-1' and 'HMOX1' are HGNC:5013, 'HCC' and 'hepatocellular carcinoma' DOID:684),
otherwise by ``name_key``: case-, dash- and space-insensitive, so 'IGF-1R', 'IGF1R' and 'igf 1r'
are one factor and 'Sorafenib' == 'sorafenib'.

The graph has three kinds of node (factor, therapy, cancer) and two kinds of edge (factor ->
therapy, therapy -> cancer). Every edge carries the ROLE of the factor in the findings behind it
(``schema.role_of``: 'X knockdown reverses resistance' counts as X promotes resistance), so one
pair of nodes can have two edges when papers disagree. Everything is sorted, so the same store
always gives the same atlas, the same SVG and the same GraphML.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..inputs.text import normalize_name
from ..schema import EntityRef, Finding, PaperSummary, role_of

NodeKind = str  # 'factor' | 'therapy' | 'cancer'
NODE_KINDS: tuple[str, ...] = ("factor", "therapy", "cancer")
# Findings with no_effect/unclear have no role; their edges are still drawn, in grey.
ROLES: tuple[str, ...] = ("pro_resistance", "anti_resistance", "none")
UNSPECIFIED = "(unspecified)"

GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"


def name_key(name: str) -> str:
    """The grouping key of a factor, therapy or cancer name: case, dashes and spaces ignored."""
    return re.sub(r"[\s\-_]+", "", normalize_name(name).casefold())


@dataclass(frozen=True)
class AtlasRow:
    """One finding of one paper, with the group each of its names falls in."""

    paper_index: int
    finding_index: int
    doc_id: str
    paper_title: str | None
    year: int | None
    finding: Finding
    factor_key: str
    therapy_key: str
    cancer_key: str
    role: str

    @property
    def node_ids(self) -> tuple[str, str, str]:
        """Ids of the factor, therapy and cancer nodes this finding touches."""
        return (
            node_id("factor", self.factor_key),
            node_id("therapy", self.therapy_key),
            node_id("cancer", self.cancer_key),
        )


@dataclass
class Node:
    """A factor, therapy or cancer group."""

    id: str
    kind: NodeKind
    key: str
    label: str
    spellings: list[str]
    papers: set[str] = field(default_factory=set)
    findings: int = 0
    # The registry id and normalised name the group is keyed by (None: grouped by spelling).
    ref_id: str | None = None
    ref_name: str | None = None


@dataclass
class Edge:
    """factor -> therapy or therapy -> cancer, for one role of the factor."""

    source: str
    target: str
    role: str
    papers: set[str] = field(default_factory=set)
    findings: int = 0

    @property
    def id(self) -> str:
        """Stable id from the endpoints and the role."""
        return f"{self.source}->{self.target}#{self.role}"


@dataclass
class Atlas:
    """All findings across papers, their groups and the graph built from them."""

    rows: list[AtlasRow]
    nodes: dict[str, Node]
    edges: list[Edge]
    papers: int

    def nodes_of(self, kind: NodeKind) -> list[Node]:
        """Nodes of one kind, most papers first, then by label."""
        return sorted(
            (n for n in self.nodes.values() if n.kind == kind),
            key=lambda n: (-len(n.papers), n.label.casefold(), n.key),
        )

    def counts(self) -> dict[str, int]:
        """Headline numbers: papers, findings, factors, therapies, cancers, shared factors."""
        return {
            "papers": self.papers,
            "findings": len(self.rows),
            "factors": len(self.nodes_of("factor")),
            "therapies": len(self.nodes_of("therapy")),
            "cancers": len(self.nodes_of("cancer")),
            "shared_factors": len(self.shared_factors()),
        }

    def shared_factors(self) -> list[Node]:
        """Factors reported by more than one paper."""
        return [n for n in self.nodes_of("factor") if len(n.papers) > 1]


def node_id(kind: NodeKind, key: str) -> str:
    """The id of a node: its kind and grouping key (``factor:igf1r``)."""
    return f"{kind}:{key}"


def group_key(name: str, ref: EntityRef | None) -> str:
    """A name's group: ``id:<registry id>`` when it was mapped, else its ``name_key``."""
    if ref is not None and ref.status == "mapped" and ref.id:
        return "id:" + ref.id
    return name_key(name)


def _label(spellings: Iterable[str]) -> str:
    """The most frequent spelling of a group; ties go to the alphabetically first, for determinism."""
    counts = Counter(spellings)
    return sorted(counts, key=lambda s: (-counts[s], s))[0]


def build_atlas(papers: Sequence[PaperSummary]) -> Atlas:
    """Group every finding of ``papers`` and build the factor/therapy/cancer graph.

    Papers are identified by ``doc_id``; the same doc_id twice counts as one paper.
    """
    rows: list[AtlasRow] = []
    spellings: dict[str, list[str]] = {}
    refs: dict[str, EntityRef] = {}
    for p_index, paper in enumerate(papers):
        for f_index, finding in enumerate(paper.findings):
            keys = []
            for kind, name, ref in (
                ("factor", finding.factor, finding.factor_ref),
                ("therapy", finding.therapy, finding.therapy_ref),
                ("cancer", finding.cancer_type, finding.cancer_ref),
            ):
                shown = normalize_name(name) or UNSPECIFIED
                key = group_key(shown, ref)
                spellings.setdefault(node_id(kind, key), []).append(shown)
                if ref is not None and key.startswith("id:"):
                    refs[node_id(kind, key)] = ref
                keys.append(key)
            rows.append(
                AtlasRow(
                    paper_index=p_index,
                    finding_index=f_index,
                    doc_id=paper.doc_id,
                    paper_title=paper.title,
                    year=paper.year,
                    finding=finding,
                    factor_key=keys[0],
                    therapy_key=keys[1],
                    cancer_key=keys[2],
                    role=role_of(finding.alteration, finding.effect) or "none",
                )
            )
    nodes: dict[str, Node] = {}
    for nid, names in spellings.items():
        kind, key = nid.split(":", 1)
        ref = refs.get(nid)
        nodes[nid] = Node(
            id=nid,
            kind=kind,
            key=key,
            label=_label(names),
            spellings=sorted(set(names)),
            ref_id=ref.id if ref else None,
            ref_name=ref.name if ref else None,
        )
    edges: dict[tuple[str, str, str], Edge] = {}
    for row in rows:
        factor, therapy, cancer = row.node_ids
        for nid in row.node_ids:
            nodes[nid].papers.add(row.doc_id)
            nodes[nid].findings += 1
        for source, target in ((factor, therapy), (therapy, cancer)):
            edge = edges.setdefault((source, target, row.role), Edge(source, target, row.role))
            edge.papers.add(row.doc_id)
            edge.findings += 1
    rows.sort(key=lambda r: (nodes[r.node_ids[0]].label.casefold(), r.factor_key, r.doc_id, r.finding_index))
    return Atlas(
        rows=rows,
        nodes=nodes,
        edges=sorted(edges.values(), key=lambda e: (e.source, e.target, ROLES.index(e.role))),
        papers=len({p.doc_id for p in papers}),
    )


# Characters XML 1.0 cannot carry at all; ElementTree would write them and produce a broken file.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    return _XML_ILLEGAL.sub("\ufffd", text)


def graphml(atlas: Atlas) -> str:
    """The atlas graph as GraphML (Cytoscape, Gephi, yEd, networkx all read it).

    Nodes carry ``type`` (factor/therapy/cancer), ``label``, ``papers`` and ``findings``, and
    ``registry_id`` / ``normalized_name`` where the group is keyed by a registry id; edges are
    directed factor -> therapy -> cancer and carry ``role``, ``papers``, ``findings`` and
    ``doc_ids``. Parallel edges (one per role) show where papers disagree.
    """
    ET.register_namespace("", GRAPHML_NS)
    root = ET.Element(f"{{{GRAPHML_NS}}}graphml")
    keys = [
        ("label", "node", "label", "string"),
        ("type", "node", "type", "string"),
        ("n_papers", "node", "papers", "int"),
        ("n_findings", "node", "findings", "int"),
        ("spellings", "node", "spellings", "string"),
        ("ref_id", "node", "registry_id", "string"),
        ("ref_name", "node", "normalized_name", "string"),
        ("role", "edge", "role", "string"),
        ("e_papers", "edge", "papers", "int"),
        ("e_findings", "edge", "findings", "int"),
        ("doc_ids", "edge", "doc_ids", "string"),
    ]
    for key_id, scope, name, kind in keys:
        ET.SubElement(
            root,
            f"{{{GRAPHML_NS}}}key",
            {"id": key_id, "for": scope, "attr.name": name, "attr.type": kind},
        )
    graph = ET.SubElement(
        root, f"{{{GRAPHML_NS}}}graph", {"id": "resistance_atlas", "edgedefault": "directed"}
    )

    def data(parent: ET.Element, key: str, value: object) -> None:
        ET.SubElement(parent, f"{{{GRAPHML_NS}}}data", {"key": key}).text = _xml_safe(str(value))

    for kind in NODE_KINDS:
        for node in atlas.nodes_of(kind):
            el = ET.SubElement(graph, f"{{{GRAPHML_NS}}}node", {"id": node.id})
            data(el, "label", node.label)
            data(el, "type", node.kind)
            data(el, "n_papers", len(node.papers))
            data(el, "n_findings", node.findings)
            data(el, "spellings", "; ".join(node.spellings))
            if node.ref_id:
                data(el, "ref_id", node.ref_id)
                data(el, "ref_name", node.ref_name or "")
    for edge in atlas.edges:
        el = ET.SubElement(
            graph,
            f"{{{GRAPHML_NS}}}edge",
            {"id": edge.id, "source": edge.source, "target": edge.target},
        )
        data(el, "role", edge.role)
        data(el, "e_papers", len(edge.papers))
        data(el, "e_findings", edge.findings)
        data(el, "doc_ids", "; ".join(sorted(edge.papers)))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
