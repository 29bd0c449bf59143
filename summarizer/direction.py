"""Reading a finding's direction off its evidence sentence with cue words.

Direction flips are the commonest error of small models on this task ("reduced HO-1 sensitized
cells" read as HO-1 being a sensitizer). Abstracts state direction with a small set of
phrasings, so each sentence is read literally, in three parts:

* the factor's CHANGE, from the words right around its mention: increased (overexpression, high,
  amplified, restored, mimic), decreased (knockdown, silencing, loss, low, sponging, inhibitor),
  mutated (mutation, a variant like G12C), or merely present;
* the OUTCOME of the response, from a verb acting on a response noun: "restored sensitivity",
  "reversed resistance" and "lowered the IC50" are sensitive; "attenuated the chemosensitivity",
  "conferred resistance" and "relapse" are resistant. A negating verb flips the noun it acts on,
  so the same two short lists cover both; "resistant cells" as a description of the cells is an
  association, used only with an explicit change of the factor ("X was low in resistant cells");
* the factor's own outcome where a phrase ties one to it: "X-induced resistance", "sensitivity
  conferred by X", "X drives resistance" (the factor as the agent).

The role follows by rule: more factor with resistance, or less factor with sensitivity, is
pro-resistance. Negated, hedged or aim sentences give no reading; neither do missing or
disagreeing cues. The caller then asks the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .sources import normalize_spaces

Change = Literal["increased", "decreased", "mutated", "present"]
Outcome = Literal["resistant", "sensitive"]


# --- the factor's change ------------------------------------------------------------------------

_DECREASE_WORDS = (
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
_INCREASE_WORDS = (
    r"over-?expression|over-?expressing|over-?expressed|up-?regulation|up-?regulated|up-?regulating|"
    r"high|higher|elevated|elevation|increased|increasing|enhanced|restoration|restoring|restored|"
    r"re-?expression|re-?expressing|delivery|exogenous|activation|activating|activated|amplification|"
    r"amplified|gain|ectopic|ectopically\s+expressed|enforced|forced|transfection|derepressing|"
    r"derepression|de-?repress(?:es|ed)?|induction|inducing|overproduction|excess|mimics?\s+of|agomirs?\s+of"
)
_MUTATION_BEFORE = (
    r"mutations?\s+(?:in|of|at|within|affecting)|mutant|mutated|acquired|point\s+mutations?\s+in|"
    r"substitutions?\s+(?:in|at|of)|variants?\s+of|alterations?\s+(?:in|of)|activating\s+mutations?\s+in"
)
_DECREASE_BEFORE = re.compile(
    rf"\b(?:{_DECREASE_WORDS})\s+(?:of\s+|against\s+|by\s+)?(?:the\s+)?(?:expression\s+of\s+)?"
    r"(?:(?!and\b|or\b|with\b)[\w-]+\s+)?$",
    re.IGNORECASE,
)
_INCREASE_BEFORE = re.compile(
    rf"\b(?:{_INCREASE_WORDS})\s+(?:of\s+)?(?:the\s+)?(?:wild[- ]type\s+)?(?:expression\s+of\s+)?"
    r"(?:levels?\s+of\s+)?(?:(?!and\b|or\b|with\b)[\w-]+\s+)?$",
    re.IGNORECASE,
)
_MUTATION_BEFORE_RE = re.compile(
    rf"\b(?:{_MUTATION_BEFORE})\s+(?:the\s+)?(?:[\w-]+\s+){{0,3}}$", re.IGNORECASE
)
_DECREASE_AFTER = re.compile(
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
_INCREASE_AFTER = re.compile(
    r"^(?:-(?:overexpressing|high|positive|amplified|active|expressing)\b|\s*(?:gene\s+|protein\s+|"
    r"mRNA\s+)?(?:over-?expression|up-?regulation|amplification|activation|restoration|"
    r"re-?expression|mimics?|agomirs?|overproduction|induction|signall?ing\s+activity|re-?activation)\b|"
    r"(?:,\s[^,;]{1,60},)?\s+(?:expression\s+|levels?\s+|protein\s+|activity\s+)?(?:was|were|is|are|being|became|remained)\s+"
    r"(?:\w+ly\s+)?(?:up-?regulated|over-?expressed|elevated|increased|amplified|activated|restored|"
    r"highly\s+expressed|higher|high|induced|enriched|stabili[sz]ed)\b|,?\s+highly\s+expressed\b|"
    r"\s+(?:rose|increased|accumulated))",
    re.IGNORECASE,
)
_MUTATION_AFTER = re.compile(
    r"^(?:-(?:mutant|mutated|mutations?)\b|\s+(?:[\w-]+\s+){0,2}?(?:domain\s+)?(?:mutations?|mutants?|variants?|"
    r"substitutions?)\b|\s+(?:p\.)?[A-Z]\d{2,4}(?:[A-Z]|fs|del|ins|\*)(?:\s+|,|$)|"
    r"\s*\([A-Z]\d{2,4}[A-Z]\))",
)
_ITS_DECREASE = re.compile(
    r"\b(?:its|their)\s+(?:knock-?down|silencing|depletion|inhibition|loss|deletion|suppression|"
    r"down-?regulation)",
    re.IGNORECASE,
)
_ITS_INCREASE = re.compile(
    r"\b(?:its|their)\s+(?:over-?expression|restoration|up-?regulation|re-?expression|activation|"
    r"delivery|amplification)",
    re.IGNORECASE,
)

# --- the response -------------------------------------------------------------------------------

# Nouns: what a resistant or a sensitive response is made of.
_RES_NOUN = (
    r"(?:chemo-?|radio-?|drug\s+|multidrug\s+|acquired\s+|cross-?)?resistance|tolerance|IC50s?|"
    r"half-maximal\s+inhibitory\s+concentrations?|(?:clonogenic|cell)\s+survival|"
    r"survival\s+(?:after|under|following|of\s+(?:the\s+)?(?:\w+\s+)?cells)|viability|escape|relapse"
)
_SEN_NOUN = (
    r"(?:chemo-?|radio-?|drug\s+)?sensitivity|chemosensitivity|radiosensitivity|responsiveness|"
    r"(?:chemo-?|radio-?|re-?)?sensiti[sz]ation|"
    r"response|responses|efficacy|effects?\s+of|anti-?tumou?r\s+(?:activity|effects?)|cytotoxicity|"
    r"(?:[\w-]+[- ]induced\s+)?apoptosis|(?:[\w-]+[- ](?:induced|mediated)\s+)?(?:cell\s+)?(?:death|"
    r"killing|lysis)|benefit|inhibitory\s+effects?|CDC|ADCC|complement-dependent\s+cytotoxicity|"
    r"[\w-]+[- ]induced\s+(?:suppression|inhibition|(?:G[12](?:/[SM])?\s+)?arrest|DNA\s+damage)"
)
_UP_VERB = (
    # Verb forms only: "mediator", "driver", "cause" and "inducer" are nouns.
    r"increas\w*|enhanc\w*|promot(?:e|es|ed|ing)\b|induc(?:e|es|ed|ing)\b|confer\w*|caus(?:es|ed|ing)\b|"
    r"driv(?:e|es|en|ing)\b|drove|restor\w*|improv\w*|"
    r"augment\w*|potentiat\w*|rais\w*|elevat\w*|mediat(?:e|es|ed|ing)\b|contribut\w*\s+to|facilitat\w*|"
    r"strengthen\w*|boost\w*|sustain\w*|rescu\w*|reinstat\w*|re-?establish\w*|produc\w*|trigger\w*|accelerat\w*|"
    r"underl\w*|accounts?\s+for|accounted\s+for|leads?\s+to|led\s+to|results?\s+in|resulted\s+in|"
    r"licens\w*|allow\w*|permit\w*|enabl\w*|up[- ]?regulat\w*"
)
_DOWN_VERB = (
    r"decreas\w*|reduc\w*|lower\w*|impair\w*|diminish\w*|attenuat\w*|abolish\w*|abrogat\w*|revers\w*|"
    r"overc[oa]m\w*|counteract\w*|alleviat\w*|blunt\w*|limit\w*|restrain\w*|undermin\w*|"
    r"suppress(?:es|ed|ing)?\b|inhibit(?:s|ed|ing)?\b|block(?:s|ed|ing)?\b|prevent\w*|weaken\w*|"
    r"eliminat\w*|compromis\w*|negat(?:e|es|ed|ing)\b|antagoni[sz](?:e|es|ed|ing)\b|dampen\w*|curtail\w*|los[te]\b|offset\w*|cancel\w*|annul\w*|delay\w*|postpon\w*|forestall\w*|"
    r"down[- ]?regulat\w*"
)
# Up to five words between a verb and its noun, none of them a conjunction or another such verb
# ("reduced MGMT expression and increased cell death" is two phrases, not "reduced ... death").
_W_NO_AND = (
    rf"(?:(?!(?:and|or|but|whereas|while|which|that)\b)(?!(?:{_UP_VERB}|{_DOWN_VERB})\b)"
    r"[\w/()+.'-]+,?\s+){0,6}?"
)
_W = (
    rf"(?:(?!(?:but|whereas|while|which|that)\b)(?!(?:{_UP_VERB}|{_DOWN_VERB})\b)"
    r"[\w/()+.'-]+,?\s+){0,5}?"
)
_VERB_NOUN = re.compile(
    rf"\b(?P<verb>{_UP_VERB}|{_DOWN_VERB})\s+{_W}(?P<noun>{_RES_NOUN}|{_SEN_NOUN})\b",
    re.IGNORECASE,
)
_NOUN_PASSIVE = re.compile(
    rf"\b(?P<noun>{_RES_NOUN}|{_SEN_NOUN})\s+(?:[\w-]+\s+){{0,3}}?(?:was|were|is|are|been|being|could\s+be|"
    rf"can\s+be)\s+(?:\w+ly\s+)?(?P<verb>{_UP_VERB}|{_DOWN_VERB})\b",
    re.IGNORECASE,
)
_SENSITIVE_WORDS = re.compile(
    r"\b(?:re-?)?sensiti[sz](?:ed|es|ing|ation)\b|\bmore\s+(?:sensitive|responsive|susceptible)\b|"
    r"\bless\s+(?:resistant|tolerant)\b|\bradiosensitized\b|\bchemosensitized\b|"
    r"\bresponded\s+(?:better|well)\b",
    re.IGNORECASE,
)
_RESISTANT_WORDS = re.compile(
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
_RESISTANT_STATE = re.compile(
    r"\b(?:[\w-]+[- ])?(?:resistant|refractory|non-?responders?|insensitive)\b|\bresponded\s+poorly\b|"
    r"\bpoor\s+(?:clinical\s+)?response\b|\brelapsed?\b",
    re.IGNORECASE,
)
_SENSITIVE_STATE = re.compile(r"\b(?:[\w-]+[- ])?sensitive\b|\bresponders\b", re.IGNORECASE)
# "patients who had become refractory": a description of the patients, not an outcome.
_STATE_CLAUSE = re.compile(
    r"\b(?:who|that|which)\s+(?:had\s+|have\s+)?(?:become|became|were|was|are|is|relapsed|progressed)\b"
    r"[^,;]*",
    re.IGNORECASE,
)

# A negated, unchanged, hoped-for or hypothesised result is not a stated result.
_NEGATION = re.compile(
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
_HEDGE = re.compile(
    r"\b(?:propos\w*|hypothes\w*|postulat\w*|whether|is\s+thought|are\s+thought)\b", re.IGNORECASE
)
_NOT_NEGATION = re.compile(r"\bno\s+longer\b|\bnot\s+only\b", re.IGNORECASE)

# "A sensitized cells, whereas B restoration abolished the effect": each clause has its own subject.
_CLAUSE_BREAK = re.compile(r";\s+|:\s+|,?\s+\b(?:whereas|while|but|although|however)\b,?\s+", re.IGNORECASE)
# ", and they ..." starts a clause with its own subject; ", and enhanced ..." continues the last one.
_AND_BREAK = re.compile(
    r",\s+and\s+(?=(?:the|this|these|those|they|it|its|we|our|a|an|in|that)\b|[A-Z]|mi[Rr]-|circ|lnc|let-)"
)

# Phrases that tie an outcome noun to the factor: "X-induced resistance", "resistance conferred by X".
_AGENT_SUFFIX = re.compile(
    rf"^(?:\s+(?:overexpression|upregulation|expression|activity|signall?ing|amplification))?"
    rf"[- ](?:induced|mediated|driven|dependent|conferred|associated|triggered|promoted|caused|"
    rf"related|elicited|produced)\s+(?:(?:[\w-]+)\s+){{0,2}}?(?P<noun>{_RES_NOUN}|{_SEN_NOUN})\b",
    re.IGNORECASE,
)
_AGENT_PASSIVE = re.compile(
    rf"\b(?P<noun>{_RES_NOUN}|{_SEN_NOUN})\s+(?:[\w-]+\s+){{0,2}}?(?:conferred|induced|caused|mediated|"
    rf"driven|produced|promoted|triggered|elicited|afforded|provided)\s+by\s+(?:the\s+)?(?:[\w-]+\s+){{0,2}}?$",
    re.IGNORECASE,
)
_AGENT_VERB = re.compile(
    rf"^[),]?(?:\s+(?:\w+ly|alone|itself|directly|also|thereby|in\s+turn|activity|signall?ing|expression|"
    rf"(?:in|of|from|on|at|by)\s+(?:the\s+)?(?:[\w-]+\s+){{0,3}}?[\w-]+))?"
    rf"(?:\s+{_W_NO_AND}and)?\s+(?P<verb>{_UP_VERB}|{_DOWN_VERB})\s+{_W}(?P<noun>{_RES_NOUN}|{_SEN_NOUN})\b",
    re.IGNORECASE,
)
# "X as a key mechanism of resistance", "X is a mediator of resistance".
_AGENT_AS = re.compile(
    r"^[),]?\s+(?:[\w-]+\s+){0,3}?(?:as|is|was|are|were)\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:mechanisms?|causes?|reasons?|drivers?|mediators?|determinants?|routes?|basis)\s+(?:of|for|to)\s+"
    rf"(?:the\s+)?(?:[\w-]+\s+){{0,3}}?(?P<noun>{_RES_NOUN}|poor\s+(?:clinical\s+)?response)\b",
    re.IGNORECASE,
)
# "resistance ... through X", "resistance via X": X is how the stated outcome comes about.
_THROUGH = re.compile(
    r"\b(?:through|via|by|owing\s+to|due\s+to)\s+(?:the\s+)?(?:[\w-]+\s+){0,2}?$", re.IGNORECASE
)
_AGENT_SENSITIZES = re.compile(
    r"^(?:\s+(?:\w+ly|alone|itself|also))?\s+(?:re-?)?sensiti[sz](?:es|ed)\b", re.IGNORECASE
)
# "KEAP1-deficient cells", "H19-overexpressing cells": the factor describes the cells.
_SETTING = re.compile(
    r"^\s+[A-Z]\d{1,4}[A-Z]\s+(?:[\w-]+\s+){0,3}?(?:cancers?|CRC|NSCLC|cells|tumou?rs|melanomas?|patients)\b|"
    r"^(?:\s+[A-Z]\d{1,4}[A-Z])?(?:-/-|-(?:deficient|null|negative|positive|mutant|mutated|overexpressing|"
    r"expressing|silenced|knockdown|high|low|active|amplified))\s+(?:[\w-]+\s+){0,4}?(?:cells?|lines?|"
    r"tumou?rs|xenografts|blasts|NSCLC|patients|cancers?|models?)\b",
    re.IGNORECASE,
)
_RELIEF = re.compile(
    r"\b(?:reliev|alleviat|releas|abolish|abrogat|prevent)\w*\s+(?:[\w-]+\s+){0,3}?$", re.IGNORECASE
)
# "X mediates apoptosis": cell biology, not the response to a therapy (a drug-induced one is).
_PREPOSITION_BEFORE = re.compile(
    r"\b(?:against|of|with|to|for|in|on|from|into|at|by|targeting)\s+(?:the\s+|a\s+|an\s+)?$", re.IGNORECASE
)
_BARE_CELL_FATE = re.compile(r"apoptosis|(?:cell\s+)?death|killing|lysis", re.IGNORECASE)
_RADIATION_AGENT = re.compile(r"^(?:IR|RT|X-?ray|radiation|irradiation|[A-Z]{2,5})$")
_DRUG_ACTOR = re.compile(r"\binhibitors?\b|\bantagonists?\b|\bantibod(?:y|ies)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Reading:
    """What one sentence says of one factor: its change, the outcome, and the cue words."""

    change: Change
    outcome: Outcome
    cue: str  # the words that told the change ("knockdown", "agent", ...)

    @property
    def role(self) -> str:
        """pro_resistance or anti_resistance."""
        role = role_from(self.change, self.outcome)
        assert role is not None
        return role

    @property
    def weight(self) -> int:
        """2 for a stated change of the factor, 1 for an agent or an association."""
        return 1 if self.change == "present" or "resistant cells" in self.cue else 2


def mention_pattern(factor: str) -> re.Pattern[str]:
    """A pattern for the factor's name as texts write it (any dashes or spaces, with "hsa-")."""
    name = normalize_spaces(factor)
    name = re.sub(r"^hsa-", "", name, flags=re.IGNORECASE)
    parts = [re.escape(p) for p in re.split(r"[-\s]+", name) if p]
    pattern = r"(?<![\w])(?:hsa-)?" + r"[-\s]?".join(parts) + r"(?![\w])" if parts else r"(?!)"
    return re.compile(pattern, re.IGNORECASE)


