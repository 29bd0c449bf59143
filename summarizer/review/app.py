"""The review server: a Starlette app behind the security guard, served by uvicorn.

Handlers are ``async`` and use ONE SQLite connection on the event loop's thread: each decision
is read, checked and written in one ``BEGIN IMMEDIATE`` transaction with nothing awaited in
between, so decisions of one server are applied one at a time; another server or a run on the
same store waits on SQLite's lock. The connection uses ``synchronous=FULL``: an answered decision
is on disk, so stopping the server at any moment loses none.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..outputs.report import ASSETS, source_text
from ..store import Store
from . import api, pages
from .index import ReviewIndex
from .security import Guard, host_names


def templates() -> Environment:
    """The Jinja2 environment of the review pages and the report: autoescape on for everything."""
    env = Environment(
        loader=FileSystemLoader(ASSETS / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["srctext"] = source_text
    return env


@dataclass
class ReviewState:
    """What the handlers share: the store, the paper index, who decides, the token."""

    db: Path
    token: str
    user: str
    store: Store | None = None
    index: ReviewIndex | None = None
    env: Environment = field(default_factory=templates)

    def open(self) -> None:
        self.store = Store(self.db)
        self.store.conn.execute("PRAGMA synchronous=FULL")
        self.index = ReviewIndex(self.store)
        self.index.refresh()

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None


def create_app(db: Path, *, token: str, user: str, host: str = "127.0.0.1", port: int = 8765) -> Guard:
    """The ASGI app for ``db``; requests must name ``host``/``port`` and carry ``token``."""
    state = ReviewState(db=db, token=token, user=user)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.open()  # on the event loop's thread, where every handler runs
        try:
            yield
        finally:
            state.close()

    routes = [
        Route("/", pages.paper_list),
        Route("/next", pages.next_paper),
        Route("/papers/{paper_id:path}", pages.paper_page),
        Route("/api/papers", api.list_papers),
        Route("/api/papers/{paper_id:path}", api.get_paper),
        Route("/api/decisions", api.post_decision, methods=["POST"]),
        Mount("/static", StaticFiles(directory=ASSETS / "static", follow_symlink=False), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.review = state
    names = host_names(host)
    if host in ("0.0.0.0", "::"):
        names = names | {socket.gethostname().lower()}
    return Guard(app, token=token, hosts=names, port=port)


class Server:
    """uvicorn serving the app on a background thread (tests, benchmarks); ``with`` starts and stops it."""

    def __init__(self, db: Path, *, token: str, user: str = "tester", port: int = 0) -> None:
        import uvicorn

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # see serve.py
        self.sock.bind(("127.0.0.1", port))
        self.port = self.sock.getsockname()[1]
        self.token = token
        self.db = db
        app = create_app(db, token=token, user=user, port=self.port)
        config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        self.thread.start()
        for _ in range(500):
            if self.server.started:
                return self
            if not self.thread.is_alive():
                raise RuntimeError("the review server did not start")
            threading.Event().wait(0.01)
        raise RuntimeError("the review server did not start in 5 s")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
