"""A store that cannot be used is one line of advice and exit code 2, and the file is left as it was.

Every command that takes --db is tried on each kind of bad store; export, report and eval open
the store read-only.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from stub_server import StubServer, write_abstracts

from summarizer.cli import main
from summarizer.errors import StoreError
from summarizer.store import MIGRATIONS, Store

GOLD = Path(__file__).parent / "gold"
ROOT = os.geteuid() == 0 if hasattr(os, "geteuid") else False


@pytest.fixture(scope="module")
def stub() -> Iterator[StubServer]:
    with StubServer() as server:
        yield server


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    write_abstracts(tmp_path / "in", 2)
    return tmp_path / "in"


def commands(db: Path, stub: StubServer, inputs: Path, tmp_path: Path) -> dict[str, list[str]]:
    """Every command that opens ``db``."""
    return {
        "run": ["run", str(inputs), "--backend", "openai", "--base-url", stub.base_url, "--db", str(db)],
        "export": ["export", "--db", str(db), "-o", str(tmp_path / "out.jsonl")],
        "report": ["report", "--db", str(db), "-o", str(tmp_path / "report.html")],
        "eval": ["eval", "--gold", str(GOLD), "--db", str(db)],
    }


def fingerprint(path: Path) -> tuple[str, int, list[str]]:
    """Content, modification time and the files beside it (no -wal / -journal left behind)."""
    data = path.read_bytes() if path.is_file() else b""
    mtime = path.stat().st_mtime_ns if path.exists() else 0
    return hashlib.sha256(data).hexdigest(), mtime, sorted(p.name for p in path.parent.iterdir())


def assert_refused(argv: list[str], capsys: pytest.CaptureFixture[str], *words: str) -> str:
    assert main(argv) == 2, argv
    out, err = capsys.readouterr()
    assert "Traceback" not in err and err.startswith("error: ") and err.count("\n") == 1, err
    for word in words:
        assert word in err, (word, err)
    return err


def not_sqlite(path: Path) -> None:
    path.write_text("doc_id,title\n1,not a database\n" * 50)


def other_application(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO customers (name) VALUES ('Ada')")
    conn.close()


def newer_version(path: Path) -> None:
    with Store(path):
        pass
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    conn.execute("PRAGMA journal_mode=DELETE")  # no -wal file: then any file beside it is new
    conn.close()


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (not_sqlite, ("not an SQLite database", "--db")),
        (other_application, ("another application", "customers", "--db")),
        (newer_version, ("newer version",)),
    ],
    ids=["not-sqlite", "other-application", "newer-version"],
)
@pytest.mark.parametrize("command", ["run", "export", "report", "eval"])
def test_a_file_that_is_not_our_store_is_refused_and_left_untouched(
    make: object,
    words: tuple[str, ...],
    command: str,
    stub: StubServer,
    inputs: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = tmp_path / "db" / "store.db"
    db.parent.mkdir()
    make(db)  # type: ignore[operator]
    before = fingerprint(db)
    assert_refused(commands(db, stub, inputs, tmp_path)[command], capsys, str(db), *words)
    assert fingerprint(db) == before
    assert stub.paper_requests == 0 or command != "run"


def test_db_in_a_missing_folder_or_under_a_file(
    stub: StubServer, inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such-folder" / "store.db"
    err = assert_refused(commands(missing, stub, inputs, tmp_path)["run"], capsys, "does not exist")
    assert str(missing.parent) in err
    assert not missing.parent.exists()

    a_file = tmp_path / "notes.txt"
    a_file.write_text("a file, not a folder")
    under = a_file / "store.db"
    for command, argv in commands(under, stub, inputs, tmp_path).items():
        assert_refused(argv, capsys, str(a_file), "not a folder" if command == "run" else "summarizer run")
    assert a_file.read_text() == "a file, not a folder"

    folder = tmp_path / "a-folder.db"
    folder.mkdir()
    for argv in commands(folder, stub, inputs, tmp_path).values():
        assert_refused(argv, capsys, str(folder), "is a folder")


@pytest.mark.skipif(
    not Path("/proc/self").is_dir(), reason="needs /proc, a folder nobody can create files in"
)
def test_db_in_a_folder_that_cannot_be_written(
    stub: StubServer, inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """/proc refuses new files even to root, so this holds whoever runs the tests."""
    assert_refused(commands(Path("/proc/store.db"), stub, inputs, tmp_path)["run"], capsys, "/proc/store.db")


@pytest.mark.skipif(ROOT, reason="root writes through file permissions")
def test_db_in_a_read_only_folder_by_permissions(
    stub: StubServer, inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        assert_refused(commands(locked / "s.db", stub, inputs, tmp_path)["run"], capsys, "not writable")
    finally:
        locked.chmod(0o700)


@pytest.fixture
def good_store(stub: StubServer, inputs: Path, tmp_path: Path) -> Path:
    db = tmp_path / "db" / "store.db"
    db.parent.mkdir()
    assert main(commands(db, stub, inputs, tmp_path)["run"]) == 0
    return db


@pytest.mark.parametrize("command", ["export", "report", "eval"])
def test_reading_commands_open_the_store_read_only(
    command: str,
    good_store: Path,
    stub: StubServer,
    inputs: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """export, report and eval never write: each connection they open refuses writes."""
    opened: list[Store] = []
    real_init = Store.__init__

    def recording_init(self: Store, *args: object, **kwargs: object) -> None:
        real_init(self, *args, **kwargs)  # type: ignore[arg-type]
        opened.append(self)

    monkeypatch.setattr(Store, "__init__", recording_init)
    before = fingerprint(good_store)[:2]
    rc = main(commands(good_store, stub, inputs, tmp_path)[command])
    assert rc == 0
    assert opened and all(s.read_only for s in opened)
    assert fingerprint(good_store)[:2] == before
    with (
        Store(good_store, read_only=True) as store,
        pytest.raises(sqlite3.OperationalError, match="readonly"),
    ):
        store.conn.execute("DELETE FROM papers")


@pytest.mark.skipif(ROOT, reason="root writes through file permissions")
@pytest.mark.parametrize("command", ["export", "report", "eval"])
def test_a_read_only_store_can_be_read(
    command: str, good_store: Path, stub: StubServer, inputs: Path, tmp_path: Path
) -> None:
    good_store.chmod(0o444)
    good_store.parent.chmod(0o555)
    try:
        before = fingerprint(good_store)
        assert main(commands(good_store, stub, inputs, tmp_path)[command]) == 0
        assert fingerprint(good_store) == before
    finally:
        good_store.parent.chmod(0o755)
        good_store.chmod(0o644)


@pytest.mark.skipif(ROOT, reason="root writes through file permissions")
def test_run_on_a_read_only_store_says_so(
    good_store: Path, stub: StubServer, inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good_store.chmod(0o444)
    try:
        before = fingerprint(good_store)
        assert_refused(commands(good_store, stub, inputs, tmp_path)["run"] + ["--force"], capsys, "read-only")
        assert fingerprint(good_store)[0] == before[0]
    finally:
        good_store.chmod(0o644)


def test_store_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    not_sqlite(bad)
    for read_only in (False, True):
        with pytest.raises(StoreError, match="bad.db"):
            Store(bad, read_only=read_only)
