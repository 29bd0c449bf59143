"""SQLite store: papers, findings, rejections, runs with provenance, and a log of every model call.

One result per (document hash, model, prompt hash, schema version): that key is what makes a
re-run skip finished work. Each paper is written in ONE transaction together with its findings,
rejections and call log, so an interrupted batch leaves either the whole paper or nothing. WAL mode
lets readers (export, report) work while a batch writes. Schema changes are numbered migrations.
"""

from __future__ import annotations

from .connection import Database
from .migrations import MIGRATIONS
from .papers import Papers, StoredPaper, result_key
from .runs import HOST, RUN_LEASE_S, RunInfo, RunRef, Runs


class Store(Runs, Papers):
    """The SQLite database; use as a context manager or call ``close()``.

    Opening (``Database``): checks, migrations, WAL. ``Runs``: runs and claims. ``Papers``: results.
    """


__all__ = [
    "HOST", "MIGRATIONS", "RUN_LEASE_S", "Database", "Papers", "RunInfo", "RunRef", "Runs", "Store",
    "StoredPaper", "result_key",
]  # fmt: skip
