"""Normalisation against the gold answers: how many names map, to the right id, and how fast.

    python benchmarks/normalize.py                       # the built index, seeds + dev gold
    python benchmarks/normalize.py --wheels DIR          # build a fresh index from DIR first, timed
    python benchmarks/normalize.py --gold A --gold B --texts-root R

Each gold finding's factor, therapy and cancer are looked up AS WRITTEN in the gold file, with
the factor type and the source text as evidence, exactly as the pipeline does for a stored
finding. The gold files are only read here, never by the index build: this measures, it does not
fit. Printed:

* factors whose gold carries an ``hgnc_symbol``: mapped to that symbol (a miRNA maps to a mature
  miRNA whose loci include it; 'primary' says how often its first locus is the gold one), left
  unresolved or unmapped (a miss), or mapped to another gene (wrong);
* factors whose gold has no symbol (pathways, cells, families) that still got an id (listed);
* drugs and cancer types that map to an id, every mapping listed to be checked by eye;
* index size, build time, look-up time in µs per name (cold: a fresh process cache; warm: cached).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarizer.registry import normdata  # noqa: E402
from summarizer.registry.normalize import Match, Normalizer  # noqa: E402

# The seeds' gold answers and the dev set, both in the repository.
DEFAULT_GOLD = [ROOT / "tests" / "gold", ROOT / "benchmarks" / "dev" / "gold"]


def gold_findings(folders: list[Path], texts_root: Path | None) -> list[tuple[str, dict, str]]:
    """(file name, finding, source text) for every gold finding."""
    out = []
    for folder in folders:
        for path in sorted(folder.glob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            doc = data.get("doc_file") or ""
            text = ""
            for base in filter(None, (texts_root, folder.parent, ROOT)):
                candidate = Path(base) / doc
                if doc and candidate.is_file():
                    text = candidate.read_text(encoding="utf-8", errors="replace")
                    break
            for finding in data.get("findings", []):
                out.append((path.stem, finding, text))
    return out


def hgnc_symbols(norm: Normalizer, match: Match) -> list[str]:
    """The HGNC symbols a match stands for: the gene, or a miRNA's loci (in locus order)."""
    if match.status != "mapped" or match.id is None:
        return []
    if match.id.startswith("HGNC:"):
        return [match.name or ""]
    if match.kind == "mirna":
        symbols = []
        for x in match.xrefs:
            entity = norm.entity(x) if x.startswith("HGNC:") else None
            if entity is not None:
                symbols.append(entity.name)
        return symbols
    return []


