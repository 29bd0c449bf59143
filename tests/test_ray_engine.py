"""``--engine ray``: the same per-document work on Ray Data actors, saved by the one writer here.

Against two loopback stub endpoints (the fault stub) on a local Ray started by the engine:

* 200 documents, the endpoints dealt over the actors, transient faults retried: every document
  stored once, with its call log, tokens and the run's provenance; the API key in no table and
  no Ray log;
* a killed run (SIGKILL, and Ctrl-C) resumes like a local one: nothing saved is lost, asked
  again or written twice, and only the rest is asked;
* every socket Ray opens (GCS, raylet, object manager, workers, agents) listens on loopback,
  read from /proc/net (what ``ss -ltnup`` shows) for the processes of the run, during the run.

The Ray tests skip, saying why, where Ray is not installed. Ray is never imported by this module:
the engine must be the first to import it (it configures Ray for loopback before).
"""

from __future__ import annotations

import contextlib
import importlib.util
import ipaddress
import os
import re
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stub_server import StubServer, write_abstracts
from test_crash import DEADLINE_S, _check_store, _start, _wait_for_progress

from summarizer.cli import main
from summarizer.model.backends import BackendSettings, get_backend
from summarizer.model.prompts import load_prompts
from summarizer.model.retry import RetryPolicy
from summarizer.pipeline import DocReport, Pipeline, RunOptions
from summarizer.ray_engine import ExtractorSpec, RayEngine, RayOptions
from summarizer.reading.extract import ExtractSettings
from summarizer.store import Store

needs_ray = pytest.mark.skipif(
    importlib.util.find_spec("ray") is None,
    reason="Ray is not installed (pip install -e '.[ray]'): the Ray engine cannot be tested",
)
KEY = "sk-ray-secret-0123456789abcdef"
TRANSIENT = ("503", "reset", "429", "502")
_STUDY = re.compile(r"Study (\d+) of GENE")


@pytest.fixture
def ray_tmp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Ray's session files (logs, sockets) in a directory of this test, not the shared /tmp/ray.

    Short on purpose: Ray's Unix socket paths live under it and may not exceed 107 bytes.
    """
    folder = Path(tempfile.mkdtemp(prefix="rt", dir="/tmp"))
    monkeypatch.setenv("RAY_TMPDIR", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _one_fault_each_fifth_document(seen: set[int]) -> Any:
    """A stub ``choose``: the first request for every fifth study is a transient fault."""

    def choose(index: int, body: dict[str, Any]) -> str:
        match = _STUDY.search(str(body.get("messages", [{}])[-1].get("content", "")))
        if match is None:
            return "ok"
        study = int(match[1])
        first = study not in seen
        seen.add(study)
        return TRANSIENT[study // 5 % len(TRANSIENT)] if first and study % 5 == 0 else "ok"

    return choose


# --- listening sockets, read the way ss does -------------------------------------------------


def _descendants(root: int) -> dict[int, str]:
    """{pid: command name} of ``root`` and every process below it."""
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            names[int(entry.name)] = stat[stat.index("(") + 1 : stat.rindex(")")]
            parents[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    found = {root}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in found and pid not in found:
                found.add(pid)
                grew = True
    return {pid: names.get(pid, "?") for pid in found}


def _address(hex_address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """/proc/net/tcp's address: 32-bit words in host (little-endian) order."""
    raw = bytes.fromhex(hex_address)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return ipaddress.ip_address(words)


