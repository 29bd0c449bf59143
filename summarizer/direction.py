"""Reading a finding's direction off its evidence sentence with cue words.

Direction flips are the commonest error of small models on this task: "reduced HO-1 sensitized
cells" read as HO-1 being a sensitizer, "IGF-1R down-regulates the sensitivity" read as IGF-1R
being lowered. Abstracts state direction with a small set of phrasings, so the sentence is read
literally: what happened to the factor (its change: the words right around its mention) and what
happened to the response (its outcome: sensitized / resistance reversed vs resistant / less
sensitive). The role follows by rule. When the cues are missing or disagree the reader says
nothing and the caller falls back to the model.
"""

from __future__ import annotations

import re

from .sources import normalize_spaces

_W = r"(?:[\w/()+-]+\s+){0,3}?"  # up to three intervening words, lazily

_DECREASE_BEFORE = re.compile(
    r"(knock-?down|knock-?out|silencing|silenced|suppression|suppressing|suppressed|inhibition|inhibiting|"
    r"inhibited|depletion|depleting|deletion|loss|lack|absence|reduced|reducing|reduction|decreased|"
    r"decreasing|down-?regulation|down-?regulating|down-?regulated|low|lower|deficiency|blocking|blockade|"
    r"targeting|si-?RNA|sh-?RNA|inactivating|inactivation|inactivated|degrading|degradation|"
    # competing endogenous RNAs: "circX ... by sponging miR-Y", "acted as a sponge of miR-Y"
    r"sponging|sponges|sponged|sponge\s+(?:for|of)|sequestering|sequesters|sequestered)\s+"
    r"(?:of\s+|against\s+)?(?:the\s+)?(?:expression\s+of\s+)?(?:(?!and\b|or\b)[\w-]+\s+)?$",
    re.IGNORECASE,
)
_INCREASE_BEFORE = re.compile(
    r"(over-?expression|over-?expressing|over-?expressed|up-?regulation|up-?regulated|up-?regulating|"
    r"high|higher|elevated|increased|increasing|enhanced|restoration|restoring|restored|re-?expression|"
    r"delivery|exogenous|activation|activating|activated|amplification|amplified|ectopic|forced)\s+"
    r"(?:of\s+)?(?:the\s+)?(?:wild[- ]type\s+)?(?:expression\s+of\s+)?(?:(?!and\b|or\b)[\w-]+\s+)?$",
    re.IGNORECASE,
)
_DECREASE_AFTER = re.compile(
    r"^(?:\s*-/-|\s*(?:gene\s+|protein\s+|expression\s+)?(?:knock-?down|knock-?out|silencing|depletion|"
    r"deletion|loss|deficien\w*|inhibition|down-?regulation|inhibitors?|antagomirs?)\b|"
    r"\s+(?:was|were|is|are|being)\s+(?:\w+ly\s+)?(?:down-?regulated|reduced|decreased|lost|silenced|"
    r"deleted|suppressed|inhibited|knocked\s+down|depleted)\b|-(?:deficient|null|knockdown|silenced))",
    re.IGNORECASE,
)
_INCREASE_AFTER = re.compile(
    r"^(?:\s*(?:gene\s+|protein\s+|mRNA\s+)?(?:over-?expression|up-?regulation|amplification|"
    r"activation|restoration|re-?expression|mimics?|agomirs?)\b|"
    r"\s+(?:was|were|is|are|being)\s+(?:\w+ly\s+)?(?:up-?regulated|over-?expressed|elevated|increased|"
    r"amplified|activated|restored|highly\s+expressed)\b|,?\s+highly\s+expressed\b|"
    r"\s+(?:expression\s+)?(?:levels?\s+)?(?:was|were)\s+(?:significantly\s+)?(?:higher|increased))",
    re.IGNORECASE,
)

_SENSITIVE = re.compile(
    r"\b(?:re-?)?sensiti[sz](?:ed|es|ing|ation)\b|"
    r"\b(?:restor|increas|enhanc|improv|augment|potentiat)\w*\s+" + _W + r"(?:sensitivity|efficacy|"
    r"effect|effects|response|cytotoxicity|chemosensitivity|radiosensitivity|inhibitory effect)\b|"
    # "inhibit"/"suppress" the verbs, not the nouns: "miR-X inhibitors induced resistance" and "the
    # tumour suppressor X ... resistance" say nothing about resistance going down.
    r"\b(?:revers|overc[oa]m|abrogat|abolish|attenuat|decreas|reduc|alleviat|inhibit(?!ors?\b)|"
    r"suppress(?!ors?\b))\w*\s+" + _W + r"(?:resistance|chemoresistance|radioresistance)\b|"
    r"\b(?:increas|enhanc|upregulat|up-regulat|promot|induc)\w*\s+(?:of\s+)?" + _W + r"[\w-]*[- ]induced\s+"
    r"(?:apoptosis|cell death)\b|"
    r"\b(?:resistance|chemoresistance|radioresistance)\s+(?:was|were|is|are|could be|can be)\s+(?:\w+ly\s+)?"
    r"(?:reversed|overcome|abrogated|attenuated|reduced|decreased|abolished|alleviated)\b",
    re.IGNORECASE,
)
_RESISTANT = re.compile(
    r"resist|desensiti[sz]|refractor|\b(?:reduc|decreas|impair|diminish|down[- ]?regulat|attenuat)\w*\s+"
    + _W
    + r"(?:sensitivity|response|efficacy|chemosensitivity|radiosensitivity)\b",
    re.IGNORECASE,
)