def _mentions(sentence: str, factor: str) -> list[re.Match[str]]:
    return list(mention_pattern(factor).finditer(sentence))


def _change_at(text: str, m: re.Match[str]) -> tuple[Change, str] | None:
    """The change the words around one mention give the factor (None: none stated).

    Words right after the name ("X knockdown", "X was upregulated") are read before words in
    front of it, which may belong to a neighbour ("X knockout and Y overexpression").
    """
    before = text[max(0, m.start() - 70) : m.start()]
    after = text[m.end() : m.end() + 70]
    if _MUTATION_AFTER.match(after) or _MUTATION_BEFORE_RE.search(before):
        if re.search(r"loss-of-function|inactivating", before[-40:] + after[:30], re.IGNORECASE):
            return "decreased", "loss-of-function mutation"
        return "mutated", "mutation"
    if d := _DECREASE_AFTER.match(after):
        return "decreased", d.group(0).strip()
    if i := _INCREASE_AFTER.match(after):
        return "increased", i.group(0).strip()
    if d := _DECREASE_BEFORE.search(before):
        if _RELIEF.search(before[: len(before) - len(d.group(0))]):  # "relieves repression of X"
            return "increased", "relieved " + d.group(0).strip()
        return "decreased", d.group(0).strip()
    if i := _INCREASE_BEFORE.search(before):
        return "increased", i.group(0).strip()
    if (d := _LIST_DECREASE.search(before)) is not None:  # "reduced CD55 and CD59"
        return "decreased", d.group(0).strip()
    if (i := _LIST_INCREASE.search(before)) is not None:
        return "increased", i.group(0).strip()
    return None


