"""Threads versus Ray Data (``--engine ray``) against fixed-latency stub endpoints, versus the ideal.

Two stub servers run in their own processes and answer every request after ``--latency``
seconds. The thread pool talks to the first (it takes one endpoint); Ray's actors are dealt
both. The ideal wall time is ``requests x latency / concurrency``; efficiency is ideal /
measured. A Ray run includes starting a local Ray (loopback only) and its actor pool, so the
table also gives the rate between the first and the last saved document ("steady docs/s"),
which is what a long run converges to.

    python benchmarks/ray_throughput.py                 # 2,000 documents, 200 ms, concurrency 32
    python benchmarks/ray_throughput.py --docs 500 --concurrency 16 --actors 2
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from stub_server import write_abstracts  # noqa: E402
from stub_throughput import start_stub, stub_stats  # noqa: E402


def measure(
    engine: str, base_urls: list[str], folder: Path, docs: int, concurrency: int, actors: int
) -> dict[str, Any]:
    """One fresh batch on ``engine``; wall time, first/last save times and the stubs' requests."""
    from summarizer.model.backends import BackendSettings, get_backend
    from summarizer.model.prompts import load_prompts
    from summarizer.model.retry import RetryPolicy
    from summarizer.pipeline import DocReport, Pipeline, RunOptions
    from summarizer.store import Store

    paths = [str(p) for p in sorted(folder.glob("*.txt"))[:docs]]
    saved: list[float] = []

    def on_report(report: DocReport, index: int) -> None:
        saved.append(time.perf_counter())

    options = RunOptions(concurrency=concurrency, retry=RetryPolicy(attempts=3))
    if engine == "ray":
        from summarizer.ray_engine import RayEngine, RayOptions

        options.engine = RayEngine(RayOptions(base_urls=tuple(base_urls), actors=actors))
    backend = get_backend("openai", BackendSettings(base_url=base_urls[0], timeout_s=60))
    before = sum(stub_stats(url)["requests"] for url in base_urls)
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "store.db") as store:
        started = time.perf_counter()
        summary = Pipeline(backend, store, load_prompts(), options, on_report=on_report).run(paths)
        wall = time.perf_counter() - started
    requests = sum(stub_stats(url)["requests"] for url in base_urls) - before
    if summary.count("ok") != docs:
        raise RuntimeError(f"only {summary.count('ok')} of {docs} documents ok: {summary.reports[0].message}")
    steady = (len(saved) - 1) / (saved[-1] - saved[0]) if len(saved) > 1 and saved[-1] > saved[0] else 0.0
    return {"wall": wall, "requests": requests, "first": saved[0] - started, "steady": steady}


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per request")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight, in all")
    parser.add_argument("--actors", type=int, default=2, help="Ray actors (the concurrency is shared)")
    parser.add_argument("--engines", default="threads,ray", help="comma-separated: threads, ray")
    args = parser.parse_args(argv)

    stubs = [start_stub(args.latency) for _ in range(2)]
    urls = [url for _, url in stubs]
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "in"
            write_abstracts(folder, args.docs)
            measure("threads", urls[:1], folder, 5, 1, 1)  # warm-up: imports, first connection
            for engine in args.engines.split(","):
                endpoints = urls if engine == "ray" else urls[:1]
                result = measure(engine, endpoints, folder, args.docs, args.concurrency, args.actors)
                rows.append((engine, len(endpoints), result))
    finally:
        for proc, _ in stubs:
            proc.terminate()
            proc.wait(timeout=10)

    print(
        f"latency {args.latency * 1000:.0f} ms per request, {args.docs} documents, concurrency "
        f"{args.concurrency}; ideal = requests x latency / concurrency\n"
    )
    print(
        "| engine | endpoints | requests | measured s | ideal s | efficiency | docs/s "
        "| first saved s | steady docs/s | steady efficiency |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    best = args.concurrency / args.latency  # requests/s with every slot busy
    for engine, count, r in rows:
        ideal = r["requests"] * args.latency / args.concurrency
        per_doc = r["requests"] / args.docs
        label = engine if engine == "threads" else f"ray ({args.actors} actors)"
        print(
            f"| {label} | {count} | {r['requests']} | {r['wall']:.2f} | {ideal:.2f} | "
            f"{ideal / r['wall']:.0%} | {args.docs / r['wall']:.1f} | {r['first']:.2f} | "
            f"{r['steady']:.1f} | {r['steady'] * per_doc / best:.0%} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
