"""The answer the model is asked for: the grounded proposal's schema, built once per class.

Its own module so that ``prompts`` (which hashes the schemas requests send into every result's
key) and ``ask`` (which sends them) both import it, and neither imports the other.
"""

from __future__ import annotations

import contextvars
import json
from typing import Any

import instructor
from pydantic import ValidationInfo, model_validator

from ..schema import Proposal

_SCHEMAS: dict[type, str] = {}


class CachedSchema(instructor.OpenAISchema):
    """A response model whose JSON schema is built once per class.

    instructor asks for the schema on every request, and wraps a plain ``BaseModel`` in a new
    class first (this one already is the wrapper, so it does not). At 32 concurrent requests that
    per-request CPU, in one process, was what kept throughput below the ideal (BENCHMARKS.md).
    """

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Pydantic's schema for the default arguments, computed once; callers get a copy."""
        if args or kwargs:
            return super().model_json_schema(*args, **kwargs)
        if cls not in _SCHEMAS:
            _SCHEMAS[cls] = json.dumps(super().model_json_schema())
        return dict(json.loads(_SCHEMAS[cls]))  # a fresh copy, several times faster than deepcopy


# The names a proposal may use: the document's text, for the grounding validator. It is not passed
# as instructor's ``context``: instructor also renders every message as a Jinja template with that
# context, which pasted objects into, or crashed on, abstracts containing "{{", "{%" or "{#".
current_names_in: contextvars.ContextVar[Any] = contextvars.ContextVar("current_names_in", default=None)


class GroundedProposal(Proposal, CachedSchema):
    # The docstring is the schema's description, sent with every request.
    """Names of factors and therapies, each written as the abstract writes it."""

    @model_validator(mode="after")
    def _names_are_in_the_text(self, info: ValidationInfo) -> GroundedProposal:
        is_named = (info.context or {}).get("is_named") or current_names_in.get()
        if is_named is None:
            return self
        missing = [n for n in [*self.factors, *self.therapies] if not is_named(n)]
        if missing:
            raise ValueError(
                "not in the abstract: "
                + ", ".join(repr(n) for n in missing)
                + "; write each name exactly as the text does, or leave it out"
            )
        return self


def asked_schemas() -> list[dict[str, Any]]:
    """The JSON schemas requests send (part of every result's key)."""
    return [GroundedProposal.model_json_schema()]
