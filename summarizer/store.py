"""SQLite store: papers, findings, rejections, runs with provenance, and a log of every model call.

One result per (document hash, model, prompt hash, schema version): that key is what makes a
re-run skip finished work. Each paper is written in ONE transaction together with its findings,
rejections and call log, so an interrupted batch leaves either the whole paper or nothing. WAL mode
lets readers (export, report) work while a batch writes. Schema changes are numbered migrations.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import StoreError
from .schema import EntityRef, PaperSummary, role_of

MIGRATIONS: list[str] = [
    # 1: initial layout
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        started_at REAL NOT NULL,
        finished_at REAL,
        status TEXT NOT NULL DEFAULT 'running',
        backend TEXT NOT NULL,
        model TEXT NOT NULL,
        model_sha256 TEXT,
        prompt_sha256 TEXT NOT NULL,
        schema_version TEXT NOT NULL,
        temperature REAL,
        seed INTEGER,
        max_reasks INTEGER,
        docs_ok INTEGER DEFAULT 0,
        docs_rejected INTEGER DEFAULT 0,
        docs_failed INTEGER DEFAULT 0,
        docs_skipped INTEGER DEFAULT 0,
        findings INTEGER DEFAULT 0,
        prompt_tokens INTEGER DEFAULT 0,
        completion_tokens INTEGER DEFAULT 0,
        seconds REAL
    );
    CREATE TABLE papers (
        id INTEGER PRIMARY KEY,
        result_key TEXT NOT NULL UNIQUE,
        run_id INTEGER REFERENCES runs(id),
        doc_id TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        path TEXT,
        model TEXT NOT NULL,
        prompt_sha256 TEXT NOT NULL,
        schema_version TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('ok', 'rejected')),
        error TEXT,
        title TEXT, doi TEXT, pmid TEXT, year INTEGER, journal TEXT,
        summary TEXT,
        paper_json TEXT,
        source_text TEXT NOT NULL,
        prompt_tokens INTEGER, completion_tokens INTEGER, reasks INTEGER, seconds REAL,
        created_at REAL NOT NULL
    );
    CREATE INDEX papers_sha ON papers(sha256);
    CREATE TABLE findings (
        id INTEGER PRIMARY KEY,
        paper_id INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        factor TEXT NOT NULL, factor_type TEXT, alteration TEXT,
        therapy TEXT NOT NULL, therapy_class TEXT, cancer_type TEXT,
        effect TEXT NOT NULL, role TEXT, mechanism TEXT,
        finding_json TEXT NOT NULL
    );
    CREATE INDEX findings_factor ON findings(factor);
    CREATE TABLE rejections (
        id INTEGER PRIMARY KEY,
        paper_id INTEGER REFERENCES papers(id) ON DELETE CASCADE,
        run_id INTEGER REFERENCES runs(id),
        doc_id TEXT, path TEXT,
        kind TEXT NOT NULL CHECK (kind IN ('finding', 'paper', 'source', 'failure')),
        reason TEXT NOT NULL,
        payload_json TEXT,
        created_at REAL NOT NULL
    );
    CREATE TABLE calls (
        id INTEGER PRIMARY KEY,
        paper_id INTEGER REFERENCES papers(id) ON DELETE CASCADE,
        run_id INTEGER REFERENCES runs(id),
        doc_id TEXT,
        attempt INTEGER,
        request_json TEXT, response_json TEXT, error TEXT,
        seconds REAL, prompt_tokens INTEGER, completion_tokens INTEGER, cached_tokens INTEGER,
        server_ms REAL,
        created_at REAL NOT NULL
    );
    """,
    # 2: which turn a call was (extraction or the direction re-check), so re-asks count right
    """
    ALTER TABLE calls ADD COLUMN purpose TEXT NOT NULL DEFAULT 'extract';
    """,
    # 3: registry ids and normalised names of factor, therapy and cancer (normalize.py); NULL for
    # findings stored before, or without a normalisation index
    """
    ALTER TABLE findings ADD COLUMN factor_id TEXT;
    ALTER TABLE findings ADD COLUMN factor_norm TEXT;
    ALTER TABLE findings ADD COLUMN therapy_id TEXT;
    ALTER TABLE findings ADD COLUMN therapy_norm TEXT;
    ALTER TABLE findings ADD COLUMN cancer_id TEXT;
    ALTER TABLE findings ADD COLUMN cancer_norm TEXT;
    CREATE INDEX findings_factor_id ON findings(factor_id);
    """,
    # 4: runs sharing a store: who is running where (to tell a live run from a dead one), and
    # which run is summarizing which result now (so two runs never ask the model for the same)
    """
    ALTER TABLE runs ADD COLUMN pid INTEGER;
    ALTER TABLE runs ADD COLUMN host TEXT;
    ALTER TABLE runs ADD COLUMN heartbeat_at REAL;
    CREATE TABLE claims (
        result_key TEXT PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        claimed_at REAL NOT NULL
    );
    """,
    # 5: the decision stage's confidence of each finding (NULL for findings stored before it)
    """
    ALTER TABLE findings ADD COLUMN confidence REAL;
    CREATE INDEX findings_confidence ON findings(confidence);
    """,
    # 6: people's review decisions (summarizer review, curation.py), kept apart from the machine's
    # findings: a re-run replaces paper and findings rows, never these. A curation is anchored on
    # the document (doc_id) and the finding's identity (normalised factor, therapy, cancer, role),
    # not on a row id; every decision is appended to `decisions` with who, when, before and after.
    """
    CREATE TABLE curations (
        id INTEGER PRIMARY KEY,
        doc_id TEXT NOT NULL,
        anchor TEXT NOT NULL,
        fid TEXT NOT NULL UNIQUE,
        identity TEXT NOT NULL,
        origin TEXT NOT NULL CHECK (origin IN ('machine', 'added', 'promoted')),
        state TEXT NOT NULL CHECK (state IN ('accepted', 'rejected', 'corrected', 'added', 'promoted')),
        finding_json TEXT NOT NULL,
        machine_json TEXT,
        reason TEXT,
        note TEXT,
        version INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_by TEXT NOT NULL,
        updated_at REAL NOT NULL,
        UNIQUE (doc_id, anchor)
    );
    CREATE INDEX curations_doc ON curations(doc_id);
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        curation_id INTEGER NOT NULL REFERENCES curations(id),
        doc_id TEXT NOT NULL,
        fid TEXT NOT NULL,
        paper_id INTEGER,
        result_key TEXT,
        action TEXT NOT NULL CHECK (action IN ('accept', 'reject', 'correct', 'add', 'promote')),
        reason TEXT,
        note TEXT,
        who TEXT NOT NULL,
        at REAL NOT NULL,
        version INTEGER NOT NULL,
        before_json TEXT,
        after_json TEXT NOT NULL
    );
    CREATE INDEX decisions_doc ON decisions(doc_id);
    CREATE INDEX papers_doc ON papers(doc_id, status);
    CREATE INDEX findings_paper ON findings(paper_id);
    """,
]

