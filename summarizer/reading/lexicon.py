"""Word lists that recognise therapies, cancers and non-factor acronyms in abstracts.

General vocabulary of the field, not of any one text: drug-name stems (the WHO INN stems that
make "-nib" a kinase inhibitor and "-platin" a platinum drug), drug names and abbreviations in
common use in oncology papers, the words for radiotherapy and immunotherapy, cancer nouns, and
acronyms that look like gene symbols but name assays, measures or diseases. This module holds
data only; ``mentions`` finds these words in a document.
"""

from __future__ import annotations

import re

RADIOTHERAPY = "radiotherapy"

# INN stems (and a few name endings) of anticancer drugs: a lower-case word ending so is a drug.
DRUG_STEMS = (
    "tinib", "fenib", "rafenib", "metinib", "lisib", "ciclib", "parib", "zomib", "rasib",
    "toclax", "degib", "rolimus", "olimus", "sertib", "platin", "taxel", "rubicin", "citabine",
    "rabine", "tecan", "poside", "fosfamide", "mustine", "trexate", "trexed", "lutamide", "trozole",
    "domide", "mab", "leucel", "mycin",
)  # fmt: skip

# Drug names no stem catches (lower case), with a few common alternative names -> one name.
DRUG_NAMES: dict[str, str] = {
    "5-fluorouracil": "5-fluorouracil",
    "fluorouracil": "5-fluorouracil",
    "5-fluoro-uracil": "5-fluorouracil",
    "capecitabine": "capecitabine",
    "tamoxifen": "tamoxifen",
    "4-hydroxytamoxifen": "tamoxifen",
    "fulvestrant": "fulvestrant",
    "exemestane": "exemestane",
    "abiraterone": "abiraterone",
    "goserelin": "goserelin",
    "leuprolide": "leuprolide",
    "raloxifene": "raloxifene",
    "temozolomide": "temozolomide",
    "dacarbazine": "dacarbazine",
    "vincristine": "vincristine",
    "vinblastine": "vinblastine",
    "vinorelbine": "vinorelbine",
    "eribulin": "eribulin",
    "melphalan": "melphalan",
    "chlorambucil": "chlorambucil",
    "busulfan": "busulfan",
    "mitoxantrone": "mitoxantrone",
    "hydroxyurea": "hydroxyurea",
    "dexamethasone": "dexamethasone",
    "prednisone": "prednisone",
    "prednisolone": "prednisolone",
    "arsenic trioxide": "arsenic trioxide",
    "all-trans retinoic acid": "all-trans retinoic acid",
    "retinoic acid": "all-trans retinoic acid",
    "cytosine arabinoside": "cytarabine",
    "cytarabine": "cytarabine",
    "sn-38": "irinotecan",
    "rapamycin": "sirolimus",
    "metformin": "metformin",
    "thalidomide": "thalidomide",
    "azacitidine": "azacitidine",
    "decitabine": "decitabine",
    "venetoclax": "venetoclax",
    "telaglenastat": "telaglenastat",
    "chloroquine": "chloroquine",
    "hydroxychloroquine": "hydroxychloroquine",
    "bevacizumab": "bevacizumab",
    "interferon": "interferon",
    "epothilone": "epothilone",
    "epothilone b": "epothilone B",
    # Older and brand names in common use: one drug, one name.
    "adriamycin": "doxorubicin",
    "cis-platinum": "cisplatin",
    "cis-diamminedichloroplatinum": "cisplatin",
    "taxol": "paclitaxel",
    "taxotere": "docetaxel",
    "gemzar": "gemcitabine",
    "xeloda": "capecitabine",
    "eloxatin": "oxaliplatin",
    "temodar": "temozolomide",
    "oncovin": "vincristine",
    "navelbine": "vinorelbine",
    "velcade": "bortezomib",
    "revlimid": "lenalidomide",
    "gleevec": "imatinib",
    "glivec": "imatinib",
    "iressa": "gefitinib",
    "tarceva": "erlotinib",
    "tagrisso": "osimertinib",
    "herceptin": "trastuzumab",
    "erbitux": "cetuximab",
    "avastin": "bevacizumab",
    "keytruda": "pembrolizumab",
    "opdivo": "nivolumab",
    "nexavar": "sorafenib",
    "zelboraf": "vemurafenib",
    "imbruvica": "ibrutinib",
    "venclexta": "venetoclax",
    "ibrance": "palbociclib",
    "lynparza": "olaparib",
    "nolvadex": "tamoxifen",
    "faslodex": "fulvestrant",
    "xtandi": "enzalutamide",
    "zytiga": "abiraterone",
    "camptothecin": "camptothecin",
}

