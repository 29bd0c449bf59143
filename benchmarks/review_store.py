"""How fast the review app answers on a store of 10,000 papers (issue 17's target: < 100 ms).

    python benchmarks/review_store.py [--papers 10000] [--db PATH] [--repeat 200]

Generates a store of N synthetic papers (3 findings on average, each with an evidence span in its
text and a confidence, one rejected candidate each; saved through ``Store.save_result`` as the
pipeline saves them), with a fifth of them already reviewed through the curation API. Then starts
the real ``summarizer review`` command on it (its own process, 127.0.0.1) and times, over HTTP
with one keep-alive connection, each of: the list (JSON and the HTML page), a filter (by factor
and review state, JSON and page), opening a paper (JSON and page), posting a decision, and the
next-undecided redirect. Prints the median and 95th percentile of each, and the load average.
``--db`` keeps the generated store for another run (it is reused when it exists).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from summarizer.review.curate import Decision, decide
from summarizer.review.curation import load_view
from summarizer.schema import SCHEMA_VERSION, Evidence, Finding, PaperSummary, RejectedFinding
from summarizer.store import RunInfo, Store, result_key

INFO = RunInfo("openai", "bench-model", None, "b" * 64, SCHEMA_VERSION, 0.0, 42, 1)
FACTORS = [
    "EGFR",
    "KRAS",
    "NEK2",
    "ABCB1",
    "miR-21",
    "miR-137",
    "HOTAIR",
    "TP53",
    "NRF2",
    "AKT1",
    "STAT3",
    "YAP1",
    "CD44",
    "ALDH1A1",
    "PD-L1",
    "IGF1R",
    "ANT2",
    "TRIM21",
    "BCL2",
    "MCL1",
]
THERAPIES = [
    "cisplatin",
    "gefitinib",
    "sorafenib",
    "radiotherapy",
    "paclitaxel",
    "bortezomib",
    "doxorubicin",
    "osimertinib",
    "temozolomide",
    "5-fluorouracil",
]
CANCERS = [
    "lung adenocarcinoma",
    "hepatocellular carcinoma",
    "breast cancer",
    "glioblastoma",
    "multiple myeloma",
    "gastric cancer",
    "colorectal cancer",
    "ovarian cancer",
]


def synthetic_paper(n: int, rng: random.Random) -> tuple[PaperSummary, str]:
    """One paper and its text: each finding's sentence is in the text, at its span."""
    cancer = rng.choice(CANCERS)
    picks = rng.sample(FACTORS, rng.choice([1, 2, 3, 3, 4, 5]))
    therapy = rng.choice(THERAPIES)
    title = f"{picks[0]} and resistance to {therapy} in {cancer}: study {n}"
    sentences = [title + ".", f"Resistance to {therapy} limits treatment of {cancer}."]
    findings = []
    for factor in picks:
        up = rng.random() < 0.6
        sentence = (
            f"{'Overexpression' if up else 'Knockdown'} of {factor} "
            f"{'promoted' if up else 'reversed'} resistance to {therapy} in {cancer} cells."
        )
        start = len(" ".join(sentences)) + 1
        sentences.append(sentence)
        findings.append(
            Finding(
                factor=factor,
                factor_type="miRNA" if factor.startswith("miR") else "gene",
                alteration="overexpression" if up else "knockdown",
                therapy=therapy,
                therapy_class="radiotherapy" if therapy == "radiotherapy" else "chemotherapy",
                cancer_type=cancer,
                effect="promotes_resistance" if up else "reverses_resistance",
                evidence=[Evidence(quote=sentence, start=start, end=start + len(sentence))],
                confidence=round(rng.random(), 3),
            )
        )
    sentences.append("These results suggest new targets for overcoming drug resistance. " * 3)
    text = " ".join(sentences)
    sha = hashlib.sha256(text.encode()).hexdigest()
    rejected = RejectedFinding(
        reason="the direction of 'CD133' is not stated",
        finding={"factor": "CD133", "therapy": therapy, "cancer_type": cancer, "sentence": sentences[1]},
    )
    paper = PaperSummary(
        doc_id=f"bench-{n:05d}",
        sha256=sha,
        source_name=f"bench-{n:05d}",
        title=title,
        year=2000 + n % 25,
        findings=findings,
        rejected_findings=[rejected],
    )
    return paper, text


def make_store(path: Path, papers: int, reviewed: float = 0.2, seed: int = 17) -> None:
    """A store of ``papers`` synthetic papers, ``reviewed`` of them with every finding decided."""
    rng = random.Random(seed)
    started = time.perf_counter()
    with Store(path) as store:
        run_id = store.start_run(INFO)
        for n in range(papers):
            paper, text = synthetic_paper(n, rng)
            store.save_result(
                key=result_key(paper.sha256, INFO.model, INFO.prompt_sha256, INFO.schema_version),
                run_id=run_id,
                info=INFO,
                doc_id=paper.doc_id,
                sha256=paper.sha256,
                path=f"bench/{n}.txt",
                source_text=text,
                paper=paper,
                error=None,
                calls=[],
                seconds=0.0,
            )
            if rng.random() < reviewed:
                for item in load_view(store, paper.doc_id).items:
                    decide(store, Decision(paper.doc_id, "accept", 0, item.id), "bench")
        store.finish_run(run_id, "done", {"docs_ok": papers})
    print(f"generated {papers:,} papers in {time.perf_counter() - started:.0f} s ({path})", file=sys.stderr)


