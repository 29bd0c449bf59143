"""The HTML pages: the paper list (filters, progress) and one paper to review.

Every value from the store reaches the page through Jinja2 with autoescape on; the source text
through the ``srctext`` filter (escaped, CR kept). The pages carry no inline script or style:
``/static/review.js`` does the rest through the JSON API, with the token from a ``<meta>`` tag.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, get_args
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..outputs.report import HIGHLIGHTS, Span, split_segments
from ..schema import Alteration, Effect, FactorType, TherapyClass, role_of
from .api import parse_query, window
from .curation import EDITABLE, REJECT_REASONS, CurationError, Item, load_view

PAGE = 50
VOCABULARIES = {
    "alteration": list(get_args(Alteration)),
    "effect": list(get_args(Effect)),
    "factor_type": list(get_args(FactorType)),
    "therapy_class": list(get_args(TherapyClass)),
}
SHORTCUTS = [
    ("j / k", "next / previous finding"),
    ("a", "accept the finding (and go to the next undecided one)"),
    ("A", "accept every undecided finding of this paper"),
    ("r", "reject: then 1-6 picks the reason (6: other, type a note, Enter)"),
    ("e", "correct the finding's fields (Enter saves, Esc cancels)"),
    ("s", "add a finding from the text you selected"),
    ("p", "promote the selected rejected candidate"),
    ("n", "next paper with undecided findings"),
    ("l", "back to the list"),
    ("?", "show or hide these shortcuts"),
]


def _render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    state = request.app.state.review
    context.setdefault("progress", state.index.progress())
    html = state.env.get_template(name).render(
        token=state.token,
        user=state.user,
        shortcuts=SHORTCUTS,
        **context,
    )
    return HTMLResponse(html, status_code=status, headers={"cache-control": "no-store"})


def paper_href(doc_id: str) -> str:
    """The page of a paper (its id percent-encoded as one path segment)."""
    return "/papers/" + quote(doc_id, safe="")


async def paper_list(request: Request) -> Response:
    """The list of papers with filters and progress."""
    state = request.app.state.review
    query = parse_query(request.query_params)
    win = window(request.query_params)
    if isinstance(query, str) or isinstance(win, str):
        return _render(
            request, "message.html", 400, title="Bad filter", message=query if isinstance(query, str) else win
        )
    offset, _ = win
    state.index.refresh()
    rows = state.index.query(query)
    params = {k: v for k, v in request.query_params.items() if k not in ("offset", "token") and v}
    pages = []
    for start in range(0, len(rows), PAGE):
        if abs(start - offset) <= 5 * PAGE or start == 0 or start + PAGE >= len(rows):
            pages.append((start // PAGE + 1, "/?" + urlencode({**params, "offset": start}), start == offset))
    return _render(
        request,
        "list.html",
        rows=[(r, paper_href(r.doc_id)) for r in rows[offset : offset + PAGE]],
        matched=len(rows),
        offset=offset,
        pages=pages,
        query=query,
        progress=state.index.progress(),
        states=["", "pending", "unreviewed", "partial", "reviewed", "empty"],
        filtered=bool(params),
    )


async def next_paper(request: Request) -> Response:
    """Go to the next paper with undecided findings after ``?after=``, else back to the list."""
    state = request.app.state.review
    state.index.refresh()
    doc_id = state.index.next_pending(request.query_params.get("after") or None)
    if doc_id is None:
        return RedirectResponse("/?state=pending&done=1", status_code=303)
    return RedirectResponse(paper_href(doc_id), status_code=303)


@dataclass
class Piece:
    """A stretch of source text and the findings whose evidence covers it."""

    text: str
    findings: list[int]
    colour: str


def pieces(text: str, items: list[Item]) -> tuple[list[Piece], list[str]]:
    """The source text cut at every evidence boundary, and notes on evidence not in the text."""
    spans, problems = [], []
    for i, item in enumerate(items):
        for e, ev in enumerate(item.finding.get("evidence") or []):
            start, end, quote_ = ev.get("start", 0), ev.get("end", 0), ev.get("quote", "")
            if 0 <= start < end <= len(text) and text[start:end] == quote_:
                spans.append(Span(i, e, start, end))
            else:
                problems.append(f"finding {i + 1}: evidence {e + 1} is not at its span in the stored text")
    out = []
    for seg in split_segments(len(text), spans):
        found = sorted({s.finding for s in seg.spans})
        colour = f"h{found[0] % len(HIGHLIGHTS)}" if len(found) == 1 else ("multi" if found else "")
        out.append(Piece(text[seg.start : seg.end], found, colour))
    return out, problems


async def paper_page(request: Request) -> Response:
    """One paper: findings with their review state, rejected candidates, the highlighted text."""
    state = request.app.state.review
    doc_id = request.path_params["paper_id"]
    try:
        view = load_view(state.store, doc_id)
    except CurationError as exc:
        return _render(request, "message.html", exc.status, title="Not found", message=exc.message)
    state.index.refresh()
    text_pieces, problems = pieces(view.source_text, view.items)
    roles = [
        role_of(i.finding.get("alteration", ""), i.finding.get("effect", "")) or "none" for i in view.items
    ]
    return _render(
        request,
        "paper.html",
        view=view,
        paper=view.paper,
        items=list(zip(view.items, roles, strict=True)),
        palette=len(HIGHLIGHTS),
        pieces=text_pieces,
        problems=problems,
        reasons=REJECT_REASONS,
        editable=EDITABLE,
        vocab=VOCABULARIES,
        progress=state.index.progress(),
        next_href="/next?" + urlencode({"after": view.doc_id}),
    )