# Abbreviations oncology papers use for drugs without always defining them (case-sensitive).
DRUG_ABBREVIATIONS: dict[str, str] = {
    "DDP": "cisplatin",
    "CDDP": "cisplatin",
    "5-FU": "5-fluorouracil",
    "5FU": "5-fluorouracil",
    "5-Fu": "5-fluorouracil",
    "PTX": "paclitaxel",
    "DTX": "docetaxel",
    "DOX": "doxorubicin",
    "ADR": "doxorubicin",
    "ADM": "doxorubicin",
    "GEM": "gemcitabine",
    "TMZ": "temozolomide",
    "OXA": "oxaliplatin",
    "L-OHP": "oxaliplatin",
    "Ara-C": "cytarabine",
    "MTX": "methotrexate",
    "VCR": "vincristine",
    "BTZ": "bortezomib",
    "ATO": "arsenic trioxide",
    "As2O3": "arsenic trioxide",
    "ATRA": "all-trans retinoic acid",
    "VP-16": "etoposide",
    "CPT-11": "irinotecan",
    "CBP": "carboplatin",
    "EPI": "epirubicin",
    "4-OHT": "tamoxifen",
    "TAM": "tamoxifen",
    "ABT-199": "venetoclax",
    "ABT-263": "navitoclax",
    "STI-571": "imatinib",
    "STI571": "imatinib",
    "BAY 43-9006": "sorafenib",
    "PLX4032": "vemurafenib",
    "AMG 510": "sotorasib",
    "MRTX849": "adagrasib",
    "AC220": "quizartinib",
    "PCI-32765": "ibrutinib",
    "MDV3100": "enzalutamide",
    "BGJ398": "infigratinib",
}

# Words for radiotherapy (matched case-insensitively; "IR"/"RT" only as whole upper-case words).
RADIATION_PATTERN = re.compile(
    r"\b(?:radio-?therap\w*|radiation(?:\s+therapy)?|(?:ionizing|ionising|gamma|γ-?)\s*(?:radiation|"
    r"irradiation|rays?)|(?:x-?ray\s+)?irradiat\w*|x-?rays?|chemoradi\w+|radiochemo\w+|"
    r"proton\s+(?:beam\s+)?therapy|carbon[- ]ion\w*)",
    re.IGNORECASE,
)
RADIATION_ABBREVIATIONS = re.compile(r"(?<![\w-])(?:IR|RT)(?![\w-])")

# Immunotherapies named by their target: written as the therapy ("anti-PD-1 therapy").
_TARGET = r"(?:PD-?1|PD-?L1|CTLA-?4|LAG-?3|TIM-?3|TIGIT|CD\d{1,3}|EGFR|HER2)"
_IMMUNE_TARGET = r"(?:PD-?1|PD-?L1|CTLA-?4|LAG-?3|TIM-?3|TIGIT)"
IMMUNE_PATTERN = re.compile(
    rf"(?i:\banti-{_TARGET}(?:\s+(?:antibod(?:y|ies)|monoclonal antibod(?:y|ies)|therapy|treatment|"
    rf"monotherapy|blockade))?|"
    rf"\b{_IMMUNE_TARGET}\s+(?:blockade|inhibitors?|inhibition|blocking antibod(?:y|ies))|"
    r"\b(?:immune\s+)?checkpoint\s+(?:blockade|inhibitors?|inhibition|therapy)|"
    r"\bchimeric antigen receptor(?:[- ]modified)?\s+T[- ]cells?)|"
    # CAR T only in capitals: "cart" is also an English word
    r"\bCART-?\d+\b|\bCAR[- ]?T(?:[- ]cells?)?(?:[- ](?:cell\s+)?therapy)?",
)

