"""End to end on the five seeds, replaying the real local model's recorded answers."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from seedrun import REPLAY_BASE_URL, SEEDS_DIR, model_backend, run_seeds

from summarizer.cli import main
from summarizer.inputs.text import find_quote
from summarizer.schema import PaperSummary
from summarizer.store import Store

SEED_COUNT = len(list(SEEDS_DIR.glob("*.txt")))


@pytest.mark.vcr
def test_seeds_end_to_end(tmp_path: Path, record_mode: str) -> None:
    db = tmp_path / "store.db"
    backend = model_backend(record_mode, tmp_path)
    try:
        first = run_seeds(backend, db)
        assert [r.status for r in first.reports] == ["ok"] * SEED_COUNT, [r.message for r in first.reports]
        assert first.prompt_tokens > 0 and first.completion_tokens > 0

        # The same command again: everything is already done, no model call is made (the cassette
        # allows no repeats, so a second request would fail the test).
        second = run_seeds(backend, db)
        assert [r.status for r in second.reports] == ["skipped"] * SEED_COUNT
        assert second.prompt_tokens == 0
    finally:
        backend.close()

    with Store(db) as store:
        papers = store.papers()
        assert len(papers) == SEED_COUNT
        assert store.count("papers") == SEED_COUNT
        runs = store.runs()
        assert [r["status"] for r in runs] == ["done", "done"]
        assert runs[1]["prompt_tokens"] > 0 and runs[0]["prompt_tokens"] == 0
        assert store.count("calls") >= SEED_COUNT
        for stored in papers:
            assert stored.paper is not None
            for finding in stored.paper.findings:
                for ev in finding.evidence:
                    # Every stored quote IS the original text at its span ...
                    assert stored.source_text[ev.start : ev.end] == ev.quote
                    # ... and the tolerant matcher finds it there too.
                    assert find_quote(ev.quote, stored.source_text) is not None


# record_mode "none" even while re-recording: this test only replays what the test above
# recorded (a "rewrite" here would delete that cassette and record nothing in its place).
@pytest.mark.vcr(record_mode="none")
@pytest.mark.default_cassette("test_seeds_end_to_end.yaml")
def test_cli_run_writes_one_valid_object_per_paper(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's first command, pointed at the recorded answers instead of a live server."""
    monkeypatch.setenv("SUMMARIZER_HOME", str(tmp_path / "home"))
    out = tmp_path / "findings.jsonl"
    args = [
        "run",
        str(SEEDS_DIR),
        "-o",
        str(out),
        "--backend",
        "openai",
        "--base-url",
        REPLAY_BASE_URL,
        "--api-key",
        "replay-no-key",
        "--model",
        "qwen2.5-coder-1.5b-instruct-q4_k_m",
        "--retries",
        "1",
    ]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert f"documents: {SEED_COUNT} ok, 0 already done, 0 rejected, 0 failed" in err

    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == SEED_COUNT
    for line in lines:
        obj = json.loads(line)
        jsonschema.validate(obj, schema)
        paper = PaperSummary.model_validate(obj)
        text = (SEEDS_DIR / f"{paper.source_name}.txt").read_text(encoding="utf-8")
        for finding in paper.findings:
            for ev in finding.evidence:
                assert text[ev.start : ev.end] == ev.quote

    # Second identical command: skipped from the store, no request (the cassette has no repeats).
    assert main(args) == 0
    assert f"0 ok, {SEED_COUNT} already done" in capsys.readouterr().err
    assert len(out.read_text(encoding="utf-8").splitlines()) == SEED_COUNT


def test_seed_store_fixture_holds_every_seed(seed_store: Path) -> None:
    with Store(seed_store) as store:
        names = {p.paper and p.paper.source_name for p in store.papers()}
    assert names == {p.stem for p in SEEDS_DIR.glob("*.txt")}
