"""The batch: which documents need work, extraction (optionally concurrent), and saving results.

Results are written by this thread only (one writer), each paper in one transaction, as soon as it
is finished, so Ctrl-C or a crash loses nothing that was done and a re-run resumes: a document
whose (hash, model, prompt hash, schema version) result exists is skipped without a model call
(its findings get the registry ids they were stored without, where an index has been built since).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, as_completed, wait
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from .errors import SourceError
from .inputs.document import Document
from .inputs.formats import Columns, count_documents, iter_input_paths, read_documents
from .inputs.sources import document_id
from .model.backends import Backend
from .model.prompts import PromptSet
from .model.retry import RetryPolicy
from .reading.extract import ExtractionOutcome, Extractor, ExtractSettings, extract_safely, rules_version
from .registry.merge import merge_same_entities
from .registry.normalize import default_normalizer
from .schema import SCHEMA_VERSION, PaperSummary
from .store import RunInfo, Store, StoredPaper, result_key

Status = Literal["ok", "rejected", "failed", "skipped", "invalid"]


@dataclass
class DocReport:
    """What happened to one input file in this run."""

    path: str
    doc_id: str
    status: Status
    seconds: float = 0.0
    findings: int = 0
    rejected_findings: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasks: int = 0
    message: str | None = None
    paper: PaperSummary | None = None
    elsewhere: bool = False  # skipped: another live run on the same store is summarizing it


@dataclass
class RunSummary:
    """Totals for a run, for the closing line and the exit code."""

    run_id: int | None
    reports: list[DocReport] = field(default_factory=list)
    wall_seconds: float = 0.0
    interrupted: bool = False

    def count(self, status: Status) -> int:
        """How many documents ended with ``status``."""
        return sum(1 for r in self.reports if r.status == status)

    @property
    def findings(self) -> int:
        """Findings over the ok and skipped (already stored) documents."""
        return sum(r.findings for r in self.reports)

    @property
    def prompt_tokens(self) -> int:
        """Prompt tokens spent in this run."""
        return sum(r.prompt_tokens for r in self.reports)

    @property
    def completion_tokens(self) -> int:
        """Completion tokens spent in this run."""
        return sum(r.completion_tokens for r in self.reports)

    @property
    def ok(self) -> bool:
        """True when nothing failed, was invalid, or was interrupted."""
        return not self.interrupted and not self.count("failed") and not self.count("invalid")


@dataclass
class RunOptions:
    """How to run a batch."""

    limit: int | None = None
    force: bool = False
    concurrency: int = 1
    extract: ExtractSettings = field(default_factory=ExtractSettings)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # Runs the extractions elsewhere (``ray_engine.RayEngine``); None: in this process.
    engine: Engine | None = None
    # Column names of CSV and JSONL inputs.
    columns: Columns = field(default_factory=Columns)
    # Registry ids on findings, from the index where one was built (False: --no-normalize).
    normalize: bool = True


class Engine(Protocol):
    """Runs ``extract_safely`` on each document elsewhere; ``finish`` saves each outcome here."""

    def run(
        self,
        pipeline: Pipeline,
        todo: Iterator[Document],
        finish: Callable[[Document, ExtractionOutcome], None],
    ) -> None:
        """Extract every document of ``todo`` and hand each outcome to ``finish``."""


# A file's identity and state: inode, size and modification time (ns).
FileStamp = tuple[int, int, int] | None
CHANGED_WHILE_READ = "file changed while it was read (still being written?); run again when it is complete"


def file_stamp(path: str) -> FileStamp:
    """What changes when a file is rewritten, replaced or still being written; None if unreadable."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def count_inputs(paths: list[str], limit: int | None = None) -> int:
    """About how many documents ``collect_documents`` will give: one per text file, the records
    of an export counted by a scan for their markers (not parsed)."""
    count = sum(1 if problem else count_documents(path) for path, problem in iter_input_paths(paths))
    return count if limit is None else min(count, limit)


