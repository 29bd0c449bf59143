"""The list of papers to review, kept in memory so listing and filtering 10,000 papers is quick.

Built once from columns (no paper JSON is parsed), then kept current: each request asks the store
for a small generation tuple (papers' count, newest id and time, newest decision id); a new run's
papers rebuild it, decisions (from this server or another one on the same store) update only
their documents.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..evaluate import normalize_name
from ..store import Store
from .curation import identity, match_curations, numbered, paper_state

STATES = ("unreviewed", "partial", "reviewed", "empty", "pending")


@dataclass
class PaperRow:
    """One document's newest paper and its review progress."""

    doc_id: str
    row_id: int
    title: str
    year: int | None
    findings: int = 0
    pending: int = 0
    kept: int = 0
    rejected: int = 0
    conf: list[float] = field(default_factory=list)
    names: dict[str, set[str]] = field(
        default_factory=lambda: {"factor": set(), "therapy": set(), "cancer": set()}
    )
    shown: dict[str, list[str]] = field(default_factory=lambda: {"factor": [], "therapy": [], "cancer": []})

    @property
    def state(self) -> str:
        """unreviewed, partial, reviewed or empty."""
        return paper_state(self.findings, self.pending)

    def to_dict(self) -> dict[str, Any]:
        """The API's JSON of one listed paper."""
        return {
            "paper_id": self.doc_id,
            "title": self.title,
            "year": self.year,
            "state": self.state,
            "findings": self.findings,
            "pending": self.pending,
            "kept": self.kept,
            "rejected": self.rejected,
            "min_confidence": min(self.conf) if self.conf else None,
            "max_confidence": max(self.conf) if self.conf else None,
            "factors": self.shown["factor"],
            "therapies": self.shown["therapy"],
            "cancers": self.shown["cancer"],
        }

    def add_names(self, factor: str, therapy: str, cancer: str) -> None:
        for kind, name in (("factor", factor), ("therapy", therapy), ("cancer", cancer)):
            key = normalize_name(name)
            if key and key not in self.names[kind]:
                self.names[kind].add(key)
                self.shown[kind].append(name)


@dataclass
class Query:
    """Filters of the list; names match as parts of a name, ignoring case and dash variants."""

    state: str = ""
    factor: str = ""
    therapy: str = ""
    cancer: str = ""
    min_conf: float | None = None
    max_conf: float | None = None
    sort: str = "id"  # id, or confidence (lowest first)

    def keys(self) -> list[tuple[str, str]]:
        """(kind, normalised name) of each name filter given."""
        wanted = (("factor", self.factor), ("therapy", self.therapy), ("cancer", self.cancer))
        return [(kind, normalize_name(name)) for kind, name in wanted if normalize_name(name)]

    def matches(self, row: PaperRow, keys: list[tuple[str, str]] | None = None) -> bool:
        if self.state == "pending":
            if row.state not in ("unreviewed", "partial"):
                return False
        elif self.state and row.state != self.state:
            return False
        for kind, key in self.keys() if keys is None else keys:
            if not any(key in name for name in row.names[kind]):
                return False
        if self.min_conf is not None or self.max_conf is not None:
            low = self.min_conf if self.min_conf is not None else 0.0
            high = self.max_conf if self.max_conf is not None else 1.0
            if not any(low <= c <= high for c in row.conf):
                return False
        return True


