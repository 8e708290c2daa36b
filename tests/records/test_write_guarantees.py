"""Idempotency keys and atomic revision counters, through the real CLI."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time

import pytest

SESSION = "sess_guarantees"

# command, arguments, table the record lands in
KEYED_WRITES = [
    ("log-interaction", [SESSION, "developer", "wrote the callback handler", "2", "developer_1"], "orchestration_logs"),
    ("save-state", [SESSION, "pm", '{"iteration": 2}'], "state_snapshots"),
    ("save-skill-output", [SESSION, "lint", '{"errors": 0}'], "skill_outputs"),
    ("log-tokens", [SESSION, "developer", "1500", "developer_1"], "token_usage"),
    ("log-decision", [SESSION, "spawn_developers", '{"count": 3}', "1"], "decisions"),
]


def count(db_path: str, table: str) -> int:
    connection = sqlite3.connect(db_path)
    try:
        return int(connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        connection.close()


@pytest.mark.parametrize("command, arguments, table", KEYED_WRITES, ids=[write[0] for write in KEYED_WRITES])
def test_retry_with_the_same_key_stores_nothing_new_and_returns_the_original(cli, db_path, command, arguments, table):
    first = cli("--json", command, *arguments, "--idempotency-key", "retry-1")
    assert first.code == 0, first.err
    original = first.json()
    assert original["idempotency_key"] == "retry-1"

    again = cli("--json", command, *arguments, "--idempotency-key", "retry-1")
    assert again.code == 0, again.err
    assert again.json() == original  # the stored record, same id and timestamp
    assert "Already recorded under idempotency key retry-1" in again.err
    assert count(db_path, table) == 1

    # the plain form says so too, on its confirmation lines
    plain = cli(command, *arguments, "--idempotency-key", "retry-1")
    assert plain.code == 0 and "nothing new stored" in plain.out
    assert count(db_path, table) == 1

    # another key is another record; the same key in another session is independent
    assert cli(command, *arguments, "--idempotency-key", "retry-2").code == 0
    other_session = ["sess_other", *arguments[1:]]
    assert cli(command, *other_session, "--idempotency-key", "retry-1").code == 0
    assert count(db_path, table) == 3


def test_a_retry_returns_the_original_even_when_the_content_differs(cli, db_path):
    first = cli("--json", "log-interaction", SESSION, "qa", "first words", "--idempotency-key", "k1").json()
    second = cli("--json", "log-interaction", SESSION, "qa", "other words", "--idempotency-key", "k1").json()
    assert second == first and second["content"] == "first words"
    assert count(db_path, "orchestration_logs") == 1


def _parallel(db_path: str, commands: list[list[str]]) -> list[subprocess.CompletedProcess[str]]:
    processes = [
        subprocess.Popen([sys.executable, "-m", "bazinga_db", "--db", db_path, *command],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for command in commands
    ]
    results = []
    for process, command in zip(processes, commands):
        out, err = process.communicate(timeout=300)
        results.append(subprocess.CompletedProcess(command, process.returncode, out, err))
    return results


def test_parallel_retries_with_one_key_store_one_record(cli, db_path):
    assert cli("create-session", SESSION, "parallel", "x").code == 0
    results = _parallel(db_path, [
        ["--json", "save-state", SESSION, "pm", json.dumps({"attempt": n}), "--idempotency-key", "same"]
        for n in range(8)
    ])
    assert [result.returncode for result in results] == [0] * 8, [result.stderr for result in results]
    ids = {json.loads(result.stdout)["id"] for result in results}
    assert len(ids) == 1
    assert count(db_path, "state_snapshots") == 1


def test_concurrent_increments_never_lose_one(cli, db_path):
    assert cli("create-task-group", "group_a", SESSION, "Authentication").code == 0
    processes, rounds = 6, 2
    for _ in range(rounds):  # 6 processes at once, twice over
        results = _parallel(db_path, [["update-task-group", "group_a", "--increment-revision"]] * processes)
        assert [result.returncode for result in results] == [0] * processes, [r.stderr for r in results]
    groups = cli("get-task-groups", SESSION).json()
    assert groups[0]["revision_count"] == processes * rounds
    events = cli("get-task-group-events", SESSION, "group_a").json()
    revisions = [event["changes"]["revision_count"] for event in events if "revision_count" in event["changes"]]
    # every increment has its own timeline event, and they read 0→1, 1→2, … with no gap or repeat
    assert revisions == [[n, n + 1] for n in range(processes * rounds)]


def test_a_writer_waits_out_a_lock_held_longer_than_the_busy_timeout(cli, db_path):
    """SQLite's busy timeout alone would fail after 5 s; the retry loop keeps the agent queued."""
    from bazinga_db.db.backends.sqlite import BUSY_TIMEOUT_MS

    assert cli("create-session", SESSION, "parallel", "x").code == 0
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a long write transaction of another process
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "bazinga_db", "--db", db_path, "log-interaction", SESSION, "qa", "queued"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        time.sleep(BUSY_TIMEOUT_MS / 1000 + 1.5)
        assert process.poll() is None, process.communicate()  # still waiting, not failed
    finally:
        holder.execute("COMMIT")
        holder.close()
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert count(db_path, "orchestration_logs") == 1
