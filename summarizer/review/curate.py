"""Applying a person's decision to the store (``POST /api/decisions``; ``curation`` says what is kept).

One decision is one transaction: the paper's newest result and its curations are read, the
version the decision was made on is checked against the finding's (a stale one is a
``Conflict``), then the curation is written (new, or its next version) and the decision appended
with who, when, before and after.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ..inputs.text import find_quote
from ..schema import LOSS_ALTERATIONS, Evidence, Finding
from ..store import Store
from .curation import (
    ACTIONS,
    EDITABLE,
    REJECT_REASONS,
    STATE_OF_ACTION,
    Conflict,
    Invalid,
    Item,
    NotFound,
    PaperView,
    finding_id,
    identity_of,
    load_view,
)


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
            if "factor" not in base and cand.finding.get("name"):  # "'X' is not named in the abstract"
                base["factor"] = cand.finding["name"]
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
        anchor = anchor or item.anchor or identity_of(item.machine or item.finding)
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
        if out["alteration"] in LOSS_ALTERATIONS:
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
        from ..errors import SourceError
        from ..inputs.sources import parse_text

        try:
            sentences = parse_text(text).sentences
        except SourceError:
            return None
        picked = [sentences[n - 1] for n in numbers[:2] if 0 < n <= len(sentences)]
        if picked:
            return picked[0].start, picked[-1].end
    return None
