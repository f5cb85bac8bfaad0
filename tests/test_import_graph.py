"""Dependencies between the area packages of ``reception`` point one way: no import cycle between areas.

Every module's imports are read with ``ast``, those inside functions included (an import hidden in a
function to dodge a cycle is still a dependency), and mapped to area packages (``reception.booking.x``
is ``booking``). ``reception.core``, ``reception.extensions`` and ``reception.config`` are the bottom;
``reception.cli`` and ``reception/__init__.py`` (the app factory) are the top and may import anything,
but nothing imports them. Areas that need to react to a later area's changes subscribe to its
signals (``<area>/signals.py``) instead of being called by it.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

import reception

PACKAGE = Path(reception.__file__).resolve().parent
BOTTOM = {"core", "extensions", "config"}
TOP = {"cli", "__init__"}
#: The layering the code follows today, bottom first (an area may import its own layer's and lower ones).
LAYERS = [
    BOTTOM,
    {"audit"},
    {"notifications"},
    {"directory"},
    {"accounts"},
    {"schedule"},
    {"booking"},
    {"calendars", "video", "requests", "hearings"},
    {"legal", "outcomes"},
    {"systemic"},
    {"monitoring", "main"},
    {"api"},
    TOP,
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _area(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "reception":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def _imported(path: Path, tree: ast.AST):
    """(absolute module name, line) of every import in the module, at any depth."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                prefix = ".".join(base)
                if node.module:
                    yield f"{prefix}.{node.module}", node.lineno
                else:  # from . import x: x may be a module
                    for alias in node.names:
                        yield f"{prefix}.{alias.name}", node.lineno
            elif node.module:
                yield node.module, node.lineno


def area_graph() -> dict[str, dict[str, list[str]]]:
    """{area: {imported area: ["path:line", ...]}} over every module of the package."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(PACKAGE.rglob("*.py")):
        source = _area(_module_name(path))
        for target, line in _imported(path, ast.parse(path.read_text(encoding="utf-8"), str(path))):
            area = _area(target)
            if area is not None and area != source:
                graph[source][area].append(f"{path.relative_to(PACKAGE.parent)}:{line}")
    return graph


def _cycles(graph) -> list[list[str]]:
    """The strongly connected components with more than one area (Tarjan), each as one cycle through them."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(component)

    for v in sorted(set(graph) | {w for targets in graph.values() for w in targets}):
        if v not in index:
            visit(v)
    return [_one_cycle(graph, sorted(component)) for component in components]


def _one_cycle(graph, component: list[str]) -> list[str]:
    """A concrete cycle inside a strongly connected component, starting from its first area."""
    members, start = set(component), component[0]
    paths = {start: [start]}
    frontier = [start]
    while frontier:  # breadth first: the shortest way back to the start
        nxt = []
        for v in frontier:
            for w in sorted(graph.get(v, {})):
                if w == start:
                    return paths[v] + [start]
                if w in members and w not in paths:
                    paths[w] = paths[v] + [w]
                    nxt.append(w)
        frontier = nxt
    return component


def _describe(graph, cycle: list[str]) -> str:
    steps = [f"{a} -> {b} ({', '.join(graph[a][b][:3])})" for a, b in pairwise(cycle)]
    return " -> ".join(cycle) + ":\n    " + "\n    ".join(steps)


def test_no_import_cycle_between_area_packages():
    graph = area_graph()
    cycles = _cycles(graph)
    assert not cycles, "import cycles between area packages:\n" + "\n".join(_describe(graph, c) for c in cycles)


def test_nothing_imports_the_top():
    graph = area_graph()
    wrong = [f"{source} -> {top} ({', '.join(sites[:3])})" for source, targets in graph.items()
             for top, sites in targets.items() if top in TOP and source not in TOP]
    assert not wrong, "the app factory and the CLI are the top: nothing imports them\n" + "\n".join(wrong)


def test_the_bottom_imports_no_area():
    graph = area_graph()
    wrong = [f"{source} -> {area}" for source in BOTTOM for area in graph.get(source, {}) if area not in BOTTOM]
    assert not wrong, wrong


def test_areas_import_only_their_own_layer_and_below():
    layer = {area: n for n, areas in enumerate(LAYERS) for area in areas}
    graph = area_graph()
    missing = sorted(set(graph) - set(layer))
    assert not missing, f"areas without a layer in LAYERS: {missing}"
    upward = [f"{source} -> {target} ({', '.join(sites[:3])})" for source, targets in graph.items()
              for target, sites in targets.items() if layer[target] > layer[source]]
    assert not upward, "imports of a later area (subscribe to its signals instead):\n" + "\n".join(upward)


def test_the_check_finds_a_cycle_and_names_it():
    graph = {"booking": {"requests": ["reception/booking/services.py:1"]},
             "requests": {"booking": ["reception/requests/services.py:2"]}, "core": {}}
    cycles = _cycles(graph)
    assert cycles == [["booking", "requests", "booking"]]
    assert "reception/requests/services.py:2" in _describe(graph, cycles[0])
