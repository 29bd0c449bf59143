"""Small hand-written tables the registry data lacks, used when the normalisation index is built.

Written for this project from common oncology usage (MIT, like the code). Each entry names its
target by the target's own label in the registry data (a drug name, a Disease Ontology label, a
MeSH id), and the build refuses an entry whose target it cannot find exactly once, so a table entry
can never invent an identifier. None of it was taken from the gold answers.
"""

from __future__ import annotations

# Laboratory and clinical abbreviations of anticancer drugs that the drug dictionaries lack (or
# hold for something else). Read in a therapy field only: "PTX" there is paclitaxel, not
# pertussis toxin. Abbreviations that stand for two cancer drugs in common use (CTX:
# cyclophosphamide or cetuximab) are left out on purpose.
DRUG_ABBREVIATIONS: dict[str, str] = {
    "DDP": "cisplatin",
    "CDDP": "cisplatin",
    "cis-DDP": "cisplatin",
    "5-FU": "fluorouracil",
    "5FU": "fluorouracil",
    "Ara-C": "cytarabine",
    "AraC": "cytarabine",
    "ADR": "doxorubicin",
    "ADM": "doxorubicin",
    "DOX": "doxorubicin",
    "EPI": "epirubicin",
    "TMZ": "temozolomide",
    "GEM": "gemcitabine",
    "PTX": "paclitaxel",
    "DTX": "docetaxel",
    "L-OHP": "oxaliplatin",
    "OXA": "oxaliplatin",
    "OXP": "oxaliplatin",
    "CBP": "carboplatin",
    "CPT-11": "irinotecan",
    "MTX": "methotrexate",
    "VCR": "vincristine",
    "VP-16": "etoposide",
    "ATRA": "tretinoin",
    "ATO": "arsenic trioxide",
    "BTZ": "bortezomib",
    "MMC": "mitomycin",
    "DAC": "decitabine",
    "5-Aza": "azacitidine",
    "IFO": "ifosfamide",
}

# Cancer abbreviations, each to the Disease Ontology label it stands for. They rank above the
# ontologies' own synonyms, some of which are loose ("CLL" is also listed for "chronic leukemia").
CANCER_ABBREVIATIONS: dict[str, str] = {
    "NSCLC": "lung non-small cell carcinoma",
    "SCLC": "lung small cell carcinoma",
    "LUAD": "lung adenocarcinoma",
    "LUSC": "lung squamous cell carcinoma",
    "HCC": "hepatocellular carcinoma",
    "ESCC": "esophagus squamous cell carcinoma",
    "EAC": "esophagus adenocarcinoma",
    "HNSCC": "head and neck squamous cell carcinoma",
    "OSCC": "oral squamous cell carcinoma",
    "NPC": "nasopharynx carcinoma",
    "CRC": "colorectal cancer",
    "GC": "stomach cancer",
    "PDAC": "pancreatic ductal adenocarcinoma",
    "TNBC": "triple-receptor negative breast cancer",
    "GBM": "glioblastoma",
    "RCC": "renal cell carcinoma",
    "ccRCC": "clear cell renal cell carcinoma",
    "CRPC": "castration-resistant prostate carcinoma",
    "AML": "acute myeloid leukemia",
    "CML": "chronic myeloid leukemia",
    "CLL": "chronic lymphocytic leukemia",
    "ALL": "acute lymphoblastic leukemia",
    "B-ALL": "B-cell acute lymphoblastic leukemia",
    "T-ALL": "T-cell acute lymphoblastic leukemia",
    "APL": "acute promyelocytic leukemia",
    "MM": "multiple myeloma",
    "DLBCL": "diffuse large B-cell lymphoma",
    "MCL": "mantle cell lymphoma",
    "EOC": "ovarian carcinoma",
}

# Therapies that are not one drug: (MeSH id, the MeSH label it must carry, our name, names).
# The MeSH label is checked against the shipped MeSH table when the index is built.
THERAPY_TERMS: list[tuple[str, str, str, tuple[str, ...]]] = [
    (
        "D011878",
        "Radiotherapy",
        "radiotherapy",
        (
            "radiotherapy",
            "radiation therapy",
            "radiation",
            "irradiation",
            "ionizing radiation",
            "ionising radiation",
            "ionizing irradiation",
            "X-ray",
            "X-rays",
            "X-ray irradiation",
            "gamma irradiation",
            "gamma-ray irradiation",
            "RT",
            "IR",
        ),
    ),
    ("D059248", "Chemoradiotherapy", "chemoradiotherapy", ("chemoradiotherapy", "chemoradiation", "CRT")),
    (
        "D000082082",
        "Immune Checkpoint Inhibitors",
        "immune checkpoint inhibitor",
        ("immune checkpoint inhibitor", "immune checkpoint blockade", "ICI", "ICB", "checkpoint blockade"),
    ),
]

# Antibody and CAR-T therapies named by their target ("anti-PD-1 antibodies", "CART-19"): the
# MeSH class each belongs to. The target itself is looked up among the genes at run time.
ANTIBODY_CLASS = ("D000911", "Antibodies, Monoclonal")
CAR_T_CLASS = ("D000076962", "Receptors, Chimeric Antigen")


# --- links ------------------------------------------------------------------------------------

_URLS = {
    "HGNC": "https://www.genenames.org/data/gene-symbol-report/#!/hgnc_id/HGNC:{}",
    "miRBase": "https://www.mirbase.org/hairpin/{}",
    "DrugBank": "https://go.drugbank.com/drugs/{}",
    "CHEBI": "https://www.ebi.ac.uk/chebi/searchId.do?chebiId=CHEBI:{}",
    "CHEMBL": "https://www.ebi.ac.uk/chembl/compound_report_card/{}/",
    "MESH": "https://meshb.nlm.nih.gov/record/ui?ui={}",
    "DOID": "https://disease-ontology.org/?id=DOID:{}",
    "NCIT": "https://ncit.nci.nih.gov/ncitbrowser/ConceptReport.jsp?dictionary=NCI_Thesaurus&code={}",
    "FPLX": "https://identifiers.org/fplx:{}",
    "NCBIGene": "https://www.ncbi.nlm.nih.gov/gene/{}",
    "UniProt": "https://www.uniprot.org/uniprotkb/{}",
    "Ensembl": "https://www.ensembl.org/id/{}",
}


def registry_url(curie: str) -> str | None:
    """The registry page of an id ('HGNC:5013' -> genenames.org); an antibody or CAR-T term links
    to its target gene. None for an unknown prefix."""
    if curie.startswith(("anti:", "CAR-T:")):
        curie = curie.split(":", 1)[1]
    prefix, _, local = curie.partition(":")
    template = _URLS.get(prefix)
    return template.format(local) if template and local else None
