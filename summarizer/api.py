"""Summarise from Python (a notebook, a script): texts, records or Documents -> ``PaperSummary``.

    from summarizer import summarise

    paper = summarise(text)                    # one text -> one PaperSummary
    papers = summarise([text, record, ...])    # a list -> a list, in the same order

This is ``summarizer run`` without the files, and ``run`` drives its batch through ``Settings`` and
``open_pipeline`` here: the same store (``db``, else ``$SUMMARIZER_DB``, else the data
directory's), the same result key (a text either of them has done is not asked again), the same
settings and environment fallbacks, the same backends, and the normalisation index built on first
use where it is missing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

from .errors import SourceError, SummarizerError
from .home import store_for_run
from .inputs.document import Document
from .inputs.records import Columns, row_record
from .inputs.sources import MAX_BYTES, parse_text
from .model.backends import BackendSettings, get_backend
from .model.prompts import PromptSet, load_prompts
from .model.retry import RetryPolicy
from .pipeline import DocReport, Pipeline, RunOptions, file_stamp
from .registry.firstrun import normalize_wanted, prepare_index
from .schema import PaperSummary
from .store import Store

# What ``summarise`` takes: a text as a .txt file holds it, a record with id/title/abstract keys
# (and pmid, doi, year, journal where known), or a Document (or SourceError) the readers made.
Item = str | Mapping[str, Any] | Document | SourceError

# The "file" of texts and records given in Python, in messages and the store's path column.
SOURCE = "<python>"


class NoSummary(SummarizerError):
    """A text could not be summarised: unusable, the model's answer rejected, or not reached."""


class NoSummaryWarning(UserWarning):
    """One text of a list could not be summarised; the others were."""


@dataclass
class Settings:
    """How a run is set up: ``summarizer run``'s flags and ``summarise``'s keywords.

    None means the environment's value, then the default, as for the flags: ``backend``
    ($SUMMARIZER_BACKEND, else local), ``model`` ($SUMMARIZER_MODEL), ``base_url``
    ($OPENAI_BASE_URL), ``api_key`` ($OPENAI_API_KEY), ``mode`` ($SUMMARIZER_MODE), ``db``
    ($SUMMARIZER_DB, else the data directory's store), ``normalize`` (not where
    $SUMMARIZER_NO_NORMALIZE is 1).
    """

    db: Path | str | None = None
    backend: str | None = None
    model: str | None = None
    base_url: str | None = None
    api_key: str | None = dataclasses.field(default=None, repr=False)
    mode: str | None = None
    timeout_s: float = 600.0
    concurrency: int = 1
    force: bool = False
    retries: int = 6
    max_reasks: int = 1
    seed: int = 42
    normalize: bool | None = None

    def backend_name(self) -> str:
        """The backend to use: ``backend``, else $SUMMARIZER_BACKEND, else local."""
        return self.backend or os.environ.get("SUMMARIZER_BACKEND") or "local"

    def backend_settings(self) -> BackendSettings:
        """What the backend is given (it reads its own environment fallbacks)."""
        return BackendSettings(
            model=self.model,
            base_url=self.base_url,
            api_key=self.api_key,
            mode=self.mode,
            timeout_s=self.timeout_s,
        )

    def run_options(self) -> RunOptions:
        """The pipeline's options from these settings."""
        options = RunOptions(
            force=self.force, concurrency=self.concurrency, retry=RetryPolicy(attempts=self.retries)
        )
        options.extract.max_reasks = self.max_reasks
        options.extract.seed = self.seed
        return options


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


@contextmanager
def open_pipeline(
    settings: Settings,
    options: RunOptions | None = None,
    *,
    prompts: PromptSet | None = None,
    on_report: Callable[[DocReport, int], None] | None = None,
    progress: Callable[[str], None] = _stderr,
    note: Callable[[str], None] = _stderr,
) -> Iterator[Pipeline]:
    """The backend, the store and the normalisation index set up as ``summarizer run`` sets them
    up, and a Pipeline over them; the backend is closed at the end.

    ``progress`` gets the index build's lines (where it is missing), ``note`` the one line said
    when it cannot be built (the run goes on without registry ids).
    """
    normalize = normalize_wanted(settings.normalize)
    options = options or settings.run_options()
    options.normalize = normalize
    backend = get_backend(settings.backend_name(), settings.backend_settings())
    try:
        with Store(store_for_run(Path(settings.db) if settings.db else None)) as store:
            if normalize:
                prepare_index(progress, note)
            yield Pipeline(backend, store, prompts or load_prompts(), options, on_report)
    finally:
        backend.close()


