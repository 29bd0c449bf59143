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

Sentences come in normalised (``Document.clean_sentence``: dashes unified, whitespace collapsed);
nothing here normalises a document's text again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..inputs.text import normalize_name
from .cues import (
    AGENT_AS,
    AGENT_PASSIVE,
    AGENT_SENSITIZES,
    AGENT_SUFFIX,
    AGENT_VERB,
    AND_BREAK,
    BARE_CELL_FATE,
    CLAUSE_BREAK,
    DECREASE_AFTER,
    DECREASE_BEFORE,
    DOWN_VERB,
    DRUG_ACTOR,
    HEDGE,
    INCREASE_AFTER,
    INCREASE_BEFORE,
    ITS_DECREASE,
    ITS_INCREASE,
    LIST_DECREASE,
    LIST_INCREASE,
    MUTATION_AFTER,
    MUTATION_BEFORE_RE,
    NEGATION,
    NOT_NEGATION,
    NOUN_PASSIVE,
    PREPOSITION_BEFORE,
    RELIEF,
    RES_NOUN,
    RESISTANT_STATE,
    RESISTANT_WORDS,
    SENSITIVE_STATE,
    SENSITIVE_WORDS,
    SETTING,
    STATE_CLAUSE,
    THROUGH,
    VERB_NOUN,
)

Change = Literal["increased", "decreased", "mutated", "present"]
Outcome = Literal["resistant", "sensitive"]


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
    name = normalize_name(factor)
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
    if MUTATION_AFTER.match(after) or MUTATION_BEFORE_RE.search(before):
        if re.search(r"loss-of-function|inactivating", before[-40:] + after[:30], re.IGNORECASE):
            return "decreased", "loss-of-function mutation"
        return "mutated", "mutation"
    if d := DECREASE_AFTER.match(after):
        return "decreased", d.group(0).strip()
    if i := INCREASE_AFTER.match(after):
        return "increased", i.group(0).strip()
    if d := DECREASE_BEFORE.search(before):
        if RELIEF.search(before[: len(before) - len(d.group(0))]):  # "relieves repression of X"
            return "increased", "relieved " + d.group(0).strip()
        return "decreased", d.group(0).strip()
    if i := INCREASE_BEFORE.search(before):
        return "increased", i.group(0).strip()
    if (d := LIST_DECREASE.search(before)) is not None:  # "reduced CD55 and CD59"
        return "decreased", d.group(0).strip()
    if (i := LIST_INCREASE.search(before)) is not None:
        return "increased", i.group(0).strip()
    return None


def change_of(text: str, factor: str) -> str | None:
    """'increased', 'decreased', 'mutated', 'present' (named, no change) or None (not named / mixed)
    for the factor in a clean sentence."""
    mentions = _mentions(text, factor)
    if not mentions:
        return None
    found = {c for m in mentions if (c := _change_at(text, m)) is not None}
    kinds = {k for k, _ in found}
    its = {"decreased"} if ITS_DECREASE.search(text) else set()
    its |= {"increased"} if ITS_INCREASE.search(text) else set()
    if not kinds and len(its) == 1:
        return its.pop()
    if len(kinds) > 1:
        return None
    return kinds.pop() if kinds else "present"


def _polarity(verb: str, noun: str) -> Outcome:
    down = re.fullmatch(DOWN_VERB, verb, re.IGNORECASE) is not None
    resistant_noun = re.fullmatch(RES_NOUN, noun, re.IGNORECASE) is not None
    return "sensitive" if down == resistant_noun else "resistant"


def _noun_outcome(noun: str) -> Outcome:
    return "resistant" if re.fullmatch(RES_NOUN, noun, re.IGNORECASE) else "sensitive"


def _outcome_phrases(text: str) -> list[tuple[int, int, Outcome]]:
    """Every outcome phrase of ``text``: (start, end, polarity); states of patients left out."""
    masked = STATE_CLAUSE.sub(lambda m: " " * len(m.group(0)), text)
    found: list[tuple[int, int, Outcome]] = []
    for m in VERB_NOUN.finditer(masked):
        found.append((m.start(), m.end(), _polarity(m.group("verb"), m.group("noun"))))
    for m in NOUN_PASSIVE.finditer(masked):
        found.append((m.start(), m.end(), _polarity(m.group("verb"), m.group("noun"))))
    for m in SENSITIVE_WORDS.finditer(masked):
        found.append((m.start(), m.end(), "sensitive"))
    for m in RESISTANT_WORDS.finditer(masked):
        found.append((m.start(), m.end(), "resistant"))
    # A phrase inside a longer one is part of it: "abolished the sensitization" is one phrase.
    return sorted(p for p in found if not any(o != p and o[0] <= p[0] and p[1] <= o[1] for o in found))


def outcome_of(text: str) -> str | None:
    """'sensitive' or 'resistant' as a clean sentence states the response, else None (none or mixed)."""
    if is_negated(text):
        return None
    kinds = {kind for _, _, kind in _outcome_phrases(text)}
    return kinds.pop() if len(kinds) == 1 else None


