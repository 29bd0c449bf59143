"""Benchmark: the seed abstracts on the embedded local model (a script, not a test).

    python benchmarks/seeds_local.py [--seeds seeds/] [--db /tmp/bench.db] [--gold tests/gold]

Runs every seed through the real pipeline into a fresh store (nothing skipped), then prints per
document and overall: seconds (median, max), prompt and completion tokens, cached prefix tokens,
prompt-processing and generation tokens/s as the llama.cpp server reports them, peak memory of
the process (the server runs in-process, so this includes the model), and the pipeline's own
overhead as a ratio to the server's reported time. With --gold it also scores the run.
Run it on an otherwise idle machine: on 2 cores any other load changes the timings.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from summarizer.model.backends import BackendSettings, get_backend
from summarizer.model.prompts import load_prompts
from summarizer.pipeline import Pipeline, RunOptions
from summarizer.store import Store

logging.getLogger("instructor").setLevel(logging.CRITICAL)  # handled failures are reported below


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", default="seeds")
    parser.add_argument("--db", type=Path, help="store to write (default: a fresh temporary file)")
    parser.add_argument("--gold", help="gold folder to score the run against (e.g. tests/gold)")
    parser.add_argument("--model", help="local model name (default: the 1.5B)")
    args = parser.parse_args()

    db = args.db or Path(tempfile.mkdtemp(prefix="bench-")) / "bench.db"
    backend = get_backend("local", BackendSettings(model=args.model))
    options = RunOptions(force=True)
    started = time.perf_counter()
    try:
        with Store(db) as store:
            summary = Pipeline(backend, store, load_prompts(), options).run([args.seeds])
            run_id = summary.run_id
            calls = [
                dict(r)
                for r in store.conn.execute(
                    "SELECT doc_id, purpose, seconds, prompt_tokens, completion_tokens, cached_tokens,"
                    " server_ms, response_json FROM calls WHERE run_id=? ORDER BY id",
                    (run_id,),
                )
            ]
    finally:
        backend.close()
    wall = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    per_doc: dict[str, dict[str, float]] = {}
    prompt_rates, gen_rates = [], []
    for call in calls:
        doc = per_doc.setdefault(
            call["doc_id"], {"calls": 0, "prompt": 0, "completion": 0, "cached": 0, "server_s": 0.0}
        )
        doc["calls"] += 1
        doc["prompt"] += call["prompt_tokens"] or 0
        doc["completion"] += call["completion_tokens"] or 0
        doc["cached"] += call["cached_tokens"] or 0
        doc["server_s"] += (call["server_ms"] or 0) / 1000
        timings = (json.loads(call["response_json"] or "null") or {}).get("timings") or {}
        if timings.get("prompt_n", 0) > 20:
            prompt_rates.append(timings["prompt_per_second"])
        if timings.get("predicted_n", 0) > 20:
            gen_rates.append(timings["predicted_per_second"])
    reports = {r.doc_id: r for r in summary.reports}

    print(
        f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, python {platform.python_version()}"
    )
    print(f"model: {backend.model}; store: {db}")
    print(
        f"{'document':<24}{'status':<8}{'s':>7}{'calls':>6}{'prompt':>8}{'cached':>8}{'compl':>7}"
        f"{'server s':>9}{'overhead':>9}{'findings':>9}"
    )
    seconds, overheads = [], []
    for doc_id, report in sorted(reports.items()):
        d = per_doc.get(doc_id, {"calls": 0, "prompt": 0, "completion": 0, "cached": 0, "server_s": 0.0})
        overhead = (report.seconds - d["server_s"]) / d["server_s"] if d["server_s"] else float("nan")
        seconds.append(report.seconds)
        overheads.append(overhead)
        print(
            f"{doc_id:<24}{report.status:<8}{report.seconds:>7.1f}{d['calls']:>6.0f}{d['prompt']:>8.0f}"
            f"{d['cached']:>8.0f}{d['completion']:>7.0f}{d['server_s']:>9.1f}{overhead:>9.1%}"
            f"{report.findings:>9}"
        )
    total_server = sum(d["server_s"] for d in per_doc.values())
    total_doc = sum(seconds)
    print()
    print(
        f"seconds per abstract: median {statistics.median(seconds):.1f}, max {max(seconds):.1f}; "
        f"wall {wall:.1f} s for {len(seconds)} (includes model start)"
    )
    print(
        f"tokens: prompt {summary.prompt_tokens}, completion {summary.completion_tokens}, "
        f"cached prefix {sum(d['cached'] for d in per_doc.values()):.0f}"
    )
    if prompt_rates and gen_rates:
        print(
            f"server rates: prompt processing {statistics.median(prompt_rates):.1f} tok/s, "
            f"generation {statistics.median(gen_rates):.1f} tok/s (medians over calls)"
        )
    print(
        f"pipeline overhead: {(total_doc - total_server) / total_server:.2%} of server time "
        f"({total_doc - total_server:.2f} s over {total_server:.1f} s)"
    )
    print(f"peak memory (process incl. in-process server and model): {peak_mib:.0f} MiB")
    print(
        f"findings: {summary.findings}; rejected findings: "
        f"{sum(r.rejected_findings for r in summary.reports)}; documents ok {summary.count('ok')}"
    )
    if args.gold:
        from summarizer.cli import main as cli_main

        print()
        return cli_main(["eval", "--gold", args.gold, "--db", str(db)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
