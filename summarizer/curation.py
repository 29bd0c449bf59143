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
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from .evaluate import normalize_name
from .schema import Evidence, Finding, PaperSummary, role_of
from .sources import find_quote
from .store import Store

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
    by_anchor = {c["anchor"]: c for c in curations}
    by_identity: dict[str, Any] = {}
    for c in curations:
        by_identity.setdefault(c["identity"], c)
    used: set[int] = set()
    items: list[Item] = []
    for f in paper.findings:
        machine = f.model_dump(mode="json")
        anchor = identity(f.factor, f.therapy, f.cancer_type, f.alteration, f.effect)
        cur = by_anchor.get(anchor) or by_identity.get(anchor)
        if cur is not None and cur["id"] in used:
            cur = None  # two machine findings of one identity: the second stays to be decided
        if cur is None:
            items.append(Item(finding_id(doc_id, anchor), "machine", "unreviewed", machine, machine=machine))
            continue
        used.add(cur["id"])
        items.append(_item(cur, machine))
    items += [_item(c, None) for c in curations if c["id"] not in used]
    return items


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


# --- decisions --------------------------------------------------------------------------------


@dataclass
class Decision:
    """One decision as the API receives it (already type-checked by ``review.schemas``)."""

    paper_id: str
    action: str
    version: int = 0
    finding_id: str | None = None
    reason: str | None = None
    note: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    span: tuple[int, int] | None = None


def decide(store: Store, d: Decision, who: str) -> tuple[Item, int]:
    """Apply one decision in one transaction; returns the finding as now curated and the id of
    the decision row. Refuses (``Conflict``) a decision made on another version than the
    current one: two tabs editing one finding never overwrite each other silently."""
    if d.action not in ACTIONS:
        raise Invalid(f"unknown action {d.action!r}; one of {', '.join(ACTIONS)}")
    if d.action == "reject":
        if d.reason not in REJECT_REASONS:
            raise Invalid(f"a rejection needs a reason, one of {', '.join(REJECT_REASONS)}")
        if d.reason == "other" and not (d.note or "").strip():
            raise Invalid("a rejection for another reason needs a note saying why")
    with store.transaction():
        view = load_view(store, d.paper_id)
        if d.action == "add":
            return _create(store, view, d, who, "added", _new_finding(view, {}, d), None)
        if d.action == "promote":
            cand = next((c for c in view.candidates if c.id == d.finding_id), None)
            if cand is None:
                raise NotFound(f"paper {d.paper_id} has no rejected candidate {d.finding_id}")
            if cand.promoted_as:
                raise Conflict(f"this candidate was already promoted (finding {cand.promoted_as})")
            base = {
                k: cand.finding.get(k) for k in ("factor", "therapy", "cancer_type") if cand.finding.get(k)
            }
            base |= _direction_of(cand.finding)
            finding = _new_finding(view, base, d, cand.finding)
            return _create(store, view, d, who, "promoted", finding, f"promote:{cand.id}")
        item = view.item(d.finding_id or "")
        if d.version != item.version:
            raise Conflict(_stale(item, d.version), current=item.to_dict())
        after = dict(item.finding)
        if d.action == "correct":
            after = _validated({**item.finding, **_editable(d.fields)})
        state = STATE_OF_ACTION[d.action]
        if d.action == "accept" and item.state in ("added", "promoted", "corrected"):
            state = item.state  # accepting a person's own version keeps what it is
        return _record(store, view, item, d, who, state, after)


def _stale(item: Item, version: int) -> str:
    when = time.strftime("%H:%M:%S", time.localtime(item.at)) if item.at else "just now"
    return (
        f"This finding was changed after you loaded it: it is at version {item.version} "
        f"({item.state} by {item.who or 'someone'} at {when}), your decision was made on version "
        f"{version}. Reload to see the current version, then decide again."
    )


def _record(
    store: Store,
    view: PaperView,
    item: Item,
    d: Decision,
    who: str,
    state: str,
    after: dict[str, Any],
    anchor: str | None = None,
) -> tuple[Item, int]:
    """Write the curation (new or next version) and append the decision; ``anchor``: of a new one."""
    now = time.time()
    conn = store.conn
    version = item.version + 1
    note = (d.note or "").strip() or None
    reason = d.reason if d.action == "reject" else None
    if item.who is None:  # decided for the first time: the machine's finding, or a new one
        anchor = anchor or identity_of(item.machine or item.finding)
        cur = conn.execute(
            "INSERT INTO curations (doc_id, anchor, fid, identity, origin, state, finding_json,"
            " machine_json, reason, note, version, created_by, created_at, updated_by, updated_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                view.doc_id,
                anchor,
                item.id,
                identity_of(after),
                item.origin,
                state,
                json.dumps(after),
                json.dumps(item.machine),
                reason,
                note,
                version,
                who,
                now,
                who,
                now,
            ),
        )
        curation_id = int(cur.lastrowid or 0)
    else:
        row = conn.execute(
            "UPDATE curations SET state=?, finding_json=?, identity=?, reason=?, note=?, version=?,"
            " machine_json=COALESCE(?, machine_json), updated_by=?, updated_at=? WHERE fid=? AND version=?"
            " RETURNING id",
            (
                state,
                json.dumps(after),
                identity_of(after),
                reason,
                note,
                version,
                json.dumps(item.machine) if item.machine else None,
                who,
                now,
                item.id,
                item.version,
            ),
        ).fetchone()
        if row is None:  # cannot happen inside BEGIN IMMEDIATE; kept as the last guard
            raise Conflict(_stale(item, item.version))
        curation_id = int(row[0])
    before = {"state": item.state, "version": item.version, "finding": item.finding}
    after_doc = {"state": state, "version": version, "finding": after, "reason": reason, "note": note}
    dec = conn.execute(
        "INSERT INTO decisions (curation_id, doc_id, fid, paper_id, result_key, action, reason, note, who,"
        " at, version, before_json, after_json) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            curation_id,
            view.doc_id,
            item.id,
            view.row_id,
            view.result_key,
            d.action,
            reason,
            note,
            who,
            now,
            item.version,
            json.dumps(before),
            json.dumps(after_doc),
        ),
    )
    item = Item(
        item.id,
        item.origin,
        state,
        after,
        version,
        item.machine,
        item.machine or item.reviewed_on,
        reason,
        note,
        who,
        now,
    )
    return item, int(dec.lastrowid or 0)


