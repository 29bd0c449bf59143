"""The JSON the API accepts, checked before anything is written (pydantic)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .curate import Decision


class SpanIn(BaseModel):
    """Character offsets into the paper's stored source text: ``text[start:end]``."""

    model_config = ConfigDict(extra="forbid")

    start: int = Field(ge=0)
    end: int = Field(ge=1)


class DecisionIn(BaseModel):
    """``POST /api/decisions``: one person's decision on one finding (or a new one)."""

    model_config = ConfigDict(extra="forbid")

    paper_id: str = Field(min_length=1, max_length=200)
    action: Literal["accept", "reject", "correct", "add", "promote"]
    finding_id: str | None = Field(default=None, max_length=40)
    version: int = Field(default=0, ge=0)
    reason: (
        Literal["not_a_finding", "wrong_therapy", "wrong_cancer", "wrong_direction", "duplicate", "other"]
        | None
    ) = None
    note: str | None = Field(default=None, max_length=1000)
    fields: dict[str, str] = Field(default_factory=dict, max_length=10)
    span: SpanIn | None = None

    @model_validator(mode="after")
    def _needs(self) -> DecisionIn:
        if self.action != "add" and not self.finding_id:
            raise ValueError(f"{self.action} needs finding_id (a candidate's id for promote)")
        if self.action == "correct" and not self.fields:
            raise ValueError("correct needs fields (factor, alteration, therapy, cancer_type, effect, ...)")
        return self

    def decision(self) -> Decision:
        return Decision(
            paper_id=self.paper_id,
            action=self.action,
            version=self.version,
            finding_id=self.finding_id,
            reason=self.reason,
            note=self.note,
            fields=dict(self.fields),
            span=(self.span.start, self.span.end) if self.span else None,
        )
