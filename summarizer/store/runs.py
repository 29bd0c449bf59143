"""Runs and their claims: provenance of each run, and which run is summarizing which text now, so
that two runs sharing a store never ask the model for the same text and a dead run's claims lapse."""

from __future__ import annotations

import os
import socket
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from .connection import Database

HOST = socket.gethostname()
# A run that wrote nothing for this long counts as dead even if its pid is alive (the pid may have
# been reused) or it runs on another host (its pid cannot be checked from here). Every claim and
# save renews it; no single document takes this long (timeout x attempts x re-asks).
RUN_LEASE_S = 2 * 3600.0


@dataclass(frozen=True)
class RunInfo:
    """Provenance fixed for the whole run."""

    backend: str
    model: str
    model_sha256: str | None
    prompt_sha256: str
    schema_version: str
    temperature: float
    seed: int
    max_reasks: int


@dataclass(frozen=True)
class RunRef:
    """Another run, as named in a message."""

    id: int
    pid: int | None
    host: str | None

    def __str__(self) -> str:
        return f"run {self.id} (pid {self.pid} on {self.host})"


class Runs(Database):
    """The ``runs`` and ``claims`` tables."""

    def start_run(self, info: RunInfo) -> int:
        """Record a new run and return its id."""
        now = time.time()
        with self.transaction() as conn:
            # A run still 'running' but dead was killed (SIGKILL, power loss): it never finished.
            # One that is alive is another batch working on this store now: leave it be.
            for row in conn.execute("SELECT * FROM runs WHERE status='running'").fetchall():
                if not _alive(row, now):
                    conn.execute("UPDATE runs SET status='interrupted' WHERE id=?", (row["id"],))
                    conn.execute("DELETE FROM claims WHERE run_id=?", (row["id"],))
            cur = conn.execute(
                "INSERT INTO runs (started_at, backend, model, model_sha256, prompt_sha256,"
                " schema_version, temperature, seed, max_reasks, pid, host, heartbeat_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    now,
                    info.backend,
                    info.model,
                    info.model_sha256,
                    info.prompt_sha256,
                    info.schema_version,
                    info.temperature,
                    info.seed,
                    info.max_reasks,
                    os.getpid(),
                    HOST,
                    now,
                ),
            )
            return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, status: str, totals: dict[str, Any]) -> None:
        """Close a run with its status ('done', 'failed', 'interrupted') and totals."""
        columns = (
            "docs_ok",
            "docs_rejected",
            "docs_failed",
            "docs_skipped",
            "findings",
            "prompt_tokens",
            "completion_tokens",
            "seconds",
        )
        values = [totals.get(c, 0) for c in columns]
        with self.transaction() as conn:
            conn.execute(
                f"UPDATE runs SET finished_at=?, status=?, {', '.join(c + '=?' for c in columns)} WHERE id=?",
                (time.time(), status, *values, run_id),
            )
            conn.execute("DELETE FROM claims WHERE run_id=?", (run_id,))  # queued, never started

    def runs(self) -> list[dict[str, Any]]:
        """All runs, newest first."""
        return [dict(r) for r in self.conn.execute("SELECT * FROM runs ORDER BY id DESC")]

    def claim(self, key: str, run_id: int) -> RunRef | None:
        """Take ``key`` for ``run_id`` before asking the model; None when taken.

        Returns the live run that holds it instead, if any: another batch on this store is
        summarizing the same text now. A claim of a dead run (see ``_alive``) is taken over.
        """
        now = time.time()
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT runs.* FROM claims JOIN runs ON runs.id = claims.run_id WHERE claims.result_key=?",
                (key,),
            ).fetchone()
            if row is not None and row["id"] != run_id and _alive(row, now):
                return RunRef(row["id"], row["pid"], row["host"])
            conn.execute(
                "INSERT INTO claims (result_key, run_id, claimed_at) VALUES (?,?,?) ON CONFLICT (result_key)"
                " DO UPDATE SET run_id=excluded.run_id, claimed_at=excluded.claimed_at",
                (key, run_id, now),
            )
            conn.execute("UPDATE runs SET heartbeat_at=? WHERE id=?", (now, run_id))
        return None

    def release(self, key: str, run_id: int) -> None:
        """Give up ``run_id``'s claim on ``key`` (its result turned out to be stored already)."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM claims WHERE result_key=? AND run_id=?", (key, run_id))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, and belongs to someone else
        return True
    return True


def _alive(run: sqlite3.Row, now: float) -> bool:
    """Whether a run row marked 'running' belongs to a batch that is still working.

    On this host its pid answers; elsewhere (a store on a shared disk), and as a backstop against
    a reused pid, a run that has not written for ``RUN_LEASE_S`` is dead.
    """
    if run["status"] != "running" or run["pid"] is None:  # no pid: a run of an older version
        return False
    if run["host"] == HOST and not _pid_alive(run["pid"]):
        return False
    return bool((run["heartbeat_at"] or run["started_at"]) > now - RUN_LEASE_S)
