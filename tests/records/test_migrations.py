"""Migrations: new, empty, old and foreign SQLite files, and many processes starting at once.

The two "upstream" fixtures are SQLite files shaped like the ones the public bazinga
project's scripts create (see upstream_fixtures.py): its seed-era schema and its later
schema (``schema_version`` 19), with rows in every table.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bazinga_db import BazingaDB, SchemaTooNew
from bazinga_db.db import schema
from bazinga_db.db.backends.sqlite import APPLICATION_ID
from bazinga_db.db.migrations import steps as migrations
from bazinga_db.db.migrations.adoption import TIMESTAMP_COLUMNS
from upstream_fixtures import SEED_ERA_ROWS, SEED_ERA_SCHEMA, V19_EXTRA_TABLES, V19_ROWS, V19_SCHEMA

pytestmark = pytest.mark.sqlite_only

ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
OUR_TABLES = [table.name for table in schema.TABLES]

def build(path: Path, schema_sql: str, rows_sql: str) -> Path:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute("PRAGMA synchronous=OFF")  # a test fixture: no need to wait for the disk
    connection.executescript(f"BEGIN;\n{schema_sql}\n{rows_sql}\nCOMMIT;")
    assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    connection.close()
    return path


@pytest.fixture
def seed_era_file(tmp_path: Path) -> Path:
    return build(tmp_path / "seed.db", SEED_ERA_SCHEMA, SEED_ERA_ROWS)


@pytest.fixture
def v19_file(tmp_path: Path) -> Path:
    path = build(tmp_path / "v19.db", V19_SCHEMA, V19_ROWS)
    with sqlite3.connect(path) as connection:  # their scripts ran in WAL mode too
        connection.execute("PRAGMA journal_mode=WAL")
    return path


# -- inspection helpers -------------------------------------------------------------------


def connect(path: Path | str) -> sqlite3.Connection:
    connection = sqlite3.connect(path)
    connection.row_factory = sqlite3.Row
    return connection


def tables(path: Path | str) -> list[str]:
    with connect(path) as connection:
        return [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )]


def counts(path: Path | str) -> dict[str, int]:
    with connect(path) as connection:
        return {name: connection.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in tables(path)}


def rows(path: Path | str, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    with connect(path) as connection:
        return [dict(row) for row in connection.execute(sql, params)]


def shape(path: Path | str, table: str) -> dict[str, Any]:
    """What PRAGMAs say about a table: columns, indexes (with their columns), foreign keys."""
    with connect(path) as connection:
        columns = [tuple(row) for row in connection.execute(f"PRAGMA table_info({table})")]
        indexes = []
        for index in connection.execute(f"PRAGMA index_list({table})"):
            info = [tuple(row) for row in connection.execute(f"PRAGMA index_info({index['name']})")]
            indexes.append((index["name"], index["unique"], index["origin"], index["partial"], info))
        foreign = [tuple(row)[2:] for row in connection.execute(f"PRAGMA foreign_key_list({table})")]
    return {"columns": columns, "indexes": sorted(indexes), "foreign_keys": foreign}


def fresh_file(tmp_path: Path) -> Path:
    path = tmp_path / "fresh.db"
    with BazingaDB(path) as db:
        db.migrate()
    return path


def cli(path: Path | str, *args: str, cwd: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bazinga_db", "--db", str(path), *args],
        check=False, capture_output=True, text=True, timeout=120, cwd=cwd,
    )


def assert_our_schema(path: Path, reference: Path) -> None:
    """Our tables in ``path`` have exactly the columns (kept extras after ours), indexes and keys of a fresh file."""
    for table in OUR_TABLES:
        got, want = shape(path, table), shape(reference, table)
        own = len(schema.TABLES_BY_NAME[table].columns)  # created with the table; later ones were added
        assert got["columns"][:own] == want["columns"][:own], table
        # A column a later migration adds may already be there among an adopted file's extras.
        got_by_name = {column[1]: column[1:] for column in got["columns"]}
        assert [got_by_name.get(column[1]) for column in want["columns"]] == [c[1:] for c in want["columns"]], table
        assert got["indexes"] == want["indexes"], table
        assert got["foreign_keys"] == want["foreign_keys"], table


def assert_timestamps_normalised(path: Path) -> None:
    for table in OUR_TABLES:
        names = [c for c in schema.TABLES_BY_NAME[table].column_names if c in TIMESTAMP_COLUMNS]
        for name in names:
            for row in rows(path, f"SELECT {name} AS t FROM {table} WHERE {name} IS NOT NULL"):
                assert ISO_MS.match(row["t"]), (table, name, row["t"])


# -- new and empty files ------------------------------------------------------------------


def test_fresh_file(tmp_path: Path) -> None:
    path = fresh_file(tmp_path)
    assert set(OUR_TABLES) | {"_migrations"} <= set(tables(path))
    recorded = rows(path, "SELECT id, name FROM _migrations ORDER BY id")
    assert recorded == [{"id": n, "name": name} for n, (name, _f) in enumerate(migrations.MIGRATIONS, start=1)]
    pragmas = rows(path, "SELECT * FROM pragma_user_version, pragma_application_id, pragma_journal_mode")[0]
    assert pragmas == {
        "user_version": migrations.LATEST_VERSION, "application_id": APPLICATION_ID, "journal_mode": "wal"
    }
    with BazingaDB(path) as db:
        assert db.migrate()["applied"] == []


def test_empty_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    assert path.stat().st_size == 0
    result = cli(path, "create-session", "s1", "simple", "from an empty file")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"✓ Database auto-initialized at {path}\n✓ Session created: s1\n"
    assert_our_schema(path, fresh_file(tmp_path))


def test_missing_folder_is_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "bazinga.db"
    result = cli(path, "log-interaction", "s1", "pm", "hello")
    assert result.returncode == 0, result.stderr
    assert path.is_file()


# -- the seed-era file --------------------------------------------------------------------


def test_seed_era_file_is_adopted_with_every_row(seed_era_file: Path, tmp_path: Path) -> None:
    before = counts(seed_era_file)
    with BazingaDB(seed_era_file) as db:
        applied = db.migrate()["applied"]
    assert applied == [name for name, _f in migrations.MIGRATIONS]
    after = counts(seed_era_file)
    for table, count in before.items():
        assert after[table] == count, table
    assert after["task_group_events"] == 0
    assert_our_schema(seed_era_file, fresh_file(tmp_path))
    assert_timestamps_normalised(seed_era_file)
    session = rows(seed_era_file, "SELECT * FROM sessions WHERE session_id = 'old_1'")[0]
    assert (session["start_time"], session["end_time"], session["mode"], session["status"]) == (
        "2025-11-12T14:30:00.000Z", "2025-11-12T16:00:00.000Z", "parallel", "completed"
    )
    untyped = rows(seed_era_file, "SELECT agent_type FROM orchestration_logs WHERE session_id = 'old_2'")
    assert untyped == [{"agent_type": "unknown"}]
    assert rows(seed_era_file, "PRAGMA foreign_key_check") == []
    assert rows(seed_era_file, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]


def test_seed_era_file_through_the_cli(seed_era_file: Path) -> None:
    first = cli(seed_era_file, "get-state", "old_1", "pm")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {"iteration": 3, "done": True}
    assert "Database migrated" in first.stderr
    assert json.loads(cli(seed_era_file, "get-state", "old_1", "orchestrator").stdout) == {"phase": "planning"}
    logs = json.loads(cli(seed_era_file, "get-logs", "old_1").stdout)
    assert [entry["content"] for entry in logs] == [
        "Session started", "Task breakdown: 2 groups", "Implemented OAuth2 callback", "Tests pass"
    ]
    assert logs[0]["timestamp"] == "2025-11-12T14:30:05.000Z"
    # roles the seed's CHECK constraint refused are stored now
    for role in ("investigator", "senior_software_engineer", "requirements_engineer"):
        result = cli(seed_era_file, "log-interaction", "old_1", role, f"{role} joined", "4")
        assert result.returncode == 0, result.stderr
    new_log = json.loads(cli(seed_era_file, "--json", "log-interaction", "old_1", "pm", "after").stdout)
    assert new_log["id"] > max(entry["id"] for entry in logs)
    # state history: a new state is added beside the old ones, get-state returns it
    assert cli(seed_era_file, "save-state", "old_1", "pm", '{"iteration": 4}').returncode == 0
    assert json.loads(cli(seed_era_file, "get-state", "old_1", "pm").stdout) == {"iteration": 4}
    assert len(rows(seed_era_file, "SELECT id FROM state_snapshots WHERE session_id='old_1' AND state_type='pm'")) == 4
    # the seed's global task-group key is now per session
    assert cli(seed_era_file, "create-task-group", "group_a", "old_2", "Same id, other session").returncode == 0
    ambiguous = cli(seed_era_file, "update-task-group", "group_a", "--status", "in_progress")
    assert ambiguous.returncode == 2 and "old_1, old_2" in ambiguous.stderr
    assert cli(seed_era_file, "update-task-group", "group_b", "--increment-revision").returncode == 0
    groups = {g["id"]: g for g in json.loads(cli(seed_era_file, "get-task-groups", "old_1").stdout)}
    assert groups["group_b"]["revision_count"] == 3
    snapshot = json.loads(cli(seed_era_file, "dashboard-snapshot", "old_1").stdout)
    assert snapshot["token_usage"]["total_tokens"] == 12450 + 28340
    assert snapshot["skill_outputs"] == {"lint": {"errors": 0}}
    assert json.loads(cli(seed_era_file, "get-config", "max_parallel").stdout) == 4
    assert [s["session_id"] for s in json.loads(cli(seed_era_file, "list-sessions").stdout)] == ["old_2", "old_1"]


# -- the later (schema_version 19) file ---------------------------------------------------


def test_v19_workflow_rows_are_read_by_our_commands(v19_file: Path) -> None:
    """What a schema-19 run left is what the next agent reads: the pending package (not the
    one it superseded), the project's patterns and strategies."""
    session = "bazinga_20260110_100000"
    with BazingaDB(v19_file) as db:
        assert [p["id"] for p in db.get_context_packages(session, "group_a", "qa_expert")] == [2]
        assert db.get_context_packages(session, "group_a", "developer") == []  # it read package 2
        assert db.mark_context_consumed(2, "qa_expert")["newly_consumed"] is True
        # def456 was last seen on 2026-01-10 with 30 days to live: expired, so not offered, and cleaned up
        assert [p["pattern_hash"] for p in db.get_error_patterns("shop", min_confidence=0)] == ["abc123"]
        assert db.cleanup_error_patterns("shop")["deleted"] == ["shop:def456"]
        assert db.save_error_pattern("shop", "ImportError", "No module named 'x'", "pip install it")["operation"] \
            in ("created", "updated")
        assert [s["strategy_id"] for s in db.get_strategies("shop")] == ["shop_architecture_1"]
        assert db.save_strategy("shop", "architecture", "One adapter per payment provider",
                                strategy_id="shop_architecture_1")["helpfulness"] == 3


