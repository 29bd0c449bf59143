"""The cue words ``direction`` reads a sentence with: what was done to a factor, what happened to the
response, and the phrases that negate, hedge or tie an outcome to a factor.

Word lists only (regular expressions); ``direction`` holds the reading that combines them.
"""

from __future__ import annotations

import re

# --- the factor's change ------------------------------------------------------------------------

DECREASE_WORDS = (
    r"knock-?down|knock-?out|knocking\s+down|silencing|silenced|suppression|suppressing|suppressed|"
    r"inhibition|inhibiting|inhibited|depletion|depleting|depleted|deletion|deleting|deleted|loss|lost|"
    r"lack|lacking|absence|absent|reduced|reducing|reduction|decreased|decreasing|down-?regulation|"
    r"down-?regulating|down-?regulated|low|lower|deficiency|deficient|blocking|blocked|blockade|"
    r"neutrali[sz]ing|neutrali[sz]ation|targeting|si-?RNAs?|sh-?RNAs?|small\s+interfering\s+RNAs?|"
    r"inactivating|inactivation|inactivated|degrading|degradation|disruption|disrupting|ablation|"
    r"antagonising|antagonizing|antagomirs?|sponging|sponges|sponged|sponge\s+(?:for|of)|sequestering|"
    r"(?:antisense\s+)?(?:oligonucleotides?|ASOs?|siRNAs?|shRNAs?)\s+(?:against|targeting|to)|"
    r"sequesters|sequestered|repressing|represses|repression|loss-of-function\s+mutations?"
)
INCREASE_WORDS = (
    r"over-?expression|over-?expressing|over-?expressed|up-?regulation|up-?regulated|up-?regulating|"
    r"high|higher|elevated|elevation|increased|increasing|enhanced|restoration|restoring|restored|"
    r"re-?expression|re-?expressing|delivery|exogenous|activation|activating|activated|amplification|"
    r"amplified|gain|ectopic|ectopically\s+expressed|enforced|forced|transfection|derepressing|"
    r"derepression|de-?repress(?:es|ed)?|induction|inducing|overproduction|excess|mimics?\s+of|agomirs?\s+of"
)
MUTATION_BEFORE = (
    r"mutations?\s+(?:in|of|at|within|affecting)|mutant|mutated|acquired|point\s+mutations?\s+in|"
    r"substitutions?\s+(?:in|at|of)|variants?\s+of|alterations?\s+(?:in|of)|activating\s+mutations?\s+in"
)
DECREASE_BEFORE = re.compile(
    rf"\b(?:{DECREASE_WORDS})\s+(?:of\s+|against\s+|by\s+)?(?:the\s+)?(?:expression\s+of\s+)?"
    r"(?:(?!and\b|or\b|with\b)[\w-]+\s+)?$",
    re.IGNORECASE,
)
INCREASE_BEFORE = re.compile(
    rf"\b(?:{INCREASE_WORDS})\s+(?:of\s+)?(?:the\s+)?(?:wild[- ]type\s+)?(?:expression\s+of\s+)?"
    r"(?:levels?\s+of\s+)?(?:(?!and\b|or\b|with\b)[\w-]+\s+)?$",
    re.IGNORECASE,
)
MUTATION_BEFORE_RE = re.compile(rf"\b(?:{MUTATION_BEFORE})\s+(?:the\s+)?(?:[\w-]+\s+){{0,3}}$", re.IGNORECASE)
DECREASE_AFTER = re.compile(
    r"^(?:\s*[-−]/[-−]|-(?:deficient|null|knockdown|knockout|silenced|depleted|negative|low|loss|"
    r"targeting|deleted|inactivated)\b|\s*(?:gene\s+|protein\s+|expression\s+|mRNA\s+)?"
    r"(?:knock-?down|knock-?out|silencing|depletion|deletion|loss|deficien\w*|inhibition|"
    r"down-?regulation|inhibitors?|antagomirs?|blockade|neutrali[sz]ation)\b|"
    r"(?:,\s[^,;]{1,60},)?\s+(?:expression\s+|levels?\s+|protein\s+)?(?:was|were|is|are|being|became|remained)\s+"
    r"(?:\w+ly\s+)?(?:down-?regulated|reduced|decreased|lost|silenced|deleted|suppressed|inhibited|"
    r"knocked\s+down|depleted|lower|low|absent|undetectable|inactivated)\b|"
    r"\s+(?:can|could)\s+no\s+longer\s+be\s+detected)",
    re.IGNORECASE,
)
INCREASE_AFTER = re.compile(
    r"^(?:-(?:overexpressing|high|positive|amplified|active|expressing)\b|\s*(?:gene\s+|protein\s+|"
    r"mRNA\s+)?(?:over-?expression|up-?regulation|amplification|activation|restoration|"
    r"re-?expression|mimics?|agomirs?|overproduction|induction|signall?ing\s+activity|re-?activation)\b|"
    r"(?:,\s[^,;]{1,60},)?\s+(?:expression\s+|levels?\s+|protein\s+|activity\s+)?(?:was|were|is|are|being|became|remained)\s+"
    r"(?:\w+ly\s+)?(?:up-?regulated|over-?expressed|elevated|increased|amplified|activated|restored|"
    r"highly\s+expressed|higher|high|induced|enriched|stabili[sz]ed)\b|,?\s+highly\s+expressed\b|"
    r"\s+(?:rose|increased|accumulated))",
    re.IGNORECASE,
)
MUTATION_AFTER = re.compile(
    r"^(?:-(?:mutant|mutated|mutations?)\b|\s+(?:[\w-]+\s+){0,2}?(?:domain\s+)?(?:mutations?|mutants?|variants?|"
    r"substitutions?)\b|\s+(?:p\.)?[A-Z]\d{2,4}(?:[A-Z]|fs|del|ins|\*)(?:\s+|,|$)|"
    r"\s*\([A-Z]\d{2,4}[A-Z]\))",
)
ITS_DECREASE = re.compile(
    r"\b(?:its|their)\s+(?:knock-?down|silencing|depletion|inhibition|loss|deletion|suppression|"
    r"down-?regulation)",
    re.IGNORECASE,
)
ITS_INCREASE = re.compile(
    r"\b(?:its|their)\s+(?:over-?expression|restoration|up-?regulation|re-?expression|activation|"
    r"delivery|amplification)",
    re.IGNORECASE,
)

