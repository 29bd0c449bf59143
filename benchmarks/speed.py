"""Benchmark: the code before and after, side by side on the same texts in one run.

    python benchmarks/speed.py [--base 7f87723] [--sets seeds,check] [--limit N] [--json OUT]

This machine's speed drifts by the hour (generation 12-24 tokens/s on the same 2 cores), so two
runs an hour apart cannot be compared. Here the commit ``--base`` (exported with ``git archive``)
and the working tree each run in a worker process of their own (``speed_worker.py``, each with its
own embedded model server), and every text goes to both, one after the other, alternating which
goes first. Only one worker computes at a time. Printed: seconds per abstract (median, p90) for
each, the ratio before/after per abstract (median, p90) and of the medians, uncached prompt and
completion tokens per abstract, model calls, and the texts decided without a call. Run it on an
otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from datasets import ROOT, texts  # noqa: E402

WORKER = Path(__file__).resolve().parent / "speed_worker.py"


class Worker:
    """One version of the package answering document paths with timings."""

    def __init__(self, name: str, package_root: Path) -> None:
        self.name = name
        env = {**os.environ, "PYTHONPATH": str(package_root)}
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=package_root,
        )
        assert self._stdout.readline().strip() == "READY", f"{name} worker did not start"

    @property
    def _stdout(self) -> IO[str]:
        assert self.process.stdout is not None
        return self.process.stdout

    def run(self, path: Path) -> dict[str, Any]:
        """Extract one document; its timing record (``error`` set where it was refused)."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"{path}\n")
        self.process.stdin.flush()
        line = self._stdout.readline()
        if not line:
            raise RuntimeError(f"{self.name} worker ended")
        return dict(json.loads(line))

    def close(self) -> None:
        """End the worker (its model server goes with it)."""
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=60)


def export(commit: str, folder: Path) -> Path:
    """The files of ``commit`` (``git archive``), to import its package from."""
    archive = folder / "base.tar"
    with archive.open("wb") as fh:
        subprocess.run(["git", "-C", str(ROOT), "archive", commit], stdout=fh, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(folder / "base", filter="data")
    return folder / "base"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", default="7f87723", help="the commit to compare against (default 7f87723)")
    parser.add_argument("--sets", default="seeds,check", help="comma-separated sets (datasets.py)")
    parser.add_argument("--limit", type=int, help="at most N texts")
    parser.add_argument("--json", type=Path, help="write every record here")
    args = parser.parse_args()
    items = [t for name in args.sets.split(",") for t in texts(name)][: args.limit]
    with tempfile.TemporaryDirectory(prefix="speed-") as tmp:
        before = Worker("before", export(args.base, Path(tmp)))
        after = Worker("after", ROOT)
        try:
            warm = items[0].doc  # both servers read their fixed instructions once, uncounted
            before.run(warm), after.run(warm)
            rows = []
            for i, text in enumerate(items):
                order = (before, after) if i % 2 == 0 else (after, before)
                got = {w.name: w.run(text.doc) for w in order}
                rows.append({"text": text.stem, **got})
                shown = {k: "refused" if "refused" in v else f"{v['seconds']:5.1f} s" for k, v in got.items()}
                print(
                    f"{i + 1:3d}/{len(items)} {text.stem[:40]:40s} "
                    f"before {shown['before']}  after {shown['after']}",
                    flush=True,
                )
        finally:
            before.close()
            after.close()
    report(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.9 * (len(ordered) - 1))]


def report(rows: list[dict[str, Any]]) -> None:
    """The figures over texts both versions read (the base may refuse a page shape it lacked)."""
    both = [r for r in rows if not r["before"].get("refused") and not r["after"].get("refused")]
    b = [r["before"]["seconds"] for r in both]
    a = [r["after"]["seconds"] for r in both]
    # A text decided without a call takes milliseconds: its ratio is counted, floored at 0.05 s.
    ratios = [rb / max(ra, 0.05) for rb, ra in zip(b, a, strict=True)]
    print(f"\n{len(both)} texts read by both ({len(rows) - len(both)} refused by the base)")
    print(f"seconds per abstract, before: median {statistics.median(b):.2f}, p90 {_p90(b):.2f}")
    print(f"seconds per abstract, after:  median {statistics.median(a):.2f}, p90 {_p90(a):.2f}")
    print(
        f"ratio before/after: of the medians {statistics.median(b) / statistics.median(a):.2f}; "
        f"per abstract median {statistics.median(ratios):.2f}, p90 {_p90(ratios):.2f}"
    )
    for side in ("before", "after"):
        recs = [r[side] for r in both]
        print(
            f"{side:6s}: {statistics.mean(x['uncached'] for x in recs):.0f} uncached prompt + "
            f"{statistics.mean(x['completion'] for x in recs):.0f} completion tokens per abstract, "
            f"{statistics.mean(x['calls'] for x in recs):.2f} calls, "
            f"{sum(1 for x in recs if x['calls'] == 0)} texts without a call"
        )


if __name__ == "__main__":
    sys.exit(main())