GENERIC_THERAPY_WORDS = re.compile(
    r"^(?:chemo(?:therapy|therapeutics?|therapeutic agents?|drugs?)?|drugs?|treatment|therapy|"
    r"anticancer drugs?|targeted therapy|immunotherapy|inhibitors?|agents?)$",
    re.IGNORECASE,
)

# Nouns that end a cancer name: "(non-small cell) lung cancer", "acute myeloid leukemia".
CANCER_NOUNS = (
    r"cancers?|carcinomas?|adenocarcinomas?|leuka?emias?|lymphomas?|myelomas?|melanomas?|"
    r"gliomas?|glioblastomas?|sarcomas?|osteosarcomas?|neuroblastomas?|mesotheliomas?|"
    r"blastomas?|tumou?rs?|neoplasms?|malignanc(?:y|ies)"
)
_CANCER_QUALIFIER = (
    r"(?:non-small[- ]cell|small[- ]cell|squamous[- ]cell|clear[- ]cell|triple[- ]negative|"
    r"castration[- ]resistant|hormone[- ]receptor[- ]positive|metastatic|advanced|primary|recurrent|"
    r"acute|chronic|ductal|serous|papillary|invasive|diffuse\s+large\s+B[- ]cell|B[- ]cell|T[- ]cell|"
    r"myeloid|lymphocytic|lymphoblastic|promyelocytic|myelogenous|hepatocellular|urothelial|"
    r"colorectal|gastric|pancreatic|ovarian|cervical|endometrial|bladder|breast|prostate|lung|"
    r"colon|rectal|oesophageal|esophageal|head\s+and\s+neck|oral|nasopharyngeal|thyroid|renal|"
    r"kidney|liver|brain|skin|bone|mammary|multiple|uveal|cutaneous|esophagus|stomach|hepatic|"
    r"biliary|gallbladder|anal|vulvar|vaginal|testicular|adrenal|pituitary|salivary|laryngeal|"
    r"pharyngeal|hypopharyngeal|tongue|gastrointestinal|neuroendocrine|epithelial|germ[- ]cell|"
    r"mantle[- ]cell|follicular|hodgkin|non-hodgkin|plasma[- ]cell|myelomonocytic|megakaryoblastic|"
    r"lobular|medullary|mucinous|anaplastic|basal[- ]like|luminal|HER2-positive|ER-positive|"
    r"(?:BRAF|KRAS|EGFR|ALK)(?:[- ][\w-]+)?[- ]mutant|hormone-sensitive|prostatic|cholangio|"
    r"osteo|soft[- ]tissue|head|neck)"
)
CANCER_PATTERN = re.compile(
    rf"\b(?:{_CANCER_QUALIFIER}[\s-]+){{1,5}}(?:{CANCER_NOUNS})\b|\b(?:glioblastoma|osteosarcoma|"
    rf"neuroblastoma|melanoma|glioma|multiple myeloma|myeloma|mesothelioma|leukemia|leukaemia)s?\b",
    re.IGNORECASE,
)
# Words before a cancer noun that do not belong to the cancer's name.
CANCER_NOISE_WORDS = frozenset(
    [
        "metastatic",
        "advanced",
        "primary",
        "recurrent",
        "human",
        "resistant",
        "chemoresistant",
        "refractory",
        "treated",
        "relapsed",
        "sensitive",
        "invasive",
        "resected",
        "early",
        "late",
        "stage",
        "the",
        "a",
        "an",
        "of",
        "in",
        "and",
        "or",
        "with",
    ]
)

