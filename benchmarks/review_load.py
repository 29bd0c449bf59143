"""No decision is lost under concurrent posts: 4 clients x 50 decisions at once = 200, on loopback.

    python benchmarks/review_load.py [--clients 4] [--posts 50] [--papers 40] [--distinct]

Starts the real ``summarizer review`` (its own process, 127.0.0.1) on a fresh store of synthetic
papers. Each client first reads the findings it will decide (their versions), then all clients'
posts are released at once (one thread per post, 200 in flight), aimed so that clients collide
on the same findings (``--distinct``: each post on its own finding; needs ``--papers 120``).
Every post gets 200 (stored) or 409 (made on a stale version: a conflict, nothing written).
Afterwards the store is read: a decision answered 200 that is not stored, or a stored decision
nobody was told about, is LOST; each curated finding's version must equal its number of stored
decisions, and its state the last stored decision's. Bounded: 200 posts, 30 s per request, 120 s
in all. Prints the counts and latencies; exit code 1 if anything was lost.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from review_store import Client, make_store, review_server  # noqa: E402

ACTIONS = ("accept", "reject", "correct")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--posts", type=int, default=50, help="posts per client, all in flight at once")
    parser.add_argument("--papers", type=int, default=40)
    parser.add_argument(
        "--distinct", action="store_true", help="every post on its own finding (no conflicts expected)"
    )
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "load.db"
        make_store(db, args.papers, reviewed=0.0)
        with review_server(db) as (port, token):
            report = load(port, token, args.clients, args.posts, args.distinct)
        report |= check(db, report.pop("answers"))  # type: ignore[arg-type]
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", file=sys.stderr)
    print(json.dumps(report, indent=2))
    return 1 if report["lost"] else 0


def load(port: int, token: str, clients: int, posts: int, distinct: bool = False) -> dict[str, object]:
    reader = Client(port, token)
    _, body = reader.call("GET", "/api/papers?limit=500")
    targets: list[tuple[str, str, int]] = []
    for p in json.loads(body)["papers"]:
        _, data = reader.call("GET", f"/api/papers/{p['paper_id']}?text=0")
        targets += [(p["paper_id"], f["id"], f["version"]) for f in json.loads(data)["findings"]]
    rng = random.Random(3)
    # Each client decides `posts` findings drawn from a pool smaller than all posts: collisions.
    pool = targets[: max(1, (clients * posts) // 3)]
    plan = [[(n, rng.choice(pool), rng.choice(ACTIONS)) for _ in range(posts)] for n in range(clients)]
    if distinct:
        if len(targets) < clients * posts:
            raise SystemExit(f"--distinct needs {clients * posts} findings; pass more --papers")
        own = rng.sample(targets, clients * posts)
        plan = [[(n, own[n * posts + k], rng.choice(ACTIONS)) for k in range(posts)] for n in range(clients)]
    answers: list[dict[str, object]] = []
    lock = threading.Lock()
    gate = threading.Barrier(clients * posts)
    deadline = time.monotonic() + 120

    def post(client: int, target: tuple[str, str, int], action: str) -> None:
        paper_id, fid, version = target
        body: dict[str, object] = {
            "paper_id": paper_id,
            "finding_id": fid,
            "version": version,
            "action": action,
        }
        if action == "reject":
            body |= {"reason": "other", "note": f"client {client}"}
        if action == "correct":
            body["fields"] = {"cancer_type": f"cancer seen by client {client}"}
        conn = Client(port, token)
        conn.conn.connect()
        gate.wait(timeout=60)
        started = time.perf_counter()
        try:
            status, data = (
                conn.call("POST", "/api/decisions", body) if time.monotonic() < deadline else (0, b"")
            )
        except OSError as exc:
            status, data = -1, str(exc).encode()
        ms = (time.perf_counter() - started) * 1000
        reply = json.loads(data) if data.startswith(b"{") else {}
        with lock:
            answers.append(
                {
                    "client": client,
                    "fid": fid,
                    "action": action,
                    "status": status,
                    "ms": ms,
                    "decision_id": reply.get("decision_id"),
                }
            )

    threads = [threading.Thread(target=post, args=item) for items in plan for item in items]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(1.0, deadline - time.monotonic()))
    wall = time.perf_counter() - started
    statuses = [a["status"] for a in answers]
    ms = sorted(float(a["ms"]) for a in answers)  # type: ignore[arg-type]
    return {
        "clients": clients,
        "posts": clients * posts,
        "answered": len(answers),
        "stored_200": statuses.count(200),
        "conflicts_409": statuses.count(409),
        "other": [s for s in statuses if s not in (200, 409)],
        "wall_s": round(wall, 2),
        "median_ms": round(statistics.median(ms), 1) if ms else None,
        "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1) if ms else None,
        "max_ms": round(ms[-1], 1) if ms else None,
        "answers": answers,
    }


def check(db: Path, answers: list[dict[str, object]]) -> dict[str, object]:
    """Compare what clients were told with what the store holds."""
    with sqlite3.connect(db) as conn:
        stored = {row[0]: row for row in conn.execute("SELECT id, fid, action FROM decisions")}
        per_finding = dict(conn.execute("SELECT fid, count(*) FROM decisions GROUP BY fid").fetchall())
        curations = conn.execute("SELECT fid, version, state FROM curations").fetchall()
        last_state = {
            fid: json.loads(after)["state"]
            for fid, after in conn.execute(
                "SELECT fid, after_json FROM decisions d"
                " WHERE id = (SELECT max(id) FROM decisions WHERE fid = d.fid)"
            )
        }
    told = {a["decision_id"]: a for a in answers if a["status"] == 200}
    missing = [a for did, a in told.items() if did not in stored or stored[did][1] != a["fid"]]
    unannounced = [did for did in stored if did not in told]
    bad_versions = [fid for fid, version, _ in curations if version != per_finding.get(fid)]
    bad_states = [fid for fid, _, state in curations if state != last_state.get(fid)]
    return {
        "decisions_stored": len(stored),
        "lost": len(missing) + len(unannounced),
        "versions_not_matching_decisions": len(bad_versions),
        "states_not_matching_last_decision": len(bad_states),
        "findings_decided": len(curations),
    }


if __name__ == "__main__":
    sys.exit(main())
