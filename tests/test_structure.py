"""The shape of the code: no import cycle, and no source module too long to read whole."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "storage")
"""Whose modules may not import each other in a circle."""
SIZED = ("bot", "storage", "tests", "bench")
"""Whose modules are kept short."""
MAX_LINES = 600


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(node: ast.AST, modules: set[str]) -> Iterator[str]:
    """The modules of `modules` that `node` imports: ``from a import b`` imports ``a.b`` when
    that is a module, otherwise ``a``."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names if alias.name in modules)
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        for alias in node.names:
            name = f"{node.module}.{alias.name}"
            yield name if name in modules else node.module


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of bot/ and storage/ it imports, ``TYPE_CHECKING`` imports too."""
    paths = {_module(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")}
    modules = set(paths)
    return {
        module: {
            imported
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            for imported in _imported(node, modules)
            if imported in modules and imported != module
        }
        for module, path in paths.items()
    }


def test_no_import_cycle() -> None:
    graph = import_graph()
    assert "storage.models" in graph["storage.queries"], "the walk sees no imports"
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as error:
        raise AssertionError(f"import cycle: {' -> '.join(error.args[1])}") from None


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_module_is_too_long() -> None:
    sizes = {
        str(path.relative_to(ROOT)): _lines(path)
        for folder in SIZED
        for path in (ROOT / folder).rglob("*.py")
        if not path.is_relative_to(ROOT / "storage" / "migrations")
    }
    too_long = {name: size for name, size in sizes.items() if size > MAX_LINES}
    assert too_long == {}, f"over {MAX_LINES} lines: {too_long}"