class ReviewIndex:
    """Every document's newest ok paper with its review counts, in doc id order."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.rows: dict[str, PaperRow] = {}
        self.order: list[str] = []
        self._generation: tuple[Any, ...] | None = None
        self._data_version: int | None = None
        self._progress: dict[str, int] | None = None

    def generation(self) -> tuple[Any, ...]:
        return tuple(
            self.store.conn.execute(
                "SELECT (SELECT count(*) FROM papers), (SELECT max(id) FROM papers),"
                " (SELECT max(created_at) FROM papers), (SELECT max(id) FROM decisions)"
            ).fetchone()
        )

    def refresh(self) -> None:
        """Bring the index up to date with the store (cheap when nothing changed).

        ``PRAGMA data_version`` changes only when another connection (a run, another review
        server) committed; this server's own decisions update the index as they are made.
        """
        version = self.store.conn.execute("PRAGMA data_version").fetchone()[0]
        if version == self._data_version and self._generation is not None:
            return
        self._data_version = version
        now = self.generation()
        before = self._generation
        if now == before:
            return
        if before is not None and now[:3] == before[:3]:
            docs = [
                r[0]
                for r in self.store.conn.execute(
                    "SELECT DISTINCT doc_id FROM decisions WHERE id > ?", (before[3] or 0,)
                )
            ]
            self.update(docs)
        else:
            self._build(None)
        self._generation = now

    def update(self, doc_ids: Iterable[str]) -> None:
        """Recount the given documents (after decisions on them)."""
        docs = list(doc_ids)
        if docs:
            self._build(docs)

    def _build(self, doc_ids: list[str] | None) -> None:
        self._progress = None
        conn = self.store.conn
        where, params = "", [] if doc_ids is None else list(doc_ids)
        if doc_ids is not None:
            where = f" AND doc_id IN ({','.join('?' * len(doc_ids))})"
        latest: dict[str, Any] = {}
        for r in conn.execute(
            "SELECT id, doc_id, title, year FROM papers WHERE status='ok'"
            + where
            + " ORDER BY doc_id, created_at, id",
            params,
        ):
            latest[r["doc_id"]] = r
        rows = {d: PaperRow(d, r["id"], r["title"] or d, r["year"]) for d, r in latest.items()}
        by_paper = {row.row_id: row for row in rows.values()}
        machine: dict[str, list[str]] = {d: [] for d in rows}
        finding_sql = (
            "SELECT paper_id, factor, therapy, cancer_type, alteration, effect, confidence FROM findings"
        )
        if doc_ids is not None:
            finding_sql += f" WHERE paper_id IN ({','.join('?' * len(by_paper))})"
        for f in conn.execute(finding_sql, list(by_paper) if doc_ids is not None else []):
            row = by_paper.get(f["paper_id"])
            if row is None:
                continue  # an older result of a document
            machine[row.doc_id].append(
                identity(
                    f["factor"], f["therapy"], f["cancer_type"] or "", f["alteration"] or "", f["effect"]
                )
            )
            row.add_names(f["factor"], f["therapy"], f["cancer_type"] or "")
            if f["confidence"] is not None:
                row.conf.append(float(f["confidence"]))
        curations: dict[str, list[Any]] = {}
        for c in conn.execute(
            "SELECT id, doc_id, anchor, identity, state, finding_json FROM curations WHERE 1=1"
            + where
            + " ORDER BY id",
            params,
        ):
            curations.setdefault(c["doc_id"], []).append(c)
        for doc_id, row in rows.items():
            _count(row, machine[doc_id], curations.get(doc_id, []))
        if doc_ids is None:
            self.rows = rows
        else:
            for doc_id in doc_ids:
                if doc_id in rows:
                    self.rows[doc_id] = rows[doc_id]
                else:
                    self.rows.pop(doc_id, None)
        if doc_ids is None or any(d not in self.order for d in rows):
            self.order = sorted(self.rows)

    def query(self, q: Query) -> list[PaperRow]:
        """The rows matching ``q``, in its order."""
        keys = q.keys()
        found = [row for d in self.order if (row := self.rows.get(d)) is not None and q.matches(row, keys)]
        if q.sort == "confidence":
            found.sort(key=lambda r: (min(r.conf) if r.conf else 2.0, r.doc_id))
        return found

    def progress(self) -> dict[str, int]:
        """Papers reviewed of those with findings, and findings decided of all."""
        if self._progress is None:
            self._progress = self._count_progress()
        return self._progress

    def _count_progress(self) -> dict[str, int]:
        rows = list(self.rows.values())
        with_findings = [r for r in rows if r.findings]
        return {
            "papers": len(rows),
            "papers_with_findings": len(with_findings),
            "papers_reviewed": sum(1 for r in with_findings if r.pending == 0),
            "findings": sum(r.findings for r in rows),
            "findings_decided": sum(r.findings - r.pending for r in rows),
        }

    def next_pending(self, after: str | None) -> str | None:
        """The first paper with undecided findings after ``after`` in doc id order (wrapping)."""
        order = self.order
        start = 0
        if after is not None:
            import bisect

            start = bisect.bisect_right(order, after)
        for doc_id in order[start:] + order[:start]:
            row = self.rows.get(doc_id)
            if row is not None and row.pending and doc_id != after:
                return doc_id
        return None


def _count(row: PaperRow, machine: list[str], curations: list[Any]) -> None:
    """Findings, undecided, kept and rejected of one paper, matched as ``curation.merge`` does."""
    matched = match_curations(numbered(machine), curations)
    used = {c["id"] for c in matched if c is not None}
    row.pending = sum(1 for c in matched if c is None)
    row.findings = len(machine) + sum(1 for c in curations if c["id"] not in used)
    for c in curations:
        if c["state"] == "rejected":
            row.rejected += 1
        else:
            row.kept += 1
        if c["id"] not in used:
            f = json.loads(c["finding_json"])
            row.add_names(f.get("factor", ""), f.get("therapy", ""), f.get("cancer_type", ""))
