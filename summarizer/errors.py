"""One exception root for everything the tool reports to a user.

Each error's message says what went wrong and, where there is one, how to fix it.
"""

from __future__ import annotations


class SummarizerError(Exception):
    """Root of every error this package raises on purpose."""


class ConfigError(SummarizerError):
    """A setting is missing or wrong (e.g. no API key for the openai backend)."""


class SourceError(SummarizerError):
    """An input file cannot be used as an abstract (empty, binary, too large, unreadable...)."""

    def __init__(self, path: str, reason: str, doc_id: str | None = None) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path  # the file, and the record inside it for a record of an export
        self.reason = reason
        self.doc_id = doc_id  # the id the document would have had, where it is known


class ModelFileError(SummarizerError):
    """The embedded model file is missing, incomplete or does not match its pinned hash."""


class BackendError(SummarizerError):
    """The model server could not be reached or answered with an error after retries."""


class StoreError(SummarizerError):
    """The SQLite store cannot be opened or used (missing folder, not ours, read-only...)."""
