"""Small helpers shared by the CLI tests."""

from __future__ import annotations

from conftest import Result


def lines(text: str) -> list[str]:
    return text.rstrip("\n").split("\n") if text.strip() else []


def ok(result: Result) -> Result:
    assert result.code == 0, result
    assert "Traceback" not in result.err
    return result


def initialised(db_path: str) -> str:
    return f"✓ Database auto-initialized at {db_path}"


def auto_created(session_id: str) -> str:
    return f"✓ Session {session_id} did not exist: created it with defaults (mode simple, active)"
