"""16 writer processes through the real CLI against one PostgreSQL server: nothing lost.

Each worker is a thread that runs CLI processes one after another, so 16 processes write
at any moment, starting together on an empty database (the schema migration races too).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import psycopg

from bazinga_db.db.migrations.steps import MIGRATIONS
from conftest import run_cli

WORKERS = 16
ROUNDS = 2  # per worker: 2 logs, 2 revisions, 2 token records, plus shared creates and a replay
SESSION = "stress_session"


def worker(url: str, number: int) -> list[tuple[list[str], int, str]]:
    """Run one worker's calls; return (arguments, exit code, stderr) of each."""
    calls: list[list[str]] = [
        # Every worker creates the same session and task group: one creates, the rest see them.
        ["create-session", SESSION, "parallel", "Stress the server"],
        ["create-task-group", "shared", SESSION, "Shared group"],
    ]
    for round_number in range(ROUNDS):
        key = f"w{number}-r{round_number}"
        calls += [
            ["log-interaction", SESSION, "developer", f"worker {number} round {round_number}",
             str(round_number), f"developer_{number}", "--idempotency-key", key],
            ["update-task-group", "shared", "--session", SESSION, "--increment-revision"],
            ["log-tokens", SESSION, "developer", "10", f"developer_{number}"],
        ]
    # A retried call (same idempotency key) must store nothing new.
    calls.append(["log-interaction", SESSION, "developer", f"worker {number} round 0", "0",
                  f"developer_{number}", "--idempotency-key", f"w{number}-r0"])
    results = []
    for arguments in calls:
        result = run_cli("--quiet", *arguments, db=url)
        results.append((arguments, result.code, result.err))
    return results


def test_sixteen_cli_writers_lose_nothing(postgres_server):
    name = postgres_server.create_database()
    # A generous connect timeout: CI machines can be starved for CPU while 16 clients start.
    url = postgres_server.url(name) + "?connect_timeout=60"
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        outcomes = [call for calls in pool.map(lambda n: worker(url, n), range(WORKERS)) for call in calls]

    failures = [(arguments, code, err) for arguments, code, err in outcomes if code != 0]
    assert failures == [], f"{len(failures)} calls failed, e.g. {failures[:3]}"
    assert not any("Traceback" in err for _, _, err in outcomes)

    with psycopg.connect(postgres_server.url(name)) as connection:
        def scalar(sql: str) -> object:
            row = connection.execute(sql).fetchone()
            assert row is not None
            return row[0]

        assert scalar("SELECT COUNT(*) FROM _migrations") == len(MIGRATIONS)  # each applied exactly once
        assert scalar("SELECT COUNT(*) FROM sessions") == 1
        contents = {row[0] for row in connection.execute("SELECT content FROM orchestration_logs")}
        assert contents == {f"worker {n} round {r}" for n in range(WORKERS) for r in range(ROUNDS)}
        assert scalar("SELECT COUNT(*) FROM orchestration_logs") == WORKERS * ROUNDS  # replays stored nothing
        # Ids are handed out in commit order with no gap, as on SQLite.
        assert [row[0] for row in connection.execute("SELECT id FROM orchestration_logs ORDER BY id")] == list(
            range(1, WORKERS * ROUNDS + 1)
        )
        # The counter is atomic: every increment counted, each one in the timeline.
        assert scalar("SELECT revision_count FROM task_groups WHERE id = 'shared'") == WORKERS * ROUNDS
        assert scalar("SELECT COUNT(*) FROM task_groups") == 1
        assert scalar("SELECT COUNT(*) FROM task_group_events") == 1 + WORKERS * ROUNDS
        assert scalar("SELECT SUM(tokens_estimated) FROM token_usage") == WORKERS * ROUNDS * 10
        assert scalar("SELECT mode FROM sessions") == "parallel"
    postgres_server.drop_database(name)
