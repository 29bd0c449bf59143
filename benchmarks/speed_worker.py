"""One side of ``speed.py``: extract documents with whatever ``summarizer`` package is importable.

    PYTHONPATH=CHECKOUT python benchmarks/speed_worker.py

Starts the embedded model, prints ``READY``, then for each document path read from standard input
prints one JSON line: seconds, model calls, uncached prompt and completion tokens, findings. It
uses only what every version of the package has had (``sources.read_document``, ``Extractor``),
so the same file drives the code before and after a change.
"""

from __future__ import annotations

import json
import logging
import sys
import time


def main() -> int:
    from summarizer.errors import SourceError
    from summarizer.pipeline import RunOptions

    try:  # the package in folders (issue 19)
        from summarizer.inputs.sources import read_document
        from summarizer.model.backends import BackendSettings, get_backend
        from summarizer.model.prompts import load_prompts
        from summarizer.reading.extract import Extractor
    except ImportError:  # a base commit from before it, so one worker drives both versions
        from summarizer.backends import BackendSettings, get_backend  # type: ignore[no-redef]
        from summarizer.extract import Extractor  # type: ignore[no-redef]
        from summarizer.prompts import load_prompts  # type: ignore[no-redef]
        from summarizer.sources import read_document  # type: ignore[no-redef]

    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    backend = get_backend("local", BackendSettings())
    options = RunOptions()
    extractor = Extractor(
        backend.client(),
        backend.model,
        backend.mode,
        load_prompts(),
        options.extract,
        options.retry,
        backend.request_options(),
    )
    print("READY", flush=True)
    try:
        for line in sys.stdin:
            try:
                doc = read_document(line.strip())
            except SourceError as exc:  # a page shape this version could not read
                print(json.dumps({"refused": str(exc)}), flush=True)
                continue
            started = time.perf_counter()
            outcome = extractor.extract(doc)
            seconds = time.perf_counter() - started
            record = {
                "seconds": seconds,
                "calls": len(outcome.calls),
                "uncached": sum(c.prompt_tokens - c.cached_tokens for c in outcome.calls),
                "completion": sum(c.completion_tokens for c in outcome.calls),
                "findings": len(outcome.paper.findings) if outcome.paper else 0,
                "error": outcome.error,
            }
            print(json.dumps(record), flush=True)
    finally:
        backend.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
