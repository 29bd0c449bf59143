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

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class ModelFileError(SummarizerError):
    """The embedded model file is missing, incomplete or does not match its pinned hash."""


class BackendError(SummarizerError):
    """The model server could not be reached or answered with an error after retries."""


class StoreError(SummarizerError):
    """The SQLite store cannot be opened or used (missing folder, not ours, read-only...)."""