def _listening(pids: dict[int, str]) -> list[tuple[str, str, int]]:
    """(process, address, port) of every TCP listener and bound UDP socket of ``pids``."""
    owner: dict[str, str] = {}
    for pid, name in pids.items():
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:["):
                        owner[target[8:-1]] = name
    found = []
    for table, listening_state in (("tcp", "0A"), ("tcp6", "0A"), ("udp", "07"), ("udp6", "07")):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state == listening_state and inode in owner:
                    host, port = local.split(":")
                    found.append((owner[inode], str(_address(host)), int(port, 16)))
    return found


def _is_loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    mapped = getattr(ip, "ipv4_mapped", None)
    return bool((mapped or ip).is_loopback)


def _assert_ray_on_loopback(root: int) -> list[tuple[str, str, int]]:
    sockets = _listening(_descendants(root))
    names = {name for name, _, _ in sockets}
    # The check must have seen Ray's own servers, or it proves nothing.
    assert {"gcs_server", "raylet"} <= names, sockets
    outside = [s for s in sockets if not _is_loopback(s[1])]
    assert not outside, f"listening beyond loopback: {outside}"
    return sockets


# --- the runs ------------------------------------------------------------------------------


@needs_ray
def test_two_endpoints_200_documents_each_stored_once_faults_retried_on_loopback(
    tmp_path: Path, ray_tmp: Path
) -> None:
    docs = 200
    paths = write_abstracts(tmp_path / "in", docs)
    db = tmp_path / "store.db"
    seen: set[int] = set()
    choose = _one_fault_each_fifth_document(seen)
    sockets: list[tuple[str, str, int]] = []

    def on_report(report: DocReport, index: int) -> None:
        if index == 60:  # mid-run: Ray is up, its actors are working
            sockets.extend(_assert_ray_on_loopback(os.getpid()))

    with StubServer(choose=choose, retry_after="1") as one, StubServer(choose=choose, retry_after="1") as two:
        settings = BackendSettings(base_url=one.base_url, api_key=KEY, model="stub-model", timeout_s=10)
        backend = get_backend("openai", settings)
        options = RunOptions(
            concurrency=8,
            # No waiting between attempts: the faults cost no wall time.
            retry=RetryPolicy(attempts=4, initial_wait_s=0, max_wait_s=0, max_retry_after_s=0),
            # Two windows, so the second starts a fresh actor pool and the endpoints are dealt again.
            engine=RayEngine(RayOptions(base_urls=(one.base_url, two.base_url), window=120, num_cpus=2)),
        )
        with Store(db) as store:
            summary = Pipeline(backend, store, load_prompts(), options, on_report=on_report).run(
                [str(p) for p in paths]
            )
        faults = sum(stub.count(f) for stub in (one, two) for f in TRANSIENT)
        paper_requests = one.paper_requests, two.paper_requests

    assert sockets, "the listening sockets were never checked"
    assert summary.count("ok") == docs, [r.message for r in summary.reports if r.status != "ok"]
    assert faults == docs // 5, "every fifth document met one transient fault"
    assert sum(paper_requests) == docs + faults  # each fault retried once, nothing asked twice
    assert min(paper_requests) > 0, f"one endpoint got nothing: {paper_requests}"

    stored = _check_store(db)
    assert sorted(stored) == [p.stem for p in paths]
    with sqlite3.connect(db) as conn:
        run = conn.execute(
            "SELECT status, backend, model, prompt_sha256, docs_ok, prompt_tokens, completion_tokens "
            "FROM runs"
        ).fetchone()
        logged = conn.execute(
            "SELECT COUNT(*), SUM(error IS NOT NULL), SUM(prompt_tokens), SUM(completion_tokens) FROM calls"
        ).fetchone()
    assert run[:5] == ("done", "openai", "stub-model", load_prompts().sha256, docs)
    assert logged[1] == faults, "each retried fault is in the call log"
    assert summary.prompt_tokens > 0
    assert (run[5], run[6]) == (logged[2], logged[3]) == (summary.prompt_tokens, summary.completion_tokens)

    for path in [db, *tmp_path.glob("store.db-*"), *ray_tmp.rglob("*")]:
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), f"the API key is in {path}"
    assert any(ray_tmp.rglob("*.log")), "Ray's logs were not where the key was looked for"


