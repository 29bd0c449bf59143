"""Offline normalisation: factor, therapy and cancer names -> registry identifiers.

* gene / protein -> HGNC id and approved symbol, through approved, previous and alias symbols,
  approved names, MeSH names and FamPlex's curated text groundings (families get a FamPlex id);
* miRNA -> miRBase precursor(s) and their HGNC MIR genes (``miR-21-5p``, ``hsa-miR-21``,
  ``microRNA-21``); lncRNA -> HGNC where it has a symbol; circRNA -> unmapped, kept as written;
* drug -> DrugBank id with ChEBI / ChEMBL cross-references (or ChEBI alone), through names,
  synonyms, brand names and common abbreviations; drug classes, radiotherapy and antibodies or
  CAR-T cells named by their target ("anti-PD-1 antibodies", "CART-19") -> fixed terms;
* cancer type -> Disease Ontology id with NCIt and MeSH cross-references.

A name listed for several entities at the same rank (MDR1: ABCB1's previous symbol, TBC1D9's
alias) is resolved only by evidence: the factor type, the text's own definition of the name
("... heme oxygenase-1 (HO-1)") or another name of exactly one candidate in the text. Otherwise it
stays ``ambiguous`` with its candidates; nothing is guessed. The data lives in the index that
``normdata`` builds; this module only reads it. Without an index, ``default_normalizer()`` is
None and callers go on without ids.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from ..schema import EntityRef, Finding, PaperSummary
from . import normdata
from .match import KINDS, Hits, IndexEntity, Match
from .names import (
    ANTI,
    CAR_T,
    CIRC,
    COMBINATION,
    GROUP_OF_TYPE,
    MIR,
    PRECURSOR,
    cancer_variants,
    drug_variants,
    gene_of,
    gene_variants,
    greek_letter_key,
    mirna_forms,
    name_words,
    text_definitions,
    text_grams,
)
from .normdata import GENE_OFFICIAL, GENE_SYMBOL, name_key
from .normterms import ANTIBODY_CLASS, CAR_T_CLASS


class Normalizer:
    """Look-ups against one opened index. Thread-safe; results without text evidence are cached."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._lock = threading.Lock()
        self._entities: dict[str, IndexEntity | None] = {}
        self._precursors: dict[tuple[str, str], list[tuple[int, IndexEntity]]] = {}
        self._by_hgnc: dict[str, IndexEntity] = {}
        for row in self._query("SELECT id, kind, name, label, grp, xrefs FROM entities WHERE kind='mirna'"):
            entity = IndexEntity(row[0], row[1], row[2], row[3], row[4], tuple(row[5].split()))
            m = PRECURSOR.match(entity.name)
            if m:
                slot = (m["kind"], m["num"].lower())
                self._precursors.setdefault(slot, []).append((int(m["locus"] or 0), entity))
            for x in entity.xrefs:
                self._by_hgnc[x] = entity
        for loci in self._precursors.values():
            loci.sort(key=lambda pair: (pair[0], pair[1].id))
        self.lookup = functools.lru_cache(maxsize=65536)(self._lookup)

    @classmethod
    def open(cls, path: Path | None = None, verify: bool = True) -> Normalizer:
        """Open the index at ``path`` (default: the data directory's); checks its hash."""
        return cls(normdata.open_index(path, verify=verify))

    # --- storage -----------------------------------------------------------------------------

    def _query(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[str, ...]]:
        with self._lock:
            return list(self.conn.execute(sql, params))

    def entity(self, entity_id: str) -> IndexEntity | None:
        """An entity of the index by id."""
        if entity_id not in self._entities:
            rows = self._query(
                "SELECT id, kind, name, label, grp, xrefs FROM entities WHERE id=?", (entity_id,)
            )
            self._entities[entity_id] = (
                IndexEntity(
                    rows[0][0], rows[0][1], rows[0][2], rows[0][3], rows[0][4], tuple(rows[0][5].split())
                )
                if rows
                else None
            )
        return self._entities[entity_id]

    def _hits(self, kind: str, text: str) -> Hits | None:
        keys = {name_key(text), greek_letter_key(text)} - {""}
        rows: list[tuple[str, ...]] = []
        for key in keys:
            rows += self._query("SELECT entity, tier FROM names WHERE kind=? AND key=?", (kind, key))
        if not rows:
            return None
        tiers: dict[str, int] = {}
        for entity, tier in rows:
            tiers[entity] = min(int(tier), tiers.get(entity, 99))
        best = min(tiers.values())
        if kind == "gene" and best > GENE_SYMBOL:
            best = GENE_OFFICIAL  # HGNC history, aliases, MeSH and FamPlex are one pool
        ids = sorted(
            e for e, tier in tiers.items() if tier <= best or (kind == "gene" and best > GENE_SYMBOL)
        )
        return Hits(best, ids, {e: tiers[e] for e in ids})

    def forms(self, entity_id: str) -> set[str]:
        """Every name stored for an entity."""
        return {row[0] for row in self._query("SELECT form FROM names WHERE entity=?", (entity_id,))}

    # --- public look-ups ---------------------------------------------------------------------

    def _lookup(self, name: str, kind: str, factor_type: str | None = None) -> Match:
        name = " ".join(name.split())
        if not name:
            return Match(name, kind, "unmapped", how="empty")
        if kind == "mirna":
            return self._mirna(name)
        if kind == "gene":
            return self._factor(name, factor_type)
        if kind == "drug":
            return self._drug(name)
        if kind == "cancer":
            return self._cancer(name)
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")

    def normalize(
        self, name: str, kind: str, factor_type: str | None = None, text: str | None = None
    ) -> Match:
        """Map one name. ``kind``: gene, mirna, drug or cancer; ``factor_type`` (the finding's)
        and ``text`` (the source) are evidence for ambiguous names."""
        match = self.lookup(name, kind, factor_type)
        if match.status == "ambiguous" and text and match.how != "several entities named":
            return self._by_evidence(match, text)
        return match

    def synonyms(self, name: str, kind: str, factor_type: str | None = None) -> set[str]:
        """All names of the entity ``name`` maps to (``name`` itself included); just ``{name}``
        when it does not map to exactly one entity."""
        match = self.lookup(name, kind, factor_type)
        names = {name}
        if match.status != "mapped" or match.id is None:
            return names
        if match.kind == "mirna" and match.name:
            names |= mirna_forms(match.name)
            return names
        if match.id.startswith(("anti:", "CAR-T:")):
            target = match.id.split(":", 1)[1]
            targets = {f for f in self.forms(target) if len(f) <= 20}
            if match.id.startswith("anti:"):
                names |= {f"anti-{t}" for t in targets}
            else:
                names |= {f"{t} CAR-T" for t in targets} | {f"CAR-T {t}" for t in targets}
            return names
        names |= self.forms(match.id)
        return names

    def finding_refs(self, finding: Finding, text: str | None = None) -> dict[str, EntityRef]:
        """``factor_ref``, ``therapy_ref`` and ``cancer_ref`` for one finding."""
        kind = "mirna" if finding.factor_type == "miRNA" else "gene"
        factor = self.normalize(finding.factor, kind, finding.factor_type, text)
        therapy = self.normalize(finding.therapy, "drug", text=text)
        cancer = self.normalize(finding.cancer_type, "cancer", text=text)
        return {"factor_ref": factor.ref(), "therapy_ref": therapy.ref(), "cancer_ref": cancer.ref()}

    def paper(self, paper: PaperSummary, text: str | None = None) -> PaperSummary:
        """``paper`` with every finding's refs filled in."""
        if not paper.findings:
            return paper
        findings = [f.model_copy(update=self.finding_refs(f, text)) for f in paper.findings]
        return paper.model_copy(update={"findings": findings})

    # --- genes -------------------------------------------------------------------------------

    def _match(self, query: str, kind: str, ids: Iterable[str], how: str, term: str = "") -> Match:
        ids = sorted(set(ids))
        if len(ids) == 1:
            entity = self.entity(ids[0])
            assert entity is not None
            return Match(query, kind, "mapped", entity.id, entity.name, entity.xrefs, how=how, term=term)
        candidates = []
        for eid in ids:
            entity = self.entity(eid)
            if entity is not None:
                candidates.append((entity.id, entity.name))
        return Match(query, kind, "ambiguous", candidates=tuple(candidates), how=how, term=term)

    def _factor(self, name: str, factor_type: str | None) -> Match:
        if factor_type == "circRNA" or CIRC.match(name):
            return Match(name, "gene", "unmapped", how="circRNA: no HGNC symbol")
        if factor_type == "miRNA" or MIR.match(name):
            return self._mirna(name)
        match = self._gene(name, factor_type)
        if match.status == "mapped" and match.id:
            entity = self.entity(match.id)
            if entity is not None and entity.group == "miRNA" and match.id in self._by_hgnc:
                return self._mirna_from_gene(name, match.id)
        return match

    def _gene(self, name: str, factor_type: str | None) -> Match:
        """Whole name, then without descriptor words, a leading 'h', or as parts of a composite."""
        tried: list[str] = []
        for variant in gene_variants(name, factor_type):
            if variant in tried:
                continue
            tried.append(variant)
            match = self._gene_exact(name, variant, factor_type)
            if match is not None:
                return match
        stripped = gene_variants(name, factor_type)[1]  # 'JAK2-STAT3 pathway' -> 'JAK2-STAT3'
        parts = [p for p in re.split(r"\s*/\s*|\s*[-–]\s*(?=[A-Za-z])", stripped) if p]
        if len(parts) > 1:
            sets = []
            for part in parts:
                m = self._gene_exact(name, part, factor_type)
                if m is None:
                    break
                sets.append({m.id} if m.id else {cid for cid, _ in m.candidates})
            else:
                common = set.intersection(*sets)
                if len(common) == 1:  # 'Ape1/Ref-1': two names of one gene
                    return self._match(name, "gene", common, "every part names it")
                return self._match(name, "gene", set.union(*sets), "several entities named")
        return Match(name, "gene", "unmapped", how="no gene of that name")

    def _gene_exact(self, query: str, variant: str, factor_type: str | None) -> Match | None:
        hits = self._hits("gene", variant)
        if hits is None:
            return None
        how = "approved symbol" if hits.tier == 0 else "HGNC name, previous or alias symbol, MeSH or FamPlex"
        ids = hits.ids
        genes = [i for i in ids if not i.startswith("FPLX:")]
        families = [self.entity(i) for i in ids if i.startswith("FPLX:")]
        # VEGF: VEGFA's previous symbol, and FamPlex's name for VEGFA's family. HGNC's own
        # history names one gene; the families that hold it are kept as cross-references.
        if (
            len(genes) == 1
            and families
            and hits.tiers[genes[0]] == GENE_OFFICIAL
            and all(f is not None and genes[0] in f.xrefs for f in families)
        ):
            gene = self._match(query, "gene", genes, "previous symbol or name of the gene", term=variant)
            extra = tuple(f.id for f in families if f is not None)
            return dataclasses.replace(gene, xrefs=gene.xrefs + extra)
        if len(ids) > 1 and factor_type:
            wanted = GROUP_OF_TYPE.get(factor_type)
            if wanted:
                kept = [i for i in ids if (e := self.entity(i)) is not None and e.group in wanted]
                if kept and len(kept) < len(ids):
                    ids, how = kept, f"only candidate of type {factor_type}"
        return self._match(query, "gene", ids, how, term=variant)

    # --- miRNAs ------------------------------------------------------------------------------

    def _mirna(self, name: str) -> Match:
        bare = re.sub(r"^(?:hsa-)?(?:microRNA|miRNA)[-\s]+(?=(?:miR|let)-)", "", name, flags=re.IGNORECASE)
        if "/" in bare:  # miR-221/222: two miRNAs
            head, *rest = bare.split("/")
            prefix = re.sub(r"\d+[a-z]?(?:-\d+)?(?:-[35]p)?$", "", head, flags=re.IGNORECASE)
            parts = [head] + [p if not re.match(r"^\d", p) else prefix + p for p in rest]
            matches = [self._mirna(p.strip()) for p in parts]
            ids = [m.id for m in matches if m.id]
            if ids and len(ids) == len(matches):
                pairs = tuple((m.id or "", m.name or "") for m in matches)
                return Match(name, "mirna", "ambiguous", candidates=pairs, how="several entities named")
            return Match(name, "mirna", "unmapped", how="not every part is a human miRNA")
        m = MIR.match(bare.strip())
        if m is None:
            gene = self._gene(name, "miRNA")
            if gene.status == "mapped" and gene.id in self._by_hgnc:
                return self._mirna_from_gene(name, gene.id)
            return Match(name, "mirna", "unmapped", how="not a miRNA name")
        if m["species"] and m["species"].lower() != "hsa":
            return Match(name, "mirna", "unmapped", how="not a human miRNA")
        family = "let" if m["let"] else "mir"
        loci = self._precursors.get((family, m["num"].lower()), [])
        if m["locus"]:
            loci = [pair for pair in loci if pair[0] == int(m["locus"][1:])]
        if not loci:
            return Match(name, "mirna", "unmapped", how="no human miRBase precursor")
        arm = (m["arm"] or "").lower()
        mature = f"hsa-{'let' if m['let'] else 'miR'}-{m['num'].lower()}" + (f"-{arm}" if arm else "")
        entities = [e for _, e in loci]
        xrefs = tuple(e.id for e in entities[1:]) + tuple(x for e in entities for x in e.xrefs)
        how = "miRBase precursor" if len(entities) == 1 else f"miRBase, {len(entities)} loci"
        return Match(name, "mirna", "mapped", entities[0].id, mature, xrefs, how=how)

    def _mirna_from_gene(self, name: str, hgnc_id: str) -> Match:
        entity = self._by_hgnc[hgnc_id]
        mature = entity.name.replace("hsa-mir-", "hsa-miR-")
        return Match(name, "mirna", "mapped", entity.id, mature, entity.xrefs, how="HGNC MIR gene")

    # --- drugs -------------------------------------------------------------------------------

    def _drug(self, name: str) -> Match:
        for variant in drug_variants(name):
            hits = self._hits("drug", variant)
            if hits is not None:
                how = ("name", "synonym, brand name or class", "ChEBI name", "abbreviation")[
                    min(hits.tier, 3)
                ]
                return self._match(name, "drug", hits.ids, how)
        for variant in drug_variants(name):
            targeted = self._targeted(name, variant)
            if targeted is not None:
                return targeted
        parts = [p for p in COMBINATION.split(name) if p.strip()]
        if len(parts) > 1:
            matches = [self._drug(p) for p in parts]
            if all(m.status == "mapped" for m in matches):
                pairs = tuple((m.id or "", m.name or "") for m in matches)
                return Match(name, "drug", "ambiguous", candidates=pairs, how="several entities named")
        return Match(name, "drug", "unmapped", how="no drug or therapy of that name")

    def _targeted(self, query: str, variant: str) -> Match | None:
        """'anti-PD-1 antibodies' and 'CART-19': a fixed class term with the target gene."""
        car = CAR_T.match(variant)
        anti = ANTI.match(variant)
        if car:
            target = car["a"] or car["b"] or car["c"]
            if target.isdigit():
                target = f"CD{target}"
            cls, label, prefix = CAR_T_CLASS, "{} CAR T cells", "CAR-T"
        elif anti:
            target, cls, label, prefix = anti["target"], ANTIBODY_CLASS, "anti-{} antibody", "anti"
        else:
            return None
        gene = self._gene_exact(query, target, "protein")
        if gene is None:
            return None
        how = f"{label.format('target')} ({cls[1]})"
        if gene.status == "mapped" and gene.id is not None:
            return self._targeted_match(query, f"{prefix}:{gene.id}", how)
        pairs = tuple((f"{prefix}:{cid}", label.format(cname)) for cid, cname in gene.candidates)
        return Match(query, "drug", "ambiguous", candidates=pairs, how=how, term=target)

    def _targeted_match(self, query: str, targeted_id: str, how: str) -> Match:
        prefix, gene_id = targeted_id.split(":", 1)
        gene = self.entity(gene_id)
        assert gene is not None
        cls, label = (
            (CAR_T_CLASS, "{} CAR T cells") if prefix == "CAR-T" else (ANTIBODY_CLASS, "anti-{} antibody")
        )
        return Match(
            query,
            "drug",
            "mapped",
            targeted_id,
            label.format(gene.name),
            (gene_id, f"MESH:{cls[0]}"),
            how=how,
        )

    # --- cancers -----------------------------------------------------------------------------

    def _cancer(self, name: str) -> Match:
        for variant, broader in cancer_variants(name):
            hits = self._hits("cancer", variant)
            if hits is not None:
                how = ("Disease Ontology label", "abbreviation", "Disease Ontology synonym", "MONDO synonym")[
                    min(hits.tier, 3)
                ]
                return self._match(name, "cancer", hits.ids, how + (" (broader term)" if broader else ""))
        return Match(name, "cancer", "unmapped", how="no disease of that name")

    # --- evidence ----------------------------------------------------------------------------

    def _by_evidence(self, match: Match, text: str) -> Match:
        """Resolve an ambiguous match with the source text, or return it unchanged."""
        ids = [cid for cid, _ in match.candidates]
        term = match.term or match.query
        definitions = text_definitions(term, text)
        if definitions:
            keys = {name_key(d) for d in definitions} | {greek_letter_key(d) for d in definitions}
            defined = [cid for cid in ids if any(name_key(f) in keys for f in self.forms(gene_of(cid)))]
            if len(defined) == 1:
                return self._resolved(match, defined[0], "defined in the text")
            closest = self._closest(ids, definitions)
            if closest is not None:
                return self._resolved(match, closest, "defined in the text (closest name)")
        grams = text_grams(text)
        query_key = name_key(term)
        form_sets = {cid: self.forms(gene_of(cid)) for cid in ids}
        shared: dict[str, int] = {}
        for forms in form_sets.values():
            for key in {name_key(f) for f in forms}:
                shared[key] = shared.get(key, 0) + 1
        present = []
        for cid, forms in form_sets.items():
            for form in forms:
                key = name_key(form)
                if key == query_key or shared.get(key, 0) > 1 or len(key) < 4 or key not in grams:
                    continue
                if len(key) <= 5 and not re.search(rf"(?<![\w-]){re.escape(form)}(?![\w-])", text):
                    continue  # short forms must appear exactly as written
                present.append(cid)
                break
        if len(present) == 1:
            return self._resolved(match, present[0], "another of its names is in the text")
        return match

    def _closest(self, ids: list[str], definitions: list[str]) -> str | None:
        """The candidate one of whose names shares most words with the text's long form, when
        that is at least half of the words and clearly more than any other candidate shares."""
        scores = {}
        for cid in ids:
            best = 0.0
            for form in self.forms(gene_of(cid)):
                words = name_words(form)
                if len(words) < 2:
                    continue
                for definition in definitions:
                    other = name_words(definition)
                    if other:
                        best = max(best, len(words & other) / len(words | other))
            scores[cid] = best
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        if ranked and ranked[0][1] >= 0.5 and (len(ranked) == 1 or ranked[0][1] - ranked[1][1] >= 0.2):
            return ranked[0][0]
        return None

    def _resolved(self, match: Match, entity_id: str, how: str) -> Match:
        if entity_id != gene_of(entity_id):
            return self._targeted_match(match.query, entity_id, how)
        entity = self.entity(entity_id)
        assert entity is not None
        return Match(match.query, match.kind, "mapped", entity.id, entity.name, entity.xrefs, how=how)