HOST = socket.gethostname()
# A run that wrote nothing for this long counts as dead even if its pid is alive (the pid may have
# been reused) or it runs on another host (its pid cannot be checked from here). Every claim and
# save renews it; no single document takes this long (timeout x attempts x re-asks).
RUN_LEASE_S = 2 * 3600.0


def result_key(sha256: str, model: str, prompt_sha256: str, schema_version: str) -> str:
    """The identity of one result: same input, model, prompt and schema => same result."""
    return "|".join((sha256, model, prompt_sha256, schema_version))


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


@dataclass
class StoredPaper:
    """A paper row as read back."""

    id: int
    doc_id: str
    status: str
    error: str | None
    paper: PaperSummary | None
    source_text: str
    model: str
    created_at: float


class Store:
    """The SQLite database; use as a context manager or call ``close()``."""

    def __init__(self, path: Path | str, *, read_only: bool = False, timeout_s: float = 30.0) -> None:
        """Open (read-write: create and migrate) the store at ``path``.

        ``read_only`` opens it with SQLite's ``mode=ro`` (export, report, eval): nothing can be
        written through it. Anything that makes the file unusable is a ``StoreError`` naming it,
        raised before the file is changed: a missing folder, a folder, a file that is not
        SQLite, another application's database, one written by a newer version.
        """
        self.path = Path(path)
        self.read_only = read_only
        self._timeout_s = timeout_s
        memory = str(path) == ":memory:"
        try:
            if read_only:
                self.conn = self._open_read_only()
            else:
                if not memory:
                    _check_writable_location(self.path)
                self.conn = sqlite3.connect(str(path), timeout=timeout_s, isolation_level=None)
                self.conn.row_factory = sqlite3.Row
                if self._identify() < len(MIGRATIONS):
                    self._migrate()
                if not memory:
                    self._use_wal()
                self.conn.execute("PRAGMA synchronous=NORMAL")
                self.conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            with contextlib.suppress(AttributeError, sqlite3.Error):
                self.conn.close()
            raise _store_error(self.path, exc) from exc
        except StoreError:
            with contextlib.suppress(AttributeError, sqlite3.Error):
                self.conn.close()
            raise

    def _open_read_only(self) -> sqlite3.Connection:
        if not self.path.exists():
            raise StoreError(f"no store at {self.path}: run 'summarizer run' first or pass --db")
        if self.path.is_dir():
            raise StoreError(f"{self.path} is a folder, not a store; pass the store's file with --db")
        uri = self.path.resolve().as_uri() + "?mode=ro"
        self.conn = sqlite3.connect(uri, uri=True, timeout=self._timeout_s, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        try:
            version = self._identify()
        except sqlite3.OperationalError:
            if os.access(self.path.parent, os.W_OK) and os.access(self.path, os.W_OK):
                raise
            # Reading a WAL store needs its -shm file, which a read-only folder cannot hold. Nobody
            # can write such a store either, so it is read as an unchanging file.
            self.conn.close()
            self.conn = sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None)
            self.conn.row_factory = sqlite3.Row
            version = self._identify()
        if version < len(MIGRATIONS):
            # A store of an older version: upgraded once (that is a write), then read as usual.
            self.conn.close()
            Store(self.path, timeout_s=self._timeout_s).close()
            return self._open_read_only()
        return self.conn

    def _identify(self) -> int:
        """This store's schema version; refuse a database that is not ours (before any write)."""
        # One statement, so one snapshot: the version and the tables of the same moment (another
        # run may commit the first migration in between two statements).
        version, names = self.conn.execute(
            "SELECT (SELECT user_version FROM pragma_user_version),"
            " (SELECT group_concat(name, ', ') FROM (SELECT name FROM sqlite_master"
            "  WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name))"
        ).fetchone()
        version = int(version)
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{self.path} was written by a newer version of summarizer (schema {version}, this "
                f"one knows {len(MIGRATIONS)}); upgrade summarizer or pass another --db"
            )
        if version == 0:
            tables = names.split(", ") if names else []
            if tables:
                shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
                raise StoreError(
                    f"{self.path} is another application's SQLite database (tables: {shown}); "
                    "pass another --db (a new file name makes a new store)"
                )
            if self.read_only:
                raise StoreError(f"{self.path} is an empty database, not a store; pass another --db")
        return version

    def _migrate(self) -> None:
        """Apply the missing migrations in ONE transaction that holds the write lock.

        Two runs opening a new store at once both see version 0; the version is read again
        after BEGIN IMMEDIATE, so the second one waits, then finds nothing left to do.
        """
        with self.transaction():
            version = self._identify()
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {number}")

    def _use_wal(self) -> None:
        """WAL mode (readers never block the writer); it stays set in the file.

        Switching needs the database to itself for a moment, and SQLite answers "locked" at once,
        without waiting, while another connection reads: try again until the timeout.
        """
        if self.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            return
        deadline = time.monotonic() + self._timeout_s
        while True:
            try:
                self.conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception (KeyboardInterrupt too).

        BEGIN and COMMIT are inside the guard: a Ctrl-C landing just after BEGIN returns, or between
        the last statement and COMMIT, must not leave the connection inside an open transaction
        (every later BEGIN, the run's closing record included, would then fail).
        """
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    @property
    def schema_version(self) -> int:
        """Number of migrations applied."""
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    # --- runs -------------------------------------------------------------------------------

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

    # --- papers -----------------------------------------------------------------------------

    def has_result(self, key: str) -> bool:
        """Whether a finished result (ok or rejected) exists for ``key``."""
        row = self.conn.execute("SELECT 1 FROM papers WHERE result_key=?", (key,)).fetchone()
        return row is not None

    def get_result(self, key: str) -> StoredPaper | None:
        """The stored result for ``key``, if any."""
        row = self.conn.execute("SELECT * FROM papers WHERE result_key=?", (key,)).fetchone()
        return _stored(row) if row else None

    def save_result(
        self,
        *,
        key: str,
        run_id: int,
        info: RunInfo,
        doc_id: str,
        sha256: str,
        path: str,
        source_text: str,
        paper: PaperSummary | None,
        error: str | None,
        calls: list[dict[str, Any]],
        seconds: float,
        reasks: int = 0,
        replace: bool = False,
    ) -> int | None:
        """Write one paper (or a rejected paper) with findings, rejections and calls atomically.

        Returns the paper's id, or None when another run stored this key first (its claim had
        lapsed): that result is kept, and this one's calls are logged without a paper. With
        ``replace`` (``--force``) an existing result is replaced; the call log keeps its calls.
        The run's claim on the key ends here.
        """
        status = "ok" if paper is not None else "rejected"
        now = time.time()
        prompt_tokens = sum(int(c.get("prompt_tokens") or 0) for c in calls)
        completion_tokens = sum(int(c.get("completion_tokens") or 0) for c in calls)
        with self.transaction() as conn:
            conn.execute("DELETE FROM claims WHERE result_key=? AND run_id=?", (key, run_id))
            conn.execute("UPDATE runs SET heartbeat_at=? WHERE id=?", (now, run_id))
            existing = conn.execute("SELECT id FROM papers WHERE result_key=?", (key,)).fetchone()
            if existing is not None and not replace:
                _log_calls(conn, None, run_id, doc_id, calls, now)
                return None
            if existing is not None:
                conn.execute("UPDATE calls SET paper_id=NULL WHERE paper_id=?", (existing["id"],))
                conn.execute("DELETE FROM papers WHERE id=?", (existing["id"],))
            cur = conn.execute(
                "INSERT INTO papers (result_key, run_id, doc_id, sha256, path, model, prompt_sha256,"
                " schema_version, status, error, title, doi, pmid, year, journal, summary,"
                " paper_json, source_text, prompt_tokens, completion_tokens, reasks, seconds,"
                " created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    key,
                    run_id,
                    doc_id,
                    sha256,
                    path,
                    info.model,
                    info.prompt_sha256,
                    info.schema_version,
                    status,
                    error,
                    paper.title if paper else None,
                    paper.doi if paper else None,
                    paper.pmid if paper else None,
                    paper.year if paper else None,
                    paper.journal if paper else None,
                    paper.summary if paper else None,
                    paper.model_dump_json() if paper else None,
                    source_text,
                    prompt_tokens,
                    completion_tokens,
                    reasks,
                    seconds,
                    now,
                ),
            )
            paper_id = int(cur.lastrowid or 0)
            if paper is not None:
                for position, f in enumerate(paper.findings):
                    conn.execute(
                        "INSERT INTO findings (paper_id, position, factor, factor_type, alteration,"
                        " therapy, therapy_class, cancer_type, effect, role, mechanism,"
                        " finding_json, factor_id, factor_norm, therapy_id, therapy_norm, cancer_id,"
                        " cancer_norm, confidence) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        (
                            paper_id,
                            position,
                            f.factor,
                            f.factor_type,
                            f.alteration,
                            f.therapy,
                            f.therapy_class,
                            f.cancer_type,
                            f.effect,
                            role_of(f.alteration, f.effect),
                            f.mechanism,
                            f.model_dump_json(),
                            *_ref_columns(f.factor_ref),
                            *_ref_columns(f.therapy_ref),
                            *_ref_columns(f.cancer_ref),
                            f.confidence,
                        ),
                    )
                for r in paper.rejected_findings:
                    conn.execute(
                        "INSERT INTO rejections (paper_id, run_id, doc_id, path, kind, reason,"
                        " payload_json, created_at) VALUES (?,?,?,?,'finding',?,?,?)",
                        (paper_id, run_id, doc_id, path, r.reason, json.dumps(r.finding), now),
                    )
            else:
                conn.execute(
                    "INSERT INTO rejections (paper_id, run_id, doc_id, path, kind, reason,"
                    " created_at) VALUES (?,?,?,?,'paper',?,?)",
                    (paper_id, run_id, doc_id, path, error or "rejected", now),
                )
            _log_calls(conn, paper_id, run_id, doc_id, calls, now)
        return paper_id

    def record_problem(
        self, *, run_id: int | None, doc_id: str, path: str, kind: str, reason: str, key: str | None = None
    ) -> None:
        """Record a document that produced no result ('source' problem or transport 'failure').

        ``key``: the result it was claimed for; the claim ends, so another run may try it.
        """
        with self.transaction() as conn:
            if key is not None:
                conn.execute("DELETE FROM claims WHERE result_key=? AND run_id=?", (key, run_id))
            conn.execute(
                "INSERT INTO rejections (run_id, doc_id, path, kind, reason, created_at)"
                " VALUES (?,?,?,?,?,?)",
                (run_id, doc_id, path, kind, reason, time.time()),
            )

    def papers(self, latest_only: bool = True, status: str | None = "ok") -> list[StoredPaper]:
        """Stored papers, oldest first; by default only the newest ok result per document."""
        sql = "SELECT * FROM papers"
        params: list[Any] = []
        if status:
            sql += " WHERE status=?"
            params.append(status)
        sql += " ORDER BY doc_id, created_at, id"
        rows = [_stored(r) for r in self.conn.execute(sql, params)]
        if not latest_only:
            return rows
        newest: dict[str, StoredPaper] = {}
        for row in rows:
            newest[row.doc_id] = row
        return sorted(newest.values(), key=lambda p: p.doc_id)

    def rejections(self) -> list[dict[str, Any]]:
        """Every rejection and failure, newest first."""
        return [dict(r) for r in self.conn.execute("SELECT * FROM rejections ORDER BY id DESC")]

    def count(self, table: str) -> int:
        """Rows in one of the store's tables (for tests and summaries)."""
        if table not in {"runs", "papers", "findings", "rejections", "calls"}:
            raise ValueError(f"unknown table {table}")
        return int(self.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def _ref_columns(ref: EntityRef | None) -> tuple[str | None, str | None]:
    """(id, normalised name) of a mapped name, else (None, None)."""
    if ref is None or ref.status != "mapped":
        return None, None
    return ref.id, ref.name


def _log_calls(
    conn: sqlite3.Connection,
    paper_id: int | None,
    run_id: int,
    doc_id: str,
    calls: list[dict[str, Any]],
    now: float,
) -> None:
    """One ``calls`` row per model call (``paper_id`` None: calls whose result was not kept)."""
    for attempt, call in enumerate(calls, start=1):
        conn.execute(
            "INSERT INTO calls (paper_id, run_id, doc_id, attempt, request_json,"
            " response_json, error, seconds, prompt_tokens, completion_tokens,"
            " cached_tokens, server_ms, created_at, purpose)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                paper_id,
                run_id,
                doc_id,
                attempt,
                json.dumps(call.get("request")),
                json.dumps(call.get("response")),
                call.get("error"),
                call.get("seconds"),
                call.get("prompt_tokens"),
                call.get("completion_tokens"),
                call.get("cached_tokens"),
                call.get("server_ms"),
                now,
                call.get("purpose", "extract"),
            ),
        )


