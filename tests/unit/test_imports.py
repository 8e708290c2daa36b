"""The CLI's import path stays lean: every call is a new process, so each import is paid
on every call (README "Performance").

The allowed modules are what the interpreter loads anyway for ``import sqlite3`` and
``python -m`` (measured here, with the same interpreter, so site hooks of the machine
count on both sides), our own ``bazinga_db.*``, and the few standard-library modules the
commands below need. PostgreSQL, MCP and web libraries must never load for SQLite calls,
nor ``difflib`` (only error messages use it).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import bazinga_db

# Standard-library modules that SQLite commands may need beyond the baseline: JSON
# documents (json imports re), and re's own helpers. Nothing else.
STDLIB_FOR_COMMANDS = {
    "__future__", "json", "json.decoder", "json.scanner", "json.encoder", "_json",
    "re", "re._casefix", "re._compiler", "re._constants", "re._parser", "_sre", "sre_compile",
    "sre_constants", "sre_parse", "enum", "copyreg",
}
# Never on the path of an SQLite call.
FORBIDDEN_PREFIXES = (
    "psycopg", "psycopg2", "mcp", "anyio", "httpx", "starlette", "uvicorn", "fastapi", "flask", "aiohttp",
    "pydantic", "http.server", "socketserver", "asyncio", "difflib", "typing", "dataclasses", "random",
)


def imported_modules(*code_or_module: str, db: str | None = None, env: dict[str, str] | None = None) -> set[str]:
    """Module names that ``python -X importtime ...`` reports, for one process."""
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", *code_or_module],
        capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})}, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    names = set()
    for line in completed.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                names.add(name)
    assert names, "no -X importtime output"
    return names


@pytest.fixture(scope="module")
def baseline() -> set[str]:
    """What this interpreter imports for ``import sqlite3`` plus the ``-m`` machinery."""
    return imported_modules("-c", "import runpy, sqlite3")


def ours(names: set[str]) -> set[str]:
    return {name for name in names if name == "bazinga_db" or name.startswith("bazinga_db.")}


def forbidden(names: set[str]) -> set[str]:
    return {name for name in names if any(name == p or name.startswith(p + ".") for p in FORBIDDEN_PREFIXES)}


def test_help_loads_only_the_command_table(baseline: set[str]) -> None:
    names = imported_modules("-m", "bazinga_db", "--help")
    assert ours(names) <= {"bazinga_db", "bazinga_db.__main__", "bazinga_db.frontends", "bazinga_db.frontends.cli",
                           "bazinga_db.frontends.argv", "bazinga_db.operations", "bazinga_db.errors"}
    assert names - baseline - ours(names) <= {"__future__"}
    assert not forbidden(names - baseline)


# What a log write may load of ours: the CLI, the core and the logs family, nothing else.
LOG_WRITE_MODULES = {
    "bazinga_db", "bazinga_db.errors", "bazinga_db.operations", "bazinga_db.store",
    "bazinga_db.core", "bazinga_db.frontends", "bazinga_db.frontends.cli", "bazinga_db.frontends.argv",
    "bazinga_db.frontends.render", "bazinga_db.util", "bazinga_db.util.validation", "bazinga_db.util.clock",
    "bazinga_db.util.redaction",
    "bazinga_db.db", "bazinga_db.db.backends", "bazinga_db.db.backends.sqlite", "bazinga_db.db.paths",
    "bazinga_db.db.schema", "bazinga_db.db.migrations", "bazinga_db.records", "bazinga_db.records.logs",
}


def test_a_log_write_loads_nothing_beyond_the_baseline(baseline: set[str], db_path: str) -> None:
    # First call creates the database (migrations), the second is the steady state.
    for call in range(2):
        names = imported_modules("-m", "bazinga_db", "--db", db_path, "log-interaction", "s1", "developer",
                                 "wrote the code", "2", "developer_1", "--group-id", "group_a")
        extra = names - baseline - ours(names)
        assert extra <= {"__future__"}, f"a log write imports {sorted(extra)}"
        for name in ("json", "re", "typing", "difflib", "contextlib", "random", "sqlite3"):
            assert name not in extra
        if call == 1:  # the steady state: only the logs family of the store
            assert ours(names) == LOG_WRITE_MODULES, sorted(ours(names) ^ LOG_WRITE_MODULES)


@pytest.mark.parametrize("command", [
    ["save-state", "s1", "pm", '{"iteration": 1}'],
    ["get-state", "s1", "pm"],
    ["dashboard-snapshot", "s1"],
    ["get-logs", "s1", "--since", "2025-01-01T00:00:00Z"],
    ["log-tokens", "s1", "pm", "1200"],
    ["create-task-group", "group_b", "s1", "API"],
    ["update-task-group", "group_a", "--session", "s1", "--status", "in progress"],
    ["get-task-group-events", "s1"],
    ["--json", "token-summary", "s1"],
])
def test_sqlite_commands_stay_on_the_allow_list(baseline: set[str], db_path: str, cli, command: list[str]) -> None:  # type: ignore[no-untyped-def]
    assert cli("create-session", "s1").code == 0
    assert cli("create-task-group", "group_a", "s1", "Authentication").code == 0
    names = imported_modules("-m", "bazinga_db", "--db", db_path, *command)
    extra = names - baseline - ours(names)
    assert extra <= STDLIB_FOR_COMMANDS, f"{command[0]} imports {sorted(extra - STDLIB_FOR_COMMANDS)}"
    assert not forbidden(names - baseline)


def test_batch_stays_on_the_allow_list(baseline: set[str], db_path: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bazinga_db", "--db", db_path, "batch"],
        input='{"op": "log-interaction", "args": {"session_id": "s1", "agent_type": "pm", "content": "x"}}\n',
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert completed.returncode == 0 and '"ok":true' in completed.stdout, completed
    names = {line.rsplit("|", 1)[1].strip() for line in completed.stderr.splitlines() if line.startswith("import time:")}
    extra = names - baseline - ours(names) - {"imported package"}
    assert extra <= STDLIB_FOR_COMMANDS, sorted(extra - STDLIB_FOR_COMMANDS)


def test_the_postgres_backend_is_not_loaded_for_sqlite(db_path: str) -> None:
    names = imported_modules("-m", "bazinga_db", "--db", db_path, "get-config", "k")
    assert "bazinga_db.db.backends.postgres" not in names
    assert "bazinga_db.db.backends.sqlite" in names  # the check above can fail: this is the real path


def test_installed_package_is_compiled() -> None:
    """A regular install ships .pyc files; without them (PYTHONDONTWRITEBYTECODE=1 and an
    editable install) every call recompiles the package, which costs more than the call."""
    source = Path(bazinga_db.__file__ or "")
    if "site-packages" not in source.parts:
        pytest.skip("bazinga_db is not imported from a regular install")
    stale = [str(path) for path in source.parent.rglob("*.py") if not compiled_and_current(path)]
    assert not stale, f"no current .pyc for: {stale}"


def compiled_and_current(source: Path) -> bool:
    """A .pyc exists and matches its source, so the import machinery will use it."""
    cached = Path(importlib.util.cache_from_source(str(source)))
    if not cached.exists():
        return False
    header = cached.read_bytes()[:16]
    if int.from_bytes(header[4:8], "little") != 0:
        return True  # hash-based .pyc: checked against the source by hash, not time
    stat = source.stat()
    recorded_mtime = int.from_bytes(header[8:12], "little")
    recorded_size = int.from_bytes(header[12:16], "little")
    return recorded_mtime == int(stat.st_mtime) & 0xFFFFFFFF and recorded_size == stat.st_size & 0xFFFFFFFF


def test_the_console_script_is_as_lean_as_python_m(baseline: set[str], db_path: str) -> None:
    """The `bazinga-db` launcher pip writes must not pull in importlib.metadata or re."""
    script = Path(sys.executable).parent / "bazinga-db"
    if not script.exists():
        pytest.skip("no bazinga-db console script beside this interpreter")
    names = imported_modules(str(script), "--db", db_path, "log-interaction", "s1", "pm", "planned")
    extra = names - baseline - ours(names)
    assert extra <= {"__future__"}, (
        f"the console script imports {sorted(extra)}" + (" (written by a pip older than 25.0? upgrade pip and "
                                                         "reinstall)" if "re" in extra else ""))
    assert "importlib.metadata" not in names


ROOT = Path(__file__).resolve().parents[2]  # the repository: tests/unit/ is two folders down


def _block_after(text: str, heading: str) -> str:
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    return section.split("```bash", 1)[1].split("```", 1)[0]


def test_the_install_steps_upgrade_pip_before_installing() -> None:
    """pip before 25.0 (the one `python -m venv` bundles up to Python 3.13.0) writes a
    `bazinga-db` script that imports re on every call; the documented install and `make
    install` upgrade pip first, so users get the lean script (benchmarks/bench_console_script.py
    measures both)."""
    steps = [line.split("#", 1)[0].strip() for line in _block_after(
        (ROOT / "README.md").read_text(encoding="utf-8"), "\n## Install\n").splitlines()]
    upgrade = steps.index("python3 -m pip install --upgrade pip")
    assert upgrade < steps.index("python3 -m pip install ."), steps
    assert not any("pip install bazinga-db" in step for step in steps)
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("$(VENV)/.installed:", 1)[1].split("\n\n", 1)[0]
    assert 0 <= recipe.index("pip install -q --upgrade pip") < recipe.index("--no-deps ."), recipe
    bench = makefile.split("\nbench:", 1)[1].split("\n\n", 1)[0]
    assert "benchmarks/bench_console_script.py" in bench


@pytest.mark.parametrize(("command", "family"), [
    (["save-context-package", "s1", "group_a", "research", "notes.md", "pm", '["developer"]', "high", "n"], "context"),
    (["get-context-packages", "s1", "group_a", "developer"], "context"),
    (["save-error-pattern", "shop", "KeyError", "KeyError: 'a'", "check first"], "memory"),
    (["get-strategies", "shop"], "memory"),
    (["save-reasoning", "s1", "group_a", "developer", "understanding", "read it"], "reasoning"),
    (["save-event", "s1", "tl_verdicts", '{"verdict": "APPROVED"}'], "events"),
    (["get-success-criteria", "s1"], "criteria"),
])
def test_a_family_command_loads_only_its_family(baseline: set[str], db_path: str, cli, command: list[str],  # type: ignore[no-untyped-def]
                                                family: str) -> None:
    """Families are imported on first use: a call pays for its own family's module, no other."""
    assert cli("create-session", "s1").code == 0
    names = imported_modules("-m", "bazinga_db", "--db", db_path, *command)
    records = {name for name in ours(names) if name.startswith("bazinga_db.records.")}
    assert records == {f"bazinga_db.records.{family}"}, sorted(records)
    assert not forbidden(names - baseline)