# Upper-case tokens shaped like gene symbols that name something else in these texts.
NOT_FACTORS = frozenset(
    [
        "DNA",
        "RNA",
        "MRNA",
        "CDNA",
        "CTDNA",
        "CFDNA",
        "SIRNA",
        "SHRNA",
        "MIRNA",
        "LNCRNA",
        "CIRCRNA",
        "NCRNA",
        "CERNA",
        "RNAI",
        "CRISPR",
        "PCR",
        "RT-PCR",
        "QRT-PCR",
        "QPCR",
        "IC50",
        "IC90",
        "EC50",
        "GI50",
        "LD50",
        "CCK-8",
        "MTT",
        "EDU",
        "BRDU",
        "FACS",
        "ELISA",
        "IHC",
        "FISH",
        "NGS",
        "WES",
        "WGS",
        "SF2",
        "SF",
        "HR",
        "CI",
        "OR",
        "RR",
        "OS",
        "PFS",
        "DFS",
        "RFS",
        "EFS",
        "TTP",
        "ORR",
        "CR",
        "PR",
        "SD",
        "PD",
        "ITT",
        "ANOVA",
        "SEM",
        "SD",
        "USA",
        "UK",
        "EU",
        "FDA",
        "NIH",
        "WHO",
        "MESH",
        "PMID",
        "PMC",
        "DOI",
        "ATP",
        "ADP",
        "GTP",
        "NADPH",
        "ROS",
        "EMT",
        "NHEJ",
        "HRR",
        "DSB",
        "DSBS",
        "UV",
        "GY",
        "CT",
        "MRI",
        "PET",
        "TCGA",
        "GEO",
        "GSE",
        "KEGG",
        "GO",
        "GSEA",
        "WT",
        "KO",
        "KD",
        "NC",
        "OE",
        "VS",
        "IG",
        "IGG",
        "IGG1",
        "TKI",
        "TKIS",
        "AI",
        "AIS",
        "SERD",
        "SERM",
        "ADC",
        "ADCC",
        "CDC",
        "CDCC",
        "ICI",
        "ICIS",
        "ICB",
        "CAR",
        "CART",
        "HSC",
        "HSCS",
        "CSC",
        "CSCS",
        "GSC",
        "GSCS",
        "TIL",
        "TILS",
        "TME",
        "TMB",
        "MSI",
        "MSS",
        "CNV",
        "SNV",
        "SNP",
        "LOH",
        "ITD",
        "TKD",
        "PR",
        "HER",
        "PGR",
        "AJCC",
        "TNM",
        "ECOG",
        "II",
        "III",
        "IV",
        "I",
        "V",
        "VI",
        "RECIST",
        "NSCLC",
        "SCLC",
        "HCC",
        "CRC",
        "GC",
        "AML",
        "CLL",
        "CML",
        "ALL",
        "MM",
        "APL",
        "PDAC",
        "ESCC",
        "HNSCC",
        "OSCC",
        "NPC",
        "TNBC",
        "CRPC",
        "MCRPC",
        "DLBCL",
        "MDS",
        "GBM",
        "LUAD",
        "LUSC",
        "BLCA",
        "OC",
        "EOC",
        "RCC",
        "ccRCC",
        "UC",
        "MIBC",
        "NMIBC",
        "B-ALL",
        "T-ALL",
        "HL",
        "NHL",
        "MCL",
        "FL",
        "CTCL",
        "RNAS",
        "CIRCRNAS",
        "LNCRNAS",
        "MIRNAS",
        "CPG",
        "HLA",
        "GDP",
        "NAD",
        "NADH",
        "FIGO",
        "LBD",
        "RING",
        "SUMO",
        "PDF",
        "DMSO",
        "PBS",
        "FBS",
    ]
)
# Units and measures that look like symbols after a number ("2 Gy", "48 h").
UNIT_WORDS = frozenset(["GY", "H", "MIN", "NM", "UM", "MM", "MG", "KG", "ML"])