def collect_documents(
    paths: list[str], limit: int | None = None, columns: Columns | None = None
) -> Iterator[Document | DocReport]:
    """Read inputs in order: a Document per usable file or record, a DocReport('invalid') per bad one."""
    for item, _ in read_inputs(paths, limit, columns):
        yield item


def read_inputs(
    paths: list[str], limit: int | None = None, columns: Columns | None = None
) -> Iterator[tuple[Document | DocReport, FileStamp]]:
    """``collect_documents`` with each file's stamp taken BEFORE it was read.

    If the file's stamp differs when the result is about to be saved, the text that was read may
    be a half-written or replaced version: see ``Pipeline._finish``. The records of an export
    share its stamp. ``limit`` counts documents (each record of an export is one).
    """
    seen = 0
    for path, problem in iter_input_paths(paths):
        if problem is not None:
            if limit is not None and seen >= limit:
                return
            seen += 1
            yield DocReport(path, document_id(path, Path(path).stem), "invalid", message=problem.reason), None
            continue
        stamp = file_stamp(path)
        with closing(read_documents(path, columns)) as items:  # closes the file when the limit stops it
            for item in items:
                if limit is not None and seen >= limit:
                    return
                seen += 1
                if isinstance(item, SourceError):
                    doc_id = item.doc_id or document_id(path, Path(path).stem)
                    yield DocReport(item.path, doc_id, "invalid", message=item.reason), stamp
                else:
                    yield item, stamp


