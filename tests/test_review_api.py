"""The review server over real HTTP: uvicorn on 127.0.0.1, requests from the standard library.

Security policies (Host, Origin, token, CSP, no file read from a request), the JSON API, many
concurrent decisions, and `summarizer review` as a process: killed at any moment, it has lost
no decision it answered.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from review_fixtures import build_review_store

pytest.importorskip("starlette", reason="the review extra is not installed: pip install -e '.[review]'")
pytest.importorskip("uvicorn", reason="the review extra is not installed: pip install -e '.[review]'")

from summarizer.review.app import Server  # noqa: E402
from summarizer.review.security import CSP, host_names  # noqa: E402

TOKEN = "test-token-0123456789"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    build_review_store(tmp_path / "store.db").close()
    with Server(tmp_path / "store.db", token=TOKEN, user="ana") as srv:
        yield srv


def call(
    srv: Server, method: str, path: str, body: Any = None, *, token: str | None = TOKEN, **headers: str
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    sent = {"Host": f"127.0.0.1:{srv.port}"}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    if body is not None:
        sent["Content-Type"] = "application/json"
    sent |= {k.replace("_", "-"): v for k, v in headers.items()}
    conn.request(method, path, body=None if body is None else json.dumps(body), headers=sent)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data


def papers(srv: Server, query: str = "") -> dict[str, Any]:
    status, _, data = call(srv, "GET", "/api/papers" + query)
    assert status == 200, data
    return json.loads(data)


def first_finding(srv: Server) -> tuple[str, dict[str, Any]]:
    paper_id = papers(srv)["papers"][0]["paper_id"]
    status, _, data = call(srv, "GET", f"/api/papers/{paper_id}")
    return paper_id, json.loads(data)["findings"][0]


def test_token_is_needed_and_checked(server: Server) -> None:
    assert call(server, "GET", "/api/papers", token=None)[0] == 401
    assert call(server, "GET", "/api/papers", token="wrong")[0] == 401
    assert call(server, "GET", "/", token=None)[0] == 401
    status, _, body = call(server, "GET", "/papers/x", token=None)
    assert status == 401 and b"?token=" in body
    # The printed address: the token goes into an HttpOnly cookie and out of the URL.
    status, headers, _ = call(server, "GET", f"/?token={TOKEN}&state=pending", token=None)
    assert status == 303 and headers["location"] == "/?state=pending"
    cookie = headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    value = cookie.split(";")[0]
    assert call(server, "GET", "/", token=None, Cookie=value)[0] == 200
    # A cookie alone never changes anything: a state-changing request needs the header.
    paper_id, f = first_finding(server)
    decision = {"paper_id": paper_id, "finding_id": f["id"], "action": "accept", "version": 0}
    assert call(server, "POST", "/api/decisions", decision, token=None, Cookie=value)[0] == 401
    assert call(server, "POST", "/api/decisions", decision, token="nope")[0] == 401
    assert call(server, "POST", "/api/decisions", decision)[0] == 200


def test_foreign_host_and_origin_are_refused(server: Server) -> None:
    paper_id, f = first_finding(server)
    decision = {"paper_id": paper_id, "finding_id": f["id"], "action": "accept", "version": 0}
    # DNS rebinding: another site's name pointing at 127.0.0.1.
    for host in ("evil.example", f"evil.example:{server.port}", "127.0.0.1:1", "localhost.evil.example"):
        status, _, body = call(server, "GET", "/api/papers", Host=host)
        assert status == 403 and b"Host" in body, host
        assert call(server, "POST", "/api/decisions", decision, Host=host)[0] == 403
    assert call(server, "GET", "/api/papers", Host=f"localhost:{server.port}")[0] == 200
    # Cross-site posts, even with the token.
    for origin in ("http://evil.example", f"http://evil.example:{server.port}", "null", "https://127.0.0.1"):
        status, _, body = call(server, "POST", "/api/decisions", decision, Origin=origin)
        assert status == 403 and b"another site" in body, origin
    assert call(server, "POST", "/api/decisions", decision, Sec_Fetch_Site="cross-site")[0] == 403
    status, _, _ = call(server, "POST", "/api/decisions", decision, Origin=f"http://127.0.0.1:{server.port}")
    assert status == 200


def test_every_answer_has_the_policy_headers_and_no_file_path_is_read(server: Server) -> None:
    for path in ("/", "/api/papers", "/static/review.js", "/nope"):
        _, headers, _ = call(server, "GET", path)
        assert headers["content-security-policy"] == CSP and "default-src 'none'" in CSP
        assert headers["x-content-type-options"] == "nosniff"
    for path in (
        "/static/../../../etc/passwd",
        "/static/%2e%2e/%2e%2e/etc/passwd",
        "/static//etc/passwd",
        "/papers/..%2f..%2fetc%2fpasswd",
    ):
        status, _, body = call(server, "GET", path)
        assert b"root:" not in body and status in (400, 404), (path, status)


def test_list_filters_and_progress(server: Server) -> None:
    data = papers(server)
    assert data["matched"] == 5 and data["progress"]["papers_with_findings"] == 5
    assert data["progress"]["findings"] == 10 and data["progress"]["findings_decided"] == 0
    assert [p["factors"] for p in papers(server, "?factor=nek2")["papers"]] == [
        ["NEK2", "TRIM21", "protective autophagy"],
        ["NEK2", "TP53"],
    ]
    assert {p["paper_id"] for p in papers(server, "?therapy=sorafenib&cancer=hepatocellular")["papers"]} == {
        p["paper_id"] for p in papers(server, "?therapy=SORAFENIB")["papers"]
    }
    low = papers(server, "?max_conf=0.5")["papers"]
    assert [p["min_confidence"] for p in low] == [0.42]
    assert papers(server, "?min_conf=0.5")["matched"] == 0
    assert papers(server, "?limit=2&offset=4")["papers"][0]["paper_id"] == data["papers"][4]["paper_id"]
    for bad in ("?state=done", "?min_conf=2", "?min_conf=x", "?limit=0", "?sort=size"):
        assert call(server, "GET", "/api/papers" + bad)[0] == 400, bad
    paper_id, f = first_finding(server)
    call(server, "POST", "/api/decisions", {"paper_id": paper_id, "finding_id": f["id"], "action": "accept"})
    assert papers(server, "?state=partial")["papers"][0]["paper_id"] == paper_id
    assert papers(server, "?state=unreviewed")["matched"] == 4
    assert papers(server)["progress"]["findings_decided"] == 1


def test_decisions_api(server: Server) -> None:
    paper_id, f = first_finding(server)
    assert f["state"] == "unreviewed" and f["version"] == 0 and f["id"].startswith("f")
    post = {"paper_id": paper_id, "finding_id": f["id"], "action": "reject", "reason": "wrong_therapy"}
    status, _, data = call(server, "POST", "/api/decisions", post)
    body = json.loads(data)
    assert status == 200 and body["finding"]["state"] == "rejected" and body["finding"]["version"] == 1
    assert body["finding"]["review"]["who"] == "ana"
    # Made on version 0 again: a conflict naming the current version, nothing changed.
    status, _, data = call(server, "POST", "/api/decisions", {**post, "action": "accept"})
    body = json.loads(data)
    assert status == 409 and body["error"] == "conflict" and body["current"]["version"] == 1
    assert "Reload" in body["message"]
    for bad, code in (
        ({**post, "action": "delete"}, 422),
        ({**post, "reason": None, "version": 1}, 422),
        ({"paper_id": paper_id, "action": "accept"}, 422),
        ({**post, "extra": 1}, 422),
        ({**post, "paper_id": "nope", "version": 1}, 404),
    ):
        assert call(server, "POST", "/api/decisions", bad)[0] == code, bad
    status, _, _ = call(server, "POST", "/api/decisions", None, Content_Type="text/plain")
    assert status == 415
    status, _, data = call(server, "GET", f"/api/papers/{paper_id}?text=0")
    body = json.loads(data)
    assert "source_text" not in body and body["findings"][0]["state"] == "rejected"
    assert call(server, "GET", "/api/papers/nope")[0] == 404


def test_200_concurrent_decisions_from_4_clients_lose_none(server: Server) -> None:
    """Each client decides the same 10 findings 5 times over; every answered decision is stored."""
    listed = papers(server)["papers"]
    targets = []
    for p in listed:
        _, _, data = call(server, "GET", f"/api/papers/{p['paper_id']}?text=0")
        targets += [(p["paper_id"], f["id"]) for f in json.loads(data)["findings"]]
    results: list[int] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        for round_ in range(5):
            for paper_id, fid in targets:
                _, _, data = call(server, "GET", f"/api/papers/{paper_id}?text=0")
                version = next(f["version"] for f in json.loads(data)["findings"] if f["id"] == fid)
                action = {"paper_id": paper_id, "finding_id": fid, "version": version, "action": "accept"}
                if (n + round_) % 2:
                    action |= {"action": "reject", "reason": "other", "note": f"client {n}"}
                status, _, _ = call(server, "POST", "/api/decisions", action)
                with lock:
                    results.append(status)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 4 * 5 * len(targets) == 200
    assert set(results) <= {200, 409}
    ok = results.count(200)
    stored = papers(server)
    with sqlite3.connect(server.db) as conn:
        decisions = conn.execute("SELECT count(*) FROM decisions").fetchone()[0]
        versions = conn.execute("SELECT sum(version) FROM curations").fetchone()[0]
    assert decisions == ok and versions == ok  # every answered decision is a stored version
    assert stored["progress"]["findings_decided"] == len(targets)


def test_review_command_prints_the_address_and_a_killed_server_lost_nothing(tmp_path: Path) -> None:
    build_review_store(tmp_path / "store.db").close()
    env = {**os.environ, "USER": "curator"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "summarizer.cli", "review", "--db", str(tmp_path / "store.db"), "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        url = ""
        deadline = time.monotonic() + 30
        assert proc.stderr is not None
        while time.monotonic() < deadline and not url:
            line = proc.stderr.readline()
            if "http://127.0.0.1:" in line:
                url = line.strip()
        assert url.startswith("http://127.0.0.1:") and "/?token=" in url
        port = int(url.split(":")[2].split("/")[0])
        token = url.split("token=")[1]
        srv = Server.__new__(Server)
        srv.port = port
        status, _, data = call(srv, "GET", "/api/papers?limit=500", token=token)
        assert status == 200
        done = 0
        for p in json.loads(data)["papers"]:
            _, _, data = call(srv, "GET", f"/api/papers/{p['paper_id']}?text=0", token=token)
            for f in json.loads(data)["findings"]:
                decision = {"paper_id": p["paper_id"], "finding_id": f["id"], "action": "accept"}
                assert call(srv, "POST", "/api/decisions", decision, token=token)[0] == 200
                done += 1
        proc.send_signal(signal.SIGKILL)  # no chance to flush anything
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    with sqlite3.connect(tmp_path / "store.db") as conn:
        rows = conn.execute("SELECT who, action FROM decisions").fetchall()
    assert len(rows) == done == 10 and set(rows) == {("curator", "accept")}


def test_review_without_the_extra_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Fault injection: the web libraries reported missing."""
    import importlib.util

    from summarizer.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "uvicorn" else real(name, *a)
    )
    assert main(["review", "--db", str(tmp_path / "x.db")]) == 2
    err = capsys.readouterr().err
    assert "needs uvicorn" in err and "pip install 'resistance-summarizer[review]'" in err


def test_another_host_is_used_with_a_warning_and_only_under_its_name(tmp_path: Path) -> None:
    build_review_store(tmp_path / "store.db").close()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "summarizer.cli",
            "review",
            "--db",
            str(tmp_path / "store.db"),
            "--port",
            "0",
            "--host",
            "127.0.0.2",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        lines: list[str] = []
        while not any("http://" in line for line in lines):
            lines.append(proc.stderr.readline())
            assert lines[-1] or proc.poll() is None, lines
        assert lines[0].startswith("warning: listening on 127.0.0.2") and "plain HTTP" in lines[0]
        url = next(line.strip() for line in lines if "http://" in line)
        assert url.startswith("http://127.0.0.2:") and "/?token=" in url
        # (The suite may only connect to 127.0.0.1, so the policy for that name is checked as such.)
        assert host_names("127.0.0.2") == {"127.0.0.1", "localhost", "[::1]", "127.0.0.2"}
        assert host_names("::1") == {"127.0.0.1", "localhost", "[::1]"}
    finally:
        proc.terminate()
        proc.wait(10)
