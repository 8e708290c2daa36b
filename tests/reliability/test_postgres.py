"""What is particular to PostgreSQL: URLs, connection errors, the schema marker, lazy import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bazinga_db import BazingaDB, DatabaseError
from bazinga_db.db.backends.postgres import mask_password, to_pyformat
from bazinga_db.db.migrations.steps import MIGRATIONS
from conftest import run_cli
from postgres_helper import free_port

TESTS = Path(__file__).resolve().parents[1]  # tests/: conftest.py, and support/ beside it


def test_placeholders_and_percent_signs_are_translated():
    assert to_pyformat("SELECT * FROM t WHERE a = ? AND b LIKE '50%' AND c = '?'") == (
        "SELECT * FROM t WHERE a = %s AND b LIKE '50%%' AND c = '?'"
    )


def test_passwords_never_appear_in_locations():
    assert mask_password("postgresql://bazinga:s3cret@db:5432/team") == "postgresql://bazinga:***@db:5432/team"
    assert mask_password("postgres://db/team?password=s3cret&sslmode=require") == (
        "postgres://db/team?password=***&sslmode=require"
    )
    assert mask_password("postgresql://bazinga@db/team") == "postgresql://bazinga@db/team"


def test_unreachable_server_is_one_clear_error_without_the_password():
    url = f"postgresql://bazinga:s3cret@127.0.0.1:{free_port()}/team"
    result = run_cli("--json", "get-config", "x", db=url)
    assert result.code == 1
    error = result.json()["error"]
    assert error["code"] == "database_unavailable"
    assert error["message"].startswith("cannot connect to PostgreSQL at postgresql://bazinga:***@127.0.0.1:")
    assert "s3cret" not in result.out + result.err
    assert "Traceback" not in result.err


def test_malformed_url_is_bad_input():
    result = run_cli("get-config", "x", db="postgresql://db/team?no_such_option=1")
    assert result.code == 2
    assert "invalid PostgreSQL URL" in result.err and "Traceback" not in result.err


def test_missing_database_is_named(postgres_server):
    result = run_cli("list-sessions", db=postgres_server.url("no_such_database"))
    assert result.code == 1
    assert 'database "no_such_database" does not exist' in result.err


def test_schema_version_lives_with_migrations_table(postgres_server):
    name = postgres_server.create_database()
    with BazingaDB(postgres_server.url(name)) as db:
        assert db.migrate()["applied"] == [migration for migration, _ in MIGRATIONS]
        assert db.backend.schema_version() == len(MIGRATIONS)
    rows = postgres_server.execute("SELECT obj_description('_migrations'::regclass, 'pg_class')", name)
    assert rows == [(f"bazinga-db schema {len(MIGRATIONS)}",)]
    # Integer and text columns have the types the JSON output relies on.
    types = dict(postgres_server.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'token_usage'", name
    ))
    assert types["tokens_estimated"] == "bigint" and types["cost_usd"] == "double precision"
    assert types["id"] == "bigint" and types["agent_type"] == "text"


def test_a_newer_schema_is_read_but_not_written(postgres_server):
    name = postgres_server.create_database()
    url = postgres_server.url(name)
    assert run_cli("set-config", "k", "1", db=url).code == 0
    postgres_server.execute("COMMENT ON TABLE _migrations IS 'bazinga-db schema 99'", name)
    refused = run_cli("--json", "set-config", "k", "2", db=url)
    assert refused.code == 1 and refused.json()["error"]["code"] == "schema_too_new"
    assert run_cli("get-config", "k", db=url).out.strip() == "1"


def test_another_tools_migrations_table_is_not_taken_for_ours(postgres_server):
    name = postgres_server.create_database()
    postgres_server.execute("CREATE TABLE _migrations (id INTEGER PRIMARY KEY, name TEXT)", name)
    with BazingaDB(postgres_server.url(name)) as db, pytest.raises(DatabaseError, match="did not make"):
        db.list_sessions()


def test_a_schema_of_its_own_through_search_path(postgres_server):
    name = postgres_server.create_database()
    postgres_server.execute("CREATE SCHEMA team_a", name)
    url = postgres_server.url(name) + "?options=-csearch_path%3Dteam_a"
    assert run_cli("log-interaction", "s", "pm", "in team_a", db=url).code == 0
    assert postgres_server.execute("SELECT content FROM team_a.orchestration_logs", name) == [("in team_a",)]
    assert postgres_server.execute("SELECT to_regclass('public.orchestration_logs')", name) == [(None,)]


def test_sqlite_calls_never_import_psycopg(tmp_path: Path):
    code = (
        "import sys\n"
        "from bazinga_db.frontends.cli import main\n"
        f"assert main(['--db', {str(tmp_path / 'x.db')!r}, 'log-interaction', 's', 'pm', 'hi']) == 0\n"
        f"assert main(['--db', {str(tmp_path / 'x.db')!r}, 'get-logs', 's']) == 0\n"
        "assert 'psycopg' not in sys.modules, 'psycopg was imported'\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr


def test_without_psycopg_a_url_says_what_to_install(tmp_path: Path):
    # A psycopg that cannot be imported, first on the path: as on a machine without the extra.
    (tmp_path / "psycopg").mkdir()
    (tmp_path / "psycopg" / "__init__.py").write_text("raise ImportError('no psycopg here')\n")
    result = run_cli("--json", "get-config", "x", db="postgresql://127.0.0.1/x", env={"PYTHONPATH": str(tmp_path)})
    assert result.code == 1
    error = result.json()["error"]
    assert error["code"] == "backend_unavailable"
    assert error["hint"] == ("pip install '.[postgres]' in a bazinga-db checkout, "
                             "or pip install 'psycopg[binary]>=3.1' into the same environment")


def test_missing_binaries_skip_locally_and_fail_under_ci(tmp_path: Path):
    (tmp_path / "test_probe.py").write_text("def test_probe(store):\n    store.list_sessions()\n")
    # Our conftest, loaded as a plugin, on a machine where initdb cannot be found.
    base = {"BAZINGA_TEST_PG_BIN": str(tmp_path / "nowhere"), "BAZINGA_TEST_POSTGRES_URL": "",
            "PYTHONPATH": os.pathsep.join([str(TESTS), str(TESTS / "support")])}

    def pytest_run(ci: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, **base, "CI": ci}
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-p", "conftest",
                               str(tmp_path)],
                              capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False)

    local = pytest_run("")
    assert local.returncode == 0, local.stdout
    assert "1 passed, 1 skipped" in local.stdout
    assert "PostgreSQL binaries (initdb, pg_ctl) not found" in local.stdout
    under_ci = pytest_run("true")
    assert under_ci.returncode == 1, under_ci.stdout
    assert "1 passed, 1 error" in under_ci.stdout
    assert "PostgreSQL tests cannot run under CI" in under_ci.stdout


def test_a_held_write_lock_means_busy_after_the_deadline_and_nothing_written(postgres_server, monkeypatch):
    import psycopg

    from bazinga_db import DatabaseBusy
    from bazinga_db.db.backends import postgres

    name = postgres_server.create_database()
    url = postgres_server.url(name)
    with BazingaDB(url) as db:
        db.set_config("k", 1)
        monkeypatch.setattr(postgres, "WRITE_DEADLINE_S", 0.5)
        with psycopg.connect(url, autocommit=True) as other:
            other.execute("SELECT pg_advisory_lock(%s, %s)", (postgres.LOCK_NAMESPACE, postgres.WRITE_LOCK))
            with pytest.raises(DatabaseBusy, match="nothing was written"):
                db.set_config("k", 2)
            assert db.get_config("k") == 1  # readers never wait for the write lock
            other.execute("SELECT pg_advisory_unlock_all()")
        db.set_config("k", 3)  # the same connection writes again once the lock is free
        assert db.get_config("k") == 3