def is_negated(text: str) -> bool:
    """Whether a clean stretch of text is negated or hedged ("did not", "may")."""
    return bool(NEGATION.search(NOT_NEGATION.sub(" ", text)))


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
    if a := AGENT_SUFFIX.match(after):
        return _noun_outcome(a.group("noun")), m.end() + a.end()
    if a := AGENT_PASSIVE.search(before):
        return _noun_outcome(a.group("noun")), m.end()
    if (
        (a := AGENT_VERB.match(after))
        and not BARE_CELL_FATE.fullmatch(a.group("noun"))
        # "oligonucleotides against X restored ...": X is the object, not the agent
        and not PREPOSITION_BEFORE.search(before)
    ):
        return _polarity(a.group("verb"), a.group("noun")), m.end() + a.end()
    if a := AGENT_SENSITIZES.match(after):
        return "sensitive", m.end() + a.end()
    if a := AGENT_AS.match(after):
        return "resistant", m.end() + a.end()
    return None


def _segments(clause: str) -> list[str]:
    """A clause cut at ", and <new subject>"; a part without a subject stays with the one before."""
    return [p for p in AND_BREAK.split(clause) if p.strip()]


def clause_start(sentence: str, at: int) -> int:
    """Where the clause holding character ``at`` of the sentence begins ("..., whereas X did not
    change the response to cisplatin"). The sentence as the document writes it: the offsets are
    the original text's, for ``Document.clean_span``."""
    text = sentence.replace("\n", " ")
    start = 0
    for m in CLAUSE_BREAK.finditer(text):
        if m.start() >= at:
            break
        start = m.end()
    return start


def read(text: str, factor: str, others: tuple[str, ...] = ()) -> Reading | None:
    """The factor's change and the outcome as this clean sentence states them, or None.

    Read within the clause (and the part of it) that names the factor, so a contrasting clause
    about another factor ("..., whereas ...") does not lend it its outcome. ``others`` are the
    document's other factor names: where one of them is changed in the same part, a mention that
    only describes the cells ("X-deficient cells") is the setting, not the cause.
    """
    readings: set[Reading] = set()
    named_before = False
    for clause in CLAUSE_BREAK.split(text):
        for part in _segments(clause):
            mentions = _mentions(part, factor)
            if not mentions:
                # "X overexpression ..., whereas its depletion restored sensitivity": the pronoun
                # names the factor of the clause before.
                if named_before and (ITS_DECREASE.search(part) or ITS_INCREASE.search(part)):
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
            is_setting = SETTING.match(part[m.end() : m.end() + 80])
            (setting_changes if is_setting else changes).append((*stated, m.end()))
    settings = len(setting_changes)
    if not changes:
        changes = setting_changes
    # "X was low in resistant cells and its restoration reversed resistance": the manipulation
    # named by the pronoun is what the outcome verb reports.
    its = ITS_DECREASE.search(part) or ITS_INCREASE.search(part)
    if its:
        kind: Change = "decreased" if ITS_DECREASE.search(part) else "increased"
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
            if is_negated(part[: own[1]]) or HEDGE.search(part):
                return None
            # In "depletion of MITF blocked TNF-a-mediated resistance" the verb before the name
            # acts on the whole phrase: the factor itself is the agent, as stated.
            suffix = AGENT_SUFFIX.match(part[m.end() : m.end() + 90])
            stated = None if suffix and suffix.group(0).startswith("-") else _change_at(part, m)
            change, cue = stated if stated is not None else ("present", "agent")
            return Reading(change, own[0], cue)
    if not changes:
        # "resistance ... through X": X is part of how the stated outcome comes about.
        for m in mentions:
            if THROUGH.search(part[max(0, m.start() - 40) : m.start()]):
                before = _outcome_phrases(part[: m.start()])
                if before and not is_negated(part[: m.start()]):
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
        if is_negated(part[: max(chosen[1], at)]):
            return None
        return Reading(change, chosen[2], cue)
    if is_negated(part):
        return None
    if RESISTANT_STATE.search(part) and not SENSITIVE_STATE.search(part):
        return Reading(change, "resistant", cue + " (in resistant cells)")
    return None


def _other_actor(part: str, mentions: list[re.Match[str]], others: tuple[str, ...]) -> bool:
    """Whether something else in the part is changed or given: another factor, or a drug."""
    if DRUG_ACTOR.search(part):
        return True
    for name in others:
        for m in _mentions(part, name):
            if any(m.start() < x.end() and x.start() < m.end() for x in mentions):
                continue
            if _change_at(part, m) is not None and not SETTING.match(part[m.end() : m.end() + 60]):
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
    """The factor's role as this clean sentence states it: pro_resistance, anti_resistance or None."""
    reading = read(sentence, factor, others)
    return reading.role if reading else None


def role_in_sentences(sentences: list[str], factor: str) -> str | None:
    """The role most determinate clean sentences agree on (a tie gives None)."""
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
