"""From candidates to draft findings: one per factor, therapy and cancer the text states.

For each candidate factor, every sentence that names it is read (``direction.read``) against the
therapies that sentence names; a sentence that speaks of resistance or sensitivity without naming
a drug ("counteracted the resistance to both drugs", "radioresistance") is about the document's
main therapies. The drug used to change the factor ("blocking EGFR with cetuximab") is a tool, not
the therapy whose response changes. A sentence naming a cancer other than the document's main one
gives a finding of its own in that cancer. The readings of all sentences of one (factor, therapy,
cancer) are weighed into one role; where none reads determinately, ``role`` stays None and the
finding is not stored as good.

Before that: whether a text could hold a finding at all (``could_hold_a_finding``: else the model
is not asked), and which of the therapies the model named are therapies the text speaks of
(``proposed_therapies``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..inputs.document import Document
from ..inputs.text import normalize_name, squash
from . import direction, lexicon
from .candidates import Candidate, group_key
from .direction import Reading
from .mentions import Mention, Mentions, cancers_overlap, drug_name

# A sentence about the response without naming the therapy.
_GENERIC_RESPONSE = re.compile(
    r"resist|sensitiv|respon|refractor|IC50|relapse|tolera|efficacy|cytotoxic|escape|"
    r"\bthe\s+drugs?\b|\bboth\s+drugs\b|\bthese\s+(?:drugs|agents)\b",
    re.IGNORECASE,
)
_RADIO_WORD = re.compile(r"radio-?(?:resist|sensitiv|respon)|irradiat", re.IGNORECASE)
_CHEMO_WORD = re.compile(r"chemo-?(?:resist|sensitiv|respon|therap)", re.IGNORECASE)


@dataclass
class DraftFinding:
    """One (factor, therapy, cancer) the text relates, with the readings that decide its role."""

    candidate: Candidate
    therapy: str
    cancer: str
    sentences: list[int] = field(default_factory=list)
    readings: list[tuple[int, Reading]] = field(default_factory=list)
    role: str | None = None
    # Evidence the decision weighs (``decide``): sentences that name the therapy itself (not
    # "resistance" standing for the main therapies), the most therapies one of its sentences
    # relates at once, and whether another sentence uses this drug on the factor as a tool.
    named_in: list[int] = field(default_factory=list)
    most_therapies: int = 0
    tool_elsewhere: bool = False

    @property
    def best_reading(self) -> Reading | None:
        """The reading with the most weight that agrees with the role."""
        agreeing = [r for _, r in self.readings if r.role == self.role]
        return max(agreeing, key=lambda r: r.weight) if agreeing else None


# A word about the response to a therapy; a text without one reports no resistance finding.
_RESPONSE_WORD = re.compile(
    r"resist|sensitiv|respon|refractor|relapse|IC50|toleran|efficacy|cytotox|escape|benefit|"
    r"remission|recurren|progress",
    re.IGNORECASE,
)


def could_hold_a_finding(doc: Document, mentions: Mentions) -> bool:
    """Whether the text names a factor and says something about the response to a therapy:
    where it does not, no finding can come of it, and the model is not asked. (A therapy the
    dictionaries do not know, "the KRAS G12C inhibitor", is one the model still names.)"""
    return bool(mentions.factors and _RESPONSE_WORD.search(doc.prose))


def is_generic_therapy(name: str) -> bool:
    """Whether a therapy name is a generic word ("chemotherapy", "the drug"), not a named therapy."""
    return bool(lexicon.GENERIC_THERAPY_WORDS.match(normalize_name(name)))


_RESPONSE_TO = re.compile(
    r"(?:resist\w*|sensitiv\w*|respon\w*|refractory|relapse\w*|progress\w*|escape|benefit|efficacy|"
    r"activity|effects?|IC50s?|concentrations?|tolerance)\s+(?:of\s+\w+\s+|\w+\s+)?(?:to|on|of|after|from)\s+"
    r"(?:the\s+|a\s+|an\s+)?(?:[\w-]+\s+){0,3}?$",
    re.IGNORECASE,
)
_RESPONSE_AFTER = re.compile(
    r"^(?:\)|\s*\([^)]*\))?[- ]?(?:based\s+)?(?:resist\w*|sensitiv\w*|refractory|induced|treated|"
    r"therapy|treatment|exposure|alone|monotherapy|regimens?|failure)\b",
    re.IGNORECASE,
)


def spoken_of_as_therapy(doc: Document, pattern: re.Pattern[str]) -> bool:
    """Whether the text speaks of the response to this name somewhere ("sensitivity to
    epothilone B", "X-resistant cells"): how an unfamiliar drug name shows itself a therapy."""
    text = doc.clean_prose
    for m in pattern.finditer(text):
        if _RESPONSE_TO.search(text[max(0, m.start() - 80) : m.start()]) or _RESPONSE_AFTER.match(
            text[m.end() : m.end() + 40]
        ):
            return True
    return False


def proposed_therapies(names: list[str], doc: Document, mentions: Mentions) -> list[Mention]:
    """Therapies the model named that the dictionaries did not know, wherever the text names them."""
    known = {squash(m.written) for m in mentions.therapies} | {squash(m.name) for m in mentions.therapies}
    factors = {group_key(m.name) for m in mentions.factors}
    added: list[Mention] = []
    for name in names:
        clean = normalize_name(name)
        if squash(clean) in known or group_key(clean) in factors or len(squash(clean)) < 3:
            continue
        if is_generic_therapy(clean) or _names_a_cancer(clean, mentions):
            continue
        pattern = direction.mention_pattern(clean)
        if not _looks_like_therapy(clean) and not spoken_of_as_therapy(doc, pattern):
            continue
        for s in doc.sentences:
            text = doc.sentence(s.number)
            for m in pattern.finditer(text):
                added.append(
                    Mention("therapy", clean, m.group(0), s.number, s.start + m.start(), s.start + m.end())
                )
    return added


_COMPOUND_CODE = re.compile(r"^[A-Z]{1,5}-?\d{2,}[A-Z]?$")


def _names_a_cancer(name: str, mentions: Mentions) -> bool:
    key = squash(name)
    return any(key in (squash(m.name), squash(m.written)) for m in mentions.cancers)


def _looks_like_therapy(name: str) -> bool:
    """A drug by its name or stem, a compound code (CB-839), or a radiotherapy or immunotherapy
    wording; the model also lists cancers, genes and reagents ("short hairpin RNA") as therapies."""
    return bool(
        drug_name(name)
        or _COMPOUND_CODE.match(name)
        or lexicon.RADIATION_PATTERN.fullmatch(name)
        or lexicon.IMMUNE_PATTERN.fullmatch(name)
    )


def main_therapies(doc: Document, mentions: Mentions, candidates: Sequence[Candidate] = ()) -> list[str]:
    """The therapies the text is about: those whose response it speaks of ("resistance to X",
    "X-resistant cells", "response to X"), named most; a drug only used on the cells (to raise
    or block a factor) is not among them."""
    counts: Counter[str] = Counter()
    for m in mentions.therapies:
        before = doc.clean_span(m.start - 80, m.start)
        after = doc.text[m.end : m.end + 40]
        if m.name == lexicon.RADIOTHERAPY or _RESPONSE_TO.search(before) or _RESPONSE_AFTER.match(after):
            counts[m.name] += 2 if m.sentence == 1 else 1
    if not counts:  # no "resistance to ..." wording at all: the therapies named most, less tools
        tools = {
            m.name
            for m in mentions.therapies
            for cand in candidates
            if _is_tool(doc.clean_sentence(m.sentence), doc.clean_span(m.start, m.end), cand)
        }
        counts.update(m.name for m in mentions.therapies if m.name not in tools)
    if not counts:
        return []
    top = counts.most_common(1)[0][1]
    return [name for name, n in counts.most_common() if n * 2 >= top]


def relate(
    doc: Document, mentions: Mentions, candidates: list[Candidate], main: list[str] | None = None
) -> list[DraftFinding]:
    """Draft findings for every candidate with at least one sentence about a therapy's response.

    ``main``: the text's main therapies (``main_therapies``), where the caller has them already.
    """
    if main is None:
        main = main_therapies(doc, mentions, candidates)
    targets = drug_targets(doc, mentions)
    main_cancer = mentions.main_cancer() or ""
    all_names = tuple(n for c in candidates for n in c.names)
    drafts: list[DraftFinding] = []
    for cand in candidates:
        others = tuple(n for n in all_names if n not in cand.names)
        by_key: dict[tuple[str, str], DraftFinding] = {}
        tools: set[str] = set()
        for number in _sentences_naming(doc, cand):
            related = _therapies_for(doc.sentence(number), number, cand, mentions, main)
            tools |= related.tools
            therapies = related.names
            if not therapies:
                continue
            reading = _read(doc.clean_sentence(number), cand, others)
            for cancer in _cancers_for(number, mentions, main_cancer):
                for therapy in therapies:
                    if reading is not None and _drug_action(cand, therapy, reading, targets):
                        continue
                    draft = by_key.get((therapy, cancer))
                    if draft is None:
                        draft = by_key[(therapy, cancer)] = DraftFinding(cand, therapy, cancer)
                    draft.sentences.append(number)
                    if related.named:
                        draft.named_in.append(number)
                    draft.most_therapies = max(draft.most_therapies, len(therapies))
                    if reading is not None:
                        draft.readings.append((number, reading))
        for draft in by_key.values():
            draft.role = _vote(draft.readings)
            draft.tool_elsewhere = draft.therapy in tools
            if cand.factor_type == "pathway" and not any(r.weight > 1 for _, r in draft.readings):
                # A pathway named as the route ("through the PI3K/Akt pathway") is the mechanism
                # of another factor's finding; it is one of its own only where it was changed.
                draft.role = None
            drafts.append(draft)
    return drafts


def _sentences_naming(doc: Document, cand: Candidate) -> list[int]:
    """Every sentence naming the candidate by any spelling, also inside a longer name ("ALK" in
    "EML4-ALK G1202R") and in words the symbol mentions leave out (long forms)."""
    numbers = set(cand.sentences)
    for name in cand.names:
        pattern = direction.mention_pattern(name)
        numbers |= {s.number for s in doc.sentences if pattern.search(doc.clean_sentence(s.number))}
    return sorted(numbers)


def _read(text: str, cand: Candidate, others: tuple[str, ...]) -> Reading | None:
    """The reading of the clean sentence ``text`` for the candidate, where its names agree."""
    readings = []
    for name in cand.names:
        if direction.mention_pattern(name).search(text):
            reading = direction.read(text, name, others)
            if reading is not None:
                readings.append(reading)
    roles = {r.role for r in readings}
    return max(readings, key=lambda r: r.weight) if len(roles) == 1 else None


@dataclass(frozen=True)
class SentenceTherapies:
    """The therapies one sentence relates to a factor; ``named``: the sentence names them (not
    "resistance" standing for the main therapies); ``tools``: drugs it uses on the factor."""

    names: list[str]
    named: bool = False
    tools: frozenset[str] = frozenset()


def _therapies_for(
    text: str, number: int, cand: Candidate, mentions: Mentions, main: list[str]
) -> SentenceTherapies:
    """The therapies a sentence relates to the factor: those it names, less the tools used to
    change the factor; or the main ones where it speaks of the response in general. ``text`` is
    the sentence as the document writes it (its offsets are the document's)."""
    named: list[Mention] = [m for m in mentions.in_sentence("therapy", number)]
    doc = mentions.doc
    clean = doc.clean_sentence(number)
    sentence_start = doc.sentences[number - 1].start
    # Not the therapy of this sentence's finding: a drug used to change the factor, one in a
    # clause that says nothing changed ("did not change the response to cisplatin"), or a
    # co-treatment ("co-targeting with navitoclax ... re-sensitized the cells").
    # A therapy named twice counts where one of its mentions is none of these.
    kept: set[str] = set()
    tools: set[str] = set()
    partners: set[str] = set()
    for m in named:
        at = m.start - sentence_start
        clause = sentence_start + direction.clause_start(text, at)
        tool = _is_tool(clean, doc.clean_span(m.start, m.end), cand) or direction.is_negated(
            doc.clean_span(clause, m.start)
        )
        partner = _is_co_treatment(doc.clean_span(max(sentence_start, m.start - 60), m.start))
        if tool:
            tools.add(m.name)
        if partner:
            partners.add(m.name)
        if not tool and not partner:
            kept.add(m.name)
    tools -= kept
    partners -= kept
    used = frozenset(tools)
    names = list(dict.fromkeys(m.name for m in named if m.name in kept))
    if names:
        return SentenceTherapies(names, named=True, tools=used)
    if partners and not tools:
        return SentenceTherapies([t for t in main if t not in partners])
    if tools:
        return SentenceTherapies([], tools=used)
    if _RADIO_WORD.search(clean):
        return SentenceTherapies([lexicon.RADIOTHERAPY], named=True)
    if _GENERIC_RESPONSE.search(clean) or _CHEMO_WORD.search(clean):
        chemo = [t for t in main if t != lexicon.RADIOTHERAPY] if _CHEMO_WORD.search(clean) else main
        return SentenceTherapies(chemo)
    return SentenceTherapies([])


_CO_TREATMENT = re.compile(
    r"\b(?:plus|together\s+with|combined\s+with|combination\s+with|co-?targeting\s+with|"
    r"co-?treatment\s+with|addition\s+of|adding)\s+(?:the\s+|a\s+|an\s+)?(?:[\w/-]+\s+){0,3}?$",
    re.IGNORECASE,
)


def _is_co_treatment(before: str) -> bool:
    """Whether the drug right after the clean words ``before`` it is given with something else
    rather than responded to."""
    return bool(_CO_TREATMENT.search(before)) and not _RESPONSE_TO.search(before)


_TOOL_BEFORE = re.compile(
    r"(?:block\w*|inhibit\w*|target\w*|neutrali[sz]\w*|antagoni[sz]\w*|suppress\w*|silenc\w*|"
    r"knock\w*\s+down|deplet\w*|treat\w*|activat\w*|stimulat\w*|induc\w*)\s+(?:[\w-]+\s+){0,3}?$",
    re.IGNORECASE,
)


def _is_tool(text: str, therapy: str, cand: Candidate) -> bool:
    """Whether the clean sentence ``text`` uses this drug (``therapy``: its mention, clean) to
    change the factor ("blocking EGFR with cetuximab", "ATRA restored CD38 expression") rather than
    reporting the response to it, or the therapy is named after the factor ("anti-PD-L1" for PD-L1)."""
    written = re.escape(therapy)
    for name in cand.names:
        factor = direction.mention_pattern(name).pattern
        if direction.mention_pattern(name).search(therapy):
            return True
        if re.search(
            rf"{_TOOL_BEFORE.pattern[:-1]}{factor}\s+(?:[\w-]+\s+){{0,2}}?(?:with|using|by)\s+"
            rf"(?:[\w-]+\s+){{0,2}}?{written}",
            text,
            re.IGNORECASE,
        ):
            return True
        if re.search(
            rf"{written}\)?(?:\s*\([^)]*\))?\s+(?:(?:that|which)\s+)?{_CHANGE_VERB}\s+(?:[\w,-]+\s+){{0,8}}?{factor}",
            text,
            re.IGNORECASE,
        ):
            return True
    return False


_CHANGE_VERB = (
    r"(?:restor|reduc|increas|decreas|induc|suppress|lower|rais|up-?regulat|down-?regulat|inhibit|block|"
    r"activat|deplet|degrad|stabili[sz]|elevat)\w*"
)


_PHARMACOLOGICAL = re.compile(r"block|inhibit|antagon|neutrali|targeting", re.IGNORECASE)


def _drug_action(cand: Candidate, therapy: str, reading: Reading, targets: dict[str, set[str]]) -> bool:
    """Whether the reading is the therapy acting on its own target, how the drug works rather
    than what changes the response to it: the target blocked by the drug ("EGFR blockade" with
    cetuximab), or more of the target the drug is named after ("PD-1" with anti-PD-1). A mutated
    target, or one the cells lose, is a resistance finding all the same (BTK C481S, CD38 loss)."""
    keys = {group_key(n) for n in cand.names}
    if not keys & (targets.get(therapy, set()) | set(lexicon.DRUG_TARGETS.get(therapy.lower(), ()))):
        return False
    if reading.change == "decreased":
        return bool(_PHARMACOLOGICAL.search(reading.cue))
    return reading.change in ("increased", "present")


_APPOSITION = re.compile(
    r"([A-Za-z0-9][\w/-]*(?:\s+[a-z]+)?)[- ](?:(?:tyrosine\s+)?kinase\s+)?"
    r"(?:inhibitors?|antagonists?|blockers?|antibod(?:y|ies))\s*,?\s+(?:such\s+as\s+|like\s+)?\(?([A-Za-z][\w-]+)"
)


def drug_targets(doc: Document, mentions: Mentions) -> dict[str, set[str]]:
    """What the text says each therapy acts on: "the glutaminase inhibitor telaglenastat", the
    target in an immunotherapy's name ("anti-PD-1"), and the dictionary of well-known drugs."""
    targets: dict[str, set[str]] = {}
    names = {m.name.lower(): m.name for m in mentions.therapies}
    for m in mentions.therapies:
        written = doc.clean_span(m.start, m.end)
        found = re.search(r"(?:anti-|^)([A-Z][\w-]*\d[\w-]*|[A-Z]{2,}[\w-]*)", written)
        if found and found.group(1).upper() != written.upper():
            targets.setdefault(m.name, set()).add(group_key(found.group(1)))
    for match in _APPOSITION.finditer(doc.clean.text):
        drug = names.get(match.group(2).lower()) or (
            drug_name(match.group(2)) and names.get(drug_name(match.group(2)) or "")
        )
        if drug:
            target = match.group(1)  # "the glutaminase", "BCL-XL/BCL-2": each name it holds
            words = {target, target.split()[-1], *target.split()[-1].split("/")}
            targets.setdefault(drug, set()).update(group_key(w) for w in words)
    return targets


def _cancers_for(number: int, mentions: Mentions, main: str) -> list[str]:
    """The cancer a sentence places its finding in: one it names that is not the main one, else main."""
    named = [m.name for m in mentions.in_sentence("cancer", number)]
    other = [n for n in named if main and not cancers_overlap(n, main)]
    if other and not any(cancers_overlap(n, main) for n in named):
        return list(dict.fromkeys(other))[:2]
    return [main]


def _vote(readings: list[tuple[int, Reading]]) -> str | None:
    votes: Counter[str] = Counter()
    for _, reading in readings:
        votes[reading.role] += reading.weight
    if not votes:
        return None
    ranked = votes.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0]
