"""The package's layers: each module imports only modules of its own layer or below, and
no import (at the top of a file, inside a function or for the type checker) closes a circle.

Layers, from the bottom: errors; util (pure helpers); db (backends, paths, schema,
migrations); core (transactions, shared row helpers); records (one module per family);
admin (whole-database operations); the store façade and the package itself; the operation
table; the front-ends (CLI, batch, MCP, rendering), the dashboard and the skill.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import bazinga_db
from bazinga_db import BazingaDB

PACKAGE = Path(bazinga_db.__file__).parent
LAYERS = [
    ("errors", ["bazinga_db.errors"]),
    ("util", ["bazinga_db.util"]),
    ("db", ["bazinga_db.db"]),
    ("core", ["bazinga_db.core"]),
    ("records", ["bazinga_db.records"]),
    ("admin", ["bazinga_db.admin"]),
    ("store", ["bazinga_db.store", "bazinga_db"]),
    ("operations", ["bazinga_db.operations"]),
    ("front-ends", ["bazinga_db.frontends", "bazinga_db.dashboard", "bazinga_db.skill", "bazinga_db.cli",
                    "bazinga_db.__main__"]),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def layer_of(name: str) -> int:
    best, rank = -1, None
    for index, (_label, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), index
    assert rank is not None, f"{name} belongs to no layer: add it to LAYERS"
    return rank


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Our modules that ``name`` imports anywhere in its file."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # ``from pkg import sub`` imports the submodule when there is one.
            targets = [f"{module}.{alias.name}" if f"{module}.{alias.name}" in known else module
                       for alias in node.names]
        else:
            continue
        found.update(target for target in targets if target in known)
    found.discard(name)
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def test_every_import_points_down_or_sideways() -> None:
    upward = [
        f"{name} ({LAYERS[layer_of(name)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
        for name, targets in graph().items()
        for target in sorted(targets)
        if layer_of(target) > layer_of(name)
    ]
    assert not upward, "\n".join(upward)


def test_no_import_circle() -> None:
    edges = graph()
    state: dict[str, int] = {}
    circles: list[str] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                circles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert not circles, "\n".join(circles)


def test_the_scan_sees_imports_inside_functions() -> None:
    """The checks above can fail: the façade's lazy imports of the families are found."""
    edges = graph()
    assert "bazinga_db.records.logs" in edges["bazinga_db.store"]
    assert "bazinga_db.admin.transfer" in edges["bazinga_db.store"]
    assert layer_of("bazinga_db.records.logs") > layer_of("bazinga_db.core")


def test_a_wrong_import_would_be_caught(tmp_path: Path) -> None:
    (tmp_path / "bazinga_db" / "records").mkdir(parents=True)
    bad = tmp_path / "bazinga_db" / "records" / "bad.py"
    bad.write_text("def f():\n    from ..frontends import render\n", encoding="utf-8")
    known = {"bazinga_db.records.bad": bad, "bazinga_db.frontends.render": bad}
    global PACKAGE
    saved, PACKAGE = PACKAGE, tmp_path / "bazinga_db"
    try:
        targets = imports_of("bazinga_db.records.bad", bad, known)
    finally:
        PACKAGE = saved
    assert targets == {"bazinga_db.frontends.render"}
    assert layer_of("bazinga_db.frontends.render") > layer_of("bazinga_db.records.bad")


FAMILY_MODULES = sorted(name for name in modules() if name.startswith(("bazinga_db.records.", "bazinga_db.admin.")))


@pytest.mark.parametrize("method", sorted({
    member.__name__ for name, member in vars(BazingaDB).items() if inspect.isfunction(member) and not name.startswith("_")}))
def test_facade_methods_have_the_signature_of_their_family_function(method: str) -> None:
    """Each method hands over to the family function of its name, with the same parameters."""
    import importlib

    functions = [getattr(importlib.import_module(name), method) for name in FAMILY_MODULES
                 if callable(getattr(importlib.import_module(name), method, None))]
    assert len(functions) == 1, f"{method}: {len(functions)} family functions of that name"
    family = list(inspect.signature(functions[0]).parameters.values())[1:]  # without the store
    facade = list(inspect.signature(getattr(BazingaDB, method)).parameters.values())[1:]  # without self
    assert [(p.name, p.default, p.annotation) for p in facade] == [(p.name, p.default, p.annotation) for p in family]
