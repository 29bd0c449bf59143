"""``summarizer run``: the batch on the terminal (a line per document, the progress line, the
closing summary), SIGTERM handled as Ctrl-C, ``--dry-run``."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator

from ..api import Settings, open_pipeline
from ..console import RunDisplay, printable
from ..errors import ConfigError
from ..inputs.formats import Columns
from ..model.prompts import PromptSet, load_prompts
from ..outputs.files import STDOUT, OutputError, check_target, write_text
from ..pipeline import DocReport, Engine, RunOptions, RunSummary, collect_documents, count_inputs
from ..schema import with_min_confidence


def cmd_run(args: argparse.Namespace) -> int:
    """``summarizer run``: the flags made ``Settings``, the batch run as ``summarise`` runs it."""
    base_urls = args.base_url or []
    settings = Settings(
        db=args.db,
        backend=args.backend,
        model=args.model,
        base_url=base_urls[0] if base_urls else None,
        api_key=args.api_key,
        mode=args.mode,
        timeout_s=args.timeout,
        concurrency=args.concurrency,
        force=args.force,
        retries=args.retries,
        max_reasks=args.max_reasks,
        seed=args.seed,
        normalize=False if args.no_normalize else None,  # None: $SUMMARIZER_NO_NORMALIZE decides
    )
    prompts = load_prompts()
    columns = Columns.from_settings(args.id_column, args.title_column, args.abstract_column)
    if args.dry_run:
        return dry_run(args.paths, args.limit, prompts, columns)
    options = settings.run_options()
    options.limit, options.columns = args.limit, columns
    options.engine = _engine(args, base_urls)
    if args.output:
        check_target(args.output)  # before hours of work, not after
    with sigterm_as_ctrl_c() as received:
        summary = run_batch(args, settings, prompts, options)
        failed_output = write_run_output(args.output, summary, args.min_confidence)
    print(format_summary(summary, None if failed_output else args.output), file=sys.stderr)
    if failed_output:
        print(
            f"error: {printable(failed_output)}; the results are in the store: "
            "write them with 'summarizer export -o FILE'",
            file=sys.stderr,
        )
        return 2
    if summary.interrupted:
        return 128 + (received[0] if received else signal.SIGINT)
    return 0 if summary.ok else 1


def run_batch(
    args: argparse.Namespace, settings: Settings, prompts: PromptSet, options: RunOptions
) -> RunSummary:
    """The batch itself: the backend, the store, the index on a first run, what the terminal shows."""
    display = None if args.quiet else RunDisplay(sys.stderr, count_inputs(args.paths, args.limit))
    on_report = None if display is None else _progress_printer(display)
    progress = _quiet if display is None else _stderr_line  # the index build's lines
    with (
        open_pipeline(
            settings, options, prompts=prompts, on_report=on_report, progress=progress, note=_stderr_line
        ) as pipeline,
        display or contextlib.nullcontext(),
    ):
        return pipeline.run(args.paths)


def _stderr_line(line: str) -> None:
    print(printable(line), file=sys.stderr)


def _quiet(line: str) -> None:
    """--quiet: only the closing summary (and notes) are printed."""


def write_run_output(
    target: str | None, summary: RunSummary, min_confidence: float | None = None
) -> OutputError | None:
    """Write run's -o file (the papers done or already stored); returns the error, if any."""
    if not target:
        return None
    papers = [with_min_confidence(r.paper, min_confidence) for r in summary.reports if r.paper is not None]
    try:
        write_text(target, "".join(paper.model_dump_json() + "\n" for paper in papers))
    except OutputError as exc:
        return exc
    return None


@contextlib.contextmanager
def sigterm_as_ctrl_c() -> Iterator[list[int]]:
    """SIGTERM (``kill``, a service manager, a container stopping) ends a run as Ctrl-C does.

    Finished papers are already saved; this lets the run close itself: the summary, the -o file
    and the run's record ('interrupted', not left 'running'). Yields the signals received.
    """
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():  # only it can set handlers
        yield received
        return

    def on_sigterm(signum: int, frame: object) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, previous)