# --- the response -------------------------------------------------------------------------------

# Nouns: what a resistant or a sensitive response is made of.
RES_NOUN = (
    r"(?:chemo-?|radio-?|drug\s+|multidrug\s+|acquired\s+|cross-?)?resistance|tolerance|IC50s?|"
    r"half-maximal\s+inhibitory\s+concentrations?|(?:clonogenic|cell)\s+survival|"
    r"survival\s+(?:after|under|following|of\s+(?:the\s+)?(?:\w+\s+)?cells)|viability|escape|relapse"
)
SEN_NOUN = (
    r"(?:chemo-?|radio-?|drug\s+)?sensitivity|chemosensitivity|radiosensitivity|responsiveness|"
    r"(?:chemo-?|radio-?|re-?)?sensiti[sz]ation|"
    r"response|responses|efficacy|effects?\s+of|anti-?tumou?r\s+(?:activity|effects?)|cytotoxicity|"
    r"(?:[\w-]+[- ]induced\s+)?apoptosis|(?:[\w-]+[- ](?:induced|mediated)\s+)?(?:cell\s+)?(?:death|"
    r"killing|lysis)|benefit|inhibitory\s+effects?|CDC|ADCC|complement-dependent\s+cytotoxicity|"
    r"[\w-]+[- ]induced\s+(?:suppression|inhibition|(?:G[12](?:/[SM])?\s+)?arrest|DNA\s+damage)"
)
UP_VERB = (
    # Verb forms only: "mediator", "driver", "cause" and "inducer" are nouns.
    r"increas\w*|enhanc\w*|promot(?:e|es|ed|ing)\b|induc(?:e|es|ed|ing)\b|confer\w*|caus(?:es|ed|ing)\b|"
    r"driv(?:e|es|en|ing)\b|drove|restor\w*|improv\w*|"
    r"augment\w*|potentiat\w*|rais\w*|elevat\w*|mediat(?:e|es|ed|ing)\b|contribut\w*\s+to|facilitat\w*|"
    r"strengthen\w*|boost\w*|sustain\w*|rescu\w*|reinstat\w*|re-?establish\w*|produc\w*|trigger\w*|accelerat\w*|"
    r"underl\w*|accounts?\s+for|accounted\s+for|leads?\s+to|led\s+to|results?\s+in|resulted\s+in|"
    r"licens\w*|allow\w*|permit\w*|enabl\w*|up[- ]?regulat\w*"
)
DOWN_VERB = (
    r"decreas\w*|reduc\w*|lower\w*|impair\w*|diminish\w*|attenuat\w*|abolish\w*|abrogat\w*|revers\w*|"
    r"overc[oa]m\w*|counteract\w*|alleviat\w*|blunt\w*|limit\w*|restrain\w*|undermin\w*|"
    r"suppress(?:es|ed|ing)?\b|inhibit(?:s|ed|ing)?\b|block(?:s|ed|ing)?\b|prevent\w*|weaken\w*|"
    r"eliminat\w*|compromis\w*|negat(?:e|es|ed|ing)\b|antagoni[sz](?:e|es|ed|ing)\b|dampen\w*|curtail\w*|los[te]\b|offset\w*|cancel\w*|annul\w*|delay\w*|postpon\w*|forestall\w*|"
    r"down[- ]?regulat\w*"
)
# Up to five words between a verb and its noun, none of them a conjunction or another such verb
# ("reduced MGMT expression and increased cell death" is two phrases, not "reduced ... death").
W_NO_AND = (
    rf"(?:(?!(?:and|or|but|whereas|while|which|that)\b)(?!(?:{UP_VERB}|{DOWN_VERB})\b)"
    r"[\w/()+.'-]+,?\s+){0,6}?"
)
W = (
    rf"(?:(?!(?:but|whereas|while|which|that)\b)(?!(?:{UP_VERB}|{DOWN_VERB})\b)"
    r"[\w/()+.'-]+,?\s+){0,5}?"
)
VERB_NOUN = re.compile(
    rf"\b(?P<verb>{UP_VERB}|{DOWN_VERB})\s+{W}(?P<noun>{RES_NOUN}|{SEN_NOUN})\b",
    re.IGNORECASE,
)
NOUN_PASSIVE = re.compile(
    rf"\b(?P<noun>{RES_NOUN}|{SEN_NOUN})\s+(?:[\w-]+\s+){{0,3}}?(?:was|were|is|are|been|being|could\s+be|"
    rf"can\s+be)\s+(?:\w+ly\s+)?(?P<verb>{UP_VERB}|{DOWN_VERB})\b",
    re.IGNORECASE,
)
SENSITIVE_WORDS = re.compile(
    r"\b(?:re-?)?sensiti[sz](?:ed|es|ing|ation)\b|\bmore\s+(?:sensitive|responsive|susceptible)\b|"
    r"\bless\s+(?:resistant|tolerant)\b|\bradiosensitized\b|\bchemosensitized\b|"
    r"\bresponded\s+(?:better|well)\b",
    re.IGNORECASE,
)
RESISTANT_WORDS = re.compile(
    r"\bdesensiti[sz]\w*|\bless\s+(?:sensitive|responsive|susceptible)\b|\bmore\s+resistant\b|"
    r"\bresponded\s+less\b|\b(?:became|become|becomes|render\w*|made|make|makes)\s+(?:[\w-]+\s+){0,6}?"
    r"(?:cross-)?(?:resistant|refractory|insensitive|unresponsive|tolerant)\b|"
    r"\b(?:developed|develop|acquired|acquire)\s+(?:\w+\s+){0,2}?resistance\b|"
    r"\b(?:mechanisms?|causes?|routes?|drivers?|mediators?|basis|determinants?|sources?)\s+of\s+"
    r"(?:[\w-]+\s+){0,3}?(?:resistance|relapse|recurrence)\b|"
    r"\brelapse[ds]?\s+(?:on|after|during)\b|\bprogress\w*\s+on\b|\bescap\w*\s+(?:from\s+)?(?:killing|"
    r"the\s+drug|therapy|treatment|radiotherapy|radiation|irradiation)\b|"
    r"\bresponded\s+poorly\b|\bpoor(?:er)?\s+(?:clinical\s+)?response\b|\bresist(?:ed|s)\b|"
    r"\bsurviv\w+\s+(?:\w+\s+){0,2}?(?:radiation|irradiation|treatment|therapy|exposure)\b|"
    r"\brecurrence\s+after\b|\bprotect\w*\s+(?:[\w-]+\s+){0,4}?from\b|\bresist\b|"
    r"\bno\s+longer\s+(?:be\s+)?(?:inhibited|suppressed|killed|blocked|responsive)\b|"
    r"\b(?:key\s+|main\s+|major\s+)?reasons?\s+for\s+(?:the\s+)?(?:poor|limited|reduced|lack\s+of)\b|"
    r"\b(?:resistance|relapse)\s+(?:to\s+)?(?:[\w-]+\s+){0,8}?(?:through|via|due\s+to|owing\s+to|because\s+of)\b",
    re.IGNORECASE,
)
# "in DDP-resistant cells": the state of the cells, an association rather than a change.
RESISTANT_STATE = re.compile(
    r"\b(?:[\w-]+[- ])?(?:resistant|refractory|non-?responders?|insensitive)\b|\bresponded\s+poorly\b|"
    r"\bpoor\s+(?:clinical\s+)?response\b|\brelapsed?\b",
    re.IGNORECASE,
)
SENSITIVE_STATE = re.compile(r"\b(?:[\w-]+[- ])?sensitive\b|\bresponders\b", re.IGNORECASE)
# "patients who had become refractory": a description of the patients, not an outcome.
STATE_CLAUSE = re.compile(
    r"\b(?:who|that|which)\s+(?:had\s+|have\s+)?(?:become|became|were|was|are|is|relapsed|progressed)\b"
    r"[^,;]*",
    re.IGNORECASE,
)