class Pipeline:
    """Drives one batch against one backend and one store."""

    def __init__(
        self,
        backend: Backend,
        store: Store,
        prompts: PromptSet,
        options: RunOptions | None = None,
        on_report: Callable[[DocReport, int], None] | None = None,
    ) -> None:
        self.backend = backend
        self.store = store
        self.prompts = prompts
        self.options = options or RunOptions()
        self.on_report = on_report or (lambda report, index: None)
        self._extractor: Extractor | None = None
        self._stamps: dict[str, FileStamp] = {}  # result key -> its file's stamp before reading
        self._extractor_lock = threading.Lock()
        # The normalisation index, where one was built (None: findings are stored without ids).
        self.normalizer = default_normalizer() if self.options.normalize else None
        self.info = RunInfo(
            backend=backend.name,
            model=backend.model,
            model_sha256=backend.model_sha256,
            prompt_sha256=prompts.sha256,
            # The stored schema and the rules that fill it: a rule change re-does old results.
            schema_version=f"{SCHEMA_VERSION}/rules-{rules_version()[:12]}",
            temperature=self.options.extract.temperature,
            seed=self.options.extract.seed,
            max_reasks=self.options.extract.max_reasks,
        )

    def key_for(self, doc: Document) -> str:
        """The result key of ``doc`` under this run's model, prompts and schema."""
        return result_key(doc.sha256, self.info.model, self.info.prompt_sha256, self.info.schema_version)

    def extractor(self) -> Extractor:
        """Built on first need, so a run with nothing to do never starts the model server.

        Workers ask for it at the same moment; the lock makes sure exactly one is built.
        """
        with self._extractor_lock:
            if self._extractor is None:
                self._extractor = Extractor(
                    self.backend.client(),
                    self.backend.model,
                    self.backend.mode,
                    self.prompts,
                    self.options.extract,
                    self.options.retry,
                    self.backend.request_options(),
                )
            return self._extractor

    def run(self, paths: list[str]) -> RunSummary:
        """Process every document under ``paths``; always closes the run record."""
        return self.run_items(read_inputs(paths, self.options.limit, self.options.columns))

    def run_items(self, items: Iterable[tuple[Document | DocReport, FileStamp]]) -> RunSummary:
        """Process documents already read (``read_inputs`` gives them: each with its file's stamp
        before reading, a DocReport('invalid') for an unusable one); always closes the run record."""
        started = time.perf_counter()
        run_id = self.store.start_run(self.info)
        summary = RunSummary(run_id)
        status = "failed"
        try:
            self._run(items, run_id, summary)
            status = "done"
        except KeyboardInterrupt:
            summary.interrupted = True
            status = "interrupted"
        finally:
            summary.wall_seconds = time.perf_counter() - started
            self.store.finish_run(run_id, status, self._totals(summary))
        return summary

    def _totals(self, summary: RunSummary) -> dict[str, float]:
        return {
            "docs_ok": summary.count("ok"),
            "docs_rejected": summary.count("rejected"),
            "docs_failed": summary.count("failed") + summary.count("invalid"),
            "docs_skipped": summary.count("skipped"),
            "findings": summary.findings,
            "prompt_tokens": summary.prompt_tokens,
            "completion_tokens": summary.completion_tokens,
            "seconds": summary.wall_seconds,
        }

    def _emit(self, summary: RunSummary, report: DocReport) -> None:
        summary.reports.append(report)
        self.on_report(report, len(summary.reports))

    def _run(
        self, items: Iterable[tuple[Document | DocReport, FileStamp]], run_id: int, summary: RunSummary
    ) -> None:
        todo = self._todo(items, run_id, summary)
        if self.options.engine is not None:
            self.options.engine.run(self, todo, lambda doc, out: self._finish(doc, out, run_id, summary))
            return
        workers = max(1, self.options.concurrency)
        if workers == 1:
            for doc in todo:
                self._finish(doc, self._extract_safely(doc), run_id, summary)
            return
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="extract") as pool:
            pending: dict[Future[ExtractionOutcome], Document] = {}
            try:
                for doc in todo:
                    pending[pool.submit(self._extract_safely, doc)] = doc
                    # Keep every worker busy with one more queued, and no more read ahead.
                    while len(pending) >= workers * 2:
                        self._finish_some(pending, run_id, summary)
                while pending:
                    self._finish_some(pending, run_id, summary)
            except KeyboardInterrupt:
                # Queued work is dropped. Requests in flight cannot be interrupted and the process
                # waits for them at exit anyway, so what they bring is saved (a second Ctrl-C ends
                # this wait too; each save is one transaction, so nothing is half-written).
                running = {f: d for f, d in pending.items() if not f.cancel()}
                for future in as_completed(running):
                    self._finish(running[future], future.result(), run_id, summary)
                raise
            except BaseException:  # e.g. the disk is full: stop at once, start nothing queued
                for future in pending:
                    future.cancel()
                raise

    def _todo(
        self, items: Iterable[tuple[Document | DocReport, FileStamp]], run_id: int, summary: RunSummary
    ) -> Iterator[Document]:
        """Documents that need a model call, read lazily; bad and finished ones are reported here."""
        queued: dict[str, str] = {}
        for item, stamp in items:
            if isinstance(item, DocReport):
                self.store.record_problem(
                    run_id=run_id,
                    doc_id=item.doc_id,
                    path=item.path,
                    kind="source",
                    reason=item.message or "unusable input",
                )
                self._emit(summary, item)
                continue
            key = self.key_for(item)
            if key in queued:
                # Same bytes as an earlier file of this batch: one result per text, one model call.
                self._emit(
                    summary,
                    DocReport(item.location, item.doc_id, "skipped", message=f"same text as {queued[key]}"),
                )
                continue
            skip = self._done_or_taken(item, key, run_id)
            if skip is not None:
                self._emit(summary, skip)
                continue
            queued[key] = item.location
            self._stamps[key] = stamp
            yield item

    def _done_or_taken(self, doc: Document, key: str, run_id: int) -> DocReport | None:
        """Claim ``doc``'s result for this run; or why not: it is stored, or another run has it.

        Other runs may share the store. The claim is taken before the model is asked, so no two
        live runs ask for the same text; the result is looked up again after claiming, for one
        that another run saved (and released) just before.
        """
        force = self.options.force
        stored = None if force else self.store.get_result(key)
        if stored is None:
            holder = self.store.claim(key, run_id)
            if holder is not None:
                message = f"being summarized by {holder}; run again later to include it"
                return DocReport(doc.location, doc.doc_id, "skipped", message=message, elsewhere=True)
            stored = None if force else self.store.get_result(key)
            if stored is not None:
                self.store.release(key, run_id)
        return None if stored is None else _skipped(doc, self._with_ids(stored), stored.error)

    def _with_ids(self, stored: StoredPaper) -> PaperSummary | None:
        """A stored paper, with registry ids added where its findings were stored without them
        (before the index was built): a dictionary look-up and an update, no model call."""
        paper = stored.paper
        if paper is None or self.normalizer is None:
            return paper
        if all(f.factor_ref is not None for f in paper.findings):
            return paper
        paper = self.normalizer.paper(paper, stored.source_text)
        self.store.set_refs(stored.id, paper)
        return paper

    def _finish_some(
        self, pending: dict[Future[ExtractionOutcome], Document], run_id: int, summary: RunSummary
    ) -> None:
        """Wait for at least one extraction and save every finished one (this thread writes)."""
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            self._finish(pending.pop(future), future.result(), run_id, summary)

    def _extract_safely(self, doc: Document) -> ExtractionOutcome:
        return extract_safely(self.extractor, doc)

    def _finish(self, doc: Document, outcome: ExtractionOutcome, run_id: int, summary: RunSummary) -> None:
        base = DocReport(
            path=doc.location,
            doc_id=doc.doc_id,
            status="ok",
            seconds=outcome.seconds,
            prompt_tokens=outcome.prompt_tokens,
            completion_tokens=outcome.completion_tokens,
            reasks=outcome.reasks,
        )
        key = self.key_for(doc)
        changed = file_stamp(doc.path) != self._stamps.pop(key, None)
        if outcome.failed or changed:
            # Transport or server failure, or a text that is no longer the file's: nothing stored
            # as a result, so a re-run tries again.
            base.status = "invalid" if changed else "failed"
            base.message = CHANGED_WHILE_READ if changed else outcome.error
            self.store.record_problem(
                run_id=run_id,
                doc_id=doc.doc_id,
                path=doc.location,
                kind="source" if changed else "failure",
                reason=base.message or "failed",
                key=key,
            )
            self._emit(summary, base)
            return
        paper = outcome.paper
        if paper is not None and self.normalizer is not None:
            # Registry ids beside the names as written (a dictionary look-up, no model call), and
            # one finding per entity where two spellings turned out to be one gene.
            paper = merge_same_entities(self.normalizer.paper(paper, doc.text))
        paper_id = self.store.save_result(
            key=key,
            run_id=run_id,
            info=self.info,
            doc_id=doc.doc_id,
            sha256=doc.sha256,
            path=doc.location,
            source_text=doc.text,
            paper=paper,
            error=outcome.error,
            calls=[dict(vars(c)) for c in outcome.calls],  # shallow: asdict deep-copied every message
            seconds=outcome.seconds,
            reasks=outcome.reasks,
            replace=self.options.force,
        )
        if paper_id is None:  # another run stored it while this one worked: theirs is kept
            stored = self.store.get_result(key)
            base.status, base.message = "skipped", "another run stored it first; its result is kept"
            base.paper = stored.paper if stored else None
            base.findings = len(base.paper.findings) if base.paper else 0
            self._emit(summary, base)
            return
        if paper is None:
            base.status, base.message = "rejected", outcome.error
        else:
            base.paper = paper
            base.findings = len(paper.findings)
            base.rejected_findings = len(paper.rejected_findings)
            if doc.truncated:
                base.message = "text was longer than the prompt limit; later sentences were cut"
        self._emit(summary, base)


def _skipped(doc: Document, paper: PaperSummary | None, error: str | None) -> DocReport:
    return DocReport(
        path=doc.location,
        doc_id=doc.doc_id,
        status="skipped",
        findings=len(paper.findings) if paper else 0,
        message="already done" if paper else f"already done (rejected: {error})",
        paper=paper,
    )
