"""Lost connections and server restarts on PostgreSQL: every call either completes exactly
once or fails cleanly (exit 1, no traceback).

Each test starts a private server (``pg_ctl restart`` must not disturb other tests). A
small TCP relay cuts a connection at a chosen statement, to reach the two cases a restart
only hits by chance: the connection lost before COMMIT (nothing written: run again) and
lost after the server committed but before the answer arrived (outcome unknown: the run
again must find the first row, or fail cleanly when running twice would apply twice).

The fast variant runs in `make test`; `make stress` (BAZINGA_STRESS=full) runs the large one.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bazinga_db import BazingaDB
from conftest import run_cli
from postgres_helper import PostgresServer, free_port, start_postgres_server

FULL = os.environ.get("BAZINGA_STRESS") == "full"
# The COMMIT statement as it goes over the wire (BEGIN's "READ COMMITTED" is no match).
COMMIT = b"COMMIT\x00"


@pytest.fixture
def private_server() -> Iterator[PostgresServer]:
    server = start_postgres_server()
    # The helper's server acknowledges commits before their WAL leaves shared memory
    # (synchronous_commit=off), which an immediate restart loses; a team server never
    # runs so. A role's setting overrides the command line's.
    server.execute("ALTER ROLE postgres SET synchronous_commit = on")
    try:
        yield server
    finally:
        server.stop()


def pg_ctl(server: PostgresServer, *args: str) -> None:
    """Run pg_ctl on the private server (as the user that runs it)."""
    assert server._stop_command is not None  # a server this test run started itself
    assert server.folder is not None
    # -l: the restarted server logs to a file, not to our pipe (which would never close).
    command = server._stop_command[:-3] + ["-l", os.path.join(server.folder, "server.log"), *args]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=server.folder, check=False)
    assert completed.returncode == 0, completed.stderr


class CuttingRelay:
    """A TCP relay to the server that, once armed, cuts the connection whose client sends
    ``marker``: after forwarding it (and giving the server time to act on it) or before."""

    def __init__(self, server_port: int) -> None:
        self.server_port = server_port
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.marker: bytes | None = None
        self.forward = False
        self.cuts = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self, marker: bytes, *, forward: bool) -> None:
        with self._lock:
            self.marker, self.forward = marker, forward

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.server_port))
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, from_client: bool) -> None:
        try:
            while data := source.recv(65536):
                if from_client:
                    with self._lock:
                        hit = self.marker is not None and self.marker in data
                        forward = self.forward
                        if hit:
                            self.marker = None
                            self.cuts += 1
                    if hit:
                        # The client's side goes first, so no answer can reach it.
                        source.shutdown(socket.SHUT_RDWR)
                        source.close()
                        if forward:
                            target.sendall(data)
                            time.sleep(0.3)  # the server acts on the statement (commits)
                        target.shutdown(socket.SHUT_RDWR)
                        target.close()
                        return
                target.sendall(data)
        except OSError:
            pass
        for end in (source, target):
            try:
                end.close()
            except OSError:
                pass

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def relay_db(postgres_server: PostgresServer) -> Iterator[tuple[str, CuttingRelay]]:
    name = postgres_server.create_database()
    port = int(postgres_server.admin_url.rsplit(":", 1)[1].split("/")[0])
    relay = CuttingRelay(port)
    url = f"postgresql://postgres@127.0.0.1:{relay.port}/{name}"
    assert run_cli("migrate", db=url).code == 0
    try:
        yield url, relay
    finally:
        relay.close()
        postgres_server.drop_database(name)


def count(url: str, sql: str) -> int:
    with BazingaDB(url) as db, db.read() as tx:
        row = tx.one(sql)
    assert row is not None
    return int(next(iter(row.values())))


def test_connection_lost_before_commit_runs_the_write_again(relay_db: tuple[str, CuttingRelay]) -> None:
    url, relay = relay_db
    relay.arm(b"INSERT INTO orchestration_logs", forward=False)
    result = run_cli("--json", "log-interaction", "s1", "developer", "cut before commit", db=url)
    assert relay.cuts == 1
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    assert count(url, "SELECT COUNT(*) AS n FROM orchestration_logs WHERE content = 'cut before commit'") == 1


@pytest.mark.parametrize("keyed", [False, True])
def test_answer_lost_after_commit_is_not_written_twice(relay_db: tuple[str, CuttingRelay], keyed: bool) -> None:
    url, relay = relay_db
    key = ["--idempotency-key", "k1"] if keyed else []
    relay.arm(COMMIT, forward=True)
    result = run_cli("--json", "log-interaction", "s1", "developer", "committed, answer lost", *key, db=url)
    assert relay.cuts == 1
    assert result.code == 0, result.err
    row = result.json()
    assert count(url, "SELECT COUNT(*) AS n FROM orchestration_logs WHERE content = 'committed, answer lost'") == 1
    assert count(url, "SELECT MAX(id) AS n FROM orchestration_logs") == row["id"]
    assert "_write_tokens" not in result.out and "token" not in row


def test_every_record_write_survives_a_lost_answer(relay_db: tuple[str, CuttingRelay]) -> None:
    url, relay = relay_db
    with BazingaDB(url) as db:
        for write in (
            lambda: db.save_state("s1", "orchestrator", {"phase": 2}),
            lambda: db.log_tokens("s1", "developer", 1500),
            lambda: db.save_skill_output("s1", "lint", {"errors": 0}),
            lambda: db.log_decision("s1", "scope", {"choice": "login"}),
            lambda: db.create_task_group("g1", "s1", "Login"),
            lambda: db.update_task_group("g1", "s1", "in_progress"),
            lambda: db.set_config("team", {"size": 2}),
            lambda: db.update_session_status("s1", "completed"),
        ):
            relay.arm(COMMIT, forward=True)
            write()
        assert relay.cuts == 8
        assert db.backend.connects >= 9  # a new connection after each cut
    for table in ("state_snapshots", "token_usage", "skill_outputs", "decisions", "task_groups"):
        assert count(url, f"SELECT COUNT(*) AS n FROM {table}") == 1, table
    assert count(url, "SELECT COUNT(*) AS n FROM task_group_events") == 2  # created, then the status change


def test_every_workflow_write_survives_a_lost_answer(relay_db: tuple[str, CuttingRelay], tmp_path: Path) -> None:
    url, relay = relay_db
    with BazingaDB(url) as db:
        db.create_task_group("g1", "s1", "Login")
        writes = (
            lambda: db.save_success_criteria("s1", ["Tests pass"]),
            lambda: db.save_development_plan("s1", "Login", "One phase", [{"phase": 1, "name": "Build"}]),
            lambda: db.save_reasoning("s1", "g1", "developer", "understanding", "read the code"),
            lambda: db.save_event("s1", "tl_verdicts", {"g1": "APPROVED"}),
            lambda: db.save_context_package("s1", "g1", "research", "notes.md", "investigator", ["developer", "qa"],
                                            "high", "Notes", project_root=str(tmp_path)),
            lambda: db.mark_context_consumed(1, "developer"),
            lambda: db.save_consumption("s1", "g1", "developer", 1, 1),
        )
        for write in writes:
            relay.arm(COMMIT, forward=True)
            write()
        assert relay.cuts == len(writes)
    for table, rows in (("success_criteria", 1), ("development_plans", 1), ("events", 1), ("context_packages", 1),
                        ("context_package_consumers", 2), ("consumption_scope", 1)):
        assert count(url, f"SELECT COUNT(*) AS n FROM {table}") == rows, table
    assert count(url, "SELECT COUNT(*) AS n FROM orchestration_logs WHERE log_type = 'reasoning'") == 1
    assert count(url, "SELECT COUNT(*) AS n FROM context_package_consumers WHERE consumed_at IS NOT NULL") == 1


@pytest.mark.parametrize("command", [
    ["save-error-pattern", "shop", "KeyError", "KeyError: 'a'", "check first"],
    ["save-strategy", "shop", "general", "Small commits"],
])
def test_a_counting_write_with_an_unknown_outcome_is_not_run_again(relay_db: tuple[str, CuttingRelay],
                                                                   command: list[str]) -> None:
    """Occurrences and helpfulness count: after a lost answer to COMMIT the call says the
    outcome is unknown instead of counting twice."""
    url, relay = relay_db
    assert run_cli(*command, db=url).code == 0
    relay.arm(COMMIT, forward=True)
    result = run_cli("--json", *command, db=url)
    assert result.code == 1 and result.json()["error"]["code"] == "outcome_unknown", result
    assert "Traceback" not in result.err
    counted = "SELECT occurrences AS n FROM error_patterns" if command[0] == "save-error-pattern" else \
        "SELECT helpfulness AS n FROM strategies"
    assert count(url, counted) == 2  # committed once, by the cut call


def test_an_increment_with_an_unknown_outcome_fails_cleanly(relay_db: tuple[str, CuttingRelay]) -> None:
    url, relay = relay_db
    assert run_cli("create-task-group", "g1", "s1", "Login", db=url).code == 0
    relay.arm(COMMIT, forward=True)
    result = run_cli("--json", "update-task-group", "g1", "--session", "s1", "--increment-revision", db=url)
    assert result.code == 1
    error = result.json()["error"]
    assert error["code"] == "outcome_unknown"
    assert "unknown" in error["message"] and "get-task-groups" in error["hint"]
    assert "Traceback" not in result.err
    # The server did commit it, exactly once: the call was not run again.
    assert count(url, "SELECT revision_count AS n FROM task_groups WHERE id = 'g1'") == 1


def test_a_server_that_stays_down_is_database_unavailable() -> None:
    url = f"postgresql://bazinga:s3cret@127.0.0.1:{free_port()}/team"
    result = run_cli("--json", "log-interaction", "s1", "pm", "hello", db=url, env={"BAZINGA_DB_RECONNECT_SECONDS": "1"})
    assert result.code == 1
    error = result.json()["error"]
    assert error["code"] == "database_unavailable"
    assert "127.0.0.1:" in error["message"] and "stayed unavailable for" in error["message"]
    assert "s3cret" not in result.out + result.err and "Traceback" not in result.err


def test_a_final_connection_failure_is_not_waited_out(postgres_server: PostgresServer) -> None:
    # An unknown role is final: with an hour's budget, waiting would time the call out.
    url = postgres_server.url("postgres").replace("postgres@", "no_such_role@", 1)
    result = run_cli("--json", "get-config", "x", db=url, env={"BAZINGA_DB_RECONNECT_SECONDS": "3600"})
    assert result.code == 1
    assert result.json()["error"]["code"] == "database_error"
    assert "no_such_role" in result.json()["error"]["message"]


def test_a_bad_reconnect_setting_is_bad_input(postgres_server: PostgresServer) -> None:
    result = run_cli("get-config", "x", db=postgres_server.url("postgres"), env={"BAZINGA_DB_RECONNECT_SECONDS": "soon"})
    assert result.code == 2
    assert "BAZINGA_DB_RECONNECT_SECONDS" in result.err and "Traceback" not in result.err


def test_batch_keeps_serving_across_a_restart(private_server: PostgresServer) -> None:
    url = private_server.url("postgres")
    batch = subprocess.Popen(
        [sys.executable, "-m", "bazinga_db", "--db", url, "batch"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert batch.stdin is not None and batch.stdout is not None

    def call(content: str) -> dict[str, object]:
        line = {"op": "log-interaction", "args": {"session_id": "s1", "agent_type": "pm", "content": content}}
        batch.stdin.write(json.dumps(line) + "\n")  # type: ignore[union-attr]
        batch.stdin.flush()  # type: ignore[union-attr]
        answer: dict[str, object] = json.loads(batch.stdout.readline())  # type: ignore[union-attr]
        return answer

    try:
        assert call("before")["ok"] is True
        pg_ctl(private_server, "-m", "fast", "-w", "restart")
        assert call("after a fast restart")["ok"] is True
        pg_ctl(private_server, "-m", "immediate", "-w", "restart")
        assert call("after an immediate restart")["ok"] is True
    finally:
        batch.stdin.close()
        batch.wait(60)
    assert batch.returncode == 0
    assert count(url, "SELECT COUNT(*) AS n FROM orchestration_logs") == 3


def test_writers_through_restarts_lose_and_duplicate_nothing(private_server: PostgresServer) -> None:
    """8 writer processes (the real CLI) through `pg_ctl restart -m fast` and `-m immediate`:
    every acknowledged write present exactly once, nothing duplicated, every failure a
    clean exit 1."""
    url = private_server.url("postgres")
    assert run_cli("migrate", db=url).code == 0
    writers, calls = 8, (40 if FULL else 5)
    restarts = ["fast", "immediate"] * (3 if FULL else 1)
    outcomes: list[tuple[str, str | None, int, str, str]] = []
    finished_at: list[float] = []
    lock = threading.Lock()

    def writer(number: int) -> None:
        for call in range(calls):
            content = f"w{number}-c{call}"
            key = f"k{number}-{call}" if call % 2 else None  # half with an idempotency key
            args = ["--json", "log-interaction", f"s{number % 4}", "developer", content]
            if key:
                args += ["--idempotency-key", key]
            result = run_cli(*args, db=url)
            with lock:
                outcomes.append((content, key, result.code, result.out, result.err))
                finished_at.append(time.monotonic())

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(writers)]
    for thread in threads:
        thread.start()
    def wait_for_calls(number: int) -> None:
        deadline = time.monotonic() + 300
        while len(finished_at) < number and time.monotonic() < deadline:
            time.sleep(0.05)

    first_restart = 0.0
    for round_number, mode in enumerate(restarts, start=1):
        # Each restart comes after a few more calls have been answered, while the rest run.
        wait_for_calls(round_number * writers * calls // (len(restarts) + 2))
        first_restart = first_restart or time.monotonic()
        pg_ctl(private_server, "-m", mode, "-w", "restart")
    last_restart = time.monotonic()
    for thread in threads:
        thread.join(600)
    assert len(outcomes) == writers * calls
    # The restarts happened while the writers wrote, not before or after them.
    assert min(finished_at) < first_restart and max(finished_at) > last_restart

    with BazingaDB(url) as db, db.read() as tx:
        rows = tx.all("SELECT id, content, idempotency_key FROM orchestration_logs")
    by_content: dict[str, list[int]] = {}
    for row in rows:
        by_content.setdefault(row["content"], []).append(row["id"])
    duplicated = {content: ids for content, ids in by_content.items() if len(ids) > 1}
    assert duplicated == {}
    failures = []
    for content, _key, code, out, err in outcomes:
        assert "Traceback" not in err, err
        if code == 0:
            assert by_content.get(content) == [json.loads(out)["id"]], content  # acknowledged: there, once
        else:
            assert code == 1, (code, err)
            assert json.loads(out)["error"]["code"] in ("database_unavailable", "outcome_unknown"), out
            failures.append(content)
    # With a 15 s reconnect budget, restarts of a few seconds cost no call at all.
    assert failures == []


def test_write_tokens_stay_out_of_records_and_old_ones_are_deleted(relay_db: tuple[str, CuttingRelay]) -> None:
    url, _relay = relay_db
    with BazingaDB(url) as db:
        row = db.log_interaction("s1", "developer", "one")
        db.log_interaction("s1", "developer", "two", idempotency_key="k")  # a key: no token needed
        assert set(row) == {"id", "session_id", "timestamp", "iteration", "agent_type", "agent_id", "content",
                            "group_id", "log_type", "idempotency_key",
                            "reasoning_phase", "confidence_level", "references_json"}  # reasoning's columns
        assert count(url, "SELECT COUNT(*) AS n FROM _write_tokens") == 1
        db.log_interaction("s1", "developer", "three")
        with psycopg_connection(url) as connection:
            connection.execute("UPDATE _write_tokens SET created_at = now() - interval '2 hours' WHERE row_id = %s",
                               (row["id"],))
        db.backend.forget_write_tokens()  # type: ignore[attr-defined]
        assert count(url, "SELECT COUNT(*) AS n FROM _write_tokens") == 1  # only the recent one
        assert run_cli("--json", "export", "--output", os.devnull, db=url).code == 0


def psycopg_connection(url: str):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(url, autocommit=True)
