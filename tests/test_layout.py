"""The package's shape, checked: no import cycles (imports inside functions included), no
module importing another module's private names (tests and benchmarks included), no module
over 500 lines, no class over 250, no function over 60 (its docstring not counted: the public
API is documented with numpy-style docstrings and examples, which are text, not code)."""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO

# one worker parses the ~180 modules once for the three tests (each worker would, for the tests it ran)
pytestmark = pytest.mark.xdist_group("layout")

MAX_MODULE, MAX_CLASS, MAX_FUNCTION = 500, 250, 60
#: The only parts allowed over the limits: a template and a data table, as issue 9 allows. The test
#: fails when one of them is no longer over the limit, so that this list cannot go stale.
KNOWN: set[str] = {
    "function nkdata.curated.scaffold.render",  # a template
    "module tests.checks.test_bad_contributions",  # a data table of bad contributions, one case a line
}


def _modules() -> dict[str, Path]:
    files = [p for p in REPO.glob("nkdata/**/*.py") if "_release" not in p.parts]
    files += list(REPO.glob("tests/**/*.py")) + list(REPO.glob("benchmarks/*.py"))
    return {".".join(p.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__"): p for p in sorted(files)}


MODULES = _modules()


@functools.cache
def _trees() -> dict[str, ast.Module]:
    """Every module parsed, once per process, when a test first asks (not at collection, in each worker)."""
    return {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in MODULES.items()}


def _imports(tree: ast.AST) -> Iterator[tuple[str, str | None]]:
    """(module, imported name or None) for every import of nkdata, at any depth."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "nkdata":
            for alias in node.names:
                yield node.module, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "nkdata":
                    yield alias.name, None


def _code_lines(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> int:
    total = (node.end_lineno or node.lineno) - node.lineno + 1
    first = node.body[0]
    if isinstance(node, ast.ClassDef) or not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)):
        return total
    return total - ((first.end_lineno or first.lineno) - first.lineno + 1)


def test_no_import_cycles() -> None:
    graph: dict[str, set[str]] = {}
    for name, tree in _trees().items():
        if name.startswith("nkdata"):
            graph[name] = {f"{mod}.{imp}" if f"{mod}.{imp}" in MODULES else mod for mod, imp in _imports(tree)} & set(MODULES)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_no_module_imports_another_modules_private_names() -> None:
    found = {
        f"{name} imports {mod}.{imp}"
        for name, tree in _trees().items()
        for mod, imp in _imports(tree)
        if imp is not None and imp.startswith("_") and not imp.startswith("__") and mod != name
    }
    assert not found, sorted(found)


def test_small_parts() -> None:
    found = set()
    for name, tree in _trees().items():
        if len(MODULES[name].read_text(encoding="utf-8").splitlines()) > MAX_MODULE:
            found.add(f"module {name}")
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and _code_lines(node) > MAX_CLASS:
                found.add(f"class {name}.{node.name}")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _code_lines(node) > MAX_FUNCTION:
                found.add(f"function {name}.{node.name}")
    assert found == KNOWN, f"over the limits: {sorted(found - KNOWN)}; no longer over them (remove from KNOWN): {sorted(KNOWN - found)}"


def test_the_architecture_tree_names_every_module() -> None:
    """docs/architecture.md gives each part of the package its one-line job: a module added without
    a line there fails here."""
    tree = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8").split("```")[1]
    missing = [
        p.relative_to(REPO / "nkdata").as_posix()
        for p in sorted((REPO / "nkdata").rglob("*.py"))
        if "_release" not in p.parts and p.name != "__init__.py" and p.name not in tree
    ]
    missing += [p.name + "/" for p in sorted((REPO / "nkdata").iterdir()) if p.is_dir() and p.name != "__pycache__" and p.name + "/" not in tree]
    assert not missing, f"not in docs/architecture.md's tree: {missing}"