def _stored(row: sqlite3.Row) -> StoredPaper:
    paper = PaperSummary.model_validate_json(row["paper_json"]) if row["paper_json"] else None
    return StoredPaper(
        id=row["id"],
        doc_id=row["doc_id"],
        status=row["status"],
        error=row["error"],
        paper=paper,
        source_text=row["source_text"],
        model=row["model"],
        created_at=row["created_at"],
    )


def _check_writable_location(path: Path) -> None:
    """Refuse, before SQLite creates or opens anything, a store path that cannot be written."""
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a store; pass a file name with --db")
    folder = path.parent
    if path.exists():
        # SQLite would open a read-only file read-only without a word, and fail at the first write.
        if not os.access(path, os.W_OK):
            raise StoreError(f"the store {path} is read-only; make it writable or pass another --db")
        if not os.access(folder, os.W_OK | os.X_OK):  # WAL mode keeps two files beside the store
            raise StoreError(
                f"the folder of the store {path} is not writable; make it writable or pass another --db"
            )
        return
    ancestor = folder
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if ancestor.exists() and not ancestor.is_dir():
        raise StoreError(
            f"cannot create the store {path}: {ancestor} is a file, not a folder; pass another --db"
        )
    if ancestor != folder:
        raise StoreError(
            f"cannot create the store {path}: folder {folder} does not exist; create it or pass another --db"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StoreError(
            f"cannot create the store {path}: folder {folder} is not writable; pass another --db"
        )


def _store_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """One line of advice for an SQLite error met while opening the store."""
    text = str(exc)
    if "not a database" in text:
        return StoreError(
            f"{path} is not an SQLite database; pass another --db (a new file name makes a new store)"
        )
    if "readonly" in text:
        return StoreError(f"the store {path} is read-only; make it writable or pass another --db")
    if "unable to open" in text:
        return StoreError(
            f"cannot open or create the store {path}; check that its folder is writable, or pass another --db"
        )
    if "locked" in text or "busy" in text:
        return StoreError(
            f"the store {path} stayed locked by another program; try again, or pass another --db"
        )
    return StoreError(f"cannot use the store {path} ({text}); pass another --db")


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
