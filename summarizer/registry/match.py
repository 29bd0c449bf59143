"""What a look-up in the normalisation index gives: a ``Match`` (mapped, ambiguous or unmapped)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..schema import EntityRef

Kind = Literal["gene", "mirna", "drug", "cancer"]


Status = Literal["mapped", "ambiguous", "unmapped"]


KINDS: tuple[str, ...] = ("gene", "mirna", "drug", "cancer")


MAX_XREFS = 12


MAX_CANDIDATES = 8


@dataclass(frozen=True)
class Match:
    """The result of one look-up.

    ``id``/``name``/``xrefs`` are set when ``status == 'mapped'``; ``candidates`` holds
    ``(id, name)`` pairs when ``status == 'ambiguous'``; ``how`` says which rule decided.
    """

    query: str
    kind: str
    status: Status
    id: str | None = None
    name: str | None = None
    xrefs: tuple[str, ...] = ()
    candidates: tuple[tuple[str, str], ...] = ()
    how: str = ""
    # The part of the query that was looked up ('ALK' of 'ALK G1202R', 'PD-1' of 'anti-PD-1').
    term: str = ""

    def ref(self) -> EntityRef:
        """The stored form (``schema.EntityRef``)."""
        return EntityRef(
            status=self.status,
            id=self.id,
            name=self.name,
            xrefs=list(self.xrefs[:MAX_XREFS]),
            candidates=[f"{cid} {cname}" for cid, cname in self.candidates[:MAX_CANDIDATES]],
        )


@dataclass(frozen=True)
class IndexEntity:
    """One row of the index's ``entities`` table."""

    id: str
    kind: str
    name: str
    label: str
    group: str
    xrefs: tuple[str, ...]


@dataclass
class Hits:
    """Entities a key names at its strongest tier, with the tier each was named at."""

    tier: int
    ids: list[str] = field(default_factory=list)
    tiers: dict[str, int] = field(default_factory=dict)
