"""Shared fixtures: a fresh database path, the real CLI as a subprocess, the Python API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bazinga_db import BazingaDB

REPO = Path(__file__).resolve().parent.parent


class Result:
    def __init__(self, completed: subprocess.CompletedProcess[str]) -> None:
        self.code = completed.returncode
        self.out = completed.stdout
        self.err = completed.stderr

    def json(self) -> Any:
        return json.loads(self.out)

    def __repr__(self) -> str:
        return f"Result(code={self.code}, out={self.out!r}, err={self.err!r})"


def run_cli(*args: str, db: str | None = None, input: str | None = None, cwd: str | None = None,
            env: dict[str, str] | None = None) -> Result:
    """Run the real entry point (python -m bazinga_db) in a new process."""
    command = [sys.executable, "-m", "bazinga_db"]
    if db is not None:
        command += ["--db", db]
    command += list(args)
    full_env = {**os.environ, **(env or {})}
    completed = subprocess.run(
        command, input=input, capture_output=True, text=True, cwd=cwd, env=full_env, timeout=120, check=False
    )
    return Result(completed)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sqlite_only: about the SQLite file itself (upstream files, PRAGMAs, paths); "
        "not run against other backends",
    )


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "bazinga.db")


@pytest.fixture
def cli(db_path: str):  # type: ignore[no-untyped-def]
    """``cli("log-interaction", ...)`` runs the CLI against this test's database."""

    def run(*args: str, input: str | None = None, **kwargs: Any) -> Result:
        return run_cli(*args, db=kwargs.pop("db", db_path), input=input, **kwargs)

    return run


@pytest.fixture
def store(db_path: str) -> Iterator[BazingaDB]:
    db = BazingaDB(db_path)
    yield db
    db.close()
