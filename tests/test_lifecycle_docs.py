"""Every data-lifecycle command is declared once and documented in the README."""

from __future__ import annotations

from pathlib import Path

from bazinga_db import BazingaDB, operations

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
COMMANDS = ("state-history", "state-diff", "search-logs", "prices", "compare-sessions", "export", "import",
            "prune", "vacuum")


def test_commands_are_declared_implemented_and_documented() -> None:
    section = README.split("## History, search, costs, export and retention", 1)[1]
    for name in COMMANDS:
        operation = operations.find(name)
        assert operation is not None, name
        assert f"`{name}" in section or f"bazinga-db {name}" in section, name
        if not operation.tool:
            method = getattr(BazingaDB, operation.method)
            code = method.__code__
            arguments = code.co_varnames[1:code.co_argcount]
            assert [param.name for param in operation.params] == list(arguments), name
