"""Shared fixtures: a fresh database on each backend, the real CLI as a subprocess, the API.

``cli`` and ``store`` run every test that uses them on both backends: a fresh SQLite file
(test id ``[sqlite]``) and a fresh database on a private PostgreSQL server that this file
starts once per run (``[postgres]``). A test that asks for ``db_path`` (an SQLite file
path) or is marked ``sqlite_only`` runs on SQLite only. Without the PostgreSQL binaries
the ``[postgres]`` tests are skipped, with one line saying why; with ``CI=true`` that is
a failure instead.
"""

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
from postgres_helper import PostgresServer, start_postgres_server

REPO = Path(__file__).resolve().parent.parent
BACKENDS = ("sqlite", "postgres")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test that reaches ``db_backend`` (through ``cli``, ``store`` or ``db_target``)
    once per backend."""
    if "db_backend" not in metafunc.fixturenames:
        return
    marked = metafunc.definition.get_closest_marker("sqlite_only") is not None
    sqlite_only = marked or "db_path" in metafunc.fixturenames  # db_path is a file: SQLite only
    metafunc.parametrize("db_backend", ["sqlite"] if sqlite_only else list(BACKENDS), indirect=True)


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
    """An SQLite file path (a test asking for it runs on SQLite only)."""
    return str(tmp_path / "bazinga.db")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A private PostgreSQL server on 127.0.0.1 for the whole run, removed at the end."""
    server = start_postgres_server()
    yield server
    server.stop()


@pytest.fixture
def db_backend(request: pytest.FixtureRequest) -> str:
    """"sqlite" or "postgres" (parametrised by pytest_generate_tests)."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def db_target(db_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """This test's fresh database: an SQLite path (the same as ``db_path``) or a PostgreSQL URL."""
    if db_backend == "sqlite":
        yield str(tmp_path / "bazinga.db")
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.create_database()
    yield server.url(name)
    server.drop_database(name)


@pytest.fixture
def cli(db_target: str):  # type: ignore[no-untyped-def]
    """``cli("log-interaction", ...)`` runs the CLI against this test's database."""

    def run(*args: str, input: str | None = None, **kwargs: Any) -> Result:
        return run_cli(*args, db=kwargs.pop("db", db_target), input=input, **kwargs)

    return run


@pytest.fixture
def store(db_target: str) -> Iterator[BazingaDB]:
    db = BazingaDB(db_target)
    yield db
    db.close()
