"""Opening a store: every check before SQLite touches the file, migrations in one transaction, WAL
mode, and transactions that roll back on anything (Ctrl-C too)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

from ..errors import StoreError
from .migrations import MIGRATIONS


class Database:
    """An open store's connection; ``Store`` adds what is kept in it."""

    def __init__(self, path: Path | str, *, read_only: bool = False, timeout_s: float = 30.0) -> None:
        """Open (read-write: create and migrate) the store at ``path``.

        ``read_only`` opens it with SQLite's ``mode=ro`` (export, report, eval): nothing can be
        written through it. Anything that makes the file unusable is a ``StoreError`` naming it,
        raised before the file is changed: a missing folder, a folder, a file that is not
        SQLite, another application's database, one written by a newer version.
        """
        self.path = Path(path)
        self.read_only = read_only
        self._timeout_s = timeout_s
        memory = str(path) == ":memory:"
        try:
            if read_only:
                self.conn = self._open_read_only()
            else:
                if not memory:
                    _check_writable_location(self.path)
                self.conn = sqlite3.connect(str(path), timeout=timeout_s, isolation_level=None)
                self.conn.row_factory = sqlite3.Row
                if self._identify() < len(MIGRATIONS):
                    self._migrate()
                if not memory:
                    self._use_wal()
                self.conn.execute("PRAGMA synchronous=NORMAL")
                self.conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            with contextlib.suppress(AttributeError, sqlite3.Error):
                self.conn.close()
            raise _store_error(self.path, exc) from exc
        except StoreError:
            with contextlib.suppress(AttributeError, sqlite3.Error):
                self.conn.close()
            raise

    def _open_read_only(self) -> sqlite3.Connection:
        if not self.path.exists():
            raise StoreError(f"no store at {self.path}: run 'summarizer run' first or pass --db")
        if self.path.is_dir():
            raise StoreError(f"{self.path} is a folder, not a store; pass the store's file with --db")
        uri = self.path.resolve().as_uri() + "?mode=ro"
        self.conn = sqlite3.connect(uri, uri=True, timeout=self._timeout_s, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        try:
            version = self._identify()
        except sqlite3.OperationalError:
            if os.access(self.path.parent, os.W_OK) and os.access(self.path, os.W_OK):
                raise
            # Reading a WAL store needs its -shm file, which a read-only folder cannot hold. Nobody
            # can write such a store either, so it is read as an unchanging file.
            self.conn.close()
            self.conn = sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None)
            self.conn.row_factory = sqlite3.Row
            version = self._identify()
        if version < len(MIGRATIONS):
            # A store of an older version: upgraded once (that is a write), then read as usual.
            self.conn.close()
            type(self)(self.path, timeout_s=self._timeout_s).close()
            return self._open_read_only()
        return self.conn

    def _identify(self) -> int:
        """This store's schema version; refuse a database that is not ours (before any write)."""
        # One statement, so one snapshot: the version and the tables of the same moment (another
        # run may commit the first migration in between two statements).
        version, names = self.conn.execute(
            "SELECT (SELECT user_version FROM pragma_user_version),"
            " (SELECT group_concat(name, ', ') FROM (SELECT name FROM sqlite_master"
            "  WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name))"
        ).fetchone()
        version = int(version)
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{self.path} was written by a newer version of summarizer (schema {version}, this "
                f"one knows {len(MIGRATIONS)}); upgrade summarizer or pass another --db"
            )
        if version == 0:
            tables = names.split(", ") if names else []
            if tables:
                shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
                raise StoreError(
                    f"{self.path} is another application's SQLite database (tables: {shown}); "
                    "pass another --db (a new file name makes a new store)"
                )
            if self.read_only:
                raise StoreError(f"{self.path} is an empty database, not a store; pass another --db")
        return version

    def _migrate(self) -> None:
        """Apply the missing migrations in ONE transaction that holds the write lock.

        Two runs opening a new store at once both see version 0; the version is read again
        after BEGIN IMMEDIATE, so the second one waits, then finds nothing left to do.
        """
        with self.transaction():
            version = self._identify()
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {number}")

    def _use_wal(self) -> None:
        """WAL mode (readers never block the writer); it stays set in the file.

        Switching needs the database to itself for a moment, and SQLite answers "locked" at once,
        without waiting, while another connection reads: try again until the timeout.
        """
        if self.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            return
        deadline = time.monotonic() + self._timeout_s
        while True:
            try:
                self.conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception (KeyboardInterrupt too).

        BEGIN and COMMIT are inside the guard: a Ctrl-C landing just after BEGIN returns, or between
        the last statement and COMMIT, must not leave the connection inside an open transaction
        (every later BEGIN, the run's closing record included, would then fail).
        """
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    @property
    def schema_version(self) -> int:
        """Number of migrations applied."""
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])


def _check_writable_location(path: Path) -> None:
    """Refuse, before SQLite creates or opens anything, a store path that cannot be written."""
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a store; pass a file name with --db")
    folder = path.parent
    if path.exists():
        # SQLite would open a read-only file read-only without a word, and fail at the first write.
        if not os.access(path, os.W_OK):
            raise StoreError(f"the store {path} is read-only; make it writable or pass another --db")
        if not os.access(folder, os.W_OK | os.X_OK):  # WAL mode keeps two files beside the store
            raise StoreError(
                f"the folder of the store {path} is not writable; make it writable or pass another --db"
            )
        return
    ancestor = folder
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if ancestor.exists() and not ancestor.is_dir():
        raise StoreError(
            f"cannot create the store {path}: {ancestor} is a file, not a folder; pass another --db"
        )
    if ancestor != folder:
        raise StoreError(
            f"cannot create the store {path}: folder {folder} does not exist; create it or pass another --db"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StoreError(
            f"cannot create the store {path}: folder {folder} is not writable; pass another --db"
        )


def _store_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """One line of advice for an SQLite error met while opening the store."""
    text = str(exc)
    if "not a database" in text:
        return StoreError(
            f"{path} is not an SQLite database; pass another --db (a new file name makes a new store)"
        )
    if "readonly" in text:
        return StoreError(f"the store {path} is read-only; make it writable or pass another --db")
    if "unable to open" in text:
        return StoreError(
            f"cannot open or create the store {path}; check that its folder is writable, or pass another --db"
        )
    if "locked" in text or "busy" in text:
        return StoreError(
            f"the store {path} stayed locked by another program; try again, or pass another --db"
        )
    return StoreError(f"cannot use the store {path} ({text}); pass another --db")