# Gene and protein names oncology abstracts use side by side for one gene (lower case, dashes
# dropped): grouped so one factor is one finding. The normalisation index, where installed,
# knows every HGNC alias; this short list covers the pairs that meet within one abstract.
GENE_ALIASES: dict[str, str] = {
    "p53": "tp53",
    "p63": "tp63",
    "p73": "tp73",
    "her2": "erbb2",
    "neu": "erbb2",
    "her3": "erbb3",
    "her4": "erbb4",
    "her1": "egfr",
    "erbb1": "egfr",
    "pgp": "abcb1",
    "pglycoprotein": "abcb1",
    "mdr1": "abcb1",
    "bcrp": "abcg2",
    "mrp1": "abcc1",
    "ho1": "hmox1",
    "cmyc": "myc",
    "nrf2": "nfe2l2",
    "pdl1": "cd274",
    "pd1": "pdcd1",
    "chk1": "chek1",
    "chk2": "chek2",
    "cd133": "prom1",
    "gr": "nr3c1",
    "era": "esr1",
    "er": "esr1",
    "igf1r": "igf1r",
    "plcg2": "plcg2",
    "survivin": "birc5",
    "bcrabl": "bcrabl1",
    "bcrabl1": "bcrabl1",
}

# What well-known targeted drugs and antibodies act on (group keys of ``candidates.group_key``).
# A finding whose factor is its therapy's own target, lowered by the drug's kind of action
# ("EGFR blockade" with cetuximab), restates how the drug works rather than a resistance factor.
DRUG_TARGETS: dict[str, tuple[str, ...]] = {
    "cetuximab": ("egfr",), "panitumumab": ("egfr",), "gefitinib": ("egfr",), "erlotinib": ("egfr",),
    "afatinib": ("egfr",), "osimertinib": ("egfr",), "lapatinib": ("egfr", "erbb2"),
    "trastuzumab": ("erbb2",), "pertuzumab": ("erbb2",), "nivolumab": ("pdcd1",),
    "pembrolizumab": ("pdcd1",), "atezolizumab": ("cd274",), "durvalumab": ("cd274",),
    "avelumab": ("cd274",), "ipilimumab": ("ctla4",), "daratumumab": ("cd38",),
    "rituximab": ("cd20", "ms4a1"), "enzalutamide": ("ar",), "bicalutamide": ("ar",),
    "apalutamide": ("ar",), "darolutamide": ("ar",), "tamoxifen": ("esr1",), "fulvestrant": ("esr1",),
    "imatinib": ("bcrabl1", "abl1", "abl", "kit"), "dasatinib": ("bcrabl1", "abl1", "abl"),
    "nilotinib": ("bcrabl1", "abl1", "abl"), "crizotinib": ("alk", "met", "ros1"), "alectinib": ("alk",),
    "ceritinib": ("alk",), "lorlatinib": ("alk",), "brigatinib": ("alk",), "vemurafenib": ("braf",),
    "dabrafenib": ("braf",), "encorafenib": ("braf",), "trametinib": ("map2k1", "mek"),
    "ibrutinib": ("btk",), "acalabrutinib": ("btk",), "zanubrutinib": ("btk",), "venetoclax": ("bcl2",),
    "palbociclib": ("cdk4", "cdk6"), "ribociclib": ("cdk4", "cdk6"), "abemaciclib": ("cdk4", "cdk6"),
    "olaparib": ("parp1",), "niraparib": ("parp1",), "sotorasib": ("kras",), "adagrasib": ("kras",),
    "quizartinib": ("flt3",), "gilteritinib": ("flt3",), "midostaurin": ("flt3",),
    "everolimus": ("mtor",), "sirolimus": ("mtor",), "bortezomib": ("psmb5",),
}  # fmt: skip