def describe(m: Match) -> str:
    if m.status == "mapped":
        return f"{m.id} {m.name} [{m.how}]"
    if m.status == "ambiguous":
        return "ambiguous: " + ", ".join(f"{cid} {name}" for cid, name in m.candidates[:6]) + f" [{m.how}]"
    return f"unmapped [{m.how}]"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, action="append", help="gold folder (repeatable)")
    parser.add_argument("--texts-root", type=Path, help="folder the gold doc_file paths are relative to")
    parser.add_argument("--index", type=Path, help="index file (default: the data directory's)")
    parser.add_argument(
        "--wheels", type=Path, help="build a fresh index from the wheels in this folder first"
    )
    args = parser.parse_args()

    index = args.index or normdata.index_path()
    if args.wheels:
        tmp = Path(tempfile.mkdtemp(prefix="normbench-"))
        index = tmp / normdata.INDEX_NAME
        started = time.perf_counter()
        manifest = normdata.build_index(normdata.verify_wheels(args.wheels), index)
        print(f"build: {time.perf_counter() - started:.1f} s (wheels verified and read, index written)")
    else:
        manifest = json.loads(normdata.manifest_path(index).read_text(encoding="utf-8"))
        print(f"build: {manifest.get('build_seconds')} s (from the manifest)")
    print(
        f"index: {index.stat().st_size / 1e6:.1f} MB, {manifest['names']:,} names, "
        f"entities {manifest['entities']}"
    )
    started = time.perf_counter()
    norm = Normalizer.open(index)
    print(f"open (hash check + miRNA table): {(time.perf_counter() - started) * 1000:.0f} ms")

    rows = gold_findings(args.gold or DEFAULT_GOLD, args.texts_root)
    print(f"gold findings: {len(rows)}")

    # --- factors with an HGNC symbol ---
    hit = primary = miss = wrong = 0
    misses: list[str] = []
    wrongs: list[str] = []
    extra: list[str] = []
    for stem, f, text in rows:
        kind = "mirna" if f["factor_type"] == "miRNA" else "gene"
        m = norm.normalize(f["factor"], kind, f["factor_type"], text)
        gold = f.get("hgnc_symbol")
        if not gold:
            if m.status == "mapped":
                extra.append(f"  {stem}: {f['factor']!r} (gold: no symbol) -> {describe(m)}")
            continue
        symbols = hgnc_symbols(norm, m)
        if gold in symbols:
            hit += 1
            primary += symbols[0] == gold
        elif m.status == "mapped" and m.id and not m.id.startswith("FPLX:"):
            wrong += 1
            wrongs.append(f"  {stem}: {f['factor']!r} gold {gold} -> {describe(m)}")
        else:
            miss += 1
            misses.append(f"  {stem}: {f['factor']!r} gold {gold} -> {describe(m)}")
    total = hit + miss + wrong
    print(f"\nfactors with an hgnc_symbol: {total}")
    print(
        f"  mapped to it: {hit} ({100 * hit / total:.1f} %), "
        f"of which first locus / the gene itself: {primary}"
    )
    print(f"  not resolved (miss): {miss}; mapped to another entity (wrong): {wrong}")
    for line in misses:
        print("  miss" + line[1:])
    for line in wrongs:
        print("  WRONG" + line[1:])
    print(f"factors whose gold has no symbol but got an id: {len(extra)}")
    for line in extra:
        print(line)

    # --- drugs and cancers ---
    for field, kind in (("therapy", "drug"), ("cancer_type", "cancer")):
        seen: dict[str, Match] = {}
        rows_mapped = 0
        for _stem, f, text in rows:
            m = norm.normalize(f[field], kind, text=text)
            seen.setdefault(f[field], m)
            rows_mapped += m.status == "mapped"
        mapped = sum(1 for m in seen.values() if m.status == "mapped")
        print(
            f"\n{kind}s: {len(seen)} distinct names, "
            f"{mapped} mapped to an id ({100 * mapped / len(seen):.1f} %); "
            f"findings: {rows_mapped}/{len(rows)} ({100 * rows_mapped / len(rows):.1f} %)"
        )
        for name, m in sorted(seen.items(), key=lambda kv: kv[0].casefold()):
            print(f"  {'ok  ' if m.status == 'mapped' else 'MISS'} {name!r} -> {describe(m)}")

    # --- speed ---
    names = [
        (f["factor"], "mirna" if f["factor_type"] == "miRNA" else "gene", f["factor_type"])
        for _, f, _ in rows
    ]
    names += [(f["therapy"], "drug", None) for _, f, _ in rows] + [
        (f["cancer_type"], "cancer", None) for _, f, _ in rows
    ]
    names += [(a, "drug", None) for _, f, _ in rows for a in f.get("therapy_aliases") or []]
    names += [(a, "cancer", None) for _, f, _ in rows for a in f.get("cancer_aliases") or []]
    names += [(a, "gene", f["factor_type"]) for _, f, _ in rows for a in f.get("factor_aliases") or []]
    distinct = sorted(set(names), key=str)
    fresh = Normalizer.open(index, verify=False)
    started = time.perf_counter()
    for name, kind, ftype in distinct:
        fresh.normalize(name, kind, ftype)
    cold = (time.perf_counter() - started) / len(distinct) * 1e6
    started = time.perf_counter()
    for _ in range(20):
        for name, kind, ftype in distinct:
            fresh.normalize(name, kind, ftype)
    warm = (time.perf_counter() - started) / (20 * len(distinct)) * 1e6
    statuses = Counter(fresh.normalize(n, k, t).status for n, k, t in distinct)
    print(
        f"\nlook-up: {len(distinct)} distinct names ({dict(statuses)}): {cold:.0f} µs/name uncached, "
        f"{warm:.1f} µs/name cached"
    )
    started = time.perf_counter()
    for _, f, text in rows:
        kind = "mirna" if f["factor_type"] == "miRNA" else "gene"
        fresh._by_evidence(
            Match(f["factor"], kind, "ambiguous", candidates=(("HGNC:40", "x"), ("HGNC:21710", "y"))), text
        )
    print(
        "text evidence for an ambiguous name: "
        f"{(time.perf_counter() - started) / len(rows) * 1e3:.1f} ms/name"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
