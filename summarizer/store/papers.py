"""Results: each paper written in ONE transaction with its findings, rejections and call log, and
read back by result key or as the newest result per document."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from ..schema import EntityRef, PaperSummary, role_of
from .connection import Database
from .runs import RunInfo


def result_key(sha256: str, model: str, prompt_sha256: str, schema_version: str) -> str:
    """The identity of one result: same input, model, prompt and schema => same result."""
    return "|".join((sha256, model, prompt_sha256, schema_version))


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


class Papers(Database):
    """The ``papers``, ``findings``, ``rejections`` and ``calls`` tables."""

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

    def set_refs(self, paper_id: int, paper: PaperSummary) -> None:
        """Store the registry ids of a stored paper's findings (``paper`` is that paper with its
        refs filled in): its JSON and its findings' rows, in one transaction. Nothing else
        changes; a paper replaced meanwhile (``--force`` in another run) is left as it is."""
        with self.transaction() as conn:
            conn.execute("UPDATE papers SET paper_json=? WHERE id=?", (paper.model_dump_json(), paper_id))
            for position, f in enumerate(paper.findings):
                conn.execute(
                    "UPDATE findings SET finding_json=?, factor_id=?, factor_norm=?, therapy_id=?,"
                    " therapy_norm=?, cancer_id=?, cancer_norm=? WHERE paper_id=? AND position=?",
                    (
                        f.model_dump_json(),
                        *_ref_columns(f.factor_ref),
                        *_ref_columns(f.therapy_ref),
                        *_ref_columns(f.cancer_ref),
                        paper_id,
                        position,
                    ),
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