_LIST_DECREASE = re.compile(
    rf"\b(?:{_DECREASE_WORDS})\s+(?:of\s+)?(?:[\w-]+,\s+){{0,3}}[\w-]+,?\s+(?:and|or)\s+$", re.IGNORECASE
)
_LIST_INCREASE = re.compile(
    rf"\b(?:{_INCREASE_WORDS})\s+(?:of\s+)?(?:[\w-]+,\s+){{0,3}}[\w-]+,?\s+(?:and|or)\s+$", re.IGNORECASE
)


def change_of(sentence: str, factor: str) -> str | None:
    """'increased', 'decreased', 'mutated', 'present' (named, no change) or None (not named / mixed)."""
    text = normalize_spaces(sentence)
    mentions = _mentions(text, factor)
    if not mentions:
        return None
    found = {c for m in mentions if (c := _change_at(text, m)) is not None}
    kinds = {k for k, _ in found}
    its = {"decreased"} if _ITS_DECREASE.search(text) else set()
    its |= {"increased"} if _ITS_INCREASE.search(text) else set()
    if not kinds and len(its) == 1:
        return its.pop()
    if len(kinds) > 1:
        return None
    return kinds.pop() if kinds else "present"


def _polarity(verb: str, noun: str) -> Outcome:
    down = re.fullmatch(_DOWN_VERB, verb, re.IGNORECASE) is not None
    resistant_noun = re.fullmatch(_RES_NOUN, noun, re.IGNORECASE) is not None
    return "sensitive" if down == resistant_noun else "resistant"