@overload
def summarise(inputs: str | Mapping[str, Any] | Document, **settings: Any) -> PaperSummary: ...
@overload
def summarise(inputs: Iterable[Item], **settings: Any) -> list[PaperSummary | None]: ...
def summarise(
    inputs: Item | Iterable[Item], *, columns: Columns | None = None, **settings: Any
) -> PaperSummary | list[PaperSummary | None]:
    """Summarise one text, record or Document (-> a ``PaperSummary``) or a list of them (-> a list).

    A text is read as a ``.txt`` file is (a saved page or an abstract); a record is a mapping
    with ``id``, ``title`` and ``abstract`` keys, matched ignoring case (``columns`` or
    $SUMMARIZER_*_COLUMN rename them) and ``pmid``, ``doi``, ``year``, ``journal`` where known.
    A paper's ``doc_id`` is ``pmid:N`` where its PMID is known, else the record's id, else
    ``text-`` and the start of the text's SHA-256.

    ``settings`` are ``Settings``' fields (``db``, ``backend``, ``model``, ``base_url``,
    ``api_key``, ``mode``, ``timeout_s``, ``concurrency``, ``force``, ``retries``,
    ``max_reasks``, ``seed``, ``normalize``), each defaulting as ``summarizer run``'s flag does.
    Texts already in the store are not asked again (``force=True`` asks again).

    One input that cannot be summarised (unusable, the model's answer rejected, the endpoint
    not reached) raises ``NoSummary`` saying why; in a list its place holds None (so the result
    still lines up with the inputs), with a ``NoSummaryWarning`` saying why. Ctrl-C stops the
    batch; what was finished is stored.
    """
    if isinstance(inputs, str | Mapping | Document | SourceError):
        single, items = True, [inputs]
    else:
        single, items = False, list(inputs)
    columns = columns or Columns.from_settings()
    docs = [_document(item, number, columns) for number, item in enumerate(items, start=1)]
    with open_pipeline(Settings(**settings)) as pipeline:
        summary = pipeline.run_items(
            (d, file_stamp(d.path) if isinstance(d, Document) else None) for d in docs
        )
        keys = [pipeline.key_for(d) if isinstance(d, Document) else "" for d in docs]
    if summary.interrupted:
        raise KeyboardInterrupt
    # A text given twice is asked once: the second's report points to the first ("same text as").
    done = {r.path: r.paper for r in summary.reports if r.paper is not None}
    by_key = {key: done[_where(d)] for key, d in zip(keys, docs, strict=True) if _where(d) in done}
    why = {r.path: f"{r.status}: {r.message or 'no paper'}" for r in summary.reports if r.paper is None}
    papers: list[PaperSummary | None] = []
    for key, doc in zip(keys, docs, strict=True):
        if key in by_key:
            papers.append(by_key[key])
            continue
        message = f"{_where(doc)}: {why.get(_where(doc), 'not summarised')}"
        if single:
            raise NoSummary(message)
        warnings.warn(message, NoSummaryWarning, stacklevel=2)
        papers.append(None)
    if single:
        assert papers[0] is not None  # a single input without a paper raised above
        return papers[0]
    return papers


summarize = summarise  # the spelling of the command and the package


def _where(doc: Document | DocReport) -> str:
    """Where an input is, as its report names it."""
    return doc.location if isinstance(doc, Document) else doc.path


def _document(item: Item, number: int, columns: Columns) -> Document | DocReport:
    """One input as the pipeline takes it: a Document, or a DocReport('invalid') saying why not."""
    label = f"item {number}"
    if isinstance(item, Document):
        return item
    if isinstance(item, SourceError):
        return DocReport(item.path, item.doc_id or label, "invalid", message=item.reason)
    if isinstance(item, str):
        found = _text(item, label)
        own_id = ""
    elif isinstance(item, Mapping):
        row = {str(k).strip().lower(): v for k, v in item.items()}
        found = row_record(SOURCE, label, number, row, columns)
        own_id = str(row.get(columns.id.lower()) or "").strip()
    else:
        raise TypeError(f"summarise takes texts, records (dicts) or Documents, not {type(item).__name__}")
    if isinstance(found, SourceError):
        return DocReport(found.path, found.doc_id or label, "invalid", message=found.reason)
    # Ids that do not hang on a path: there is no file (the readers hash the file's path in).
    doc_id = f"pmid:{found.pmid}" if found.pmid else own_id or f"text-{found.sha256[:12]}"
    return dataclasses.replace(found, doc_id=doc_id, name=found.pmid or own_id)


def _text(text: str, label: str) -> Document | SourceError:
    """A text read as a .txt file holding it is read; hashed as that file's bytes are."""
    data = text.encode("utf-8", "surrogatepass")
    where = f"{SOURCE} ({label})"
    if len(data) > MAX_BYTES:
        return SourceError(where, f"text is larger than {MAX_BYTES:,} bytes; an abstract is a few kB")
    try:
        return parse_text(text, "", SOURCE, hashlib.sha256(data).hexdigest(), record=label)
    except SourceError as exc:
        return SourceError(where, exc.reason)
