"""Shared fixtures: cassette configuration, the unused-recording check and the seed store.

See tests/seedrun.py for how cassettes are replayed and re-recorded.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import vcr as vcrpy
from seedrun import SEED_CASSETTE, VCR_CONFIG, model_backend, run_seeds

# No test sees a normalisation index the developer built; tests/test_normalize.py builds its own.
os.environ["SUMMARIZER_NORMALIZE_DIR"] = str(Path(__file__).parent / "fixtures" / "normalize" / "no-index")
# ... and no `summarizer run` or `summarise` downloads one on its first run: tests/test_firstrun.py
# turns the build on with the build itself replaced (fixture tables, no network).
os.environ["SUMMARIZER_NO_NORMALIZE"] = "1"


@pytest.fixture(scope="session")
def vcr_config() -> dict[str, Any]:
    """pytest-recording configuration shared by every cassette test."""
    return VCR_CONFIG


@pytest.fixture(autouse=True)
def _cassettes_must_be_fully_played(request: pytest.FixtureRequest) -> Iterator[None]:
    """A recording that the test did not use fails it: the code no longer asks what was recorded."""
    yield
    if request.node.get_closest_marker("vcr") is None:
        return
    if request.config.getoption("--record-mode") != "none":
        return
    cassette = request.getfixturevalue("vcr")
    unplayed = [i for i, _ in enumerate(cassette.data) if not cassette.play_counts[i]]
    assert not unplayed, f"cassette {cassette._path} has {len(unplayed)} unused recordings"


@pytest.fixture(scope="session")
def seed_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store filled by replaying the seed cassette (real model answers), for report/eval tests."""
    if not SEED_CASSETTE.exists():
        pytest.fail(f"missing cassette {SEED_CASSETTE}; record it (see tests/conftest.py)")
    db = tmp_path_factory.mktemp("seed-store") / "seeds.db"
    config = dict(VCR_CONFIG)
    repeats = config.pop("allow_playback_repeats")
    recorder = vcrpy.VCR(record_mode="none", **config)
    backend = model_backend("none", db.parent)
    with recorder.use_cassette(str(SEED_CASSETTE), allow_playback_repeats=repeats):
        summary = run_seeds(backend, db)
    assert summary.ok, [r.message for r in summary.reports]
    return db