def _noun_outcome(noun: str) -> Outcome:
    return "resistant" if re.fullmatch(_RES_NOUN, noun, re.IGNORECASE) else "sensitive"


def _outcome_phrases(text: str) -> list[tuple[int, int, Outcome]]:
    """Every outcome phrase of ``text``: (start, end, polarity); states of patients left out."""
    masked = _STATE_CLAUSE.sub(lambda m: " " * len(m.group(0)), text)
    found: list[tuple[int, int, Outcome]] = []
    for m in _VERB_NOUN.finditer(masked):
        found.append((m.start(), m.end(), _polarity(m.group("verb"), m.group("noun"))))
    for m in _NOUN_PASSIVE.finditer(masked):
        found.append((m.start(), m.end(), _polarity(m.group("verb"), m.group("noun"))))
    for m in _SENSITIVE_WORDS.finditer(masked):
        found.append((m.start(), m.end(), "sensitive"))
    for m in _RESISTANT_WORDS.finditer(masked):
        found.append((m.start(), m.end(), "resistant"))
    # A phrase inside a longer one is part of it: "abolished the sensitization" is one phrase.
    return sorted(p for p in found if not any(o != p and o[0] <= p[0] and p[1] <= o[1] for o in found))


def outcome_of(sentence: str) -> str | None:
    """'sensitive' or 'resistant' as the sentence states the response, else None (none or mixed)."""
    text = normalize_spaces(sentence)
    if _is_negated(text):
        return None
    kinds = {kind for _, _, kind in _outcome_phrases(text)}
    return kinds.pop() if len(kinds) == 1 else None