@needs_ray
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_killed_ray_run_resumes_without_loss_or_duplicates(
    sig: signal.Signals, tmp_path: Path, ray_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs, kill_after = 40, 6
    folder = tmp_path / "in"
    write_abstracts(folder, docs)
    db = tmp_path / "store.db"
    with StubServer(delay_s=0.1) as one, StubServer(delay_s=0.1) as two:
        args = ["run", str(folder), "--backend", "openai", "--db", str(db), "--timeout", "10"]
        args += ["--base-url", one.base_url, "--base-url", two.base_url, "--engine", "ray"]
        args += ["--concurrency", "2"]
        env = {**os.environ, "SUMMARIZER_HOME": str(tmp_path / "home"), "PYTHONUNBUFFERED": "1"}
        env.pop("OPENAI_API_KEY", None)
        env.pop("RAY_ADDRESS", None)
        log = tmp_path / "killed.log"

        proc = _start(args, log, env)
        ray_processes: dict[int, str] = {}
        try:
            _wait_for_progress(proc, db, kill_after)
            _assert_ray_on_loopback(proc.pid)  # the CLI's own Ray, mid-run
            ray_processes = {p: n for p, n in _descendants(proc.pid).items() if p != proc.pid}
            proc.send_signal(sig)
            rc = proc.wait(timeout=DEADLINE_S)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

        output = log.read_text(encoding="utf-8", errors="replace")
        saved = _check_store(db)
        assert kill_after <= len(saved) < docs, "the kill did not land mid-run"
        reported_ok = set(re.findall(r"\] ok .*?(doc\d+)\.txt", output))
        assert reported_ok <= set(saved), f"reported done but not stored: {reported_ok - set(saved)}"
        with sqlite3.connect(db) as conn:
            (status,) = conn.execute("SELECT status FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        if sig == signal.SIGKILL:
            assert rc == -signal.SIGKILL
            assert status == "running"
        else:
            assert rc == 130, output
            assert status == "interrupted"
            assert "interrupted: finished documents are saved" in output
        # Ray's actors must not go on asking for answers nobody will save.
        _wait_until_gone({p: n for p, n in ray_processes.items() if "MapWorker" in n})

        before = [len(one.records), len(two.records)]
        assert main(args) == 0
        err = capsys.readouterr().err
        assert f"{docs - len(saved)} ok, {len(saved)} already done" in err
        asked = {
            f"doc{r.study:05d}"
            for stub, start in zip((one, two), before, strict=True)
            for r in stub.records[start:]
            if r.kind == "paper" and r.study is not None
        }
    assert asked == {f"doc{i:05d}" for i in range(docs)} - set(saved)
    final = _check_store(db)
    assert sorted(final) == [f"doc{i:05d}" for i in range(docs)]
    assert all(final[doc] == saved[doc] for doc in saved), "a saved paper was written again"
    _end_leftovers(ray_processes)


def _wait_until_gone(processes: dict[int, str], timeout_s: float = 60.0) -> None:
    """Wait (bounded) for each process to end: a pidfd becomes readable when its process exits."""
    deadline = time.monotonic() + timeout_s
    for pid, name in processes.items():
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            continue
        try:
            if _still(pid, name):  # checked after opening: the pid cannot be reused while open
                ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
                assert ready, f"{name} ({pid}) still running {timeout_s:.0f} s after the driver ended"
        finally:
            os.close(fd)


def _still(pid: int, name: str) -> bool:
    """``pid`` is alive and still the same process (its command name unchanged)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.index("(") + 1 : stat.rindex(")")] == name and stat[stat.rindex(")") + 2] != "Z"


def _end_leftovers(processes: dict[int, str]) -> None:
    """Ray's agents notice a killed raylet only after a while; end those this test started."""
    for pid, name in processes.items():
        if _still(pid, name):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


# --- without Ray ---------------------------------------------------------------------------


def test_the_core_never_imports_ray() -> None:
    code = (
        "import sys, summarizer.cli, summarizer.pipeline, summarizer.ray_engine; "
        "sys.exit(1 if 'ray' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0


def test_missing_ray_is_one_line_naming_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` meets without the extra
    monkeypatch.setenv("SUMMARIZER_HOME", str(tmp_path / "home"))
    write_abstracts(tmp_path / "in", 1)
    args = ["run", str(tmp_path / "in"), "--backend", "openai", "--base-url", "http://127.0.0.1:9/v1"]
    assert main([*args, "--engine", "ray", "--db", str(tmp_path / "s.db")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "error: --engine ray needs Ray Data: install the Ray extra: pip install 'resistance-summarizer[ray]'"
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--engine", "ray", "--backend", "local"], "--engine ray needs --backend openai"),
        (["--base-url", "http://127.0.0.1:9/v1", "--base-url", "http://127.0.0.1:8/v1"], "need --engine ray"),
        (["--ray-actors", "2"], "--ray-address and --ray-actors need --engine ray"),
    ],
)
def test_engine_settings_that_cannot_work_are_refused_before_anything_starts(
    extra: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_abstracts(tmp_path / "in", 1)
    db = tmp_path / "s.db"
    assert main(["run", str(tmp_path / "in"), "--db", str(db), "--backend", "openai", *extra]) == 2
    assert message in capsys.readouterr().err
    assert not db.exists(), "refused settings must not open a run"


def test_zero_actors_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["run", str(tmp_path), "--backend", "openai", "--engine", "ray", "--ray-actors", "0"])
    assert exit_info.value.code == 2
    assert "--ray-actors: must be 1 or more" in capsys.readouterr().err


def test_the_actor_recipe_never_shows_the_key() -> None:
    spec = ExtractorSpec(
        base_urls=("http://127.0.0.1:9/v1",),
        api_key=KEY,
        timeout=10.0,
        model="m",
        mode=get_backend("openai", BackendSettings(base_url="http://127.0.0.1:9/v1")).mode,
        prompts=load_prompts(),
        settings=ExtractSettings(),
        retry=RetryPolicy(),
        request_options={},
    )
    assert KEY not in repr(spec)
    assert KEY not in str(spec)
