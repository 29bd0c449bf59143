"""Where things live: the data directory (model file, default store, normalisation index) and the
store a run writes."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import StoreError


def data_dir() -> Path:
    """The one user data directory: $SUMMARIZER_HOME, else $XDG_DATA_HOME/resistance-summarizer."""
    if os.environ.get("SUMMARIZER_HOME"):
        return Path(os.environ["SUMMARIZER_HOME"])
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
    return Path(base) / "resistance-summarizer"


def default_db() -> Path:
    """$SUMMARIZER_DB, else summarizer.db in the user data directory."""
    return Path(os.environ.get("SUMMARIZER_DB") or data_dir() / "summarizer.db")


def store_for_run(db: Path | None) -> Path:
    """The store ``run`` writes: ``--db``, $SUMMARIZER_DB, else the data directory's (created).

    A folder the user named is never created: a typo should be an error, not a new folder.
    """
    if db is None and not os.environ.get("SUMMARIZER_DB"):
        folder = data_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the data folder {folder} ({exc.strerror}); set SUMMARIZER_HOME"
            ) from exc
    return db or default_db()