def _is_negated(text: str) -> bool:
    return bool(_NEGATION.search(_NOT_NEGATION.sub(" ", text)))


def role_from(change: str, outcome: str | None) -> str | None:
    """pro_resistance when more factor means resistance (or less factor means sensitivity).

    ``change`` is increased / decreased / anything else (mutated or named: taken as present);
    ``outcome`` is resistant / sensitive / anything else (not stated: no role).
    """
    if outcome not in ("resistant", "sensitive"):
        return None
    resistant = outcome == "resistant"
    if change == "decreased":
        resistant = not resistant
    return "pro_resistance" if resistant else "anti_resistance"


def _agent_outcome(text: str, m: re.Match[str]) -> tuple[Outcome, int] | None:
    """The outcome a phrase ties to this mention ("X-induced resistance", "X drives resistance"),
    with where that phrase ends."""
    after = text[m.end() : m.end() + 90]
    before = text[max(0, m.start() - 90) : m.start()]
    if a := _AGENT_SUFFIX.match(after):
        return _noun_outcome(a.group("noun")), m.end() + a.end()
    if a := _AGENT_PASSIVE.search(before):
        return _noun_outcome(a.group("noun")), m.end()
    if (
        (a := _AGENT_VERB.match(after))
        and not _BARE_CELL_FATE.fullmatch(a.group("noun"))
        # "oligonucleotides against X restored ...": X is the object, not the agent
        and not _PREPOSITION_BEFORE.search(before)
    ):
        return _polarity(a.group("verb"), a.group("noun")), m.end() + a.end()
    if a := _AGENT_SENSITIZES.match(after):
        return "sensitive", m.end() + a.end()
    if a := _AGENT_AS.match(after):
        return "resistant", m.end() + a.end()
    return None


