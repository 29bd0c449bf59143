"""A store for report tests, filled with hand-written findings on the real seed texts.

Every evidence span is located with ``sources.find_quote`` on a real sentence of the seed, so
``source_text[start:end] == quote`` holds as it does for pipeline output. The mix covers what the
report has to get right: NEK2 in two papers (seeds 000, 001), sorafenib in hepatocellular
carcinoma with two papers and three factors (002 IGF-1R written two ways, 003 ANT2 and miR-137),
overlapping evidence (two findings of seed 000 cite the same sentence, a third part of it), a
loss-type alteration (knockdown reverses = promotes), rejected findings, a rejected paper, a
transport failure and an unusable input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from summarizer.inputs.document import Document
from summarizer.inputs.sources import read_document
from summarizer.inputs.text import find_quote
from summarizer.schema import SCHEMA_VERSION, Evidence, Finding, PaperSummary, RejectedFinding
from summarizer.store import RunInfo, Store, result_key

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
INFO = RunInfo("openai", "fixture-model", None, "p" * 64, SCHEMA_VERSION, 0.0, 42, 2)

NEK2_TITLE = (
    "NEK2 contributes to radioresistance in esophageal squamous cell carcinoma by inducing "
    "protective autophagy via regulating TRIM21"
)
TRIM21_SENTENCE = (
    "The study found that NEK2 can bind to and regulate the stability of tripartite motif - containing "
    "protein 21 (TRIM21), thereby activating autophagy and leading to radioresistance."
)


def seed(stem_prefix: str) -> Path:
    """The seed file whose name starts with ``stem_prefix`` (``"000"``)."""
    (path,) = SEEDS.glob(f"{stem_prefix}_*.txt")
    return path


def evidence(doc: Document, *quotes: str) -> list[Evidence]:
    """Evidence for quotes of ``doc``, located in its original text."""
    out = []
    for quote in quotes:
        span = find_quote(quote, doc.text)
        assert span is not None, f"quote not in {doc.doc_id}: {quote!r}"
        start, end = span
        out.append(Evidence(quote=doc.text[start:end], start=start, end=end))
    return out


def finding(doc: Document, quotes: list[str], **fields: Any) -> Finding:
    """A finding with defaults for the fields a test does not care about."""
    data: dict[str, Any] = {
        "factor_type": "gene",
        "therapy_class": "targeted_therapy",
        "mechanism": "",
        "mechanism_categories": [],
        "models": [],
        "evidence_level": ["in_vitro"],
    }
    data.update(fields)
    return Finding(evidence=evidence(doc, *quotes), **data)


def summary(doc: Document, text: str, findings: list[Finding], **extra: Any) -> PaperSummary:
    """The PaperSummary of ``doc`` with the metadata read from the text, as the pipeline does."""
    return PaperSummary(
        **doc.identity(),
        summary=text,
        findings=findings,
        **extra,
    )


def fixture_papers() -> list[tuple[Document, PaperSummary]]:
    """The four seed papers with findings."""
    d0 = read_document(str(seed("000")))
    p0 = summary(
        d0,
        "Esophageal cancer cells with more NEK2 survive radiotherapy better: NEK2 stabilises TRIM21, "
        "which switches on protective autophagy.",
        [
            finding(
                d0,
                [NEK2_TITLE, TRIM21_SENTENCE],
                factor="NEK2",
                alteration="overexpression",
                therapy="radiotherapy",
                therapy_class="radiotherapy",
                cancer_type="esophageal squamous cell carcinoma",
                effect="promotes_resistance",
                mechanism="stabilises TRIM21, activating protective autophagy",
                mechanism_categories=["autophagy"],
                pathways_or_partners=["TRIM21"],
                models=["ESCC cell lines"],
            ),
            finding(
                d0,
                [TRIM21_SENTENCE],
                factor="TRIM21",
                alteration="other",
                therapy="Radiotherapy",
                therapy_class="radiotherapy",
                cancer_type="esophageal squamous cell carcinoma",
                effect="promotes_resistance",
                mechanism_categories=["autophagy"],
            ),
            finding(
                d0,
                ["thereby activating autophagy and leading to radioresistance"],
                factor="protective autophagy",
                factor_type="pathway",
                alteration="upregulation",
                therapy="radiotherapy",
                therapy_class="radiotherapy",
                cancer_type="Esophageal squamous cell carcinoma",
                effect="promotes_resistance",
                mechanism_categories=["autophagy"],
            ),
        ],
    )
    d1 = read_document(str(seed("001")))
    p1 = summary(
        d1,
        "In multiple myeloma, extra copies of NEK2 together with loss of TP53 make tumours aggressive "
        "and resistant to bortezomib.",
        [
            finding(
                d1,
                [
                    "This combination of TP53 knockout and NEK2 overexpression induces asymmetric mitosis, "
                    "proliferation, drug resistance, and tumorigenic behaviors in MM in vitro and in vivo.",
                    "In contrast, delivery of wild type p53 and suppression of NEK2 in TP53−/− MM cell lines "
                    "inhibit tumor formation and enhance the effect of Bortezomib against MM.",
                ],
                factor="NEK2",
                alteration="overexpression",
                therapy="Bortezomib",
                cancer_type="multiple myeloma",
                effect="promotes_resistance",
                mechanism_categories=["cell_cycle"],
                evidence_level=["in_vitro", "in_vivo"],
            ),
            finding(
                d1,
                [
                    "This combination of TP53 knockout and NEK2 overexpression induces asymmetric mitosis, "
                    "proliferation, drug resistance, and tumorigenic behaviors in MM in vitro and in vivo."
                ],
                factor="TP53",
                alteration="deletion",
                therapy="bortezomib",
                cancer_type="multiple myeloma",
                effect="promotes_resistance",
            ),
        ],
    )
    d2 = read_document(str(seed("002")))
    p2 = summary(
        d2,
        "Liver cancer cells rich in the IGF-1 receptor resist sorafenib; silencing the receptor makes the "
        "drug work better.",
        [
            finding(
                d2,
                [
                    "Knockdown of IGF-1R by RNA interference decreased proliferation and cell migration and "
                    "upregulation of sorafenib-induced apoptosis of HCC cells."
                ],
                factor="IGF-1R",
                alteration="knockdown",
                therapy="Sorafenib",
                cancer_type="hepatocellular carcinoma",
                effect="reverses_resistance",
                mechanism="PI3K/Akt and RAS/Raf/ERK signalling",
                mechanism_categories=["survival_signaling", "apoptosis_evasion"],
                models=["SK-Hep1", "HepG2"],
            ),
            finding(
                d2,
                ["resulting in HCC resistance to sorafenib"],
                factor="IGF1R",
                alteration="overexpression",
                therapy="sorafenib",
                cancer_type="hepatocellular carcinoma",
                effect="promotes_resistance",
                mechanism_categories=["survival_signaling"],
            ),
        ],
        rejected_findings=[
            RejectedFinding(
                reason="evidence sentence 14 does not exist (the text has 9 sentences)",
                finding={
                    "factor": "SK-Hep1 xenografts",
                    "alteration": "other",
                    "therapy": "sorafenib",
                    "effect": "unclear",
                    "evidence": [14],
                },
            )
        ],
    )
    d3 = read_document(str(seed("003")))
    p3 = summary(
        d3,
        "ANT2 makes liver cancer cells resistant to sorafenib; restoring miR-137, which degrades ANT2, "
        "reverses that resistance.",
        [
            finding(
                d3,
                [
                    "In the present study, we found that adenine nucleotide translocator 2 (ANT2) was "
                    "upregulated in sorafenib-resistant HCC Huh7 cells (Huh7-R) and its overexpression "
                    "promoted sorafenib resistance."
                ],
                factor="ANT2",
                alteration="overexpression",
                therapy="sorafenib",
                cancer_type="hepatocellular carcinoma",
                effect="promotes_resistance",
                mechanism_categories=["cancer_stemness", "emt_metastasis"],
                models=["Huh7", "Huh7-R"],
            ),
            finding(
                d3,
                [
                    "miR-137 was downregulated in the Huh7-R cells, compared with that in the Huh7 cells and "
                    "its restoration reversed sorafenib resistance in the Huh7-R cells."
                ],
                factor="miR-137",
                factor_type="miRNA",
                alteration="overexpression",
                therapy="sorafenib",
                cancer_type="hepatocellular carcinoma",
                effect="reverses_resistance",
                mechanism="degrades ANT2",
                mechanism_categories=["cancer_stemness"],
                pathways_or_partners=["ANT2"],
                models=["Huh7-R"],
            ),
        ],
        rejected_findings=[
            RejectedFinding(
                reason="factor 'HIFU' is not named in the cited sentence 12",
                finding={"factor": "HIFU", "therapy": "sorafenib", "effect": "reverses_resistance"},
            )
        ],
    )
    return [(d0, p0), (d1, p1), (d2, p2), (d3, p3)]


def save(
    store: Store, run_id: int, doc: Document, paper: PaperSummary | None, error: str | None = None
) -> None:
    """Store one result the way the pipeline does."""
    store.save_result(
        key=result_key(doc.sha256, INFO.model, INFO.prompt_sha256, INFO.schema_version),
        run_id=run_id,
        info=INFO,
        doc_id=doc.doc_id,
        sha256=doc.sha256,
        path=doc.path,
        source_text=doc.text,
        paper=paper,
        error=error,
        calls=[],
        seconds=1.0,
    )


def build_store(path: Path) -> Store:
    """A store at ``path`` with the fixture papers, a rejected paper and two problems."""
    store = Store(path)
    run_id = store.start_run(INFO)
    for doc, paper in fixture_papers():
        save(store, run_id, doc, paper)
    d4 = read_document(str(seed("004")))
    save(
        store,
        run_id,
        d4,
        None,
        "invalid answer after 3 attempts: findings.0.effect: input should be one of …",
    )
    store.record_problem(
        run_id=run_id, doc_id="broken", path="inbox/broken.txt", kind="source", reason="file is empty"
    )
    store.record_problem(
        run_id=run_id,
        doc_id="slow",
        path="inbox/slow.txt",
        kind="failure",
        reason="APITimeoutError: request timed out after 600 s (6 attempts)",
    )
    store.finish_run(run_id, "done", {"docs_ok": 4, "docs_rejected": 1, "docs_failed": 2})
    return store
