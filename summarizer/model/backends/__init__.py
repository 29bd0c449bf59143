"""Model backends, looked up by name and imported lazily.

Every backend ends in the same place: an ``openai.OpenAI`` client pointed at an OpenAI-compatible
HTTP endpoint, plus the instructor mode that endpoint handles best. The package core never
imports a backend module directly; ``get_backend`` does, by name.
"""

from __future__ import annotations

import importlib
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import instructor
import openai

from ...errors import ConfigError
from ...home import data_dir

_REGISTRY = {
    "local": "summarizer.model.backends.local:LocalBackend",
    "openai": "summarizer.model.backends.openai_compat:OpenAIBackend",
}


@dataclass
class BackendSettings:
    """What a user can set for any backend (CLI flags with environment fallbacks)."""

    model: str | None = None
    base_url: str | None = None
    # Never in the printed form: a repr ends up in logs, tracebacks and debuggers.
    api_key: str | None = field(default=None, repr=False)
    mode: str | None = None
    timeout_s: float = 600.0
    threads: int = 2
    data_dir: Path = field(default_factory=data_dir)


class Backend(Protocol):
    """What the pipeline needs from a backend."""

    name: str
    model: str
    mode: instructor.Mode

    @property
    def model_sha256(self) -> str | None:
        """Hash of the model file when the backend knows it (local), else None."""

    def client(self) -> openai.OpenAI:
        """An OpenAI client for the endpoint, with the SDK's own retries off (max_retries=0)."""

    def request_options(self) -> dict[str, Any]:
        """Extra fields for every chat request to this endpoint (e.g. the local model's
        ``logit_bias``); empty for a generic endpoint."""

    def close(self) -> None:
        """Release whatever the backend started (the local server)."""


def available_backends() -> list[str]:
    """Names accepted by ``get_backend``."""
    return sorted(_REGISTRY)


def get_backend(name: str, settings: BackendSettings) -> Backend:
    """Instantiate the backend called ``name``; its module is imported only now."""
    try:
        target = _REGISTRY[name]
    except KeyError:
        raise ConfigError(
            f"unknown backend {name!r}; choose one of: {', '.join(available_backends())}"
        ) from None
    module_name, cls_name = target.split(":")
    cls = getattr(importlib.import_module(module_name), cls_name)
    backend: Backend = cls(settings)
    return backend


_MODES = {
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "tools": instructor.Mode.TOOLS,
    "json": instructor.Mode.JSON,
    "md_json": instructor.Mode.MD_JSON,
}


def parse_mode(value: str) -> instructor.Mode:
    """An instructor mode from a friendly name: json_schema, tools, json or md_json."""
    try:
        return _MODES[value.lower()]
    except KeyError:
        raise ConfigError(f"unknown mode {value!r}; use one of: {', '.join(_MODES)}") from None


_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()
REDACTED = "[REDACTED]"


def hide_in_logs(secret: str | None) -> None:
    """Redact ``secret`` from every log record created from now on, whoever logs it.

    Servers echo keys in error bodies ("Incorrect API key provided: sk-...") and libraries log those
    bodies (instructor logs the last error at ERROR level). A log-record factory sees every record
    of every logger before any handler or formatter does, so it is the one place that catches all.
    """
    if not secret or len(secret) < 8:
        return
    with _SECRETS_LOCK:
        first = not _SECRETS
        _SECRETS.add(secret)
    if first:
        previous = logging.getLogRecordFactory()

        def factory(*args: object, **kwargs: object) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            try:
                message = record.getMessage()
            except Exception:  # a broken format string is the logger's problem, not ours
                return record
            redacted = redact(message)
            if redacted != message:
                record.msg, record.args = redacted, None
            if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
                # Tracebacks carry exception messages; format now (the formatter reuses exc_text).
                record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            return record

        logging.setLogRecordFactory(factory)


def redact(text: str) -> str:
    """``text`` with every secret registered through ``hide_in_logs`` replaced."""
    for secret in tuple(_SECRETS):
        text = text.replace(secret, REDACTED)
    return text