# A negated, unchanged, hoped-for or hypothesised result is not a stated result.
NEGATION = re.compile(
    r"\b(?:not|no|neither|nor|never|failed\s+to|unaffected|unchanged|unaltered|irrespective|regardless|"
    # "apoptosis was comparable", "to a similar degree": no difference ("comparable gains" is one)
    r"(?:was|were|is|are|remained)\s+(?:\w+\s+)?(?:comparable|similar)|(?:comparable|similar)\s+(?:to|between|"
    r"in|with|across)|to\s+a\s+similar\s+(?:degree|extent)|independent\s+of|may|might|whether|aims?|aimed|"
    r"objective|remain\w*\s+"
    r"(?:sensitive|responsive|susceptible)|retain\w*\s+(?:\w+\s+)?sensitivity|"
    r"hypothes\w*|postulat\w*|propos\w*|hopes?|unclear|unknown|remains?\s+to|has\s+been\s+linked|"
    r"have\s+been\s+linked|have\s+been\s+implicated|has\s+been\s+implicated|is\s+thought|are\s+thought|"
    r"rationale\s+for|warrants?|targets?\s+for|support\w*\s+(?:clinical\s+)?(?:trials?|testing|"
    r"evaluation|use))\b",
    re.IGNORECASE,
)
# Words that make a whole clause a hypothesis or a report of others' ideas, wherever they stand.
HEDGE = re.compile(
    r"\b(?:propos\w*|hypothes\w*|postulat\w*|whether|is\s+thought|are\s+thought)\b", re.IGNORECASE
)
NOT_NEGATION = re.compile(r"\bno\s+longer\b|\bnot\s+only\b", re.IGNORECASE)

