"""Team mode on PostgreSQL: sessions that never wait on each other, a read-only role for
dashboards, and `doctor` on a server.

Each test gets a database of its own on the session's private server (``postgres_server``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import psycopg
import pytest

from bazinga_db import BazingaDB
from bazinga_db.db.backends.postgres import LOCK_NAMESPACE, SESSION_LOCK_NAMESPACE, WRITE_LOCK, session_key
from conftest import run_cli
from postgres_helper import PostgresServer


@pytest.fixture
def team_db(postgres_server: PostgresServer) -> Iterator[str]:
    name = postgres_server.create_database()
    try:
        yield postgres_server.url(name)
    finally:
        postgres_server.drop_database(name)


def hold_session_lock(url: str, session_id: str) -> psycopg.Connection:
    """A raw transaction holding the keys a write to ``session_id`` takes (until rollback)."""
    connection = psycopg.connect(url)
    connection.execute(
        f"SELECT pg_advisory_xact_lock_shared({LOCK_NAMESPACE}, {WRITE_LOCK}), "
        f"pg_advisory_xact_lock({SESSION_LOCK_NAMESPACE}, {session_key(session_id)})"
    )
    return connection


def in_thread(function, *args):  # type: ignore[no-untyped-def]
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["value"] = function(*args)
        except BaseException as exc:  # noqa: BLE001 (handed to the test thread)
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def test_two_sessions_write_transactions_overlap(team_db: str) -> None:
    """Session A's write transaction stays open while session B's write commits."""
    with BazingaDB(team_db) as first, BazingaDB(team_db) as second:
        first.create_session("A")
        second.create_session("B")
        inside = threading.Event()
        release = threading.Event()

        def slow_write() -> int:
            with first.write("A") as tx:
                tx.execute("UPDATE sessions SET status = 'active' WHERE session_id = ?", ("A",))
                inside.set()
                assert release.wait(30), "the test never released the first transaction"
            return 1

        thread, result = in_thread(slow_write)
        assert inside.wait(30)
        # B commits while A's transaction (and A's lock) is still open.
        row = second.log_interaction("B", "developer", "written while A holds its lock")
        assert thread.is_alive() and not release.is_set()
        with second.read() as tx:
            assert tx.one("SELECT content FROM orchestration_logs WHERE id = ?", (row["id"],)) is not None
        release.set()
        thread.join(30)
        assert result == {"value": 1}


def test_a_write_to_the_same_session_waits_and_another_session_does_not(team_db: str) -> None:
    run_cli("create-session", "A", db=team_db)
    holder = hold_session_lock(team_db, "A")
    try:
        other = run_cli("--json", "log-interaction", "B", "developer", "not blocked", db=team_db)
        assert other.code == 0, other.err
        with BazingaDB(team_db) as db:
            thread, result = in_thread(db.log_interaction, "A", "developer", "waits for the lock")
            thread.join(1.0)
            assert thread.is_alive(), "a write to session A did not wait for A's lock"
            holder.rollback()
            thread.join(30)
            assert not thread.is_alive() and "error" not in result
            assert result["value"]["content"] == "waits for the lock"  # type: ignore[index]
    finally:
        holder.close()


def test_global_writes_wait_for_every_session_writer(team_db: str) -> None:
    run_cli("create-session", "A", db=team_db)
    holder = hold_session_lock(team_db, "A")
    try:
        with BazingaDB(team_db) as db:
            thread, result = in_thread(db.set_config, "team", {"size": 3})
            thread.join(1.0)
            assert thread.is_alive(), "set-config did not wait for a session writer"
            holder.rollback()
            thread.join(30)
            assert result.get("value") is not None, result
    finally:
        holder.close()


def test_task_group_update_without_session_takes_the_global_lock(team_db: str) -> None:
    assert run_cli("create-task-group", "g1", "A", "Group", db=team_db).code == 0
    holder = hold_session_lock(team_db, "B")  # another session: only a global write waits for it
    try:
        with BazingaDB(team_db) as db:
            scoped, scoped_result = in_thread(db.update_task_group, "g1", "A", "in_progress")
            scoped.join(30)
            assert scoped_result.get("value") is not None, scoped_result
            unscoped, unscoped_result = in_thread(db.update_task_group, "g1", None, "completed")
            unscoped.join(1.0)
            assert unscoped.is_alive(), "a task-group update without a session did not take the global lock"
            holder.rollback()
            unscoped.join(30)
            assert unscoped_result["value"]["status"] == "completed"  # type: ignore[index]
    finally:
        holder.close()


def test_parallel_writers_on_many_sessions_keep_every_guarantee(team_db: str) -> None:
    """8 threads x 4 sessions: every acknowledged write present once, counters exact,
    idempotency keys honoured, and each session's ids in commit order."""
    run_cli("create-task-group", "g", "s0", "Group", db=team_db)
    errors: list[BaseException] = []
    acknowledged: list[tuple[str, int]] = []
    lock = threading.Lock()

    def writer(number: int) -> None:
        session = f"s{number % 4}"
        try:
            with BazingaDB(team_db) as db:
                for call in range(10):
                    row = db.log_interaction(session, "developer", f"w{number}-{call}",
                                             idempotency_key=f"k{number}-{call % 5}")
                    db.update_task_group("g", "s0", increment_revision=True)
                    with lock:
                        acknowledged.append((session, row["id"]))
        except BaseException as exc:  # noqa: BLE001 (reported by the test thread)
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    with BazingaDB(team_db) as db, db.read() as tx:
        rows = tx.all("SELECT id, session_id, content, idempotency_key FROM orchestration_logs ORDER BY id")
        group = tx.one("SELECT revision_count FROM task_groups WHERE id = 'g'")
    assert group is not None and group["revision_count"] == 80
    assert len(rows) == 8 * 5  # five distinct keys per writer
    ids = {row["id"] for row in rows}
    assert {row_id for _, row_id in acknowledged} == ids
    # key k<writer>-<call> was first used by call <call>, whose content is w<writer>-<call>
    assert all(row["content"] == "w" + row["idempotency_key"][1:] for row in rows)


