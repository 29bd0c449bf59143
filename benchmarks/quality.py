"""Benchmark: quality and speed on the seeds and the two parts of the development data.

    python benchmarks/quality.py [--sets seeds,tune,check] [--cache FILE] [--json OUT] [--report]

Runs every text of each set through the real pipeline into a fresh store (nothing skipped) on the
embedded local model (or, with --base-url, an already running OpenAI-compatible server), then
prints per set: micro precision / recall / F1 by the gold rules, false positives and negatives by
class, the direction table, the calibration of the findings' confidence, grounded quotes, texts
without findings kept clean, seconds per abstract (median, p90) and tokens per abstract (uncached
prompt, completion).

Sets (``datasets.py``): ``seeds``; ``tune`` and ``check``, the two parts of the development data
(dev + holdout + written, split by a hash of each file stem); ``dev``, ``holdout``, ``written``
(whole folders, both parts). Only aggregate figures are ever printed or written for a set that
holds *check* texts: ``--report`` (the per-text table, with every finding's names) is refused for
them, and ``--json`` leaves their per-text part out. Read the errors of *tune*; keep a change only
if *check* improves.

--cache FILE keeps the model's HTTP answers in a vcrpy cassette and replays the ones it holds:
for measuring a change to the rules after the model without asking the model again. Timings
from a replayed run are not the model's; they are reported as such. Run it on an otherwise idle
machine: on 2 cores any other load changes the timings, never the findings.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from datasets import Text, model_answers, part_of, texts  # noqa: E402

logging.getLogger("instructor").setLevel(logging.CRITICAL)  # handled failures are reported below
PER_TEXT_ALLOWED = ("seeds", "tune")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", default="seeds,tune,check", help="comma-separated: seeds, tune, check, ...")
    parser.add_argument(
        "--base-url", help="use this running OpenAI-compatible server instead of the embedded one"
    )
    parser.add_argument("--model", help="model name (default: the embedded 1.5B)")
    parser.add_argument("--cache", type=Path, help="vcrpy cassette of model answers to replay and extend")
    parser.add_argument("--db", type=Path, help="folder for the stores (default: a fresh temporary one)")
    parser.add_argument(
        "--json", type=Path, help="write every figure here as JSON (aggregates only for check)"
    )
    parser.add_argument("--report", action="store_true", help="print the per-text eval report (seeds, tune)")
    args = parser.parse_args()
    names = args.sets.split(",")
    if args.report and any(n not in PER_TEXT_ALLOWED for n in names):
        parser.error("--report prints per-text output: only for --sets seeds and/or tune, never check")

    from summarizer.model.backends import BackendSettings, get_backend

    if args.base_url:
        backend = get_backend("openai", BackendSettings(model=args.model or "local", base_url=args.base_url))
    else:
        backend = get_backend("local", BackendSettings(model=args.model))
    folder = args.db or Path(tempfile.mkdtemp(prefix="quality-"))
    results: dict[str, Any] = {}
    try:
        with model_answers(args.cache):
            for name in names:
                results[name] = run_set(backend, name, texts(name), folder / f"{name}.db", args.report)
    finally:
        backend.close()
    print_results(results, replayed=args.cache is not None)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


def run_set(backend: Any, name: str, items: list[Text], db: Path, report: bool) -> dict[str, Any]:
    """Summarize the texts of one set into ``db`` and score them."""
    from summarizer.evaluate import evaluate, format_report, load_gold_file, load_store_predictions
    from summarizer.model.prompts import load_prompts
    from summarizer.pipeline import Pipeline, RunOptions
    from summarizer.store import Store

    options = RunOptions(force=True)
    with Store(db) as store:
        summary = Pipeline(backend, store, load_prompts(), options).run([str(t.doc) for t in items])
        calls = [
            dict(r)
            for r in store.conn.execute(
                "SELECT doc_id, prompt_tokens, completion_tokens, cached_tokens FROM calls WHERE run_id=?",
                (summary.run_id,),
            )
        ]
    gold = {t.stem: load_gold_file(t.gold) for t in items}
    result = evaluate(gold, load_store_predictions(db), gold_dir=name)
    private = any(part_of(t.stem) == "check" for t in items if t.source != "seeds")
    if report and not private:
        print(format_report(result))
    data = result.to_dict()
    per_doc: dict[str, dict[str, int]] = {}
    for call in calls:
        d = per_doc.setdefault(call["doc_id"], {"uncached": 0, "completion": 0, "calls": 0})
        d["uncached"] += (call["prompt_tokens"] or 0) - (call["cached_tokens"] or 0)
        d["completion"] += call["completion_tokens"] or 0
        d["calls"] += 1
    seconds = sorted(r.seconds for r in summary.reports if r.status in ("ok", "rejected"))
    clean = [d for d in data["documents"] if d["expects_none"]]
    return {
        "texts": len(items),
        "micro": data["micro"],
        "error_classes": data["error_classes"],
        "direction_table": data["direction_table"],
        "calibration": data["calibration"],
        "grounding": {k: v for k, v in data["secondary"]["grounding"].items() if k != "docs_without_text"},
        "rejections": data["rejections"],
        "no_finding_texts": len(clean),
        "no_finding_texts_clean": sum(1 for d in clean if d["fp"] == 0),
        "documents": len(summary.reports),
        "ok": summary.count("ok"),
        "seconds": seconds,
        "median_s": statistics.median(seconds) if seconds else None,
        "p90_s": seconds[int(0.9 * (len(seconds) - 1))] if seconds else None,
        "no_call_texts": sum(1 for r in summary.reports if r.status == "ok" and r.doc_id not in per_doc),
        "uncached_prompt_per_doc": _mean([d["uncached"] for d in per_doc.values()], len(items)),
        "completion_per_doc": _mean([d["completion"] for d in per_doc.values()], len(items)),
        "calls_per_doc": _mean([d["calls"] for d in per_doc.values()], len(items)),
        # Per-text scores only where reading them is allowed (never for check texts).
        "per_text": None if private else data["documents"],
    }


def _mean(values: list[int], count: int) -> float:
    """Mean over all ``count`` texts (a text the model was not asked about counts as 0)."""
    return sum(values) / count if count else 0.0


def print_results(results: dict[str, Any], replayed: bool) -> None:
    """One block per set, then the seconds over all sets together."""
    for name, r in results.items():
        m = r["micro"]
        print(
            f"\n{name} ({r['texts']} texts): P {m['precision'] or 0:.3f}  R {m['recall'] or 0:.3f}  "
            f"F1 {m['f1'] or 0:.3f}  (TP {m['tp']}, FP {m['fp']}, FN {m['fn']}); "
            f"{r['ok']}/{r['documents']} documents ok"
        )
        for kind, row in r["error_classes"].items():
            print(f"  {kind} by class: " + (", ".join(f"{k} {v}" for k, v in sorted(row.items())) or "none"))
        for kind, row in r["direction_table"].items():
            print(f"  direction, {kind:<8}: " + ", ".join(f"{k} {v}" for k, v in row.items()))
        for band in r["calibration"]:
            print(
                f"  confidence {band['band']}: {band['findings']:3d} findings, "
                f"mean {band['mean_confidence']:.2f}, right {band['right']:.2f}"
            )
        g = r["grounding"]
        print(f"  grounded quotes: {g['grounded']}/{g['quotes']}; rejected by validation: {r['rejections']}")
        print(f"  texts without findings kept clean: {r['no_finding_texts_clean']}/{r['no_finding_texts']}")
        print(
            f"  per abstract: median {r['median_s'] or 0:.1f} s (p90 {r['p90_s'] or 0:.1f}), "
            f"{r['uncached_prompt_per_doc']:.0f} uncached prompt + {r['completion_per_doc']:.0f} completion "
            f"tokens, {r['calls_per_doc']:.2f} calls, {r['no_call_texts']} texts without a call"
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
