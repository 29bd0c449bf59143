"""``summarizer review``: check the store, make the token, print the address, serve until Ctrl-C."""

from __future__ import annotations

import argparse
import getpass
import importlib.util
import os
import socket
import sys
from pathlib import Path

from ..errors import ConfigError, StoreError

INSTALL = "pip install 'resistance-summarizer[review]'  (from a checkout: pip install -e '.[review]')"


def missing_extra() -> list[str]:
    """The web libraries of the 'review' extra that are not installed."""
    return [name for name in ("starlette", "uvicorn", "jinja2") if importlib.util.find_spec(name) is None]


def reviewer_name(given: str | None) -> str:
    """--user, else $USER, else the login name."""
    if given and given.strip():
        return given.strip()[:80]
    try:
        return os.environ.get("USER") or getpass.getuser() or "unknown"
    except Exception:  # no passwd entry (containers)
        return "unknown"


def cmd_review(args: argparse.Namespace, default_db: Path) -> int:
    """Serve the review app for ``--db`` on 127.0.0.1 (or ``--host``) until interrupted."""
    missing = missing_extra()
    if missing:
        raise ConfigError(f"summarizer review needs {', '.join(missing)}: {INSTALL}")
    import uvicorn

    from ..store import Store
    from .app import create_app
    from .security import new_token

    db = Path(args.db or default_db)
    if not db.exists():
        raise StoreError(f"no store at {db}: run 'summarizer run' first or pass --db")
    Store(db).close()  # refuse an unusable store now, and add the review tables to an older one
    host = args.host or "127.0.0.1"
    if args.host and args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"warning: listening on {host}: anyone who can reach this address and has the token can "
            "change the review; the token travels unencrypted (plain HTTP)",
            file=sys.stderr,
        )
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit it: uvicorn writes a response's head and body apart, and with
    # Nagle's algorithm the body waited for the client's delayed ACK (a 40 ms floor per request).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, args.port))
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host}:{args.port} ({exc.strerror}); pass another --port"
        ) from exc
    sock.listen(128)  # connections made as soon as the address is printed wait for uvicorn
    port = sock.getsockname()[1]
    token = new_token()
    user = reviewer_name(args.user)
    app = create_app(db, token=token, user=user, host=host, port=port)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else (f"[{host}]" if ":" in host else host)
    url = f"http://{shown}:{port}/?token={token}"
    print(
        f"reviewing {db} as {user}; open this address (Ctrl-C stops the server):\n\n    {url}\n",
        file=sys.stderr,
    )
    sys.stderr.flush()
    if args.open:
        import webbrowser

        webbrowser.open(url)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
    return 0