# --- the process-wide default ------------------------------------------------------------------

_default: Normalizer | None = None
_default_loaded = False
_default_lock = threading.Lock()


def default_normalizer() -> Normalizer | None:
    """The data directory's index, opened once; None when it has not been built.

    A damaged index raises ``normdata.NormalizeDataError`` (a one-line message saying what to do).
    """
    global _default, _default_loaded
    with _default_lock:
        if not _default_loaded:
            path = normdata.index_path()
            _default = Normalizer.open(path) if path.is_file() else None
            _default_loaded = True
        return _default


def reset_default() -> None:
    """Forget the opened default index (tests, or after a rebuild)."""
    global _default, _default_loaded
    with _default_lock:
        _default, _default_loaded = None, False


def normalize(name: str, kind: str, factor_type: str | None = None, text: str | None = None) -> Match:
    """Map one name with the default index; ``Match(status='unmapped', how='no index')`` without one."""
    normalizer = default_normalizer()
    if normalizer is None:
        return Match(name, kind, "unmapped", how="no index: " + normdata.BUILD_HINT)
    return normalizer.normalize(name, kind, factor_type, text)


def synonyms(name: str, kind: str, factor_type: str | None = None) -> set[str]:
    """All names of the same entity (``{name}`` alone without an index or a unique match).

    For grounding: ``synonyms('Ara-C', 'drug')`` holds 'cytarabine', ``synonyms('Ape1/Ref-1',
    'gene')`` holds 'APEX1'. ``kind``: gene, mirna, drug or cancer.
    """
    normalizer = default_normalizer()
    return normalizer.synonyms(name, kind, factor_type) if normalizer else {name}


def normalize_finding(finding: Finding, text: str | None = None) -> dict[str, EntityRef]:
    """The three refs of a finding (empty dict without an index); ``text`` is the source text,
    used as evidence for ambiguous names. Merge with ``finding.model_copy(update=...)``."""
    normalizer = default_normalizer()
    return normalizer.finding_refs(finding, text) if normalizer else {}


def normalize_paper(paper: PaperSummary, text: str | None = None) -> PaperSummary:
    """``paper`` with every finding's refs filled in (unchanged without an index)."""
    normalizer = default_normalizer()
    return normalizer.paper(paper, text) if normalizer else paper
