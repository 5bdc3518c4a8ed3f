"""The house drawn from the code: rings, front doors and no import cycles (docs/architecture.md).

Every module under ``kb/``, ``ingest/`` and ``search/`` is parsed (never imported, so this runs in
well under a second), and each ``import`` of one of our modules is an edge, including the imports
inside functions that keep the CLI light. ``if TYPE_CHECKING:`` imports count too: a cycle there
is still a cycle in the design.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

PACKAGES = ("kb", "ingest", "search")
FRONT_DOORS = ("search.api", "search.web", "search.mcp", "search.oai", "search.cli")

# Composition roots: where one front door starts or mounts another, and nothing else. The API app
# mounts the web UI, OAI-PMH and the MCP transport on its own app; `kb serve` and `kb mcp` start them.
COMPOSITION = {
    ("search.api.app", "search.web"),
    ("search.api.app", "search.oai"),
    ("search.api.assistants", "search.mcp"),
    ("search.cli.serve", "search.api"),
    ("search.cli.mcp", "search.mcp"),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute name of ``from ... import`` (relative imports resolved against ``module``)."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(path: Path, known: set[str], module: str | None = None) -> set[str]:
    """Our modules that ``path`` (the module named ``module``) imports anywhere in its body; a
    ``from x import y`` that names a submodule ``x.y`` counts as importing ``x.y``."""
    module = module or module_name(path)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(module, path.name == "__init__.py", node)
            names = [source, *(f"{source}.{alias.name}" for alias in node.names)]
        else:
            continue
        for name in names:
            while name and name not in known:  # `import kb.store.base` names the module kb.store.base
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules it imports, without a package's imports of its own submodules.

    Those are a facade re-exporting its parts (``kb.store`` exports ``EdgeStore``); every submodule
    already depends on its package (Python imports the package first), so such an edge would make
    each facade look like a cycle. A submodule importing its package back is kept, and so is every
    import between siblings: those are the cycles that hurt.
    """
    files = [p for package in PACKAGES for p in sorted((REPO_ROOT / package).rglob("*.py"))]
    known = {module_name(p) for p in files}
    graph: dict[str, set[str]] = {}
    for path in files:
        module = module_name(path)
        targets = imports_of(path, known)
        if path.name == "__init__.py":
            targets = {t for t in targets if not t.startswith(module + ".")}
        graph[module] = targets
    return graph


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_no_module_imports_one_that_imports_it_back(graph: dict[str, set[str]]) -> None:
    assert find_cycles(graph) == []


def test_the_inner_ring_imports_neither_ingest_nor_search(graph: dict[str, set[str]]) -> None:
    outward = sorted(
        f"{m} -> {t}" for m, targets in graph.items() if _within(m, "kb") for t in targets if not _within(t, "kb")
    )
    assert outward == []


def test_front_doors_never_import_each_other(graph: dict[str, set[str]]) -> None:
    crossings, roots = set(), set()
    for module, targets in graph.items():
        door = next((d for d in FRONT_DOORS if _within(module, d)), None)
        for target in targets:
            other = next((d for d in FRONT_DOORS if _within(target, d)), None)
            if door and other and other != door:
                if (module, other) in COMPOSITION:
                    roots.add((module, other))
                else:
                    crossings.add(f"{module} -> {target}")
    assert sorted(crossings) == []
    assert roots == COMPOSITION  # an exception nobody needs any more is struck off the list


def test_no_module_imports_a_private_name_of_another(graph: dict[str, set[str]]) -> None:
    """``from x import _y`` reaches into x's insides; share it under a public name instead."""
    private = []
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.ImportFrom)
                    and node.level == 0
                    and (node.module or "").split(".")[0] in PACKAGES
                ):
                    private += [
                        f"{module_name(path)}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")
                    ]
    assert private == []


def test_the_checker_sees_cycles_and_function_level_imports(tmp_path: Path) -> None:
    """The check itself can fail: a cycle through an import inside a function is found."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c"]]
    source = tmp_path / "x.py"
    source.write_text("def f():\n    from kb.store import base\n    import search.cli\n")
    known = {"kb", "kb.store", "kb.store.base", "search", "search.cli"}
    assert imports_of(source, known, "x") == {"kb.store", "kb.store.base", "search.cli"}
