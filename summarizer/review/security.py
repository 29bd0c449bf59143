"""Who may talk to the review server: the policies every request passes before any handler.

* **Host**: only the names this server was started for (127.0.0.1, localhost, [::1], and the
  ``--host`` given); a page of another site whose name resolves to 127.0.0.1 (DNS rebinding)
  sends its own name and is refused.
* **Origin**: a request that changes something (any method but GET/HEAD/OPTIONS) with an
  ``Origin`` or ``Sec-Fetch-Site: cross-site`` from another site is refused (cross-site posts).
* **Token**: a secret made per run (``secrets.token_urlsafe``) printed in the URL, as Jupyter
  does. ``/?token=T`` sets an HttpOnly, SameSite=Strict cookie and redirects to the address
  without it; pages need the cookie (or the token); every state-changing request and every API
  call needs ``Authorization: Bearer T`` (the page reads it from a ``<meta>`` tag), which no
  other site can send.
* Every answer carries a Content-Security-Policy that allows nothing from elsewhere.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "summarizer_review"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


def new_token() -> str:
    """A fresh per-run secret (32 random bytes, URL-safe)."""
    return secrets.token_urlsafe(32)


def host_names(host: str) -> frozenset[str]:
    """The Host names accepted for a server bound to ``host``."""
    names = {"127.0.0.1", "localhost", "[::1]"}
    if host not in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "::"):
        names.add(f"[{host}]" if ":" in host else host)
    return frozenset(n.lower() for n in names)


def _split_host(value: str) -> tuple[str, str]:
    """('name', 'port') of a Host header value; the port is '' when none is given."""
    value = value.strip().lower()
    if value.startswith("["):
        name, _, rest = value.partition("]")
        return name + "]", rest.removeprefix(":")
    name, _, port = value.partition(":")
    return name, port


class Guard:
    """ASGI middleware enforcing the policies above before ``app`` sees a request."""

    def __init__(self, app: ASGIApp, *, token: str, hosts: frozenset[str], port: int) -> None:
        self.app = app
        self.token = token
        self.hosts = hosts
        self.port = port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        method = scope["method"]
        refusal = self._refusal(scope, headers, method)
        if refusal is not None:
            status, message = refusal
            await _plain(send, status, message, json_body=scope["path"].startswith("/api/"))
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = (query.get("token") or [""])[0]
        if given and method in SAFE_METHODS and not scope["path"].startswith("/api/"):
            # The address printed at start: keep the token in a cookie, drop it from the URL.
            rest = {k: v for k, v in query.items() if k != "token"}
            location = scope["path"] + ("?" + urlencode(rest, doseq=True) if rest else "")
            cookie = f"{COOKIE}={self.token}; HttpOnly; SameSite=Strict; Path=/"
            await send(
                {
                    "type": "http.response.start",
                    "status": 303,
                    "headers": [
                        (b"location", location.encode()),
                        (b"set-cookie", cookie.encode()),
                        *SECURITY_HEADERS,
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _refusal(self, scope: Scope, headers: dict[str, str], method: str) -> tuple[int, str] | None:
        name, port = _split_host(headers.get("host", ""))
        if name not in self.hosts or (port and port != str(self.port)):
            return 403, (
                f"refused: Host {headers.get('host', '')!r} is not this server's "
                "(open the address printed at start)"
            )
        if method not in SAFE_METHODS:
            origin = headers.get("origin")
            if origin is not None and not self._own_origin(origin):
                return 403, f"refused: a request from another site ({origin}) may not change anything"
            if headers.get("sec-fetch-site") == "cross-site":
                return 403, "refused: a cross-site request may not change anything"
        bearer = headers.get("authorization", "")
        if bearer.lower().startswith("bearer ") and self._valid(bearer[7:].strip()):
            return None
        if method not in SAFE_METHODS or scope["path"].startswith("/api/"):
            return (
                401,
                "missing or wrong token: send 'Authorization: Bearer TOKEN' (the token printed at start)",
            )
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if self._valid((query.get("token") or [""])[0]) or self._valid(_cookie(headers)):
            return None
        return 401, "missing or wrong token: open the address printed at start (it ends in ?token=...)"

    def _own_origin(self, origin: str) -> bool:
        parts = urlsplit(origin)
        if parts.scheme != "http" or parts.hostname is None:
            return False
        name = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        return name.lower() in self.hosts and parts.port == self.port

    def _valid(self, given: str) -> bool:
        return bool(given) and hmac.compare_digest(given.encode(), self.token.encode())


def _cookie(headers: dict[str, str]) -> str:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except Exception:  # a malformed cookie header is no token
        return ""
    morsel = jar.get(COOKIE)
    return morsel.value if morsel is not None else ""


async def _plain(send: Send, status: int, message: str, *, json_body: bool) -> None:
    if json_body:
        body = json.dumps({"error": "refused" if status == 403 else "unauthorized", "message": message})
        ctype = b"application/json"
    else:
        body, ctype = message + "\n", b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", ctype), *SECURITY_HEADERS],
        }
    )
    await send({"type": "http.response.body", "body": body.encode()})
