"""The prompt set's hash is the cache key of what the model is asked: files and answer schema."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from summarizer.errors import ConfigError
from summarizer.model import prompts
from summarizer.model.prompts import load_prompts


def test_the_hash_changes_with_any_prompt_file(tmp_path: Path) -> None:
    shutil.copytree(prompts.prompts_dir(), tmp_path / "p")
    before = load_prompts(tmp_path / "p").sha256
    assert before == load_prompts().sha256
    with (tmp_path / "p" / "user.md").open("a") as fh:
        fh.write("\nOne more line.")
    assert load_prompts(tmp_path / "p").sha256 != before


def test_the_hash_changes_with_the_answer_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    """A schema change alone (a new field, a tighter limit) must not reuse results of the old one."""
    before = load_prompts().sha256

    from summarizer.model import answer

    def changed() -> list[dict[str, Any]]:
        return [{"title": "Proposal", "type": "object", "properties": {"new_field": {"type": "string"}}}]

    monkeypatch.setattr(answer, "asked_schemas", changed)
    assert load_prompts().sha256 != before


def test_the_hash_covers_the_schema_requests_send() -> None:
    """The key hashes what is sent (the grounded proposal, with its description), not a parent."""
    from summarizer.model import answer, ask

    sent = answer.GroundedProposal.model_json_schema()
    assert ask.GroundedProposal is answer.GroundedProposal  # the class requests are sent with
    assert sent in answer.asked_schemas() and sent["title"] == "GroundedProposal"


def test_a_missing_prompt_file_says_how_to_fix_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SUMMARIZER_PROMPTS_DIR"):
        load_prompts(tmp_path)
