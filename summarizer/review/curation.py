"""People's review of the machine's findings: decisions kept apart from what a run writes.

A run writes ``papers`` and ``findings`` rows and may replace them (``--force``) or add a newer
paper row for the same document (a changed rule or prompt). A person's decisions live in their
own tables (store migration 6) and are never touched by a run, as annotation tools keep model
*suggestions* and people's *responses* apart:

* ``curations``: one row per curated finding, the current state of a person's work on it. It is
  anchored on the document (``doc_id``) and the finding's identity (normalised factor, therapy,
  cancer and role, :func:`identity`), so whichever run produced the machine's version, the same
  finding shows as reviewed. ``version`` counts the decisions on it (optimistic concurrency: a
  decision names the version it was made on, and a stale one is refused with :class:`Conflict`).
* ``decisions``: every decision appended, never updated: who, when, action, before and after.

The machine's finding is matched to a curation by its identity, or by the identity a person
corrected it to (so a later run that agrees with the correction does not show it twice).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..evaluate import normalize_name
from ..schema import PaperSummary, role_of
from ..store import Store

ACTIONS = ("accept", "reject", "correct", "add", "promote")
REJECT_REASONS = {
    "not_a_finding": "not a finding",
    "wrong_therapy": "wrong therapy",
    "wrong_cancer": "wrong cancer",
    "wrong_direction": "wrong direction",
    "duplicate": "duplicate",
    "other": "other (see note)",
}
# The fields a person may correct, add or promote with (the rest of a finding is kept).
EDITABLE = ("factor", "alteration", "therapy", "cancer_type", "effect", "factor_type", "therapy_class")
# States whose finding is part of the curated data (export, gold); "rejected" is not.
KEPT_STATES = ("accepted", "corrected", "added", "promoted")
STATE_OF_ACTION = {
    "accept": "accepted",
    "reject": "rejected",
    "correct": "corrected",
    "add": "added",
    "promote": "promoted",
}

PaperState = Literal["unreviewed", "partial", "reviewed", "empty"]


class CurationError(Exception):
    """A decision that cannot be applied; ``status`` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class NotFound(CurationError):
    """No such paper, finding or candidate."""

    status = 404


class Invalid(CurationError):
    """The decision is malformed: a missing reason, a field outside its vocabulary, a bad span."""

    status = 422


class Conflict(CurationError):
    """The finding changed since the version the decision was made on (or already exists)."""

    status = 409


def identity(factor: str, therapy: str, cancer: str, alteration: str, effect: str) -> str:
    """The identity of a finding, stable across runs: its normalised names and the factor's role."""
    role = role_of(alteration, effect) or "none"
    return json.dumps([normalize_name(factor), normalize_name(therapy), normalize_name(cancer), role])


def identity_of(finding: Mapping[str, Any]) -> str:
    """:func:`identity` of a finding given as a dict (a Finding's dump)."""
    return identity(
        str(finding.get("factor") or ""),
        str(finding.get("therapy") or ""),
        str(finding.get("cancer_type") or ""),
        str(finding.get("alteration") or ""),
        str(finding.get("effect") or ""),
    )


def finding_id(doc_id: str, anchor: str) -> str:
    """The public id of a finding: the same for the same document and identity in every run."""
    return "f" + hashlib.sha256(f"{doc_id}\x00{anchor}".encode()).hexdigest()[:16]


def candidate_id(doc_id: str, candidate: Mapping[str, Any]) -> str:
    """The public id of a rejected candidate (its stored fields, whichever run stored it)."""
    text = json.dumps(candidate, sort_keys=True, default=str)
    return "r" + hashlib.sha256(f"{doc_id}\x00{text}".encode()).hexdigest()[:16]


@dataclass
class Item:
    """One finding as a reviewer sees it: the machine's version, a person's, or both."""

    id: str
    origin: str  # machine, added, promoted
    state: str  # unreviewed, accepted, rejected, corrected, added, promoted
    finding: dict[str, Any]  # what is shown: the person's version where there is one
    version: int = 0
    machine: dict[str, Any] | None = None  # the machine's version in the newest run, if in it
    reviewed_on: dict[str, Any] | None = None  # the machine's version the decision was made on
    reason: str | None = None
    note: str | None = None
    who: str | None = None
    at: float | None = None
    anchor: str = ""  # an undecided machine finding's anchor (its identity, numbered if repeated)

    def to_dict(self) -> dict[str, Any]:
        """The API's JSON of this finding."""
        changed = (
            self.machine is not None and self.reviewed_on is not None and self.machine != self.reviewed_on
        )
        return {
            "id": self.id,
            "origin": self.origin,
            "state": self.state,
            "version": self.version,
            "finding": self.finding,
            "machine": self.machine,
            "in_latest_run": self.machine is not None,
            "machine_changed_since_review": changed,
            "review": None
            if self.who is None
            else {"who": self.who, "at": self.at, "reason": self.reason, "note": self.note},
        }


@dataclass
class Candidate:
    """A rejected candidate of the newest run, with the reason it was rejected."""

    id: str
    reason: str
    finding: dict[str, Any]
    promoted_as: str | None = None


