"""A stored result is reused only when the current code would produce it.

The key covers the text, the model, the prompts, the JSON schemas the requests send and the source
of the rules that turn the model's answer into findings: changing any of them re-does the paper.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stub_server import StubServer, run_batch, write_abstracts

from summarizer import pipeline
from summarizer.model import answer
from summarizer.reading import extract


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with StubServer() as server:
        yield server


def statuses(stub: StubServer, docs: list[Path], db: Path) -> list[str]:
    return [r.status for r in run_batch(stub.base_url, docs, db).reports]


def test_a_rule_change_redoes_stored_results(
    stub: StubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = write_abstracts(tmp_path / "in", 2)
    db = tmp_path / "store.db"
    assert statuses(stub, docs, db) == ["ok", "ok"]
    assert statuses(stub, docs, db) == ["skipped", "skipped"]  # same code: reused, no request
    before = stub.paper_requests
    monkeypatch.setattr(pipeline, "rules_version", lambda: "0" * 64)  # an upgraded rule module
    assert statuses(stub, docs, db) == ["ok", "ok"]
    assert stub.paper_requests == before + 2


def test_a_change_to_the_sent_schema_redoes_stored_results(
    stub: StubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = write_abstracts(tmp_path / "in", 1)
    db = tmp_path / "store.db"
    assert statuses(stub, docs, db) == ["ok"]
    sent = answer.GroundedProposal.model_json_schema()

    def changed() -> list[dict[str, Any]]:
        return [{**sent, "description": "a reworded description the model now sees"}]

    monkeypatch.setattr(answer, "asked_schemas", changed)
    assert statuses(stub, docs, db) == ["ok"]


def test_the_rules_version_follows_the_rule_modules_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = Path(extract.__file__).parent.parent
    copy = tmp_path / "summarizer"
    for name in extract.RULE_MODULES:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_bytes((package / name).read_bytes())
    monkeypatch.setattr(extract, "__file__", str(copy / "reading" / "extract.py"))
    assert extract.rules_version() == extract.rules_version()
    original = extract.rules_version()
    with (copy / "reading" / "direction.py").open("a", encoding="utf-8") as fh:
        fh.write("\n# a changed rule\n")
    assert extract.rules_version() != original
