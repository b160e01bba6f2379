"""The package's layers, from its import graph: no cycle between its parts and no upward import.

Every ``import`` and ``from ... import`` is counted, relative ones included and wherever they are
(inside functions too: an import deferred to call time is still a dependency). Only imports under
``if TYPE_CHECKING:`` are left out, since they never run.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = "assessment_engine"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE

#: Lowest first. A part may import its own layer and those below it, never one above.
LAYERS: list[tuple[str, ...]] = [
    # The application's plumbing: the database base, extensions, configuration, error pages.
    ("db", "extensions", "config", "errors", "bad_bytes"),
    ("kernel",),
    # The page edge: the acting user, one commit per request, refusals.
    ("pages",),
    ("auth", "partners"),
    ("questionnaires",),
    ("forms", "records"),
    ("assessments",),
    ("support",),
    ("api", "admin", "reports", "notifications"),
    # What puts the application together.
    (PACKAGE, "models", "cli", "demo", "templating", "backup", "warmup"),
]
RANK = {part: rank for rank, parts in enumerate(LAYERS) for part in parts}


def _module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


MODULES = {_module_name(path)[0]: path for path in sorted(ROOT.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return found


def imports_of(path: Path) -> set[str]:
    """The package's modules that ``path`` imports, with relative imports resolved."""
    name, is_package = _module_name(path)
    here = name.split(".") if is_package else name.split(".")[:-1]
    targets: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
            continue
        if node.level:
            base = here[: len(here) - (node.level - 1)]
            module = ".".join([*base, node.module] if node.module else base)
        else:
            module = node.module or ""
        targets.add(module)
        # ``from . import views`` imports the module ``views``, not a name in ``__init__``.
        targets.update(
            f"{module}.{alias.name}" for alias in node.names if f"{module}.{alias.name}" in MODULES
        )
    return {t for t in targets if t == PACKAGE or t.startswith(PACKAGE + ".")}


def part_of(module: str) -> str:
    """The top-level part of the package a module belongs to (its domain folder, or module)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else PACKAGE


def part_graph() -> dict[str, dict[str, list[str]]]:
    """part -> imported part -> the imports (``a -> b``) that make the edge."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for module, path in MODULES.items():
        for target in imports_of(path):
            source, imported = part_of(module), part_of(target)
            if source != imported:
                graph[source][imported].append(f"{module} -> {target}")
    return graph


def find_cycle(graph: dict[str, dict[str, list[str]]]) -> list[str] | None:
    """One cycle of the graph (its parts in order, the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, {})):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_every_part_of_the_package_has_a_layer() -> None:
    unplaced = sorted({part_of(m) for m in MODULES} - set(RANK) - {"scoring"})
    assert not unplaced, f"add these to LAYERS in {Path(__file__).name}: {unplaced}"


def test_scoring_imports_nothing_of_the_package() -> None:
    found = part_graph()["scoring"]
    assert not found, [line for lines in found.values() for line in lines]


def test_no_part_imports_a_layer_above_its_own() -> None:
    graph = part_graph()
    upward = [
        line
        for source, targets in graph.items()
        if source != "scoring"
        for target, lines in targets.items()
        if target != "scoring" and RANK[target] > RANK[source]
        for line in lines
    ]
    assert not upward, "\n".join(sorted(upward))


def test_the_parts_import_each_other_without_a_cycle() -> None:
    graph = part_graph()
    cycle = find_cycle(graph)
    assert cycle is None, (
        " -> ".join(cycle or [])
        + "\n"
        + "\n".join(
            line
            for a, b in zip(cycle or [], (cycle or [])[1:], strict=False)
            for line in graph[a][b]
        )
    )


def test_relative_imports_are_resolved() -> None:
    """The graph sees ``from ..records import access`` and ``from . import views`` as edges."""
    assert f"{PACKAGE}.records.access" in imports_of(ROOT / "api" / "views_clients.py")
    assert f"{PACKAGE}.admin.views" in imports_of(ROOT / "admin" / "__init__.py")


def test_a_relative_import_out_of_scoring_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The purity check sees ``from ..records import access`` written inside ``scoring/``."""
    root = tmp_path / PACKAGE
    for folder in ("scoring", "records"):
        (root / folder).mkdir(parents=True)
        (root / folder / "__init__.py").write_text("")
    (root / "records" / "access.py").write_text("")
    (root / "scoring" / "kinds.py").write_text("from . import outcomes\n")
    (root / "scoring" / "outcomes.py").write_text("")
    (root / "scoring" / "leak.py").write_text(
        "def later() -> None:\n    from ..records import access\n"
    )
    monkeypatch.setitem(globals(), "ROOT", root)
    monkeypatch.setitem(globals(), "MODULES", {_module_name(p)[0]: p for p in root.rglob("*.py")})
    found = {part: sorted(lines) for part, lines in part_graph()["scoring"].items()}
    assert found == {
        "records": [
            f"{PACKAGE}.scoring.leak -> {PACKAGE}.records",
            f"{PACKAGE}.scoring.leak -> {PACKAGE}.records.access",
        ]
    }


@pytest.mark.parametrize(
    ("graph", "cycle"),
    [
        ({"a": {"b": ["a.x -> b.y"]}, "b": {"c": []}}, None),
        ({"a": {"b": []}, "b": {"c": []}, "c": {"a": []}}, ["a", "b", "c", "a"]),
    ],
)
def test_a_cycle_is_found(graph: dict[str, dict[str, list[str]]], cycle: list[str] | None) -> None:
    assert find_cycle(graph) == cycle


#: Parts whose modules must not import each other in a circle either: what the rest builds on.
ACYCLIC_PARTS = ("scoring", "questionnaires", "forms")


def module_graph(part: str) -> dict[str, dict[str, list[str]]]:
    """Within one part: module -> module it imports (the same shape as :func:`part_graph`)."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for module, path in MODULES.items():
        if part_of(module) != part:
            continue
        for target in imports_of(path):
            if target != module and target in MODULES and part_of(target) == part:
                graph[module][target].append(f"{module} -> {target}")
    return graph


@pytest.mark.parametrize("part", ACYCLIC_PARTS)
def test_the_modules_of_a_base_part_import_each_other_without_a_cycle(part: str) -> None:
    """``forms.builder`` and ``forms.rendering`` once imported each other (deferred, inside a
    function); a question type's module imports the model, never the other way round."""
    cycle = find_cycle(module_graph(part))
    assert cycle is None, " -> ".join(cycle or [])
