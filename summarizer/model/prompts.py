"""Prompt files: the fixed instructions (system) and the per-document template (user).

Prompts are files under ``prompts/`` so they can be read, diffed and changed without touching code.
Their combined hash, with the JSON schemas requests send (what the model is asked is both),
is part of every result's provenance and of its cache key.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from . import answer

PROMPTS_ENV = "SUMMARIZER_PROMPTS_DIR"
_FILES = ("system.md", "user.md")


@dataclass(frozen=True)
class PromptSet:
    """Instructions sent first (a cacheable prefix) and the document template."""

    system: str
    user_template: str
    sha256: str

    def render_user(self, sentences: str) -> str:
        """The user message for one document's numbered sentences."""
        return self.user_template.replace("{sentences}", sentences)


def prompts_dir() -> Path:
    """Where prompt files are read from: $SUMMARIZER_PROMPTS_DIR, the installed copy, or the repo."""
    if os.environ.get(PROMPTS_ENV):
        return Path(os.environ[PROMPTS_ENV])
    package = Path(__file__).resolve().parent.parent
    installed = package / "_prompts"
    if installed.is_dir():
        return installed
    return package.parent / "prompts"


def load_prompts(directory: Path | None = None) -> PromptSet:
    """Read the prompt files and hash them together with the answer schema."""
    directory = directory or prompts_dir()
    texts = []
    for name in _FILES:
        path = directory / name
        try:
            texts.append(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(
                f"prompt file {path} is missing ({exc.strerror}); set {PROMPTS_ENV} to a folder "
                f"holding {', '.join(_FILES)}"
            ) from exc
    # The schemas requests send, with their descriptions: what the model is asked is both.
    asked = [*texts, *(json.dumps(schema, sort_keys=True) for schema in answer.asked_schemas())]
    digest = hashlib.sha256("\x00".join(asked).encode("utf-8")).hexdigest()
    return PromptSet(
        system=texts[0].strip(),
        user_template=texts[1].strip(),
        sha256=digest,
    )
