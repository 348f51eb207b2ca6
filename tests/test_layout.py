"""The package's layout: imports run one way, no import circles, no hidden imports.

The lab's layers, from the bottom (DESIGN.md "Layout"):

    base modules (errors, tokens, settings, ...)  <  provider  <  data, controls, telemetry
    <  direct (Pattern 1)  <  rag, jobs, agent (Patterns 2-4)  <  service  <  roadmap  <  commands, cli

A module may import its own package and any layer below its own; never a layer above, and a
pattern never imports another pattern except ``direct`` (the one choke point for model calls).
The sample-data generator (``labkit.data.generate``) is scaffolding: only the ``labkit data
build`` command imports it. The graph is walked with :mod:`ast`, module-level AND
function-level imports, so an import hidden inside a function cannot hide a circle. An import
inside a function is allowed only for an optional heavy dependency, with a one-line
``# lazy: reason`` comment; this test checks the ones that name a ``labkit`` module.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "labkit"

BASE = {"errors", "tokens", "settings", "jsonlines", "sqlitewal", "serving", "clock", "apikeys"}
RANK = {"provider": 1, "data": 2, "controls": 2, "telemetry": 2, "direct": 3, "rag": 4, "jobs": 4,
        "agent": 4, "service": 5, "roadmap": 6, "commands": 7, "cli": 7}
PATTERNS = {"direct", "rag", "jobs", "agent"}
SCAFFOLDING = "labkit.data.generate"


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    in_function: bool
    lazy_reason: bool


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _type_checking_only(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def _edges() -> list[Edge]:
    edges = []
    for name, path in MODULES.items():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        tree = ast.parse(source)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        skip = _type_checking_only(tree)
        in_function: set[int] = set()
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                in_function.update(id(n) for n in ast.walk(fn))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)) or node.lineno in skip:
                continue
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                # `from pkg import sub` imports the submodule; `from mod import name` the module
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
            comment = lines[node.lineno - 1] + (lines[node.lineno - 2] if node.lineno > 1 else "")
            for target in targets:
                resolved = _resolve(target) if target.startswith("labkit") else None
                if resolved and resolved != name:
                    edges.append(Edge(name, resolved, node.lineno, id(node) in in_function, "# lazy:" in comment))
    return edges


EDGES = _edges()


def _layer(module: str) -> tuple[str, int]:
    parts = module.split(".")
    if len(parts) == 1:
        return "labkit", 99  # the public API re-exports from every layer
    head = parts[1]
    if head in BASE:
        return head, 0
    return head, RANK[head]


def test_every_module_has_a_layer() -> None:
    unknown = sorted({m.split(".")[1] for m in MODULES if "." in m} - BASE - set(RANK))
    assert not unknown, f"modules outside the layer map (add them to RANK or BASE): {unknown}"


def test_no_import_circles() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for e in EDGES:
        graph[e.source].add(e.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]
    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
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
                cycles.append(sorted(component))

    for v in list(graph):
        if v not in index:
            visit(v)
    assert not cycles, f"import circles: {cycles}"


def test_imports_run_one_way() -> None:
    wrong = []
    for e in EDGES:
        (src, src_rank), (dst, dst_rank) = _layer(e.source), _layer(e.target)
        if src == dst or src == "labkit":
            continue
        if dst_rank > src_rank:
            wrong.append(f"{e.source}:{e.line} imports {e.target} (layer {dst} is above {src})")
        elif dst_rank == src_rank and src in PATTERNS and dst in PATTERNS:
            wrong.append(f"{e.source}:{e.line} imports {e.target} (patterns do not import each other)")
        elif dst == "labkit":
            wrong.append(f"{e.source}:{e.line} imports the top-level package (import the module instead)")
    assert not wrong, "\n".join(wrong)


def test_the_data_generator_is_scaffolding() -> None:
    users = sorted({f"{e.source}:{e.line}" for e in EDGES if e.target.startswith(SCAFFOLDING)
                    and not e.source.startswith(SCAFFOLDING) and not e.source.startswith("labkit.commands.")})
    assert not users, f"only `labkit data build` may import the generator: {users}"


def test_function_level_labkit_imports_say_why() -> None:
    hidden = sorted({f"{e.source}:{e.line} -> {e.target}" for e in EDGES if e.in_function and not e.lazy_reason})
    assert not hidden, ("imports inside functions without a `# lazy: reason` comment "
                        "(move them to the top of the module):\n" + "\n".join(hidden))


@pytest.mark.parametrize("old", ["labkit/patterns", "labkit/serviceapp", "labkit/service.py", "labkit/gateway.py"])
def test_old_homes_are_gone(old: str) -> None:
    assert not (ROOT.parent / old).exists(), f"{old} should have moved (issue 13)"
