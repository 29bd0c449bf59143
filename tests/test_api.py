"""``from summarizer import summarise``: the README's example on the recorded seed answers, and
texts, records and Documents against the stub server, sharing the store with ``summarizer run``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from seedrun import CASSETTES, REPLAY_BASE_URL, ROOT, SEEDS_DIR
from stub_server import StubServer, synthetic_abstract

from summarizer import summarise
from summarizer.api import Item, NoSummary, NoSummaryWarning
from summarizer.cli import main
from summarizer.inputs.formats import read_documents
from summarizer.model.backends.local import DEFAULT_MODEL
from summarizer.schema import PaperSummary
from summarizer.store import Store

README = ROOT / "README.md"


def readme_example() -> str:
    """The Python block of the README's "Use from Python" section."""
    section = README.read_text(encoding="utf-8").split("## Use from Python", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found, "README.md: no ```python block under 'Use from Python'"
    return found.group(1)


@pytest.fixture
def vcr_cassette_dir() -> str:
    """The seed cassette is test_pipeline's recording."""
    return str(CASSETTES / "test_pipeline")


@pytest.mark.vcr(record_mode="none")
@pytest.mark.default_cassette("test_seeds_end_to_end.yaml")
def test_readme_example_runs_on_the_recorded_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The example as written, its endpoint set the way a user sets it: the environment."""
    monkeypatch.setenv("SUMMARIZER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SUMMARIZER_DB", raising=False)
    monkeypatch.setenv("SUMMARIZER_BACKEND", "openai")
    monkeypatch.setenv("OPENAI_BASE_URL", REPLAY_BASE_URL)
    monkeypatch.setenv("OPENAI_API_KEY", "replay-no-key")
    monkeypatch.setenv("SUMMARIZER_MODEL", DEFAULT_MODEL)
    monkeypatch.chdir(ROOT)
    scope: dict[str, object] = {}
    # Every seed is asked once (the cassette allows no repeats and fails on an unused recording);
    # the second call finds its text in the store.
    exec(compile(readme_example(), str(README), "exec"), scope)
    papers, paper = scope["papers"], scope["paper"]
    assert isinstance(papers, list) and len(papers) == len(list(SEEDS_DIR.glob("*.txt")))
    assert all(isinstance(p, PaperSummary) for p in papers) and sum(len(p.findings) for p in papers) > 0
    assert paper == papers[0]
    assert capsys.readouterr().out.count("\n") >= sum(len(p.findings) for p in papers)
    with Store(tmp_path / "home" / "summarizer.db") as store:  # the store `summarizer run` uses
        assert len(store.papers()) == len(papers)


def test_texts_records_and_documents_share_the_store_with_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "store.db"
    (tmp_path / "in").mkdir()
    file = tmp_path / "in" / "a.txt"
    file.write_text(synthetic_abstract(1), encoding="utf-8")
    title, abstract = synthetic_abstract(2).split("\n", 1)
    record = {"ID": "r2", "Title": title, "Abstract": abstract.strip(), "pmid": None}
    (doc,) = read_documents(str(file))
    with StubServer() as stub:
        settings = {"db": db, "backend": "openai", "base_url": stub.base_url, "api_key": "sk-stub-key-000"}
        text_paper = summarise(synthetic_abstract(3), **settings)
        items: list[Item] = [record, doc]
        papers = summarise(items, **settings)
        assert stub.paper_requests == 3
        # The file's text is stored under the same result key as `summarizer run` would use.
        assert (
            main(["run", str(file), "--backend", "openai", "--base-url", stub.base_url, "--db", str(db)]) == 0
        )
        assert "1 already done" in capsys.readouterr().err and stub.paper_requests == 3
        again = summarise(synthetic_abstract(3), **settings)  # stored: no model call
        assert stub.paper_requests == 3 and again == text_paper
    assert text_paper.doc_id.startswith("text-") and text_paper.findings
    assert [p.doc_id if p else None for p in papers] == ["r2", doc.doc_id]
    assert papers[0] is not None and papers[0].title == title.rstrip(" .")


def test_what_cannot_be_summarised_is_said(tmp_path: Path) -> None:
    with StubServer() as stub:
        settings = {
            "db": tmp_path / "s.db",
            "backend": "openai",
            "base_url": stub.base_url,
            "api_key": "sk-x-key",
        }
        with pytest.raises(NoSummary, match="no abstract"):
            summarise({"id": "e", "title": "An empty record", "abstract": " "}, **settings)
        items: list[Item] = [synthetic_abstract(1), {"id": "e", "abstract": ""}, synthetic_abstract(1)]
        with pytest.warns(NoSummaryWarning, match=r"item 2, id e\): invalid: no abstract"):
            papers = summarise(items, **settings)
        assert stub.paper_requests == 1  # the same text twice is asked once, and both get the paper
    assert len(papers) == 3 and papers[1] is None  # the result lines up with the inputs
    assert papers[0] is not None and papers[0] == papers[2]
    with pytest.raises(TypeError, match="not int"):
        summarise([3], db=tmp_path / "s.db")  # type: ignore[list-item]


def test_import_stays_light() -> None:
    """``import summarizer`` (the command line's start) does not load the pipeline; the name does."""
    code = (
        "import sys, summarizer; assert 'summarizer.api' not in sys.modules; "
        "from summarizer import summarise; assert 'summarizer.api' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
