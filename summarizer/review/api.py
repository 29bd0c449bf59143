"""The JSON API: ``GET /api/papers``, ``GET /api/papers/{paper_id}``, ``POST /api/decisions``.

``paper_id`` is the document's id (``doc_id``: ``pmid:N`` or name-and-hash), which stays the same
when a run replaces or adds a result for the document; finding ids stay the same too (they are
made from the document and the finding's identity, ``curation.finding_id``).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse

from .curate import decide
from .curation import REJECT_REASONS, CurationError, PaperView, load_view
from .index import STATES, Query
from .schemas import DecisionIn

MAX_BODY = 64 * 1024
MAX_LIMIT = 500


def _state(request: Request) -> Any:
    return request.app.state.review


def error(status: int, kind: str, message: str, **extra: Any) -> JSONResponse:
    """An error answer: ``{"error": kind, "message": ..., ...}``."""
    return JSONResponse({"error": kind, "message": message, **extra}, status_code=status)


def parse_query(params: Any) -> Query | str:
    """The list filters of a query string, or the message saying what is wrong with it."""
    state = params.get("state", "")
    if state and state not in STATES:
        return f"state must be one of {', '.join(STATES)}"
    bounds: dict[str, float | None] = {}
    for key in ("min_conf", "max_conf"):
        text = params.get(key, "")
        try:
            bounds[key] = float(text) if text != "" else None
        except ValueError:
            return f"{key} must be a number from 0 to 1"
        value = bounds[key]
        if value is not None and not 0.0 <= value <= 1.0:
            return f"{key} must be a number from 0 to 1"
    sort = params.get("sort", "id")
    if sort not in ("id", "confidence"):
        return "sort must be id or confidence"
    return Query(
        state=state,
        factor=params.get("factor", "")[:100],
        therapy=params.get("therapy", "")[:100],
        cancer=params.get("cancer", "")[:100],
        min_conf=bounds["min_conf"],
        max_conf=bounds["max_conf"],
        sort=sort,
    )


def window(params: Any) -> tuple[int, int] | str:
    """(offset, limit) of a query string."""
    try:
        offset = int(params.get("offset", "0"))
        limit = int(params.get("limit", "50"))
    except ValueError:
        return "offset and limit must be whole numbers"
    if offset < 0 or not 1 <= limit <= MAX_LIMIT:
        return f"offset must be 0 or more and limit 1 to {MAX_LIMIT}"
    return offset, limit


async def list_papers(request: Request) -> JSONResponse:
    """The papers matching the filters, a page of them, with the review progress of the store."""
    state = _state(request)
    query = parse_query(request.query_params)
    win = window(request.query_params)
    if isinstance(query, str) or isinstance(win, str):
        return error(400, "bad_query", query if isinstance(query, str) else str(win))
    offset, limit = win
    state.index.refresh()
    rows = state.index.query(query)
    return JSONResponse(
        {
            "progress": state.index.progress(),
            "matched": len(rows),
            "offset": offset,
            "limit": limit,
            "papers": [r.to_dict() for r in rows[offset : offset + limit]],
        }
    )


def paper_json(view: PaperView, include_text: bool = True) -> dict[str, Any]:
    """A paper with its findings (each with id, review state and version) and rejected candidates."""
    p = view.paper
    out: dict[str, Any] = {
        "paper_id": view.doc_id,
        "row_id": view.row_id,
        "result_key": view.result_key,
        "source_name": p.source_name,
        "title": p.title,
        "doi": p.doi,
        "pmid": p.pmid,
        "year": p.year,
        "journal": p.journal,
        "summary": p.summary,
        "state": view.state,
        "pending": view.pending,
        "findings": [i.to_dict() for i in view.items],
        "candidates": [
            {"id": c.id, "reason": c.reason, "finding": c.finding, "promoted_as": c.promoted_as}
            for c in view.candidates
        ],
        "reject_reasons": REJECT_REASONS,
    }
    if include_text:
        out["source_text"] = view.source_text
    return out


async def get_paper(request: Request) -> JSONResponse:
    """One paper as a reviewer sees it."""
    state = _state(request)
    try:
        view = load_view(state.store, request.path_params["paper_id"])
    except CurationError as exc:
        return error(exc.status, "not_found", exc.message)
    return JSONResponse(paper_json(view, request.query_params.get("text", "1") != "0"))


async def post_decision(request: Request) -> JSONResponse:
    """Apply one decision; 409 with the current version when it was made on an older one."""
    state = _state(request)
    if "application/json" not in request.headers.get("content-type", ""):
        return error(415, "bad_request", "send the decision as JSON (Content-Type: application/json)")
    body = await request.body()
    if len(body) > MAX_BODY:
        return error(413, "bad_request", "a decision is a small JSON object (64 kB at most)")
    try:
        data = DecisionIn.model_validate(json.loads(body))
    except (ValueError, ValidationError) as exc:
        if isinstance(exc, ValidationError):
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            message = f"{where}: {first.get('msg')}" if where else str(first.get("msg"))
        else:
            message = f"not JSON: {exc}"
        return error(422, "invalid", message)
    try:
        item, decision_id = decide(state.store, data.decision(), state.user)
    except CurationError as exc:
        kind = {404: "not_found", 409: "conflict", 422: "invalid"}.get(exc.status, "bad_request")
        return error(exc.status, kind, exc.message, **exc.extra)
    state.index.update([data.paper_id])
    row = state.index.rows.get(data.paper_id)
    return JSONResponse(
        {
            "ok": True,
            "decision_id": decision_id,
            "finding": item.to_dict(),
            "paper": row.to_dict() if row else None,
            "progress": state.index.progress(),
        }
    )
