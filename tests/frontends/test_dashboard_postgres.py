"""The dashboard on PostgreSQL: what only a server has. Writes NOTIFY with their COMMIT,
the dashboard LISTENs (and listens again after losing its connection), a role with only
CONNECT and SELECT serves every page and writes nothing, no connection is left idle in a
transaction, and a database without our schema is waited for, never migrated.

The pages, JSON twins, filters and live updates themselves run on both backends in
test_dashboard.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from conftest import run_cli
from dashboard_helpers import SESSION, Server, seed, start_server, stop_server
from postgres_helper import PostgresServer, start_postgres_server

CHANNEL = "bazinga_db_changes"
PAGES = ("/", f"/sessions/{SESSION}", f"/sessions/{SESSION}/state-diff", "/?status=failed", "/?q=board",
         "/api/sessions", f"/api/sessions/{SESSION}", f"/api/sessions/{SESSION}/state-diff",
         f"/api/sessions/{SESSION}/logs?agent=qa", f"/api/sessions/{SESSION}/logs?group=g_i1&after_id=1",
         "/projects", "/api/projects")


@pytest.fixture
def database(postgres_server: PostgresServer) -> Iterator[str]:
    """The name of a fresh, empty database on the test server."""
    name = postgres_server.create_database()
    yield name
    postgres_server.drop_database(name)


def listen(url: str) -> psycopg.Connection[Any]:
    connection = psycopg.connect(url, autocommit=True)
    connection.execute(f"LISTEN {CHANNEL}")
    return connection


def heard(connection: psycopg.Connection[Any], wait: float = 5.0) -> list[str]:
    """The payloads of the notifications that arrive within ``wait`` seconds of the first
    (or none, when nothing arrives in ``wait`` seconds)."""
    payloads = [n.payload for n in connection.notifies(timeout=wait, stop_after=1)]
    if payloads:
        payloads += [n.payload for n in connection.notifies(timeout=0.3)]
    return payloads


def fingerprint(server: PostgresServer, database: str) -> dict[str, Any]:
    """Every table's rows (as one hash) and the schema version comment, read as the owner."""
    tables = [row[0] for row in server.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename", database)]
    result: dict[str, Any] = {
        table: server.execute(
            f'SELECT count(*), md5(coalesce(string_agg(t::text, \'|\' ORDER BY t::text), \'\')) FROM "{table}" t',
            database)[0]
        for table in tables
    }
    result["_comment"] = server.execute("SELECT obj_description('_migrations'::regclass, 'pg_class')", database)
    return result


def in_transaction(server: PostgresServer, database: str) -> list[tuple[Any, ...]]:
    return server.execute(
        "SELECT pid, usename, application_name, state, query FROM pg_stat_activity "
        f"WHERE datname = '{database}' AND state LIKE 'idle in transaction%'")


def next_update(stream: Any, content: str) -> dict[str, Any]:
    """Read the event stream until an update carries a log entry with ``content``."""
    for raw in stream:
        line = raw.decode("utf-8")
        if line.startswith("data:"):
            data = json.loads(line[5:])
            if any(entry["content"] == content for entry in data.get("logs", [])):
                return data
    raise AssertionError("the event stream ended")


def test_a_write_notifies_with_its_commit_and_a_rollback_does_not(postgres_server: PostgresServer,
                                                                   database: str) -> None:
    url = postgres_server.url(database)
    assert run_cli("create-session", "first", "simple", "make the schema", db=url).code == 0
    listener = listen(url)
    try:
        assert run_cli("log-interaction", "first", "pm", "hello", db=url).code == 0
        assert heard(listener) == ["first"]  # the payload is the write's session id
        quoted = "it's a \\ quote"
        assert run_cli("create-session", quoted, "simple", "quotes in the payload", db=url).code == 0
        assert heard(listener) == [quoted]
        assert run_cli("set-config", "note", "\"x\"", db=url).code == 0
        assert heard(listener) == [""]  # a write about no one session: no payload
        # A write that fails inside its transaction rolls back, and its NOTIFY with it.
        assert run_cli("update-task-group", "no_group", "--session", "first", "--status", "completed",
                       db=url).code != 0
        assert heard(listener, wait=1.0) == []
        # A read sends nothing either.
        assert run_cli("get-logs", "first", db=url).code == 0
        assert heard(listener, wait=1.0) == []
    finally:
        listener.close()


def read_only_role(server: PostgresServer, database: str) -> str:
    """A login role with CONNECT on the database and SELECT on our tables, nothing else
    (PUBLIC's CREATE and TEMP rights are revoked too); its URL."""
    role = f"reader_{database}"
    server.execute(f'CREATE ROLE "{role}" LOGIN')
    server.execute(f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC')
    server.execute(f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"')
    server.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC", database)
    server.execute(f'GRANT USAGE ON SCHEMA public TO "{role}"', database)
    server.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"', database)
    return server.url(database).replace("://postgres@", f"://{role}@")


def test_a_read_only_role_serves_every_page_live_and_writes_nothing(postgres_server: PostgresServer,
                                                                     database: str) -> None:
    owner = postgres_server.url(database)
    seed(owner)
    reader = read_only_role(postgres_server, database)
    before = fingerprint(postgres_server, database)
    running = start_server(reader)
    try:
        for path in PAGES:
            status, _, body = running.get(path)
            assert status == 200, (path, body[:300])
        assert [row["session_id"] for row in running.json("/api/sessions?status=failed")["sessions"]] == ["sess_other"]
        assert running.json(f"/api/sessions/{SESSION}")["task_group_counts"]["completed"] == 3
        assert running.get("/api/sessions/nope")[0] == 404
        assert fingerprint(postgres_server, database) == before  # the role wrote nothing
        assert in_transaction(postgres_server, database) == []
        sessions = postgres_server.execute(
            f"SELECT DISTINCT usename, application_name FROM pg_stat_activity WHERE datname = '{database}'")
        assert ("postgres", "bazinga-db") not in sessions  # every dashboard connection is the reader's
        assert {name for _, name in sessions} >= {"bazinga-db", "bazinga-db-dashboard"}
        # Live updates work for the read-only role too: LISTEN needs no privilege.
        with urllib.request.urlopen(running.url + f"events?session={SESSION}&after=3", timeout=10) as stream:
            assert stream.readline().startswith(b"retry:")
            assert run_cli("log-interaction", SESSION, "qa", "written by the owner", db=owner).code == 0
            assert next_update(stream, "written by the owner")["logs"][-1]["id"] == 4
        assert in_transaction(postgres_server, database) == []
        # The role really cannot write: the dashboard's safety does not rest on its code alone.
        result = run_cli("log-interaction", SESSION, "pm", "must fail", db=reader)
        assert result.code == 1 and "permission denied" in result.err
    finally:
        stop_server(running)


def test_a_database_without_the_schema_is_waited_for_and_never_migrated(postgres_server: PostgresServer,
                                                                        database: str) -> None:
    owner = postgres_server.url(database)
    running = start_server(owner)  # even as the owner, who could create the tables
    try:
        status, _, body = running.get("/")
        assert status == 200 and b"Waiting for the database" in body
        status, _, body = running.get("/api/sessions")
        assert status == 503 and json.loads(body)["error"]["code"] == "database_not_ready"
        tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        assert postgres_server.execute(tables, database) == [(0,)]  # the dashboard created nothing
        assert run_cli("create-session", "late_one", "simple", "arrives later", db=owner).code == 0
        assert [row["session_id"] for row in running.json("/api/sessions")["sessions"]] == ["late_one"]
    finally:
        stop_server(running)


def wait_for_listener(server: PostgresServer, database: str, not_pid: int | None = None) -> int:
    query = (f"SELECT pid FROM pg_stat_activity WHERE datname = '{database}' AND application_name = 'bazinga-db-dashboard'"
             " AND query LIKE 'LISTEN%'")
    for _ in range(200):
        pids = [row[0] for row in server.execute(query) if row[0] != not_pid]
        if pids:
            return int(pids[0])
        time.sleep(0.05)
    raise AssertionError("the dashboard is not listening")


def test_the_dashboard_listens_again_after_losing_its_connections(postgres_server: PostgresServer,
                                                                   database: str) -> None:
    url = postgres_server.url(database)
    seed(url)
    running: Server = start_server(url)
    try:
        assert running.get(f"/api/sessions/{SESSION}")[0] == 200  # a pooled connection now exists
        first = wait_for_listener(postgres_server, database)
        # What a server restart does to every connection: terminate them all.
        postgres_server.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{database}' AND application_name LIKE 'bazinga-db%'")
        wait_for_listener(postgres_server, database, not_pid=first)
        assert running.get(f"/api/sessions/{SESSION}")[0] == 200  # the pool reconnects too
        with urllib.request.urlopen(running.url + f"events?session={SESSION}&after=3", timeout=10) as stream:
            assert stream.readline().startswith(b"retry:")
            assert run_cli("log-interaction", SESSION, "pm", "heard after reconnecting", db=url).code == 0
            assert next_update(stream, "heard after reconnecting")["logs"][-1]["agent_type"] == "pm"
    finally:
        stop_server(running)


def test_the_password_never_reaches_a_page_or_the_output(postgres_server: PostgresServer, database: str) -> None:
    url = postgres_server.url(database)
    seed(url)
    secret = "hunter2-never-shown"
    with_password = url.replace("://postgres@", f"://postgres:{secret}@")  # trust auth: accepted, unused
    running = start_server(with_password)
    try:
        bodies = [running.get(path)[2] for path in ("/", f"/sessions/{SESSION}", "/api/sessions")]
        assert running.json("/api/sessions")["database"] == with_password.replace(secret, "***")
    finally:
        stop_server(running)
    assert all(secret.encode() not in body for body in bodies)
    assert secret not in running.banner and "postgres:***@" in running.banner


def test_live_updates_continue_after_a_server_restart() -> None:
    """A real `pg_ctl restart` on a private server (the shared one must not restart)."""
    server = start_postgres_server()
    try:
        name = server.create_database()
        url = server.url(name)
        seed(url)
        running = start_server(url)
        try:
            wait_for_listener(server, name)
            assert server._stop_command is not None and server.folder is not None
            restart = server._stop_command[:-3] + ["-l", os.path.join(server.folder, "server.log"),
                                                   "-m", "fast", "-w", "restart"]
            server._admin.close()
            completed = subprocess.run(restart, capture_output=True, text=True, timeout=120, cwd=server.folder,
                                       check=False)
            assert completed.returncode == 0, completed.stderr
            server._admin = psycopg.connect(server.admin_url, autocommit=True)
            wait_for_listener(server, name)  # the watcher connected and listens again by itself
            assert running.get(f"/api/sessions/{SESSION}")[0] == 200
            with urllib.request.urlopen(running.url + f"events?session={SESSION}&after=3", timeout=10) as stream:
                assert stream.readline().startswith(b"retry:")
                assert run_cli("log-interaction", SESSION, "qa", "after the restart", db=url).code == 0
                assert next_update(stream, "after the restart")["logs"][-1]["id"] == 4
        finally:
            stop_server(running)
    finally:
        server.stop()
