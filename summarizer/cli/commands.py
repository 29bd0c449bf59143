"""``summarizer export``, ``report``, ``eval`` and ``normalize``."""

from __future__ import annotations

import argparse
import json
import sys

from ..console import printable, printable_lines
from ..errors import SummarizerError
from ..home import default_db
from ..outputs.export import findings_csv
from ..outputs.files import STDOUT, write_text
from ..schema import with_min_confidence
from ..store import Store


def cmd_export(args: argparse.Namespace) -> int:
    """``summarizer export``."""
    if args.reviewed or args.format == "gold":
        from ..review.curated_export import export_curated

        return export_curated(args, args.db or default_db())
    with Store(args.db or default_db(), read_only=True) as store:
        papers = [with_min_confidence(p.paper, args.min_confidence) for p in store.papers() if p.paper]
    if args.format == "jsonl":
        text = "".join(paper.model_dump_json() + "\n" for paper in papers)
    elif args.format == "graphml":
        from ..outputs.atlas import build_atlas, graphml

        text = graphml(build_atlas(papers))
    else:
        text = findings_csv(papers)
    write_text(args.output, text)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """``summarizer report``."""
    # Imported here: only this command needs the HTML renderer.
    from ..outputs.report import write_report

    with Store(args.db or default_db(), read_only=True) as store:
        size = write_report(store, args.output)
        papers = len(store.papers())
    if args.output != STDOUT:
        print(f"wrote {printable(args.output)} ({papers} papers, {size / 1024:.0f} kB)", file=sys.stderr)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """``summarizer eval``."""
    # Imported here: only this command needs the scorer.
    from ..evaluate import format_report, run_eval

    result = run_eval(
        args.gold,
        db=None if args.predictions else args.db or default_db(),
        predictions=args.predictions,
        texts=args.texts,
    )
    # JSON escapes control characters itself; the table shows doc ids, which are file names.
    print(json.dumps(result.to_dict(), indent=2) if args.json else printable_lines(format_report(result)))
    return 0


def cmd_normalize(args: argparse.Namespace) -> int:
    """``summarizer normalize``: build the index, or look names up in it."""
    from ..registry import normdata
    from ..registry.normalize import Normalizer

    if args.build:
        print(f"building {normdata.index_path()} ...", file=sys.stderr)
        manifest = normdata.build(args.wheels)
        print(normdata.describe_build(normdata.index_path(), manifest), file=sys.stderr)
        if not args.names:
            return 0
    if not args.names:
        raise SummarizerError(
            "name a thing to look up (summarizer normalize HO-1 --type gene) or pass --build"
        )
    normalizer = Normalizer.open()
    text = args.text.read_text(encoding="utf-8", errors="replace") if args.text else None
    unmapped = 0
    for name in args.names:
        kinds = [args.type] if args.type else _guess_kinds(normalizer, name)
        for kind in kinds:
            match = normalizer.normalize(name, kind, args.factor_type, text)
            unmapped += match.status == "unmapped"
            synonyms = sorted(normalizer.synonyms(name, kind, args.factor_type)) if args.synonyms else None
            symbols = _gene_symbols(normalizer, match)
            if args.json:
                record = {**match.ref().model_dump(), "query": name, "kind": kind, "how": match.how}
                if symbols:
                    record["symbols"] = symbols
                if synonyms is not None:
                    record["synonyms"] = synonyms
                print(json.dumps(record))
                continue
            print(_format_match(match, symbols))
            if synonyms:
                print("  synonyms: " + "; ".join(synonyms))
    return 0 if not unmapped else 1


def _guess_kinds(normalizer: object, name: str) -> list[str]:
    """Without --type: every kind the name maps (or nearly maps) to, else gene."""
    from ..registry.normalize import Normalizer

    assert isinstance(normalizer, Normalizer)
    found = [
        k for k in ("mirna", "gene", "drug", "cancer") if normalizer.lookup(name, k).status != "unmapped"
    ]
    if "mirna" in found:  # a miRNA name is also looked up as its MIR gene: say it once
        found = [k for k in found if k != "gene"]
    return found or ["gene"]


def _gene_symbols(normalizer: object, match: object) -> dict[str, str]:
    """The HGNC symbol of each HGNC id among a match's cross-references (a miRNA's MIR genes:
    ``HGNC:31586`` -> ``MIR21``), the form gold files and curators use."""
    from ..registry.normalize import Match, Normalizer

    assert isinstance(normalizer, Normalizer) and isinstance(match, Match)
    entities = (normalizer.entity(x) for x in match.xrefs if x.startswith("HGNC:"))
    return {e.id: e.name for e in entities if e is not None}


def _format_match(match: object, symbols: dict[str, str] | None = None) -> str:
    from ..registry.normalize import Match

    assert isinstance(match, Match)
    head = f"{match.query} ({match.kind}): "
    if match.status == "mapped":
        named = [f"{x} {symbols[x]}" if symbols and x in symbols else x for x in match.xrefs]
        xrefs = f"; also {', '.join(named)}" if named else ""
        return f"{head}{match.id} {match.name} [{match.how}]{xrefs}"
    if match.status == "ambiguous":
        names = ", ".join(f"{cid} {cname}" for cid, cname in match.candidates)
        return f"{head}ambiguous, candidates: {names} [{match.how}]"
    return f"{head}not mapped [{match.how}]"