@dataclass
class PaperView:
    """A paper to review: the newest ok result of a document merged with people's decisions."""

    doc_id: str
    row_id: int
    result_key: str
    paper: PaperSummary
    source_text: str
    items: list[Item] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def pending(self) -> int:
        """Machine findings nobody has decided yet."""
        return sum(1 for i in self.items if i.state == "unreviewed")

    @property
    def state(self) -> PaperState:
        """unreviewed, partial, reviewed, or empty (no finding at all)."""
        return paper_state(len(self.items), self.pending)

    def item(self, fid: str) -> Item:
        """The finding of this paper with id ``fid``."""
        for it in self.items:
            if it.id == fid:
                return it
        raise NotFound(f"paper {self.doc_id} has no finding {fid}")


def paper_state(findings: int, pending: int) -> PaperState:
    """A paper's review state from its number of findings and of undecided ones."""
    if findings == 0:
        return "empty"
    if pending == 0:
        return "reviewed"
    return "unreviewed" if pending == findings else "partial"


def latest_row(store: Store, doc_id: str) -> Any:
    """The newest ok paper row of ``doc_id`` (as ``Store.papers`` picks it), or None."""
    return store.conn.execute(
        "SELECT id, doc_id, result_key, paper_json, source_text FROM papers WHERE doc_id=? AND status='ok'"
        " ORDER BY created_at DESC, id DESC LIMIT 1",
        (doc_id,),
    ).fetchone()


def load_view(store: Store, doc_id: str) -> PaperView:
    """The paper ``doc_id`` as a reviewer sees it (``NotFound`` when it has no ok result)."""
    row = latest_row(store, doc_id)
    if row is None or not row["paper_json"]:
        raise NotFound(f"no paper {doc_id!r} in the store")
    paper = PaperSummary.model_validate_json(row["paper_json"])
    curations = store.conn.execute("SELECT * FROM curations WHERE doc_id=? ORDER BY id", (doc_id,)).fetchall()
    view = PaperView(doc_id, row["id"], row["result_key"], paper, row["source_text"])
    view.items = merge(doc_id, paper, curations)
    promoted = {c["anchor"]: c["fid"] for c in curations if c["origin"] == "promoted"}
    for cand in paper.rejected_findings:
        cid = candidate_id(doc_id, cand.finding)
        view.candidates.append(Candidate(cid, cand.reason, cand.finding, promoted.get(f"promote:{cid}")))
    return view


def merge(doc_id: str, paper: PaperSummary, curations: list[Any]) -> list[Item]:
    """The paper's machine findings in order, each with its curation if any, then the curations
    that match no machine finding of this run (added, promoted, or dropped by the newer run)."""
    machine = [f.model_dump(mode="json") for f in paper.findings]
    anchors = numbered(
        [identity(f.factor, f.therapy, f.cancer_type, f.alteration, f.effect) for f in paper.findings]
    )
    matched = match_curations(anchors, curations)
    used = {c["id"] for c in matched if c is not None}
    items: list[Item] = []
    for found, anchor, cur in zip(machine, anchors, matched, strict=True):
        if cur is None:
            item = Item(
                finding_id(doc_id, anchor), "machine", "unreviewed", found, machine=found, anchor=anchor
            )
            items.append(item)
        else:
            items.append(_item(cur, found))
    items += [_item(c, None) for c in curations if c["id"] not in used]
    return items


def numbered(anchors: list[str]) -> list[str]:
    """Anchors made unique within a paper: a second finding of one identity gets ``#2``."""
    seen: dict[str, int] = {}
    out = []
    for anchor in anchors:
        seen[anchor] = seen.get(anchor, 0) + 1
        out.append(anchor if seen[anchor] == 1 else f"{anchor}#{seen[anchor]}")
    return out


def match_curations(anchors: list[str], curations: list[Any]) -> list[Any]:
    """The curation of each machine finding (by its identity), or None where there is none.

    A curation matches the finding it was made on (its anchor) first; then the identity a
    person corrected it to. Each curation matches one finding at most: a second machine finding
    of one identity stays to be decided.
    """
    matched: list[Any] = [None] * len(anchors)
    used: set[int] = set()
    for key in ("anchor", "identity"):
        by_key: dict[str, Any] = {}
        for c in curations:
            by_key.setdefault(c[key], c)
        for i, anchor in enumerate(anchors):
            cur = by_key.get(anchor)
            if matched[i] is None and cur is not None and cur["id"] not in used:
                matched[i] = cur
                used.add(cur["id"])
    return matched


def _item(cur: Any, machine: dict[str, Any] | None) -> Item:
    return Item(
        id=cur["fid"],
        origin=cur["origin"],
        state=cur["state"],
        finding=json.loads(cur["finding_json"]),
        version=cur["version"],
        machine=machine,
        reviewed_on=json.loads(cur["machine_json"]) if cur["machine_json"] else None,
        reason=cur["reason"],
        note=cur["note"],
        who=cur["updated_by"],
        at=cur["updated_at"],
    )
