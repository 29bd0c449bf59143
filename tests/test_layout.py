"""The package's layout: imports point one way (modules and folders) and modules stay small."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "summarizer"
MAX_LINES = 500


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(name: str, path: Path, known: Iterable[str]) -> set[str]:
    """The package's modules that ``name`` imports (anywhere in it, lazily too)."""
    known = set(known)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for candidate in [target, *(f"{target}.{a.name}" for a in node.names)]:
                if candidate in known:
                    found.add(candidate)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in known)
    found.discard(name)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def _folder(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_no_import_circle_between_modules() -> None:
    assert _cycles(_graph()) == []


def test_no_import_circle_between_folders() -> None:
    folders: dict[str, set[str]] = {}
    for module, targets in _graph().items():
        # ``summarizer/__init__`` only re-exports the API lazily; it is not a stage
        if module == "summarizer":
            continue
        for target in targets:
            if target != "summarizer" and _folder(target) != _folder(module):
                folders.setdefault(_folder(module), set()).add(_folder(target))
    assert _cycles(folders) == []


def test_the_reading_stages_do_not_reach_the_store_or_the_cli() -> None:
    graph = _graph()
    reading = {m: t for m, t in graph.items() if m.startswith("summarizer.reading")}
    assert reading, "the reading stages moved: update this test"
    reached = {_folder(t) for targets in reading.values() for t in targets}
    assert not reached & {"summarizer.store", "summarizer.cli", "summarizer.pipeline", "summarizer.outputs"}


def test_every_module_is_under_500_lines() -> None:
    sizes = {name: len(p.read_text(encoding="utf-8").splitlines()) for name, p in _modules().items()}
    assert {name: n for name, n in sizes.items() if n >= MAX_LINES} == {}


def test_the_circle_check_finds_a_circle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