def _segments(clause: str) -> list[str]:
    """A clause cut at ", and <new subject>"; a part without a subject stays with the one before."""
    return [p for p in _AND_BREAK.split(clause) if p.strip()]


def in_negated_clause(sentence: str, at: int) -> bool:
    """Whether the clause holding character ``at`` of the sentence is negated or hedged before
    that point ("..., whereas X did not change the response to cisplatin")."""
    text = sentence.replace("\n", " ")
    start = 0
    for m in _CLAUSE_BREAK.finditer(text):
        if m.start() >= at:
            break
        start = m.end()
    return _is_negated(normalize_spaces(text[start:at]))


def read(sentence: str, factor: str, others: tuple[str, ...] = ()) -> Reading | None:
    """The factor's change and the outcome as this sentence states them, or None.

    Read within the clause (and the part of it) that names the factor, so a contrasting clause
    about another factor ("..., whereas ...") does not lend it its outcome. ``others`` are the
    document's other factor names: where one of them is changed in the same part, a mention that
    only describes the cells ("X-deficient cells") is the setting, not the cause.
    """
    text = normalize_spaces(sentence)
    readings: set[Reading] = set()
    named_before = False
    for clause in _CLAUSE_BREAK.split(text):
        for part in _segments(clause):
            mentions = _mentions(part, factor)
            if not mentions:
                # "X overexpression ..., whereas its depletion restored sensitivity": the pronoun
                # names the factor of the clause before.
                if named_before and (_ITS_DECREASE.search(part) or _ITS_INCREASE.search(part)):
                    reading = _read_part(part, [], others)
                    if reading is not None:
                        readings.add(reading)
                continue
            named_before = True
            reading = _read_part(part, mentions, others)
            if reading is not None:
                readings.add(reading)
    roles = {r.role for r in readings}
    if len(roles) != 1:
        return None
    # Sorted on every field: a set's order changes from one process to the next.
    return sorted(readings, key=lambda r: (-r.weight, r.change, r.outcome, r.cue))[0]