# "A sensitized cells, whereas B restoration abolished the effect": each clause has its own subject.
CLAUSE_BREAK = re.compile(r";\s+|:\s+|,?\s+\b(?:whereas|while|but|although|however)\b,?\s+", re.IGNORECASE)
# ", and they ..." starts a clause with its own subject; ", and enhanced ..." continues the last one.
AND_BREAK = re.compile(
    r",\s+and\s+(?=(?:the|this|these|those|they|it|its|we|our|a|an|in|that)\b|[A-Z]|mi[Rr]-|circ|lnc|let-)"
)

# Phrases that tie an outcome noun to the factor: "X-induced resistance", "resistance conferred by X".
AGENT_SUFFIX = re.compile(
    rf"^(?:\s+(?:overexpression|upregulation|expression|activity|signall?ing|amplification))?"
    rf"[- ](?:induced|mediated|driven|dependent|conferred|associated|triggered|promoted|caused|"
    rf"related|elicited|produced)\s+(?:(?:[\w-]+)\s+){{0,2}}?(?P<noun>{RES_NOUN}|{SEN_NOUN})\b",
    re.IGNORECASE,
)
AGENT_PASSIVE = re.compile(
    rf"\b(?P<noun>{RES_NOUN}|{SEN_NOUN})\s+(?:[\w-]+\s+){{0,2}}?(?:conferred|induced|caused|mediated|"
    rf"driven|produced|promoted|triggered|elicited|afforded|provided)\s+by\s+(?:the\s+)?(?:[\w-]+\s+){{0,2}}?$",
    re.IGNORECASE,
)
AGENT_VERB = re.compile(
    rf"^[),]?(?:\s+(?:\w+ly|alone|itself|directly|also|thereby|in\s+turn|activity|signall?ing|expression|"
    rf"(?:in|of|from|on|at|by)\s+(?:the\s+)?(?:[\w-]+\s+){{0,3}}?[\w-]+))?"
    rf"(?:\s+{W_NO_AND}and)?\s+(?P<verb>{UP_VERB}|{DOWN_VERB})\s+{W}(?P<noun>{RES_NOUN}|{SEN_NOUN})\b",
    re.IGNORECASE,
)
# "X as a key mechanism of resistance", "X is a mediator of resistance".
AGENT_AS = re.compile(
    r"^[),]?\s+(?:[\w-]+\s+){0,3}?(?:as|is|was|are|were)\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:mechanisms?|causes?|reasons?|drivers?|mediators?|determinants?|routes?|basis)\s+(?:of|for|to)\s+"
    rf"(?:the\s+)?(?:[\w-]+\s+){{0,3}}?(?P<noun>{RES_NOUN}|poor\s+(?:clinical\s+)?response)\b",
    re.IGNORECASE,
)
# "resistance ... through X", "resistance via X": X is how the stated outcome comes about.
THROUGH = re.compile(
    r"\b(?:through|via|by|owing\s+to|due\s+to)\s+(?:the\s+)?(?:[\w-]+\s+){0,2}?$", re.IGNORECASE
)
AGENT_SENSITIZES = re.compile(
    r"^(?:\s+(?:\w+ly|alone|itself|also))?\s+(?:re-?)?sensiti[sz](?:es|ed)\b", re.IGNORECASE
)
# "KEAP1-deficient cells", "H19-overexpressing cells": the factor describes the cells.
SETTING = re.compile(
    r"^\s+[A-Z]\d{1,4}[A-Z]\s+(?:[\w-]+\s+){0,3}?(?:cancers?|CRC|NSCLC|cells|tumou?rs|melanomas?|patients)\b|"
    r"^(?:\s+[A-Z]\d{1,4}[A-Z])?(?:-/-|-(?:deficient|null|negative|positive|mutant|mutated|overexpressing|"
    r"expressing|silenced|knockdown|high|low|active|amplified))\s+(?:[\w-]+\s+){0,4}?(?:cells?|lines?|"
    r"tumou?rs|xenografts|blasts|NSCLC|patients|cancers?|models?)\b",
    re.IGNORECASE,
)
RELIEF = re.compile(
    r"\b(?:reliev|alleviat|releas|abolish|abrogat|prevent)\w*\s+(?:[\w-]+\s+){0,3}?$", re.IGNORECASE
)
# "X mediates apoptosis": cell biology, not the response to a therapy (a drug-induced one is).
PREPOSITION_BEFORE = re.compile(
    r"\b(?:against|of|with|to|for|in|on|from|into|at|by|targeting)\s+(?:the\s+|a\s+|an\s+)?$", re.IGNORECASE
)
BARE_CELL_FATE = re.compile(r"apoptosis|(?:cell\s+)?death|killing|lysis", re.IGNORECASE)
RADIATION_AGENT = re.compile(r"^(?:IR|RT|X-?ray|radiation|irradiation|[A-Z]{2,5})$")
DRUG_ACTOR = re.compile(r"\binhibitors?\b|\bantagonists?\b|\bantibod(?:y|ies)\b", re.IGNORECASE)

LIST_DECREASE = re.compile(
    rf"\b(?:{DECREASE_WORDS})\s+(?:of\s+)?(?:[\w-]+,\s+){{0,3}}[\w-]+,?\s+(?:and|or)\s+$", re.IGNORECASE
)
LIST_INCREASE = re.compile(
    rf"\b(?:{INCREASE_WORDS})\s+(?:of\s+)?(?:[\w-]+,\s+){{0,3}}[\w-]+,?\s+(?:and|or)\s+$", re.IGNORECASE
)
