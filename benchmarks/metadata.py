"""Metadata read off saved pages: title, DOI, PMID and year against the gold files, per field.

Every ``.txt`` of each set is read with ``sources.read_document`` (no model) and its metadata compared
with the gold file of the same stem. Per field:

* right: the value equals gold, an unknown value included (both null);
* found: gold has a value and the reader found it;
* wrong: the reader gave a value that is not gold's (another paper's DOI, a menu line as title...);
  this is the count that must stay 0;
* missed: gold has a value the reader did not give (the dev set's years are often not in the text).

Titles are compared after whitespace/dash normalisation, case-folded, without a trailing period;
DOIs case-insensitively. ``--compare REV`` also scores the reader of git revision REV (e.g. ``main``)
and prints both, before and after::

    python benchmarks/metadata.py                      # seeds + tests/gold, benchmarks/dev
    python benchmarks/metadata.py --compare main -v    # before/after, and each differing document
    python benchmarks/metadata.py --set docs/:gold/    # any folder of .txt with gold JSON files
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarizer.errors import SourceError  # noqa: E402
from summarizer.inputs import sources  # noqa: E402
from summarizer.inputs.text import normalize_spaces  # noqa: E402

FIELDS = ("title", "doi", "pmid", "year")
DEFAULT_SETS = [
    (ROOT / "seeds", ROOT / "tests" / "gold"),
    (ROOT / "benchmarks" / "dev" / "docs", ROOT / "benchmarks" / "dev" / "gold"),
]


@dataclass
class Tally:
    """Counts for one field."""

    right: int = 0
    found: int = 0
    available: int = 0
    wrong: int = 0
    missed: int = 0
    wrong_docs: list[str] = field(default_factory=list)


def comparable(name: str, value: Any) -> Any:
    """The form two values of ``name`` are compared in."""
    if value is None or value == "":
        return None
    if name == "title":
        return normalize_spaces(str(value)).casefold().rstrip(" .")
    if name == "doi":
        return str(value).lower()
    if name == "year":
        return int(value)
    return str(value)


def score(reader: ModuleType, pairs: list[tuple[Path, Path]]) -> tuple[dict[str, Tally], list[str], dict]:
    """Tallies per field, unreadable documents, and each document's values (for ``-v``)."""
    tallies = {name: Tally() for name in FIELDS}
    unreadable: list[str] = []
    values: dict[str, dict[str, Any]] = {}
    for text, gold_path in pairs:
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        try:
            doc = reader.read_document(str(text))
            got = {name: getattr(doc, name) for name in FIELDS}
        except SourceError as exc:  # the old reader refused some pages outright
            unreadable.append(f"{text.name}: {exc.reason}")
            got = dict.fromkeys(FIELDS)
        values[text.stem] = got
        for name in FIELDS:
            tally, want, have = tallies[name], comparable(name, gold.get(name)), comparable(name, got[name])
            tally.right += want == have
            if want is not None:
                tally.available += 1
                tally.found += want == have
                tally.missed += have is None
            if have is not None and have != want:
                tally.wrong += 1
                tally.wrong_docs.append(f"{text.stem}: {got[name]!r} (gold {gold.get(name)!r})")
    return tallies, unreadable, values


def reader_at(revision: str, workdir: Path) -> ModuleType:
    """The page reader (``summarizer.inputs.sources``, or ``summarizer.sources`` before the
    package had folders) as it was at ``revision``, imported under another package name."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "summarizer"], check=True, capture_output=True
    ).stdout
    tar_path = workdir / "rev.tar"
    tar_path.write_bytes(archive)
    with tarfile.open(tar_path) as tar:
        tar.extractall(workdir, filter="data")
    package = "summarizer_at_" + "".join(c if c.isalnum() else "_" for c in revision)
    (workdir / "summarizer").rename(workdir / package)
    sys.path.insert(0, str(workdir))
    where = "inputs.sources" if (workdir / package / "inputs" / "sources.py").is_file() else "sources"
    return importlib.import_module(f"{package}.{where}")


def pairs_of(sets: list[tuple[Path, Path]]) -> list[tuple[Path, Path]]:
    """(text, gold) for every text that has a gold file."""
    found = []
    for docs, gold in sets:
        if not docs.is_dir():
            print(f"(skipped {docs}: not found)", file=sys.stderr)
            continue
        pairs = [(t, gold / f"{t.stem}.json") for t in sorted(docs.glob("*.txt"))]
        found += [(t, g) for t, g in pairs if g.exists()]
    return found


def table(columns: dict[str, dict[str, Tally]], total: int) -> str:
    """One row per field, one column group per reader."""
    head = "field  " + "".join(f"| {label:<30}" for label in columns)
    sub = "       " + "| right  found      wrong missed " * len(columns)
    lines = [head, sub]
    for name in FIELDS:
        row = f"{name:<7}"
        for tallies in columns.values():
            t = tallies[name]
            row += f"| {t.right:>2}/{total:<3} {t.found:>2}/{t.available:<6} {t.wrong:>5} {t.missed:>6} "
        lines.append(row)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit 0."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--set", action="append", metavar="DOCS:GOLD", help="texts and their gold folder")
    parser.add_argument("--compare", metavar="REV", help="also score the reader at this git revision")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every wrong value")
    args = parser.parse_args(argv)
    sets = [tuple(Path(p) for p in s.split(":", 1)) for s in args.set] if args.set else DEFAULT_SETS
    pairs = pairs_of(sets)  # type: ignore[arg-type]
    readers: dict[str, ModuleType] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.compare:
            readers[f"before ({args.compare})"] = reader_at(args.compare, Path(tmp))
        readers["now (working tree)" if args.compare else "now"] = sources
        results = {label: score(reader, pairs) for label, reader in readers.items()}
    print(f"{len(pairs)} documents with gold: " + ", ".join(str(d) for d, _ in sets))
    print(table({label: r[0] for label, r in results.items()}, len(pairs)))
    for label, (tallies, unreadable, _) in results.items():
        if unreadable:
            print(f"\n{label}: {len(unreadable)} pages refused: " + "; ".join(unreadable))
        if args.verbose:
            for name in FIELDS:
                for line in tallies[name].wrong_docs:
                    print(f"{label}: wrong {name}: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