def _create(
    store: Store,
    view: PaperView,
    d: Decision,
    who: str,
    origin: str,
    finding: dict[str, Any],
    anchor: str | None,
) -> tuple[Item, int]:
    ident = identity_of(finding)
    same = next((i for i in view.items if identity_of(i.finding) == ident), None)
    if same is not None:
        raise Conflict(
            f"this paper already has that finding (id {same.id}, {same.state}); accept or correct it instead",
            current=same.to_dict(),
        )
    anchor = anchor or ident
    fid = finding_id(view.doc_id, anchor)
    if store.conn.execute("SELECT 1 FROM curations WHERE fid=?", (fid,)).fetchone():
        raise Conflict("this finding was already recorded; reload the page")
    item = Item(fid, origin, "unreviewed", finding)
    return _record(store, view, item, d, who, STATE_OF_ACTION[d.action], finding, anchor)


def _editable(fields: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise Invalid(f"cannot set {', '.join(unknown)}; editable fields: {', '.join(EDITABLE)}")
    out = {}
    for key, value in fields.items():
        if not isinstance(value, str) or not value.strip():
            raise Invalid(f"{key} must be a non-empty text")
        out[key] = value.strip()
    return out


def _validated(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` checked as a Finding (vocabularies, lengths, evidence spans); its JSON dump."""
    try:
        return Finding.model_validate(data).model_dump(mode="json")
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise Invalid(f"{where}: {first.get('msg')}") from exc


def _direction_of(cand: Mapping[str, Any]) -> dict[str, str]:
    """Alteration and effect of a candidate: its own, else read off its role (more of the factor)."""
    out = {k: str(cand[k]) for k in ("alteration", "effect") if cand.get(k)}
    role = cand.get("role")
    if "effect" not in out and role in ("pro_resistance", "anti_resistance"):
        out["alteration"] = out.get("alteration", "other")
        out["effect"] = "promotes_resistance" if role == "pro_resistance" else "reverses_resistance"
        if out["alteration"] in ("knockdown", "downregulation", "loss", "deletion", "methylation"):
            out["alteration"] = "other"
    return out


def _new_finding(
    view: PaperView, base: dict[str, Any], d: Decision, cand: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A person's new finding: base fields, the decision's fields, evidence from the span."""
    data: dict[str, Any] = {"factor_type": "gene", "therapy_class": "other", "alteration": "other"}
    data |= base | _editable(d.fields)
    missing = [k for k in ("factor", "therapy", "cancer_type", "effect") if not data.get(k)]
    if missing:
        raise Invalid(f"a new finding needs {', '.join(missing)}")
    text = view.source_text
    span = d.span or (_candidate_span(text, cand) if cand is not None else None)
    if span is None:
        raise Invalid("select the evidence in the text (a span) for this finding")
    start, end = span
    if not 0 <= start < end <= len(text):
        raise Invalid(f"the span {start}-{end} is not inside the text ({len(text)} characters)")
    if end - start > 2000:
        raise Invalid("the selected evidence is longer than 2,000 characters; select a sentence or two")
    data["evidence"] = [Evidence(quote=text[start:end], start=start, end=end).model_dump()]
    if cand is not None and isinstance(cand.get("confidence"), int | float):
        data["confidence"] = max(0.0, min(1.0, float(cand["confidence"])))
    return _validated(data)


def _candidate_span(text: str, cand: Mapping[str, Any]) -> tuple[int, int] | None:
    """Where a rejected candidate's own sentence is in the text (older rejections may have none)."""
    for key in ("sentence", "quote", "key_quote"):
        if isinstance(cand.get(key), str) and cand[key].strip():
            found = find_quote(cand[key].rstrip("…"), text)
            if found:
                return found
    numbers = cand.get("sentences") or ([cand["sentence_number"]] if cand.get("sentence_number") else [])
    if isinstance(numbers, list) and numbers and all(isinstance(n, int) for n in numbers):
        from .errors import SourceError
        from .sources import parse_text

        try:
            sentences = parse_text(text).sentences
        except SourceError:
            return None
        picked = [sentences[n - 1] for n in numbers[:2] if 0 < n <= len(sentences)]
        if picked:
            return picked[0].start, picked[-1].end
    return None
