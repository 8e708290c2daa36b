"""Many agents writing through the CLI at the same moment: no lost row, no failed call."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

WORKERS = 8
ROUNDS = 3

# One agent: every round logs, saves its state, counts tokens and asks for a revision of the
# shared task group, each call a separate process exactly as agents call the CLI.
WORKER_SCRIPT = r'''
db() { "$PYTHON" -m bazinga_db --db "$DB" --quiet "$@"; echo "rc=$? $1"; }
for round in $(seq 1 "$ROUNDS"); do
  db log-interaction s_race developer "worker $WORKER round $round" "$round" "developer_$WORKER"
  db save-state s_main pm "{\"worker\": $WORKER, \"round\": $round}" --group-id "g$WORKER"
  db log-tokens s_main developer $((WORKER * 100 + round)) "developer_$WORKER"
  db update-task-group group_a --increment-revision
done
'''


def run_burst(db_path: str) -> list[tuple[int, str, str]]:
    processes = [
        subprocess.Popen(
            ["bash", "-c", WORKER_SCRIPT],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHON": sys.executable, "DB": db_path, "WORKER": str(worker),
                 "ROUNDS": str(ROUNDS)},
        )
        for worker in range(WORKERS)
    ]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        results.append((process.returncode, out, err))
    return results


def test_parallel_writers_lose_nothing(store, db_path) -> None:  # type: ignore[no-untyped-def]
    store.create_task_group("group_a", "s_main", "Shared group")
    store.close()

    results = run_burst(db_path)

    calls = [line for _code, out, _err in results for line in out.splitlines()]
    assert len(calls) == WORKERS * ROUNDS * 4
    failed = [line for line in calls if not line.startswith("rc=0 ")]
    assert failed == [], [err for _code, _out, err in results]
    assert all("Traceback" not in err and "error" not in err for _code, _out, err in results)

    # every log, exactly once; the session they raced to create exists once
    logs = store.get_logs("s_race")
    expected = {f"worker {w} round {r}" for w in range(WORKERS) for r in range(1, ROUNDS + 1)}
    assert sorted(entry["content"] for entry in logs) == sorted(expected)
    assert [s["session_id"] for s in store.list_sessions()].count("s_race") == 1
    # every state version is kept; the newest of each worker is its last round
    states = store.query("SELECT COUNT(*) AS n FROM state_snapshots WHERE session_id = 's_main'")
    assert states == [{"n": WORKERS * ROUNDS}]
    for worker in range(WORKERS):
        assert store.get_state("s_main", "pm", group_id=f"g{worker}") == {"worker": worker, "round": ROUNDS}
    # every token record
    summary = store.token_summary("s_main")
    assert summary["calls"] == WORKERS * ROUNDS
    assert summary["total_tokens"] == sum(w * 100 + r for w in range(WORKERS) for r in range(1, ROUNDS + 1))
    # every increment, and one timeline event per change
    group = store.get_task_groups("s_main")[0]
    assert group["revision_count"] == WORKERS * ROUNDS
    events = store.get_task_group_events("s_main", "group_a")
    assert len(events) == 1 + WORKERS * ROUNDS
    assert [event["changes"]["revision_count"] for event in events[1:]] == [
        [n, n + 1] for n in range(WORKERS * ROUNDS)
    ]

    if not db_path.startswith(("postgresql://", "postgres://")):  # SQLite: the file itself is sound
        with sqlite3.connect(db_path) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