@contextmanager
def review_server(db: Path) -> Iterator[tuple[int, str]]:
    """``summarizer review --db DB --port 0`` as its own process; yields (port, token)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "summarizer.cli", "review", "--db", str(db), "--port", "0", "--user", "bench"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if "http://127.0.0.1:" in line:
                url = line.strip()
                yield int(url.split(":")[2].split("/")[0]), url.split("token=")[1]
                return
            if not line and proc.poll() is not None:
                raise RuntimeError("summarizer review did not start")
        raise RuntimeError("summarizer review printed no address in 120 s")
    finally:
        proc.terminate()
        proc.wait(30)


class Client:
    """One keep-alive HTTP connection with the token."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.headers = {"Host": f"127.0.0.1:{port}", "Authorization": f"Bearer {token}"}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        self.conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        resp = self.conn.getresponse()
        return resp.status, resp.read()


def timed(fn: Callable[[int], None], repeat: int) -> list[float]:
    """Milliseconds of each of ``repeat`` calls (after 5 warm-up calls)."""
    for i in range(5):
        fn(i)
    out = []
    for i in range(repeat):
        t = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t) * 1000)
    return out


def run(db: Path, repeat: int) -> dict[str, dict[str, float]]:
    with review_server(db) as (port, token):
        client = Client(port, token)
        status, body = client.call("GET", "/api/papers?state=unreviewed&limit=500")
        assert status == 200, body
        pending = [p["paper_id"] for p in json.loads(body)["papers"]]
        total = json.loads(body)["progress"]["papers"]
        rng = random.Random(5)

        def ok(method: str, path: str, body: Any = None, expect: int = 200) -> None:
            status, data = client.call(method, path, body)
            assert status == expect, (path, status, data[:200])

        def decision(i: int) -> None:
            paper_id = pending[i % len(pending)]
            _, data = client.call("GET", f"/api/papers/{paper_id}?text=0")
            open_ = [f for f in json.loads(data)["findings"] if f["state"] == "unreviewed"]
            f = open_[0] if open_ else json.loads(data)["findings"][0]
            started = time.perf_counter()
            ok(
                "POST",
                "/api/decisions",
                {"paper_id": paper_id, "finding_id": f["id"], "version": f["version"], "action": "accept"},
            )
            post_ms.append((time.perf_counter() - started) * 1000)

        post_ms: list[float] = []
        cases: dict[str, Callable[[int], None]] = {
            "list (GET /api/papers)": lambda i: ok("GET", f"/api/papers?offset={(i * 50) % total}"),
            "list page (GET /)": lambda i: ok("GET", f"/?offset={(i * 50) % total}"),
            "filter (GET /api/papers?factor=&state=)": lambda i: ok(
                "GET", f"/api/papers?factor={rng.choice(FACTORS)}&state=pending&max_conf=0.5"
            ),
            "filter page (GET /?factor=&therapy=)": lambda i: ok(
                "GET", f"/?factor={rng.choice(FACTORS)}&therapy={rng.choice(THERAPIES)}"
            ),
            "open a paper (GET /api/papers/{id})": lambda i: ok(
                "GET", f"/api/papers/bench-{rng.randrange(total):05d}"
            ),
            "open a paper page (GET /papers/{id})": lambda i: ok(
                "GET", f"/papers/bench-{rng.randrange(total):05d}"
            ),
            "next undecided (GET /next)": lambda i: ok(
                "GET", f"/next?after={pending[i % len(pending)]}", expect=303
            ),
        }
        results = {}
        for name, fn in cases.items():
            results[name] = summary(timed(fn, repeat))
        timed(decision, repeat)
        results["post a decision (POST /api/decisions)"] = summary(post_ms[5:])
        return results


def summary(ms: list[float]) -> dict[str, float]:
    ms = sorted(ms)
    return {"n": len(ms), "median_ms": statistics.median(ms), "p95_ms": ms[int(0.95 * (len(ms) - 1))]}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--db", type=Path, help="keep the generated store here (reused when it exists)")
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "review-bench.db"
        if not db.exists():
            make_store(db, args.papers)
        results = run(db, args.repeat)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", file=sys.stderr)
    print(f"| request ({args.papers:,} papers) | n | median ms | p95 ms |\n|---|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['n']:.0f} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} |")
    print(json.dumps(results))
    return 0 if all(r["p95_ms"] < 100 for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