# "its restoration reversed resistance": the pronoun names the manipulation of the factor just named.
_ITS_DECREASE = re.compile(
    r"\bits\s+(?:knock-?down|silencing|depletion|inhibition|loss|deletion|suppression|down-?regulation)",
    re.IGNORECASE,
)
_ITS_INCREASE = re.compile(
    r"\bits\s+(?:over-?expression|restoration|up-?regulation|re-?expression|activation|delivery)",
    re.IGNORECASE,
)
# A negated, unchanged, hoped-for or hypothesised response is not a stated result; leave it to the model.
_NEGATION = re.compile(
    r"\b(?:not|no|neither|nor|failed to|unaffected|unchanged|irrespective|regardless|may|might|could|"
    r"whether|aims?|aimed|objective|hypothes\w*|postulat\w*|hopes?)\b",
    re.IGNORECASE,
)


def _mentions(sentence: str, factor: str) -> list[re.Match[str]]:
    name = normalize_spaces(factor)
    name = re.sub(r"^hsa-", "", name, flags=re.IGNORECASE)
    parts = [re.escape(p) for p in re.split(r"[-\s]+", name) if p]
    if not parts:
        return []
    pattern = r"(?<![\w-])(?:hsa-)?" + r"[-\s]?".join(parts) + r"(?![\w])"
    return list(re.finditer(pattern, sentence, re.IGNORECASE))


def change_of(sentence: str, factor: str) -> str | None:
    """'increased', 'decreased', 'present' (named without a change) or None (not named / mixed)."""
    text = normalize_spaces(sentence)
    found: set[str] = set()
    mentions = _mentions(text, factor)
    if not mentions:
        return None
    for m in mentions:
        before = text[max(0, m.start() - 60) : m.start()]
        after = text[m.end() : m.end() + 60]
        if _DECREASE_BEFORE.search(before) or _DECREASE_AFTER.search(after):
            found.add("decreased")
        elif _INCREASE_BEFORE.search(before) or _INCREASE_AFTER.search(after):
            found.add("increased")
    its = {"decreased"} if _ITS_DECREASE.search(text) else set()
    its |= {"increased"} if _ITS_INCREASE.search(text) else set()
    if len(its) == 1:
        return its.pop()
    if len(found) > 1:
        return None
    return found.pop() if found else "present"


def outcome_of(sentence: str) -> str | None:
    """'sensitive' or 'resistant' as the sentence states the response, else None."""
    text = normalize_spaces(sentence)
    if _NEGATION.search(text):
        return None
    if _SENSITIVE.search(text):
        return "sensitive"
    if _RESISTANT.search(text):
        return "resistant"
    return None


def role_from(change: str, outcome: str | None) -> str | None:
    """pro_resistance when more factor means resistance (or less factor means sensitivity).

    ``change`` is increased / decreased / anything else (named, no change: taken as present);
    ``outcome`` is resistant / sensitive / anything else (not stated: no role).
    """
    if outcome not in ("resistant", "sensitive"):
        return None
    resistant = outcome == "resistant"
    if change == "decreased":
        resistant = not resistant
    return "pro_resistance" if resistant else "anti_resistance"


# "A sensitized cells, whereas B restoration abolished the effect": each clause has its own subject.
_CLAUSE_BREAK = re.compile(r";\s+|,?\s+\b(?:whereas|while|but|although|however)\b,?\s+", re.IGNORECASE)


def role_in_sentence(sentence: str, factor: str) -> str | None:
    """The factor's role as this sentence states it: pro_resistance, anti_resistance or None.

    Read within the clause(s) that name the factor, so a contrasting clause about another factor
    ("..., whereas ...") does not lend it its outcome.
    """
    clauses = [c for c in _CLAUSE_BREAK.split(normalize_spaces(sentence)) if _mentions(c, factor)]
    roles = set()
    for clause in clauses:
        change = change_of(clause, factor)
        role = role_from(change, outcome_of(clause)) if change is not None else None
        if role is None:
            return None
        roles.add(role)
    return roles.pop() if len(roles) == 1 else None


def role_in_sentences(sentences: list[str], factor: str) -> str | None:
    """The one role every determinate sentence agrees on, or None when none or they disagree."""
    roles = {r for r in (role_in_sentence(s, factor) for s in sentences) if r is not None}
    return roles.pop() if len(roles) == 1 else None