def test_a_read_only_role_reads_everything_and_cannot_write(team_db: str, postgres_server: PostgresServer) -> None:
    database = team_db.rpartition("/")[2]
    for args in (
        ("create-session", "s1", "--requirements", "build it"),
        ("log-interaction", "s1", "developer", "Implemented the login form"),
        ("save-state", "s1", "orchestrator", '{"phase": 1}'),
        ("create-task-group", "g1", "s1", "Login"),
        ("log-tokens", "s1", "developer", "1200", "--model", "claude-sonnet-4"),
        ("save-skill-output", "s1", "lint", '{"errors": 0}'),
        ("log-decision", "s1", "scope", '{"choice": "Login first"}'),
        ("set-config", "team", '{"size": 2}'),
    ):
        result = run_cli(*args, db=team_db)
        assert result.code == 0, (args, result.err)
    postgres_server.execute("DROP ROLE IF EXISTS bazinga_reader")
    postgres_server.execute("CREATE ROLE bazinga_reader LOGIN")
    postgres_server.execute(f'GRANT CONNECT ON DATABASE "{database}" TO bazinga_reader')
    postgres_server.execute("GRANT USAGE ON SCHEMA public TO bazinga_reader", database)
    postgres_server.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO bazinga_reader", database)
    reader = team_db.replace("postgres@", "bazinga_reader@", 1)
    try:
        reads = [
            ("get-session", "s1"), ("list-sessions",), ("get-logs", "s1"), ("stream-logs", "s1"),
            ("get-state", "s1", "orchestrator"), ("state-history", "s1", "orchestrator"),
            ("get-task-groups", "s1"), ("get-task-group-events", "s1"), ("token-summary", "s1"),
            ("get-skill-output", "s1", "lint"), ("get-config", "team"), ("get-decisions", "s1"),
            ("dashboard-snapshot", "s1"), ("search-logs", "login"), ("prices",),
            ("query", "SELECT COUNT(*) AS n FROM orchestration_logs"), ("doctor",),
        ]
        for args in reads:
            result = run_cli("--json", *args, db=reader)
            assert result.code == 0, (args, result.out, result.err)
            assert "Traceback" not in result.err
        exported = run_cli("export", db=reader)
        assert exported.code == 0 and "Implemented the login form" in exported.out, exported.err
        for args in (
            ("log-interaction", "s1", "developer", "not allowed"),
            ("create-session", "s2"),
            ("set-config", "team", "3"),
            ("update-task-group", "g1", "--session", "s1", "--increment-revision"),
        ):
            result = run_cli("--json", *args, db=reader)
            assert result.code == 1, (args, result.out)
            assert "Traceback" not in result.err
            assert "permission denied" in result.json()["error"]["message"]
        assert run_cli("--json", "get-logs", "s1", db=team_db).json()[0]["content"] == "Implemented the login form"
    finally:
        postgres_server.execute(f'REVOKE ALL ON DATABASE "{database}" FROM bazinga_reader')
        postgres_server.execute("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM bazinga_reader", database)
        postgres_server.execute("REVOKE ALL ON SCHEMA public FROM bazinga_reader", database)


def test_doctor_checks_a_postgres_database(team_db: str) -> None:
    assert run_cli("log-interaction", "s1", "developer", "hello", db=team_db).code == 0
    result = run_cli("--json", "doctor", db=team_db)
    assert result.code == 0, result.err
    report = result.json()
    assert report["backend"] == "postgres"
    assert report["ok"] is True
    assert [item["check"] for item in report["checks"]] == [
        "connection", "server_version", "schema_version", "orphan_rows", "idle_transactions"]
    assert report["server_version"].startswith(("15", "16", "17", "14"))
    assert report["schema_version"] == report["latest_schema_version"]
    assert report["orphans"] == {}
    assert "postgres@" in report["database"] or "127.0.0.1" in report["database"]