def test_v19_file_is_adopted_with_every_row(v19_file: Path, tmp_path: Path) -> None:
    before = counts(v19_file)
    assert set(V19_EXTRA_TABLES) <= set(before)
    with BazingaDB(v19_file) as db:
        db.migrate()
    after = counts(v19_file)
    # v19's events were log rows: they moved to the events table, none lost
    moved = 2
    assert after["events"] == moved
    assert after["orchestration_logs"] == before["orchestration_logs"] - moved
    for table, count in before.items():
        if table != "orchestration_logs":
            assert after[table] == count, table
    assert after["configuration"] == after["decisions"] == 0  # tables v19 did not have
    assert_our_schema(v19_file, fresh_file(tmp_path))
    assert_timestamps_normalised(v19_file)
    assert rows(v19_file, "PRAGMA foreign_key_check") == []
    assert rows(v19_file, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    # their context packages are ours: the consumer rows took their package's session, and the
    # package that superseded another keeps saying which (a plain column now, no cascade)
    references = {row["table"] for row in rows(v19_file, "SELECT * FROM pragma_foreign_key_list('context_packages')")}
    assert references == {"sessions"}
    assert rows(v19_file, "SELECT package_id, session_id, agent_type, consumed_at FROM context_package_consumers "
                          "ORDER BY id") == [
        {"package_id": 2, "session_id": "bazinga_20260110_100000", "agent_type": "developer",
         "consumed_at": "2026-01-10T10:02:40.000Z"},
        {"package_id": 2, "session_id": "bazinga_20260110_100000", "agent_type": "qa_expert", "consumed_at": None}]
    assert rows(v19_file, "SELECT supersedes_id, version, scope FROM context_packages ORDER BY id") == [
        {"supersedes_id": None, "version": 1, "scope": "group"}, {"supersedes_id": 1, "version": 2, "scope": "group"}]
    assert rows(v19_file, "SELECT scope_id, package_id FROM consumption_scope") == [
        {"scope_id": "scope-1", "package_id": 2}]
    # learned memory: the error type comes out of the signature, the expiry is computed once
    patterns = rows(v19_file, "SELECT pattern_hash, error_type, confidence, occurrences, last_seen, expires_at "
                              "FROM error_patterns ORDER BY pattern_hash")
    assert patterns[1] == {"pattern_hash": "def456", "error_type": "ImportError", "confidence": 0.8,
                           "occurrences": 3, "last_seen": "2026-01-10T10:00:00.000Z",
                           "expires_at": "2026-02-09T10:00:00.000Z"}
    assert patterns[0]["error_type"] is None and patterns[0]["confidence"] == 0.5
    assert rows(v19_file, "SELECT strategy_id, helpfulness, last_seen FROM strategies") == [
        {"strategy_id": "shop_architecture_1", "helpfulness": 2, "last_seen": "2026-01-10T10:05:00.000Z"}]
    assert rows(v19_file, "SELECT version FROM schema_version") == [{"version": 19}]
    # extra columns are kept with their values
    group = rows(v19_file, "SELECT * FROM task_groups WHERE id = 'group_a' AND session_id = 'bazinga_20260110_100000'")[0]
    assert (group["status"], group["feature_branch"], group["merge_status"], group["initial_tier"], group["qa_attempts"]) == (
        "merging", "feature/a", "in_progress", "Senior Software Engineer", 2
    )
    session = rows(v19_file, "SELECT * FROM sessions WHERE session_id = 'bazinga_20260110_100000'")[0]
    assert (session["initial_branch"], session["metadata"]) == ("develop", '{"project": "shop"}')
    reasoning = rows(v19_file, "SELECT * FROM orchestration_logs WHERE log_type = 'reasoning'")[0]
    assert (reasoning["reasoning_phase"], reasoning["confidence_level"], reasoning["redacted"]) == ("approach", "high", 1)
    # timestamps another tool wrote in other ISO forms are brought to ours, in UTC
    assert rows(v19_file, "SELECT timestamp FROM orchestration_logs WHERE content = 'Root cause found'") == [
        {"timestamp": "2026-01-09T08:00:01.250Z"}
    ]
    assert rows(v19_file, "SELECT timestamp FROM token_usage WHERE agent_id = 're_1'") == [
        {"timestamp": "2026-01-10T10:01:00.000Z"}
    ]
    # session-wide state was stored under group 'global'; ours is group_id NULL
    assert rows(v19_file, "SELECT COUNT(*) AS n FROM state_snapshots WHERE group_id = 'global'") == [{"n": 0}]
    # idempotency keys were unique per (session, subtype, group); ours per session: both rows kept
    events = rows(v19_file, "SELECT * FROM events ORDER BY id")
    keys = [row["idempotency_key"] for row in events]
    assert keys[0] == "evt-1" and keys[1].startswith("evt-1:") and len(keys) == 2
    assert [(e["event_subtype"], e["group_id"], e["event_payload"]) for e in events] == [
        ("merge_start", "group_a", '{"branch": "feature/a"}'), ("merge_done", "group_a", '{"branch": "feature/a"}')]
    # the success criteria and the plan are ours now, rows and values kept
    criteria = rows(v19_file, "SELECT criterion, status, required_for_completion FROM success_criteria ORDER BY id")
    assert criteria == [{"criterion": "Invoices render", "status": "pending", "required_for_completion": 1},
                        {"criterion": "Webhooks verified", "status": "met", "required_for_completion": 1}]
    plan = rows(v19_file, "SELECT phases, current_phase, total_phases, created_at FROM development_plans")
    assert plan == [{"phases": '["api", "ui"]', "current_phase": 1, "total_phases": 2,
                     "created_at": "2026-01-10T10:00:30.000Z"}]


def test_v19_file_through_the_cli(v19_file: Path) -> None:
    sid = "bazinga_20260110_100000"
    state = cli(v19_file, "get-state", sid, "pm")
    assert state.returncode == 0, state.stderr
    assert json.loads(state.stdout) == {"iteration": 4}
    assert json.loads(cli(v19_file, "get-state", sid, "pm", "--group-id", "group_a").stdout) == {"group": "a"}
    assert json.loads(cli(v19_file, "get-state", "bazinga_20260109_080000", "investigation").stdout) == {
        "hypotheses": 3
    }
    # one state row per (session, type) was their rule; ours keeps every version
    for iteration in (5, 6):
        assert cli(v19_file, "save-state", sid, "pm", json.dumps({"iteration": iteration})).returncode == 0
    assert json.loads(cli(v19_file, "get-state", sid, "pm").stdout) == {"iteration": 6}
    history = rows(v19_file, "SELECT state_data FROM state_snapshots WHERE session_id = ? AND state_type = 'pm' "
                             "AND group_id IS NULL ORDER BY id", (sid,))
    assert [json.loads(row["state_data"])["iteration"] for row in history] == [4, 5, 6]
    groups = json.loads(cli(v19_file, "get-task-groups", sid).stdout)
    assert {g["id"]: g["status"] for g in groups} == {"group_a": "merging", "group_b": "approved_pending_merge"}
    update = cli(v19_file, "update-task-group", "group_b", "--session", sid, "--status", "completed")
    assert update.returncode == 0, update.stderr
    assert cli(v19_file, "log-interaction", sid, "qa_expert", "verified invoices", "2").returncode == 0
    summary = json.loads(cli(v19_file, "token-summary", sid).stdout)
    assert summary["breakdown"] == {"senior_software_engineer": 9000, "requirements_engineer": 3000}
    snapshot = json.loads(cli(v19_file, "dashboard-snapshot", sid).stdout)
    assert snapshot["task_group_counts"]["total"] == 2
    assert snapshot["log_count"] == 4  # v19's two event rows are in the events table now
    assert snapshot["states"]["pm"] == {"iteration": 6}
    assert snapshot["session"]["metadata"] == {"project": "shop"}
    # the extra tables are readable through query, unchanged
    criteria = json.loads(cli(v19_file, "query", "SELECT criterion, status FROM success_criteria ORDER BY id").stdout)
    assert criteria == [{"criterion": "Invoices render", "status": "pending"},
                        {"criterion": "Webhooks verified", "status": "met"}]
    assert rows(v19_file, "PRAGMA foreign_key_check") == []


def test_concurrent_first_start_on_an_upstream_file(v19_file: Path) -> None:
    before = counts(v19_file)
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "bazinga_db", "--db", str(v19_file), "--quiet", "log-interaction",
             "bazinga_20260110_100000", "developer", f"worker {n}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for n in range(8)
    ]
    results = [(process.wait(timeout=120), process.stderr.read()) for process in processes]  # type: ignore[union-attr]
    assert [code for code, _err in results] == [0] * 8, results
    after = counts(v19_file)
    assert after["orchestration_logs"] == before["orchestration_logs"] - 2 + 8  # v19's 2 events moved out
    assert after["state_snapshots"] == before["state_snapshots"]
    assert rows(v19_file, "SELECT COUNT(*) AS n FROM _migrations") == [{"n": migrations.LATEST_VERSION}]
    # Each migration is applied by exactly one process (checked above); each process that
    # applied one says so, so one to LATEST_VERSION of them report a migration.
    assert 1 <= sum("Database migrated" in err for _code, err in results) <= migrations.LATEST_VERSION


