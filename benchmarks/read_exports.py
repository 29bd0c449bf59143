"""Reading large exports: records per second and peak memory, per format (no model involved).

A PubMed XML export of about ``--mb`` MB is generated from the invented test record (PMIDs and a
number in each abstract varied), then written again as .xml.gz, MEDLINE, JSONL and CSV holding the
same records. Each file is read with ``formats.read_documents`` in a fresh process, which reports
the records read, the seconds and its peak resident memory (``ru_maxrss``). Memory must stay flat
whatever the file size: a reader holding the file would need at least its size.

    python benchmarks/read_exports.py            # ~200 MB of XML
    python benchmarks/read_exports.py --mb 1000 --formats xml
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarizer.inputs.document import Document  # noqa: E402
from summarizer.inputs.formats import read_documents  # noqa: E402

TEMPLATE = ROOT / "tests" / "fixtures" / "inputs" / "pubmed_export.xml"


def generate(folder: Path, mb: int) -> dict[str, Path]:
    """The same records as .xml, .xml.gz, .nbib, .jsonl and .csv; returns the paths by format."""
    text = TEMPLATE.read_text(encoding="utf-8")
    one = text[text.index("<PubmedArticle>") : text.index("</PubmedArticle>") + len("</PubmedArticle>")]
    count = mb * 1_000_000 // len(one.encode())
    first = next(iter(read_documents(str(TEMPLATE))))
    assert isinstance(first, Document)
    title, abstract = first.text.split("\n\n", 1)
    paths = {kind: folder / f"export.{kind}" for kind in ("xml", "xml.gz", "nbib", "jsonl", "csv")}
    with (
        paths["xml"].open("w", encoding="utf-8") as xml,
        gzip.open(paths["xml.gz"], "wt", encoding="utf-8") as xgz,
        paths["nbib"].open("w", encoding="utf-8") as nbib,
        paths["jsonl"].open("w", encoding="utf-8") as jsonl,
        paths["csv"].open("w", encoding="utf-8", newline="") as sheet,
    ):
        rows = csv.writer(sheet)
        rows.writerow(["id", "title", "abstract"])
        head = '<?xml version="1.0" ?>\n<PubmedArticleSet>\n'
        xml.write(head)
        xgz.write(head)
        for i in range(count):
            pmid = str(10_000_000 + i)
            record = one.replace("90000101", pmid).replace("60 patients", f"{i} patients")
            xml.write(record)
            xgz.write(record)
            body = abstract.replace("60 patients", f"{i} patients")
            nbib.write(f"PMID- {pmid}\nTI  - {title}\nAB  - {' '.join(body.splitlines())}\n\n")
            jsonl.write(json.dumps({"id": pmid, "title": title, "abstract": body}) + "\n")
            rows.writerow([pmid, title, body])
        xml.write("</PubmedArticleSet>\n")
        xgz.write("</PubmedArticleSet>\n")
    return paths


def read_one(path: str) -> None:
    """(In the child process) read every record; print records, seconds and peak RSS as JSON."""
    started = time.perf_counter()
    records = bad = 0
    for item in read_documents(path):
        records += 1
        bad += not isinstance(item, Document)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"records": records, "bad": bad, "seconds": seconds, "peak_mb": peak_kb / 1024}))


def main(argv: list[str] | None = None) -> int:
    """Print one row per format."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=int, default=200, help="size of the XML export in MB (default 200)")
    parser.add_argument("--formats", default="xml,xml.gz,nbib,jsonl,csv", help="comma-separated")
    parser.add_argument("--read", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args(argv)
    if args.read:
        read_one(args.read)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        paths = generate(Path(tmp), args.mb)
        print("| format | file MB | records | bad | seconds | records/s | peak RSS MB |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for kind in args.formats.split(","):
            path = paths[kind]
            out = subprocess.run(
                [sys.executable, __file__, "--read", str(path)], check=True, capture_output=True, text=True
            ).stdout
            r = json.loads(out)
            size = path.stat().st_size / 1e6
            print(
                f"| {kind} | {size:,.1f} | {r['records']:,} | {r['bad']} | {r['seconds']:.1f} | "
                f"{r['records'] / r['seconds']:,.0f} | {r['peak_mb']:.0f} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
