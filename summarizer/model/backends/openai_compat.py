"""Any OpenAI-compatible endpoint: OpenAI, vLLM, Ollama, a llama.cpp server."""

from __future__ import annotations

import os
from typing import Any

import instructor
import openai

from ...errors import ConfigError
from . import BackendSettings, hide_in_logs, parse_mode

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4o-mini"


class OpenAIBackend:
    """Settings from flags, then OPENAI_BASE_URL / OPENAI_API_KEY / SUMMARIZER_MODEL / _MODE."""

    name = "openai"

    def __init__(self, settings: BackendSettings) -> None:
        self.base_url = (settings.base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip(
            "/"
        )
        self.model = settings.model or os.environ.get("SUMMARIZER_MODEL") or DEFAULT_MODEL
        self._api_key = settings.api_key or os.environ.get("OPENAI_API_KEY")
        is_openai = "api.openai.com" in self.base_url
        if not self._api_key:
            if is_openai:
                raise ConfigError(
                    "the openai backend needs an API key: set OPENAI_API_KEY (or pass --api-key), "
                    "or point --base-url/OPENAI_BASE_URL at a local server that needs none"
                )
            self._api_key = "no-key"  # local servers (vLLM, Ollama, llama.cpp) accept any key
        else:
            hide_in_logs(self._api_key)  # servers echo keys in error bodies, and libraries log those
        # JSON_SCHEMA works on OpenAI, vLLM and llama.cpp (schema-constrained decoding).
        mode = settings.mode or os.environ.get("SUMMARIZER_MODE") or "json_schema"
        self.mode: instructor.Mode = parse_mode(mode)
        self.timeout_s = settings.timeout_s

    @property
    def model_sha256(self) -> str | None:
        """A remote model's weights are not known to us."""
        return None

    def client(self) -> openai.OpenAI:
        """The SDK's own retries are off: transport retries belong to our tenacity policy."""
        return openai.OpenAI(
            base_url=self.base_url, api_key=self._api_key, max_retries=0, timeout=self.timeout_s
        )

    def request_options(self) -> dict[str, Any]:
        """Nothing beyond the standard request: token ids differ between hosted models."""
        return {}

    def close(self) -> None:
        """Nothing to release."""

    def __repr__(self) -> str:  # never show the key
        return f"OpenAIBackend(base_url={self.base_url!r}, model={self.model!r})"
