"""Benchmark: quality and speed on the seeds and the development set (a script, not a test).

    python benchmarks/quality.py [--sets seeds,dev] [--base-url URL] [--cache FILE] [--json OUT]

Runs every text of each set through the real pipeline into a fresh store (nothing skipped) on the
embedded local model (or, with --base-url, an already running OpenAI-compatible server), then
prints per set: micro precision / recall / F1 by the gold rules, the direction table, grounded
quotes, texts without findings kept clean, seconds per abstract (median, max) and tokens per
abstract (uncached prompt, completion). Run it on an otherwise idle machine: on 2 cores any other
load changes the timings, never the findings.

--cache FILE keeps the model's HTTP answers in a vcrpy cassette and replays the ones it holds:
for measuring a change to the rules after the model without asking the model again. Timings
from a replayed run are not the model's; they are reported as such.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SETS = {
    "seeds": (ROOT / "seeds", ROOT / "tests" / "gold"),
    "dev": (ROOT / "benchmarks" / "dev" / "docs", ROOT / "benchmarks" / "dev" / "gold"),
    # Written apart from the rules, for a check on texts they were never read against.
    "holdout": (ROOT / "benchmarks" / "holdout" / "docs", ROOT / "benchmarks" / "holdout" / "gold"),
}

logging.getLogger("instructor").setLevel(logging.CRITICAL)  # handled failures are reported below


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", default="seeds,dev", help="comma-separated: seeds, dev, holdout")
    parser.add_argument(
        "--base-url", help="use this running OpenAI-compatible server instead of the embedded one"
    )
    parser.add_argument("--model", help="model name (default: the embedded 1.5B)")
    parser.add_argument("--cache", type=Path, help="vcrpy cassette of model answers to replay and extend")
    parser.add_argument("--db", type=Path, help="folder for the stores (default: a fresh temporary one)")
    parser.add_argument("--json", type=Path, help="write every figure here as JSON")
    parser.add_argument("--report", action="store_true", help="print the per-document eval report too")
    args = parser.parse_args()

    from summarizer.backends import BackendSettings, get_backend

    if args.base_url:
        backend = get_backend("openai", BackendSettings(model=args.model or "local", base_url=args.base_url))
    else:
        backend = get_backend("local", BackendSettings(model=args.model))
    folder = args.db or Path(tempfile.mkdtemp(prefix="quality-"))
    results: dict[str, Any] = {}
    try:
        with _cassette(args.cache):
            for name in args.sets.split(","):
                docs, gold = SETS[name]
                results[name] = run_set(backend, docs, gold, folder / f"{name}.db", args)
    finally:
        backend.close()
    print_results(results, replayed=args.cache is not None)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


def _cassette(path: Path | None) -> Any:
    import contextlib

    if path is None:
        return contextlib.nullcontext()
    import vcr

    recorder = vcr.VCR(
        record_mode="new_episodes",
        match_on=["method", "path", "body"],
        filter_headers=["authorization"],
        decode_compressed_response=True,
    )
    return recorder.use_cassette(str(path), allow_playback_repeats=True)


def run_set(backend: Any, docs: Path, gold: Path, db: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Summarize one folder into ``db`` and score it."""
    from summarizer.evaluate import format_report, run_eval
    from summarizer.pipeline import Pipeline, RunOptions
    from summarizer.prompts import load_prompts
    from summarizer.store import Store

    options = RunOptions(force=True)
    with Store(db) as store:
        summary = Pipeline(backend, store, load_prompts(), options).run([str(docs)])
        calls = [
            dict(r)
            for r in store.conn.execute(
                "SELECT doc_id, prompt_tokens, completion_tokens, cached_tokens FROM calls WHERE run_id=?",
                (summary.run_id,),
            )
        ]
    result = run_eval(gold, db=db)
    if args.report:
        print(format_report(result))
    data = result.to_dict()
    per_doc: dict[str, dict[str, int]] = {}
    for call in calls:
        d = per_doc.setdefault(call["doc_id"], {"uncached": 0, "completion": 0, "calls": 0})
        d["uncached"] += (call["prompt_tokens"] or 0) - (call["cached_tokens"] or 0)
        d["completion"] += call["completion_tokens"] or 0
        d["calls"] += 1
    seconds = [r.seconds for r in summary.reports if r.status == "ok"]
    clean = [d for d in data["documents"] if d["expects_none"]]
    return {
        "micro": data["micro"],
        "direction_table": data["direction_table"],
        "grounding": data["secondary"]["grounding"],
        "rejections": data["rejections"],
        "no_finding_texts": len(clean),
        "no_finding_texts_clean": sum(1 for d in clean if d["fp"] == 0),
        "documents": len(summary.reports),
        "ok": summary.count("ok"),
        "seconds": seconds,
        "median_s": statistics.median(seconds) if seconds else None,
        "max_s": max(seconds) if seconds else None,
        "uncached_prompt_per_doc": statistics.mean(d["uncached"] for d in per_doc.values()) if per_doc else 0,
        "completion_per_doc": statistics.mean(d["completion"] for d in per_doc.values()) if per_doc else 0,
        "calls_per_doc": statistics.mean(d["calls"] for d in per_doc.values()) if per_doc else 0,
    }


def print_results(results: dict[str, Any], replayed: bool) -> None:
    """One block per set, then the seconds over all sets together."""
    for name, r in results.items():
        m = r["micro"]
        print(
            f"\n{name}: P {m['precision'] or 0:.3f}  R {m['recall'] or 0:.3f}  F1 {m['f1'] or 0:.3f}  "
            f"(TP {m['tp']}, FP {m['fp']}, FN {m['fn']}); {r['ok']}/{r['documents']} documents ok"
        )
        for kind, row in r["direction_table"].items():
            print(f"  direction, {kind:<8}: " + ", ".join(f"{k} {v}" for k, v in row.items()))
        g = r["grounding"]
        print(f"  grounded quotes: {g['grounded']}/{g['quotes']}; rejected by validation: {r['rejections']}")
        print(f"  texts without findings kept clean: {r['no_finding_texts_clean']}/{r['no_finding_texts']}")
        print(
            f"  per abstract: median {r['median_s'] or 0:.1f} s (max {r['max_s'] or 0:.1f}), "
            f"{r['uncached_prompt_per_doc']:.0f} uncached prompt + {r['completion_per_doc']:.0f} completion "
            f"tokens, {r['calls_per_doc']:.1f} calls"
        )
    everything = [s for r in results.values() for s in r["seconds"]]
    if everything:
        note = " (replayed answers: not the model's time)" if replayed else ""
        print(
            f"\nall sets: median {statistics.median(everything):.1f} s per abstract "
            f"over {len(everything)}{note}"
        )


if __name__ == "__main__":
    sys.exit(main())
