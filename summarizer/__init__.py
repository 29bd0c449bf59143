"""resistance-summarizer: evidence-grounded summaries of cancer therapy-resistance findings.

``from summarizer import summarise`` is the Python entry point (``summarizer.api``); it is
imported on first use, so ``import summarizer`` (the command line's start) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import summarise, summarize

__version__ = "0.1.0"
__all__ = ["__version__", "summarise", "summarize"]


def __getattr__(name: str) -> Any:
    """``summarise`` (and ``summarize``) from ``summarizer.api``, imported when first asked for."""
    if name in ("summarise", "summarize"):
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
