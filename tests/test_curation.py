"""People's decisions (summarizer.curation) on a real store: kept apart from what runs write.

Everything goes through the Store and curation APIs (decisions, ``Store.save_result`` for the
re-runs); nothing edits rows by hand.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from report_fixtures import INFO, fixture_papers, seed
from review_fixtures import ABCG2_SENTENCE, build_review_store

from summarizer.cli import main
from summarizer.inputs.sources import read_document
from summarizer.review.curate import Decision, decide
from summarizer.review.curation import Conflict, Invalid, NotFound, load_view
from summarizer.schema import PaperSummary
from summarizer.store import RunInfo, Store, result_key

SEED0 = seed("000").stem  # the source name of the paper with three findings


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with build_review_store(tmp_path / "store.db") as s:
        yield s


def doc_of(store: Store, name: str) -> str:
    (paper,) = [p for p in store.papers() if p.paper is not None and p.paper.source_name == name]
    return paper.doc_id


def span_of(text: str, passage: str) -> tuple[int, int]:
    start = text.index(passage)
    return start, start + len(passage)


def review_seed0(store: Store, who: str = "ana") -> str:
    """Accept, reject, correct and add on the three-finding paper; returns its doc id."""
    doc = doc_of(store, SEED0)
    view = load_view(store, doc)
    nek2, trim21, autophagy = view.items
    decide(store, Decision(doc, "accept", 0, nek2.id), who)
    decide(store, Decision(doc, "reject", 0, trim21.id, reason="wrong_direction"), who)
    decide(store, Decision(doc, "correct", 0, autophagy.id, fields={"effect": "reverses_resistance"}), who)
    span = span_of(view.source_text, "inducing protective autophagy")
    fields = {
        "factor": "autophagy",
        "factor_type": "pathway",
        "alteration": "upregulation",
        "therapy": "radiotherapy",
        "cancer_type": "esophageal squamous cell carcinoma",
        "effect": "promotes_resistance",
    }
    decide(store, Decision(doc, "add", fields=fields, span=span), who)
    return doc


def test_decisions_are_recorded_with_who_when_before_and_after(store: Store) -> None:
    doc = review_seed0(store)
    view = load_view(store, doc)
    assert [i.state for i in view.items] == ["accepted", "rejected", "corrected", "added"]
    assert view.state == "reviewed" and view.pending == 0
    corrected = view.items[2]
    assert corrected.finding["effect"] == "reverses_resistance"
    assert corrected.machine is not None and corrected.machine["effect"] == "promotes_resistance"  # beside it
    added = view.items[3]
    assert added.origin == "added"
    ev = added.finding["evidence"][0]
    assert view.source_text[ev["start"] : ev["end"]] == ev["quote"] == "inducing protective autophagy"
    rows = [dict(r) for r in store.conn.execute("SELECT * FROM decisions ORDER BY id")]
    assert [r["action"] for r in rows] == ["accept", "reject", "correct", "add"]
    assert {r["who"] for r in rows} == {"ana"} and all(r["at"] > 0 for r in rows)
    assert [r["version"] for r in rows] == [0, 0, 0, 0]  # each made on the version it saw
    correct = rows[2]
    assert json.loads(correct["before_json"])["finding"]["effect"] == "promotes_resistance"
    assert json.loads(correct["after_json"])["finding"]["effect"] == "reverses_resistance"
    assert rows[1]["reason"] == "wrong_direction"


def test_a_stale_version_is_a_conflict_and_changes_nothing(store: Store) -> None:
    doc = doc_of(store, SEED0)
    first = load_view(store, doc).items[0]
    decide(store, Decision(doc, "accept", 0, first.id), "tab-1")
    with pytest.raises(Conflict, match="version 1 .*accepted by tab-1.*made on version 0"):
        decide(store, Decision(doc, "reject", 0, first.id, reason="duplicate"), "tab-2")
    assert load_view(store, doc).items[0].state == "accepted"
    assert store.conn.execute("SELECT count(*) FROM decisions").fetchone()[0] == 1
    item, _ = decide(store, Decision(doc, "reject", 1, first.id, reason="duplicate"), "tab-2")
    assert (item.state, item.version, item.who) == ("rejected", 2, "tab-2")


def test_invalid_decisions_are_refused_with_the_reason(store: Store) -> None:
    doc = doc_of(store, SEED0)
    fid = load_view(store, doc).items[0].id
    with pytest.raises(Invalid, match="needs a reason"):
        decide(store, Decision(doc, "reject", 0, fid), "ana")
    with pytest.raises(Invalid, match="needs a note"):
        decide(store, Decision(doc, "reject", 0, fid, reason="other"), "ana")
    with pytest.raises(Invalid, match="effect"):
        decide(store, Decision(doc, "correct", 0, fid, fields={"effect": "makes it worse"}), "ana")
    with pytest.raises(Invalid, match="cannot set evidence"):
        decide(store, Decision(doc, "correct", 0, fid, fields={"evidence": "x"}), "ana")
    with pytest.raises(Invalid, match="span"):
        fields = {"factor": "X", "therapy": "Y", "cancer_type": "Z", "effect": "promotes_resistance"}
        decide(store, Decision(doc, "add", fields=fields, span=(10, 10**6)), "ana")
    with pytest.raises(NotFound):
        decide(store, Decision("no-such-paper", "accept", 0, fid), "ana")
    with pytest.raises(NotFound):
        decide(store, Decision(doc, "accept", 0, "f0000"), "ana")
    assert store.conn.execute("SELECT count(*) FROM decisions").fetchone()[0] == 0


def test_promote_a_rejected_candidate_with_and_without_its_own_fields(store: Store) -> None:
    doc = doc_of(store, "hostile")
    view = load_view(store, doc)
    (cand,) = view.candidates
    item, _ = decide(store, Decision(doc, "promote", 0, cand.id), "ana")
    assert (item.state, item.origin) == ("promoted", "promoted")
    f = item.finding
    assert (f["factor"], f["therapy"], f["cancer_type"], f["effect"]) == (
        "ABCG2",
        "cisplatin",
        "lung cancer",
        "promotes_resistance",
    )
    assert f["evidence"][0]["quote"] == ABCG2_SENTENCE and f["confidence"] == 0.31
    again = load_view(store, doc)
    assert again.candidates[0].promoted_as == item.id
    with pytest.raises(Conflict, match="already promoted"):
        decide(store, Decision(doc, "promote", 0, cand.id), "ana")
    # An older rejection: no cancer, no direction, no sentence. The person supplies them.
    doc2 = doc_of(store, seed("002").stem)
    (old,) = load_view(store, doc2).candidates
    with pytest.raises(Invalid, match="needs cancer_type"):
        decide(store, Decision(doc2, "promote", 0, old.id), "ana")
    text = load_view(store, doc2).source_text
    span = span_of(text, "sorafenib")
    item, _ = decide(
        store,
        Decision(
            doc2,
            "promote",
            0,
            old.id,
            span=span,
            fields={"cancer_type": "hepatocellular carcinoma", "effect": "promotes_resistance"},
        ),
        "ana",
    )
    assert (
        item.finding["factor"] == "SK-Hep1 xenografts" and item.finding["evidence"][0]["quote"] == "sorafenib"
    )


def _rerun(
    store: Store, doc_id: str, paper: PaperSummary, text: str, *, info: RunInfo, replace: bool
) -> None:
    run_id = store.start_run(info)
    store.save_result(
        key=result_key(paper.sha256, info.model, info.prompt_sha256, info.schema_version),
        run_id=run_id,
        info=info,
        doc_id=doc_id,
        sha256=paper.sha256,
        path="seeds/x.txt",
        source_text=text,
        paper=paper,
        error=None,
        calls=[],
        seconds=1.0,
        replace=replace,
    )
    store.finish_run(run_id, "done", {"docs_ok": 1})


def test_a_forced_rerun_keeps_every_reviewed_finding_reviewed(store: Store) -> None:
    doc = review_seed0(store)
    before = [(i.id, i.state, i.version, i.finding) for i in load_view(store, doc).items]
    decisions = store.conn.execute("SELECT * FROM decisions").fetchall()
    (d0, p0) = fixture_papers()[0]
    _rerun(store, doc, p0, d0.text, info=INFO, replace=True)  # `run --force`: paper and findings replaced
    assert store.count("papers") == 6  # replaced, not added
    after = [(i.id, i.state, i.version, i.finding) for i in load_view(store, doc).items]
    assert after == before
    assert store.conn.execute("SELECT * FROM decisions").fetchall() == decisions


def test_a_newer_result_with_changed_findings_keeps_reviews_and_shows_what_is_new(store: Store) -> None:
    doc = review_seed0(store)
    d0, p0 = fixture_papers()[0]
    nek2, trim21, autophagy = p0.findings
    # A changed rule: TRIM21 and NEK2 again (as written differently), autophagy dropped, one new finding.
    renamed = nek2.model_copy(update={"factor": "nek2", "therapy": "Radiotherapy", "confidence": 0.9})
    new = trim21.model_copy(
        update={"factor": "NIMA-related kinase 2", "alteration": "knockdown", "effect": "reverses_resistance"}
    )
    paper = p0.model_copy(update={"findings": [renamed, trim21, new]})
    info = RunInfo("openai", "fixture-model-2", None, "q" * 64, INFO.schema_version, 0.0, 42, 2)
    _rerun(store, doc, paper, d0.text, info=info, replace=False)
    view = load_view(store, doc)
    states = {(i.finding["factor"], i.state) for i in view.items}
    assert ("NEK2", "accepted") in states  # the same identity, whatever run found it
    assert ("TRIM21", "rejected") in states
    assert ("NIMA-related kinase 2", "unreviewed") in states
    corrected = next(i for i in view.items if i.state == "corrected")
    assert corrected.machine is None  # not in the newest run, still shown, still reviewed
    assert view.pending == 1 and view.state == "partial"
    accepted = next(i for i in view.items if i.state == "accepted")
    assert accepted.to_dict()["machine_changed_since_review"] is True


def test_a_rerun_that_agrees_with_a_correction_shows_it_once(store: Store) -> None:
    doc = review_seed0(store)
    d0, p0 = fixture_papers()[0]
    fixed = p0.findings[2].model_copy(update={"effect": "reverses_resistance"})
    paper = p0.model_copy(update={"findings": [p0.findings[0], p0.findings[1], fixed]})
    info = RunInfo("openai", "fixture-model-3", None, "r" * 64, INFO.schema_version, 0.0, 42, 2)
    _rerun(store, doc, paper, d0.text, info=info, replace=False)
    view = load_view(store, doc)
    assert [i.state for i in view.items] == ["accepted", "rejected", "corrected", "added"]


def test_export_reviewed_jsonl_and_csv(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    review_seed0(store, who="ana")
    db = str(store.path)
    assert main(["export", "--db", db, "--reviewed", "-o", str(tmp_path / "r.jsonl")]) == 0
    records = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert [r["review_state"] for r in records] == ["accepted", "corrected", "added"]  # no rejected
    assert {r["reviewed_by"] for r in records} == {"ana"} and records[0]["reviewed_at"].endswith("+00:00")
    assert records[1]["finding"]["effect"] == "reverses_resistance"
    assert records[1]["machine"]["effect"] == "promotes_resistance"
    assert main(["export", "--db", db, "--reviewed", "--format", "csv", "-o", str(tmp_path / "r.csv")]) == 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text())))
    assert [r["factor"] for r in rows] == ["NEK2", "protective autophagy", "autophagy"]
    assert {r["reviewed_by"] for r in rows} == {"ana"} and rows[2]["origin"] == "added"


def test_export_gold_scores_with_eval(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    review_seed0(store)
    doc2 = doc_of(store, seed("002").stem)  # partly reviewed: left out
    decide(store, Decision(doc2, "accept", 0, load_view(store, doc2).items[0].id), "ana")
    gold = tmp_path / "gold"
    assert main(["export", "--db", str(store.path), "--format", "gold", "-o", str(gold)]) == 0
    assert "1 paper(s) with undecided findings left out" in capsys.readouterr().err
    assert sorted(p.name for p in gold.iterdir()) == [f"{SEED0}.json", "docs"]
    data = json.loads((gold / f"{SEED0}.json").read_text())
    assert data["doc_file"] == f"docs/{SEED0}.txt"
    assert (gold / "docs" / f"{SEED0}.txt").read_text() == read_document(str(seed("000"))).text
    assert [(f["factor"], f["factor_role"]) for f in data["findings"]] == [
        ("NEK2", "pro_resistance"),
        ("protective autophagy", "anti_resistance"),
        ("autophagy", "pro_resistance"),
    ]
    assert data["findings"][2]["key_quote"] == "inducing protective autophagy"
    assert main(["eval", "--gold", str(gold), "--db", str(store.path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    (scored,) = result["documents"]
    # NEK2 accepted: TP; TRIM21 rejected: FP; autophagy's direction corrected: FP and FN; added: FN.
    assert (scored["tp"], scored["fp"], scored["fn"]) == (1, 2, 2)


def test_two_machine_findings_of_one_identity_are_decided_apart(store: Store) -> None:
    doc = doc_of(store, SEED0)
    d0, p0 = fixture_papers()[0]
    twin = p0.findings[0].model_copy(update={"factor": "nek2"})  # the same identity as NEK2
    paper = p0.model_copy(update={"findings": [p0.findings[0], twin]})
    _rerun(store, doc, paper, d0.text, info=INFO, replace=True)
    first, second = load_view(store, doc).items
    assert first.id != second.id
    decide(store, Decision(doc, "reject", 0, second.id, reason="duplicate"), "ana")
    decide(store, Decision(doc, "accept", 0, first.id), "ana")
    assert [(i.finding["factor"], i.state) for i in load_view(store, doc).items] == [
        ("NEK2", "accepted"),
        ("nek2", "rejected"),
    ]
