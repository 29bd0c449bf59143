"""What is scored: predicted papers from a store or a JSONL file, with the texts they quote."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from ..schema import PaperSummary
from ..store import Store
from .gold import EvalError


@dataclass(frozen=True)
class Prediction:
    """One predicted paper and the text its evidence should come from (None: not available)."""

    paper: PaperSummary
    text: str | None
    text_note: str = ""


@dataclass
class PredictionSet:
    """Predictions by doc id, with where they came from and any duplicates dropped."""

    source: str
    by_doc: dict[str, Prediction]
    duplicates: list[str] = field(default_factory=list)

    def match(self, gold_ids: list[str]) -> tuple[dict[str, Prediction], list[str]]:
        """The prediction of each gold id, and the doc ids of predictions no gold file matches.

        A gold file matches the paper whose doc id is its stem, else the one paper whose source
        name is (a file stem, or a record's PMID or id), so ``docs/01_x.txt`` is scored against
        ``gold/01_x.json`` whatever its unique doc id. Two papers with that name (files of one
        name in two folders) are listed as duplicates, and the first by doc id is scored.
        """
        by_name: dict[str, list[str]] = {}
        for doc_id, prediction in sorted(self.by_doc.items()):
            if prediction.paper.source_name:
                by_name.setdefault(prediction.paper.source_name, []).append(doc_id)
        matched: dict[str, Prediction] = {}
        for gold_id in gold_ids:
            if gold_id in self.by_doc:
                matched[gold_id] = self.by_doc[gold_id]
            elif gold_id in by_name:
                doc_ids = by_name[gold_id]
                if len(doc_ids) > 1:
                    self.duplicates.append(gold_id)
                matched[gold_id] = self.by_doc[doc_ids[0]]
        used = {id(p) for p in matched.values()}
        return matched, sorted(d for d, p in self.by_doc.items() if id(p) not in used)


def load_store_predictions(db: Path | str) -> PredictionSet:
    """The newest ``ok`` result per document in the store, with the stored source text."""
    path = Path(db)
    # Store() would create an empty database; a typo in --db should be an error, not "all missing".
    if not path.exists():
        raise EvalError(f"{path}: no such database (run `summarizer run` first, or pass --predictions)")
    with Store(path, read_only=True) as store:
        stored = store.papers()
    by_doc = {
        p.doc_id: Prediction(paper=p.paper, text=p.source_text, text_note="store")
        for p in stored
        if p.paper is not None
    }
    return PredictionSet(source=f"store {path}", by_doc=by_doc)


def load_jsonl_predictions(path: Path | str, texts: Path | str | None = None) -> PredictionSet:
    """PaperSummary objects, one per line; the last line wins for a repeated doc id.

    Texts are read from ``texts/<source name or doc_id>.txt`` and used only when their SHA-256
    equals the paper's, so grounding is never judged against a different version of the text.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EvalError(f"{path}: cannot read predictions ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise EvalError(f"{path}: predictions are not valid UTF-8 ({exc})") from exc
    papers: dict[str, PaperSummary] = {}
    duplicates: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            paper = PaperSummary.model_validate_json(line)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first.get("loc", ()))
            raise EvalError(
                f"{path}:{number}: not a PaperSummary object ({loc}: {first.get('msg')})"
            ) from exc
        if paper.doc_id in papers:
            duplicates.append(paper.doc_id)
        papers[paper.doc_id] = paper
    text_dir = Path(texts) if texts is not None else None
    by_doc = {doc_id: _with_text(paper, text_dir) for doc_id, paper in papers.items()}
    return PredictionSet(source=f"predictions {path}", by_doc=by_doc, duplicates=duplicates)


def _with_text(paper: PaperSummary, text_dir: Path | None) -> Prediction:
    if text_dir is None:
        return Prediction(paper=paper, text=None, text_note="no text folder")
    path = text_dir / f"{paper.source_name or paper.doc_id}.txt"
    try:
        data = path.read_bytes()
    except OSError:
        return Prediction(paper=paper, text=None, text_note=f"no {path}")
    if hashlib.sha256(data).hexdigest() != paper.sha256:
        return Prediction(paper=paper, text=None, text_note=f"{path} differs from the summarized text")
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    return Prediction(paper=paper, text=text, text_note=str(path))