# -- files we must not write --------------------------------------------------------------


def test_newer_schema_is_refused_for_writes_but_readable(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    with BazingaDB(path) as db:
        db.create_session("s1", "simple", "written by the future")
        db.log_interaction("s1", "pm", "hello")
    future = migrations.LATEST_VERSION + 1
    with sqlite3.connect(path) as connection:
        connection.execute("INSERT INTO _migrations (id, name, applied_at) VALUES (?, ?, ?)",
                           (future, f"m{future:03d}_from_the_future", "2030-01-01T00:00:00.000Z"))
        connection.execute(f"PRAGMA user_version = {future}")
    before = counts(path)
    for argv in (["log-interaction", "s1", "pm", "x"], ["create-session", "s2"], ["migrate"],
                 ["update-session-status", "s1", "failed"]):
        result = cli(path, "--json", *argv)
        assert result.returncode == 1, (argv, result)
        error = json.loads(result.stdout)["error"]
        assert error["code"] == "schema_too_new"
        assert f"schema version {future}" in error["message"]
        assert "Traceback" not in result.stderr
    assert counts(path) == before
    read = cli(path, "get-session", "s1")
    assert read.returncode == 0, read.stderr
    assert json.loads(read.stdout)["original_requirements"] == "written by the future"
    assert len(json.loads(cli(path, "get-logs", "s1").stdout)) == 1
    with pytest.raises(SchemaTooNew), BazingaDB(path) as db:
        db.save_state("s1", "pm", {})
    assert rows(path, "PRAGMA user_version") == [{"user_version": future}]


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 100)
    result = cli(path, "--json", "list-sessions")
    assert result.returncode == 1
    assert json.loads(result.stdout)["error"]["code"] == "database_error"
    assert "not an SQLite database" in result.stderr
    assert path.read_text().startswith("these are my notes")