def _engine(args: argparse.Namespace, base_urls: list[str]) -> Engine | None:
    """The Ray engine when asked for (its module imported only then); None for the thread pool."""
    if args.engine not in ("threads", "ray"):
        raise ConfigError(f"unknown engine {args.engine!r} (from $SUMMARIZER_ENGINE?); use threads or ray")
    if args.engine != "ray":
        if len(base_urls) > 1:
            raise ConfigError("several --base-url endpoints need --engine ray; the thread pool uses one")
        if args.ray_address is not None or args.ray_actors is not None:
            raise ConfigError("--ray-address and --ray-actors need --engine ray")
        return None
    if args.backend != "openai":
        raise ConfigError(
            "--engine ray needs --backend openai and the --base-url of each endpoint: the embedded "
            "model serves one request at a time, on this machine only"
        )
    from ..ray_engine import RayEngine, RayOptions

    return RayEngine(
        RayOptions(
            address=args.ray_address or os.environ.get("RAY_ADDRESS") or None,
            actors=args.ray_actors,
            base_urls=tuple(base_urls),
        )
    )


def _progress_printer(display: RunDisplay) -> Callable[[DocReport, int], None]:
    def show(report: DocReport, index: int) -> None:
        detail = {
            "ok": f"{report.findings} findings"
            + (f", {report.rejected_findings} rejected" if report.rejected_findings else "")
            + (f", {report.reasks} re-asks" if report.reasks else ""),
            "skipped": f"{report.findings} findings, already in the store"
            if report.message == "already done"
            else report.message or "skipped",  # a rejected result, or the same text as another file
        }.get(report.status, report.message or "")
        timing = f"{report.seconds:5.1f}s" if report.seconds else "     -"
        display.line(f"[{index:>4}] {report.status:<8} {timing}  {report.path}: {detail}")
        if report.status == "ok" and report.message:
            display.line(f"         note: {report.message}")
        display.advance()

    return show


def format_summary(summary: RunSummary, output: str | None) -> str:
    """The closing block of ``run``."""
    elsewhere = sum(1 for r in summary.reports if r.elsewhere)
    lines = [
        f"documents: {summary.count('ok')} ok, {summary.count('skipped') - elsewhere} already done, "
        + (f"{elsewhere} in progress in another run, " if elsewhere else "")
        + f"{summary.count('rejected')} rejected, "
        f"{summary.count('failed') + summary.count('invalid')} failed",
        f"findings: {summary.findings}; tokens: {summary.prompt_tokens} in / "
        f"{summary.completion_tokens} out; wall time: {summary.wall_seconds:.1f}s",
    ]
    if output and output != STDOUT:
        lines.append(f"wrote {printable(output)}")
    if summary.interrupted:
        lines.append("interrupted: finished documents are saved; run the same command to resume")
    return "\n".join(lines)


def dry_run(
    paths: list[str], limit: int | None, prompts_set: PromptSet, columns: Columns | None = None
) -> int:
    """Print what would be sent for each document, with a token estimate; call nothing."""
    print("=== system prompt (sent first, cached across documents) ===")
    print(prompts_set.system)
    bad = 0
    for item in collect_documents(paths, limit, columns):
        if isinstance(item, DocReport):
            print("\n" + printable(f"=== {item.path}: skipped: {item.message}"))
            bad += 1
            continue
        user = prompts_set.render_user(item.numbered_view())
        # ~4 characters per token for English prose; the server's tokenizer decides exactly.
        estimate = (len(prompts_set.system) + len(user)) // 4
        header = (
            f"=== {item.location} (id {item.doc_id}, sha256 {item.sha256[:12]}…, "
            f"{len(item.sentences)} sentences, ~{estimate} prompt tokens) ==="
        )
        print("\n" + printable(header))
        print(printable(f"title: {item.title}"))
        print(f"doi: {printable(item.doi)}  pmid: {item.pmid}  year: {item.year}")
        print(user)
    return 1 if bad else 0
