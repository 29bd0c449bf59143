"""Command line: parses flags, prints, and hands everything else to the package.

Settings come from flags first, then environment variables:
SUMMARIZER_BACKEND, SUMMARIZER_DB, SUMMARIZER_MODEL, SUMMARIZER_MODE, SUMMARIZER_HOME,
SUMMARIZER_ENGINE, SUMMARIZER_ID_COLUMN, SUMMARIZER_TITLE_COLUMN, SUMMARIZER_ABSTRACT_COLUMN,
SUMMARIZER_NO_NORMALIZE, OPENAI_BASE_URL, OPENAI_API_KEY, RAY_ADDRESS.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import sys

from ..console import printable
from ..errors import SummarizerError
from ..home import default_db
from ..schema import PaperSummary
from .commands import cmd_eval, cmd_export, cmd_normalize, cmd_report
from .parser import build_parser
from .run import cmd_run


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
            from ..review.serve import cmd_review

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