# -- concurrent first start ---------------------------------------------------------------


def test_eight_processes_start_on_a_missing_file_at_once(tmp_path: Path) -> None:
    path = tmp_path / "new" / "bazinga.db"
    commands = [
        ["log-interaction", "s1", "developer", f"developer {n} started", "1", f"developer_{n}"] if n % 2 else
        ["save-state", f"s{n}", "pm", json.dumps({"worker": n})]
        for n in range(8)
    ]
    processes = [
        subprocess.Popen([sys.executable, "-m", "bazinga_db", "--db", str(path), *command],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ})
        for command in commands
    ]
    outputs = [(process.wait(timeout=120), process.stdout.read(), process.stderr.read())  # type: ignore[union-attr]
               for process in processes]
    assert [code for code, _out, _err in outputs] == [0] * 8, outputs
    assert all("Traceback" not in err for _code, _out, err in outputs)
    recorded = rows(path, "SELECT id, name FROM _migrations ORDER BY id")
    assert recorded == [{"id": n, "name": name} for n, (name, _f) in enumerate(migrations.MIGRATIONS, start=1)]
    assert sum("Database auto-initialized" in out for _code, out, _err in outputs) == 1
    assert rows(path, "SELECT COUNT(*) AS n FROM orchestration_logs") == [{"n": 4}]
    assert rows(path, "SELECT COUNT(*) AS n FROM state_snapshots") == [{"n": 4}]
    assert rows(path, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    assert_our_schema(path, fresh_file(tmp_path))


def test_the_schema_version_is_the_number_of_named_migrations() -> None:
    """The version comes from the one list of names; every name is a step, every step is named."""
    from bazinga_db.db.migrations import LATEST_VERSION, NAMES, steps

    assert LATEST_VERSION == len(NAMES) == len(steps.MIGRATIONS)
    defined = sorted(name for name in vars(steps) if name[:1] == "m" and name[1:4].isdigit())
    assert defined == list(NAMES)