def _read_part(part: str, mentions: list[re.Match[str]], others: tuple[str, ...]) -> Reading | None:
    # Each stated change with where its mention ends (the outcome it drives comes after it).
    changes: list[tuple[Change, str, int]] = []
    setting_changes: list[tuple[Change, str, int]] = []
    for m in mentions:
        stated = _change_at(part, m)
        if stated is not None:
            is_setting = _SETTING.match(part[m.end() : m.end() + 80])
            (setting_changes if is_setting else changes).append((*stated, m.end()))
    settings = len(setting_changes)
    if not changes:
        changes = setting_changes
    # "X was low in resistant cells and its restoration reversed resistance": the manipulation
    # named by the pronoun is what the outcome verb reports.
    its = _ITS_DECREASE.search(part) or _ITS_INCREASE.search(part)
    if its:
        kind: Change = "decreased" if _ITS_DECREASE.search(part) else "increased"
        changes = [(kind, "its", its.end())]
    kinds = {k for k, _, _ in changes}
    if len(kinds) > 1:
        return None
    if settings and settings == len(changes) and _other_actor(part, mentions, others):
        return None  # "Depleting NRF2 in KEAP1-deficient cells restored ...": KEAP1 is the setting
    # A phrase that ties an outcome to this very mention wins over the part's outcome.
    for m in mentions:
        own = _agent_outcome(part, m)
        if own is not None:
            if _is_negated(part[: own[1]]) or _HEDGE.search(part):
                return None
            # In "depletion of MITF blocked TNF-a-mediated resistance" the verb before the name
            # acts on the whole phrase: the factor itself is the agent, as stated.
            suffix = _AGENT_SUFFIX.match(part[m.end() : m.end() + 90])
            stated = None if suffix and suffix.group(0).startswith("-") else _change_at(part, m)
            change, cue = stated if stated is not None else ("present", "agent")
            return Reading(change, own[0], cue)
    if not changes:
        # "resistance ... through X": X is part of how the stated outcome comes about.
        for m in mentions:
            if _THROUGH.search(part[max(0, m.start() - 40) : m.start()]):
                before = _outcome_phrases(part[: m.start()])
                if before and not _is_negated(part[: m.start()]):
                    return Reading("present", before[-1][2], "through")
        return None
    change, cue, at = changes[0]
    spans = [(m.start(), m.end()) for m in mentions]
    phrases = [p for p in _outcome_phrases(part) if not _is_object(part, p, spans)]
    later = [p for p in phrases if p[0] >= at]
    chosen = later[0] if later else (phrases[-1] if phrases else None)
    if chosen is not None:
        if len({k for _, _, k in phrases}) > 1 and not later:
            return None
        if _is_negated(part[: max(chosen[1], at)]):
            return None
        return Reading(change, chosen[2], cue)
    if _is_negated(part):
        return None
    if _RESISTANT_STATE.search(part) and not _SENSITIVE_STATE.search(part):
        return Reading(change, "resistant", cue + " (in resistant cells)")
    return None


