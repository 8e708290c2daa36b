"""The documents agree with the program: generated docs are current, every command is
documented, and every documented example runs."""

from __future__ import annotations

import importlib.util
import shlex
from pathlib import Path

import pytest

from bazinga_db import BazingaDB, operations
from bazinga_db.frontends import render
from conftest import REPO

LIFECYCLE_COMMANDS = ("state-history", "state-diff", "search-logs", "prices", "compare-sessions", "export", "import",
                      "prune", "vacuum")


def load_generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen_docs", REPO / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_documents_are_current() -> None:
    generator = load_generator()
    for path, expected in generator.outputs().items():
        assert path.exists(), f"{path.name} is missing: run python scripts/gen_docs.py"
        assert path.read_text(encoding="utf-8") == expected, (
            f"{path.relative_to(REPO)} is out of date: run python scripts/gen_docs.py"
        )


def test_cli_reference_documents_every_command_and_flag() -> None:
    text = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    for operation in operations.OPERATIONS:
        assert f"\n## {operation.name}\n" in text, operation.name
        assert f"bazinga-db {operation.example}" in text, operation.name
        for param in operation.params:
            assert f"`{param.flag}`" in text, (operation.name, param.flag)


@pytest.mark.parametrize("name", [operation.name for operation in operations.OPERATIONS])
def test_readme_mentions_every_command(name: str) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"`{name}`" in readme, f"README.md does not mention the command {name}"


def test_lifecycle_commands_are_declared_implemented_and_documented() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## History, search, costs, export and retention", 1)[1]
    for name in LIFECYCLE_COMMANDS:
        operation = operations.find(name)
        assert operation is not None, name
        assert f"`{name}" in section or f"bazinga-db {name}" in section, name
        if not operation.tool:
            method = getattr(BazingaDB, operation.method)
            code = method.__code__
            arguments = code.co_varnames[1:code.co_argcount]
            assert [param.name for param in operation.params] == list(arguments), name


def test_skill_document_mentions_every_command() -> None:
    """SKILL.md names every store command, or points to the reference file beside it that does."""
    skill = REPO / "skill" / "bazinga-db" / "SKILL.md"
    if not skill.exists():
        pytest.skip("no skill folder in this checkout")
    text = skill.read_text(encoding="utf-8")
    for reference in sorted((skill.parent / "references").glob("*.md")):
        assert f"`references/{reference.name}`" in text
        text += reference.read_text(encoding="utf-8")
    missing = [op.name for op in operations.OPERATIONS if not op.tool and op.name not in text]
    assert missing == [], f"SKILL.md and its references do not mention: {', '.join(missing)}"


def test_every_example_runs_on_a_fresh_database(cli) -> None:  # type: ignore[no-untyped-def]
    # Writes first, in table order (create-session is the first of them), then the reads,
    # so that every read example finds what the write examples stored. Tool commands
    # (operations with a handler, such as servers) are not store operations: their
    # examples are checked by their own tests.
    store_operations = [operation for operation in operations.OPERATIONS if not operation.tool]
    ordered = [op for op in store_operations if op.write] + [op for op in store_operations if not op.write]
    assert ordered[0].name == "create-session"
    for operation in ordered:
        argv = shlex.split(operation.example)
        assert argv[0] == operation.name, f"the example of {operation.name} runs {argv[0]}"
        result = cli(*argv)
        if operation.exit_1_unless and result.code == 1:  # a check that says "not yet": its answer, not a failure
            assert result.json()[operation.exit_1_unless] is False, (operation.example, result)
            continue
        assert result.code == 0, (operation.example, result)
        assert "Traceback" not in result.err
        if operation.write:
            assert result.out.splitlines()[-1].startswith("✓ "), (operation.example, result.out)
        elif operation.name == "stream-logs" or operation.name in render.TEXT_READS or "--format" in argv:
            assert result.out.strip(), (operation.example, result)  # Markdown or text
            cli("--json", *argv).json()  # and with --json, one JSON document
        else:
            result.json()  # reads print JSON


def _readme_section(title: str) -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]
    return section


def test_readme_usage_block_runs(tmp_path, db_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    block = _readme_section("Using it").split("```bash\n", 1)[1].split("```", 1)[0]
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "bazinga-db").exists():
        pytest.skip("the bazinga-db console script is not installed beside this interpreter")
    completed = subprocess.run(
        ["bash", "-euc", block], check=False, capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "BAZINGA_DB": db_path},
    )
    assert completed.returncode == 0, completed
    assert "✓ Session created: bazinga_20250113_143530" in completed.stdout
    assert '"session_id": "bazinga_20250113_143530"' in completed.stdout  # the dashboard snapshot
    assert "Traceback" not in completed.stderr


def test_readme_python_example_runs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    code = _readme_section("Python API").split("```python\n", 1)[1].split("```", 1)[0]
    completed = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, cwd=tmp_path,
                               timeout=120)
    assert completed.returncode == 0, completed
    assert completed.stdout.splitlines()[0] == "{'iteration': 1}"
    assert (tmp_path / "bazinga" / "bazinga.db").is_file()
