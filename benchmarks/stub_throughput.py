"""Pipeline throughput against the stub server with a fixed latency, versus the ideal.

The stub runs in its own PROCESS (it must not share the GIL with the pipeline) and answers every
request after ``--latency`` seconds. For each concurrency the ideal wall time is
``requests x latency / concurrency``; what is above it is the pipeline's own overhead (reading,
prompting, instructor/pydantic validation, SQLite writes) plus the client's HTTP stack.

    python benchmarks/stub_throughput.py        # 1,000 documents, 200 ms, concurrency 1/8/32
    python benchmarks/stub_throughput.py --docs 200 --serial-docs 50

Concurrency 1 is run on ``--serial-docs`` documents (1,000 x 200 ms would take over 3 minutes);
efficiency (ideal / measured) is comparable across rows either way. "client CPU" is the CPU time
per request of the pipeline's process: the GIL lets one process spend at most ~1 CPU-second per
second, so when that approaches ``latency / concurrency`` the run is CPU-bound.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from stub_server import run_batch, write_abstracts  # noqa: E402


def start_stub(latency_s: float) -> tuple[subprocess.Popen[str], str]:
    """The stub in a child process; returns it and its base URL."""
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "stub_server.py"), "--delay", str(latency_s)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("READY "):
        proc.kill()
        raise RuntimeError(f"stub did not start: {line!r}")
    return proc, line.split(" ", 1)[1]


def stub_stats(base_url: str) -> dict[str, int]:
    """Request counters of the stub process."""
    with urllib.request.urlopen(base_url + "/stats", timeout=10) as response:
        return dict(json.load(response))


def _cpu_seconds() -> float:
    """CPU of this process (the stub is a child, but it runs to the end, so it never counts)."""
    return time.process_time()


def measure(base_url: str, folder: Path, docs: int, concurrency: int, profile: bool) -> dict[str, float]:
    """One fresh batch of ``docs`` documents; wall time and the stub's request count."""
    paths = sorted(folder.glob("*.txt"))[:docs]
    with tempfile.TemporaryDirectory() as tmp:
        before = stub_stats(base_url)["requests"]
        profiler = cProfile.Profile() if profile else None
        started, cpu_started = time.perf_counter(), _cpu_seconds()
        if profiler:
            profiler.enable()
        db = Path(tmp) / "store.db"
        summary = run_batch(base_url, paths, db, concurrency=concurrency, timeout_s=60)
        if profiler:
            profiler.disable()
        wall, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
        requests = stub_stats(base_url)["requests"] - before
    ok = summary.count("ok")
    if ok != docs:
        raise RuntimeError(f"only {ok} of {docs} documents ok: {summary.reports[0].message}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return {"docs": docs, "requests": requests, "wall": wall, "cpu": cpu}


def main(argv: list[str] | None = None) -> int:
    """Run the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--serial-docs", type=int, default=100, help="documents for concurrency 1")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per request")
    parser.add_argument("--concurrency", default="1,8,32", help="comma-separated levels")
    parser.add_argument("--profile", action="store_true", help="cProfile the highest level")
    args = parser.parse_args(argv)
    levels = [int(c) for c in args.concurrency.split(",")]

    proc, base_url = start_stub(args.latency)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "in"
            write_abstracts(folder, max(args.docs, args.serial_docs))
            measure(base_url, folder, 5, 1, False)  # warm-up: imports, first connection
            rows = []
            for level in levels:
                docs = args.serial_docs if level == 1 else args.docs
                result = measure(base_url, folder, docs, level, args.profile and level == max(levels))
                ideal = result["requests"] * args.latency / level
                rows.append((level, result, ideal))
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    print(f"latency {args.latency * 1000:.0f} ms per request; ideal = requests x latency / concurrency\n")
    print(
        "| concurrency | documents | requests | measured s | ideal s | efficiency | docs/s "
        "| client CPU ms/request |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for level, result, ideal in rows:
        print(
            f"| {level} | {result['docs']:.0f} | {result['requests']:.0f} | "
            f"{result['wall']:.2f} | "
            f"{ideal:.2f} | {ideal / result['wall']:.0%} | {result['docs'] / result['wall']:.1f} | "
            f"{1000 * result['cpu'] / result['requests']:.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
