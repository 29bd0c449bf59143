"""Stores for the review tests: the report's fixture papers (real seed texts, findings saved
through ``Store.save_result`` as the pipeline saves them) plus a hostile document whose title,
text and evidence carry ``<script>`` and ``onerror=`` markup, and a candidate that can be
promoted (it carries factor, therapy, cancer, role, confidence and its sentence, as the
decision stage writes them)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from report_fixtures import INFO, build_store, evidence, finding, fixture_papers, save, summary

from summarizer.inputs.document import Document
from summarizer.inputs.sources import parse_text
from summarizer.schema import PaperSummary, RejectedFinding
from summarizer.store import Store

HOSTILE_TEXT = (
    "<script>window.pwned = 1</script> MDR1 drives <b>cisplatin</b> resistance in lung cancer\n\n"
    "Abstract: Lung cancer cells often stop responding to cisplatin, and the reasons are not fully known. "
    'In this study we found that MDR1 <img src=x onerror="window.pwned = 2"> overexpression conferred '
    "cisplatin resistance in A549 cells. Knockdown of MDR1 restored sensitivity to cisplatin in vitro "
    "and in xenografts. We also observed that ABCG2 was upregulated in the resistant cells, although its "
    "role in the response to cisplatin was not examined further in this work.\r\n"
    "These results suggest that MDR1 is a target for overcoming chemoresistance in lung cancer.\n"
)
HOSTILE_SENTENCE = (
    'In this study we found that MDR1 <img src=x onerror="window.pwned = 2"> overexpression conferred '
    "cisplatin resistance in A549 cells."
)
ABCG2_SENTENCE = "We also observed that ABCG2 was upregulated in the resistant cells"


def hostile_document() -> Document:
    """A document whose text is full of markup that must stay text."""
    sha = hashlib.sha256(HOSTILE_TEXT.encode()).hexdigest()
    return parse_text(HOSTILE_TEXT, "hostile-0001", "inbox/hostile.txt", sha, name="hostile")


def hostile_paper(doc: Document) -> PaperSummary:
    """One finding (its evidence holds the ``onerror=`` markup) and a promotable candidate."""
    return summary(
        doc,
        "MDR1 <script>alert(1)</script> overexpression makes lung cancer cells resist cisplatin.",
        [
            finding(
                doc,
                [HOSTILE_SENTENCE],
                factor="MDR1",
                alteration="overexpression",
                therapy="cisplatin",
                therapy_class="chemotherapy",
                cancer_type="lung cancer",
                effect="promotes_resistance",
                confidence=0.42,
            )
        ],
        rejected_findings=[
            RejectedFinding(
                reason="the direction of 'ABCG2' on 'cisplatin' is not stated",
                finding={
                    "factor": "ABCG2",
                    "therapy": "cisplatin",
                    "cancer_type": "lung cancer",
                    "role": "pro_resistance",
                    "confidence": 0.31,
                    "sentence": ABCG2_SENTENCE,
                },
            )
        ],
    )


def build_review_store(path: Path) -> Store:
    """The report's fixture store plus the hostile paper; confidences set on a few findings."""
    store = build_store(path)
    run_id = store.start_run(INFO)
    doc = hostile_document()
    save(store, run_id, doc, hostile_paper(doc))
    store.finish_run(run_id, "done", {"docs_ok": 1})
    return store


__all__ = [
    "ABCG2_SENTENCE",
    "HOSTILE_SENTENCE",
    "INFO",
    "build_review_store",
    "evidence",
    "fixture_papers",
    "hostile_document",
    "hostile_paper",
    "save",
]