def _other_actor(part: str, mentions: list[re.Match[str]], others: tuple[str, ...]) -> bool:
    """Whether something else in the part is changed or given: another factor, or a drug."""
    if _DRUG_ACTOR.search(part):
        return True
    for name in others:
        for m in _mentions(part, name):
            if any(m.start() < x.end() and x.start() < m.end() for x in mentions):
                continue
            if _change_at(part, m) is not None and not _SETTING.match(part[m.end() : m.end() + 60]):
                return True
    return False


def _is_object(part: str, phrase: tuple[int, int, Outcome], spans: list[tuple[int, int]]) -> bool:
    """Whether the factor is what the phrase acts on: "attenuated the effect of X silencing"."""
    start, end, _ = phrase
    tail = part[end : end + 60]
    m = re.match(r"^\s+(?:of|by)\s+(?:the\s+|a\s+|an\s+)?(?:[\w-]+\s+){0,2}?", tail)
    if m is None:
        return (
            any(start <= s < end for s, _ in spans)
            and re.search(r"effects?\s+of", part[start:end]) is not None
        )
    return any(end < s <= end + m.end() + 1 for s, _ in spans)


def role_in_sentence(sentence: str, factor: str, others: tuple[str, ...] = ()) -> str | None:
    """The factor's role as this sentence states it: pro_resistance, anti_resistance or None."""
    reading = read(sentence, factor, others)
    return reading.role if reading else None


def role_in_sentences(sentences: list[str], factor: str) -> str | None:
    """The role most determinate sentences agree on (a tie gives None)."""
    votes: dict[str, int] = {}
    for s in sentences:
        reading = read(s, factor)
        if reading is not None:
            votes[reading.role] = votes.get(reading.role, 0) + reading.weight
    if not votes:
        return None
    ranked = sorted(votes.items(), key=lambda kv: -kv[1])
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0]
