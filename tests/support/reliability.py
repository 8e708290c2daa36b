"""Drivers of the stress and crash suites: many real CLI processes against one database.

Every write carries a unique marker (its operation id), so that afterwards the database
can be checked against what the processes acknowledged: present exactly once, counters
equal to the increments, nothing half-written. The database target is an argument — a
file path or a ``postgresql://`` URL — and checks that only exist in SQLite
(``PRAGMA integrity_check``) run only for files.

    python tests/support/reliability.py stress --db /tmp/s.db --writers 16 --ops 60 --readers 2
    python tests/support/reliability.py crash --db /tmp/c.db --kills 500
    python tests/support/reliability.py migration-crash --dir /tmp/m --fresh 200 --adoptions 20  (migration_crash.py)

Each prints a JSON summary and exits 1 if a guarantee was broken.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

SHARED_SESSION = "stress_main"
SESSIONS = (SHARED_SESSION, "stress_b", "stress_c", "stress_d")
LOG_PREFIX = "stress-op "


def cli(target: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "bazinga_db", "--db", target, "--quiet", *args]


def is_file_target(target: str) -> bool:
    return not target.startswith(("postgresql://", "postgres://"))


# -- operations ------------------------------------------------------------------------


def make_operation(rng: random.Random, op_id: str, groups: list[str], *, with_key: bool,
                   session: str | None = None) -> dict[str, Any]:
    """One identifiable write: its CLI arguments and what to look for afterwards."""
    kind = rng.choice(("log", "log", "state", "increment", "increment", "tokens", "skill"))
    session = session or rng.choice(SESSIONS)
    key = f"k-{op_id}" if with_key and kind != "increment" else None
    marker = json.dumps({"op": op_id, "n": rng.randint(0, 10**6)})
    if kind == "log":
        args = ["log-interaction", session, "developer", f"{LOG_PREFIX}{op_id}", "1", op_id]
    elif kind == "state":
        args = ["save-state", session, "pm", marker]
    elif kind == "increment":
        group = rng.choice(groups)
        args = ["update-task-group", group, "--session", SHARED_SESSION, "--increment-revision"]
        return {"id": op_id, "kind": kind, "group": group, "args": args, "key": None}
    elif kind == "tokens":
        args = ["log-tokens", session, "developer", str(rng.randint(1, 5000)), op_id]
    else:
        args = ["save-skill-output", session, "lint", marker]
    if key:
        args += ["--idempotency-key", key]
    return {"id": op_id, "kind": kind, "args": args, "key": key}


def group_ids(count: int) -> list[str]:
    return [f"group_{index}" for index in range(count)]


def setup(target: str, groups: list[str]) -> None:
    """The shared session and its task groups, created before the writers start."""
    run_checked(cli(target, "create-session", SHARED_SESSION, "parallel", "stress run"))
    for group in groups:
        run_checked(cli(target, "create-task-group", group, SHARED_SESSION, f"Group {group}"))


def run_checked(command: list[str]) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command[3:])} failed ({completed.returncode}): {completed.stderr}")
    return completed


# -- worker and reader processes (run as `reliability.py worker|reader`) ---------------


def worker_main(options: argparse.Namespace) -> int:
    """A writer: a loop of CLI calls, each acknowledged in the journal once it exited."""
    rng = random.Random(options.seed)
    groups = group_ids(options.groups)
    with open(options.journal, "a", encoding="utf-8") as journal:
        # Every writer also "creates" every group: concurrent identical creates must all succeed.
        for group in groups:
            completed = subprocess.run(
                cli(options.db, "create-task-group", group, SHARED_SESSION, f"Group {group}"),
                capture_output=True, text=True, timeout=300, check=False)
            journal.write(json.dumps({"id": f"w{options.worker}-create-{group}", "kind": "create_group",
                                      "rc": completed.returncode, "err": completed.stderr[-500:]}) + "\n")
        for number in range(options.ops):
            op_id = f"w{options.worker}-{number}"
            with_key = rng.random() < 0.4
            operation = make_operation(rng, op_id, groups, with_key=with_key)
            # Some keyed writes are sent twice, as an agent retrying after a timeout would.
            attempts = 2 if operation["key"] and rng.random() < 0.5 else 1
            for attempt in range(attempts):
                completed = subprocess.run(cli(options.db, *operation["args"]), capture_output=True,
                                           text=True, timeout=300, check=False)
                record = {key: operation[key] for key in ("id", "kind", "key")}
                record.update(group=operation.get("group"), rc=completed.returncode, attempt=attempt,
                              err=completed.stderr[-500:] if completed.returncode else "")
                journal.write(json.dumps(record) + "\n")
                journal.flush()
    return 0


def reader_main(options: argparse.Namespace) -> int:
    """A reader: dashboard snapshots until the stop file appears; each must be consistent."""
    snapshots, failures = 0, []
    last_logs, last_revisions = -1, -1
    stop = Path(options.stop)
    while not stop.exists() or snapshots == 0:
        completed = subprocess.run(
            [sys.executable, "-m", "bazinga_db", "--db", options.db, "--json", "dashboard-snapshot", SHARED_SESSION],
            capture_output=True, text=True, timeout=300, check=False)
        snapshots += 1
        if completed.returncode != 0:
            failures.append(f"exit {completed.returncode}: {completed.stderr[-300:]}")
            continue
        try:
            snapshot = json.loads(completed.stdout)
        except ValueError:
            failures.append(f"not JSON: {completed.stdout[:200]!r}")
            continue
        revisions = sum(group["revision_count"] for group in snapshot["task_groups"])
        if snapshot["task_group_counts"]["total"] != len(snapshot["task_groups"]):
            failures.append("task_group_counts disagrees with task_groups")
        # Committed writes never disappear: counts seen by one reader only grow.
        if snapshot["log_count"] < last_logs or revisions < last_revisions:
            failures.append(f"went backwards: logs {last_logs}→{snapshot['log_count']}, "
                            f"revisions {last_revisions}→{revisions}")
        last_logs, last_revisions = snapshot["log_count"], revisions
        time.sleep(options.pause)  # a dashboard polls; it does not spin
    Path(options.out).write_text(json.dumps({"snapshots": snapshots, "failures": failures}))
    return 0


# -- reading back what is stored -------------------------------------------------------


def stored(target: str) -> dict[str, Any]:
    """Every marker in the database: which operations are stored, and how often."""
    from bazinga_db import BazingaDB

    with BazingaDB(target, read_only=True) as db:
        def rows(sql: str) -> list[dict[str, Any]]:
            return db.query(sql)

        found: Counter[str] = Counter()
        for row in rows(f"SELECT content FROM orchestration_logs WHERE content LIKE '{LOG_PREFIX}%'"):
            found[row["content"][len(LOG_PREFIX):]] += 1
        for table, column in (("state_snapshots", "state_data"), ("skill_outputs", "output_data"),
                              ("decisions", "decision_data")):
            for row in rows(f"SELECT {column} AS data FROM {table}"):
                data = json.loads(row["data"])
                if isinstance(data, dict) and "op" in data:
                    found[data["op"]] += 1
        for row in rows("SELECT agent_id FROM token_usage WHERE agent_id IS NOT NULL"):
            found[row["agent_id"]] += 1
        revisions = {row["id"]: row["revision_count"]
                     for row in rows(f"SELECT id, revision_count FROM task_groups WHERE session_id = '{SHARED_SESSION}'")}
        revision_events: Counter[str] = Counter()
        created_events: Counter[tuple[str, str]] = Counter()
        for row in rows("SELECT session_id, group_id, changes FROM task_group_events"):
            changes = json.loads(row["changes"])
            if row["session_id"] == SHARED_SESSION and "revision_count" in changes:
                revision_events[row["group_id"]] += 1
            if "created" in changes:
                created_events[(row["session_id"], row["group_id"])] += 1
        sessions = {row["session_id"] for row in rows("SELECT session_id FROM sessions")}
        groups = Counter((row["session_id"], row["id"]) for row in rows("SELECT session_id, id FROM task_groups"))
        session_logs = Counter(row["session_id"] for row in rows("SELECT session_id FROM orchestration_logs"))
    return {"found": found, "revisions": revisions, "revision_events": revision_events,
            "created_events": created_events, "sessions": sessions, "groups": groups,
            "session_logs": session_logs}


def sqlite_health(target: str) -> list[str]:
    """integrity_check and foreign_key_check of a file; empty when healthy."""
    if not is_file_target(target):
        return []
    connection = sqlite3.connect(target)
    try:
        problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        problems = [] if problems == ["ok"] else [f"integrity: {problem}" for problem in problems]
        problems += [f"foreign key: {row}" for row in connection.execute("PRAGMA foreign_key_check")]
    finally:
        connection.close()
    return problems


# -- stress ----------------------------------------------------------------------------


def run_stress(target: str, workdir: str, *, writers: int = 16, ops: int = 12, readers: int = 2,
               groups: int = 3, seed: int = 1) -> dict[str, Any]:
    """Writers and readers at once; returns the summary with a list of broken guarantees."""
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    names = group_ids(groups)
    setup(target, names)
    stop = work / "stop"
    script = os.path.abspath(__file__)
    started = time.monotonic()
    reader_processes = [
        subprocess.Popen([sys.executable, script, "reader", "--db", target, "--stop", str(stop),
                          "--out", str(work / f"reader{index}.json")])
        for index in range(readers)
    ]
    writer_processes = [
        subprocess.Popen([sys.executable, script, "worker", "--db", target, "--worker", str(index),
                          "--ops", str(ops), "--groups", str(groups), "--seed", str(seed * 1000 + index),
                          "--journal", str(work / f"writer{index}.jsonl")])
        for index in range(writers)
    ]
    exit_codes = [process.wait() for process in writer_processes]
    stop.touch()
    exit_codes += [process.wait() for process in reader_processes]
    duration = time.monotonic() - started

    records = [json.loads(line) for index in range(writers)
               for line in (work / f"writer{index}.jsonl").read_text().splitlines()]
    problems = [f"driver process exited {code}" for code in exit_codes if code != 0]
    problems += [f"{record['id']} ({record['kind']}) exited {record['rc']}: {record['err'].strip()}"
                 for record in records if record["rc"] != 0]
    acknowledged = {record["id"]: record for record in records if record["rc"] == 0}
    state = stored(target)
    for op_id, record in acknowledged.items():
        if record["kind"] in ("increment", "create_group"):
            continue
        count = state["found"][op_id]
        if count != 1:
            problems.append(f"{op_id} ({record['kind']}) acknowledged but stored {count} times")
    increments = Counter(record["group"] for record in records if record["kind"] == "increment" and record["rc"] == 0)
    for group in names:
        if state["revisions"].get(group) != increments[group]:
            problems.append(f"{group}: revision_count {state['revisions'].get(group)} "
                            f"but {increments[group]} increments acknowledged")
        if state["revision_events"][group] != increments[group]:
            problems.append(f"{group}: {state['revision_events'][group]} timeline events "
                            f"for {increments[group]} increments")
        if state["groups"][(SHARED_SESSION, group)] != 1 or state["created_events"][(SHARED_SESSION, group)] != 1:
            problems.append(f"{group}: created {state['groups'][(SHARED_SESSION, group)]} times, "
                            f"{state['created_events'][(SHARED_SESSION, group)]} creation events")
    reads = [json.loads((work / f"reader{index}.json").read_text()) for index in range(readers)]
    for index, read in enumerate(reads):
        problems += [f"reader {index}: {failure}" for failure in read["failures"]]
    problems += sqlite_health(target)
    return {
        "target": target, "writers": writers, "readers": readers, "calls": len(records),
        "acknowledged_writes": len(acknowledged), "retried_with_same_key": sum(r.get("attempt", 0) for r in records),
        "increments": sum(increments.values()), "snapshots": sum(read["snapshots"] for read in reads),
        "seconds": round(duration, 1), "problems": problems,
    }


# -- crash -----------------------------------------------------------------------------


def make_crash_operation(rng: random.Random, op_id: str, groups: list[str]) -> dict[str, Any]:
    """A write that may be killed; all but increments carry an idempotency key for the retry."""
    roll = rng.random()
    if roll < 0.2:
        # A write to a new session: the session and its first log are one transaction.
        session = f"crash_{op_id}"
        args = ["log-interaction", session, "qa", f"{LOG_PREFIX}{op_id}", "--idempotency-key", f"k-{op_id}"]
        return {"id": op_id, "kind": "new_session_log", "session": session, "args": args, "key": f"k-{op_id}"}
    if roll < 0.3:
        # A new group in a new session: session, group and creation event are one transaction.
        session = f"crashg_{op_id}"
        args = ["create-task-group", f"g_{op_id}", session, f"Group {op_id}"]
        return {"id": op_id, "kind": "new_group", "session": session, "args": args, "key": "create"}
    if roll < 0.45:
        decision = json.dumps({"op": op_id})
        args = ["log-decision", SHARED_SESSION, "spawn", decision, "--idempotency-key", f"k-{op_id}"]
        return {"id": op_id, "kind": "decision", "args": args, "key": f"k-{op_id}"}
    return make_operation(rng, op_id, groups, with_key=True, session=SHARED_SESSION)


def run_crash(target: str, *, kills: int = 60, lanes: int = 4, groups: int = 3, seed: int = 1,
              kill_probability: float = 0.6, max_calls: int = 5000) -> dict[str, Any]:
    """Writers killed with SIGKILL at random moments, then every guarantee checked.

    The kill delay is drawn from the second half of a typical call's lifetime (measured as
    the run goes), where the process opens the database, holds the write lock and commits;
    killing it while Python is still starting would prove little.
    """
    rng = random.Random(seed)
    names = group_ids(groups)
    setup(target, names)
    outcomes: dict[str, list[dict[str, Any]]] = {"acknowledged": [], "killed": [], "failed": []}
    running: list[tuple[subprocess.Popen[bytes], dict[str, Any], float | None, float]] = []
    durations: list[float] = [0.1]
    number, started = 0, time.monotonic()
    while len(outcomes["killed"]) < kills and number < max_calls or running:
        while len(running) < lanes and len(outcomes["killed"]) < kills and number < max_calls:
            operation = make_crash_operation(rng, f"c{number}", names)
            number += 1
            process = subprocess.Popen(cli(target, *operation["args"]), stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE)
            typical = sorted(durations[-25:])[len(durations[-25:]) // 2]
            spawned = time.monotonic()
            kill_at: float | None = None
            if rng.random() < kill_probability:
                # Half the kills at a random point of a typical lifetime; the other half
                # (-1: armed below) a few milliseconds after it opened the database.
                # (Only a file's opening can be watched; a server target gets timed kills.)
                timed = rng.random() < 0.5 or not is_file_target(target)
                kill_at = spawned + rng.uniform(0.3, 1.05) * typical if timed else -1.0
            running.append((process, operation, kill_at, spawned))
        still = []
        for process, operation, kill_at, spawned in running:
            if kill_at == -1.0 and has_database_open(process.pid, target):
                kill_at = time.monotonic() + rng.uniform(0, 0.015)
            if kill_at is not None and kill_at > 0 and time.monotonic() >= kill_at and process.poll() is None:
                inside = has_database_open(process.pid, target)
                process.send_signal(signal.SIGKILL)
                if inside:
                    operation = {**operation, "database_open": True}
            code = process.poll()
            if code is None:
                still.append((process, operation, kill_at, spawned))
                continue
            error = process.stderr.read().decode(errors="replace") if process.stderr else ""
            if process.stderr:
                process.stderr.close()
            if code == 0:
                durations.append(time.monotonic() - spawned)
                outcomes["acknowledged"].append(operation)
            elif code == -signal.SIGKILL:
                outcomes["killed"].append(operation)
            else:
                outcomes["failed"].append({**operation, "rc": code, "err": error[-500:]})
        running = still
        time.sleep(0.002)
    duration = time.monotonic() - started

    problems = [f"{op['id']} ({op['kind']}) exited {op['rc']}: {op['err'].strip()}" for op in outcomes["failed"]]
    problems += sqlite_health(target)
    state = stored(target)
    committed_before_kill = 0

    def presence(operation: dict[str, Any]) -> int:
        if operation["kind"] == "new_group":
            return state["groups"][(operation["session"], f"g_{operation['id']}")]
        return state["found"][operation["id"]]

    for operation in outcomes["acknowledged"]:
        if operation["kind"] != "increment" and presence(operation) != 1:
            problems.append(f"{operation['id']} ({operation['kind']}) exited 0 but is stored "
                            f"{presence(operation)} times")
    for operation in outcomes["killed"]:
        if operation["kind"] != "increment":
            count = presence(operation)
            committed_before_kill += count
            if count > 1:
                problems.append(f"{operation['id']} killed and stored {count} times")
    problems += half_written(state, outcomes["acknowledged"] + outcomes["killed"])
    acked_increments = Counter(op["group"] for op in outcomes["acknowledged"] if op["kind"] == "increment")
    killed_increments = Counter(op["group"] for op in outcomes["killed"] if op["kind"] == "increment")
    for group in names:
        value = state["revisions"].get(group, -1)
        if not acked_increments[group] <= value <= acked_increments[group] + killed_increments[group]:
            problems.append(f"{group}: revision_count {value} outside [{acked_increments[group]}, "
                            f"{acked_increments[group] + killed_increments[group]}]")
        if state["revision_events"][group] != value:
            problems.append(f"{group}: revision_count {value} but {state['revision_events'][group]} timeline events")

    # An agent retries what it did not see succeed: with the same key nothing is doubled.
    # The retries run in parallel lanes too, so they also race each other for the lock.
    retries = [operation for operation in outcomes["killed"] if operation["key"] is not None]
    for start in range(0, len(retries), lanes):
        batch = [(operation, subprocess.Popen(cli(target, *operation["args"]), stdout=subprocess.DEVNULL,
                                              stderr=subprocess.PIPE, text=True))
                 for operation in retries[start:start + lanes]]
        for operation, process in batch:
            _, error = process.communicate(timeout=300)
            if process.returncode != 0:
                problems.append(f"retry of {operation['id']} exited {process.returncode}: {error.strip()}")
    state = stored(target)
    for operation in outcomes["killed"] + outcomes["acknowledged"]:
        if operation["kind"] != "increment" and presence(operation) != 1:
            problems.append(f"after retries {operation['id']} ({operation['kind']}) stored {presence(operation)} times")
    problems += sqlite_health(target)
    return {
        "target": target, "calls": number, "kills": len(outcomes["killed"]),
        "acknowledged": len(outcomes["acknowledged"]), "failed": len(outcomes["failed"]),
        "killed_with_database_open": sum(1 for op in outcomes["killed"] if op.get("database_open")),
        "killed_after_commit": committed_before_kill, "retried": len(retries),
        "seconds": round(duration, 1), "problems": problems,
    }


def has_database_open(pid: int, target: str) -> bool:
    """Whether the process has the database file open (it is past start-up, in SQLite)."""
    if not is_file_target(target):
        return False
    try:
        links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    except OSError:
        return False
    path = os.path.abspath(target)
    return any(link in (path, path + "-wal") for link in links)


def half_written(state: dict[str, Any], operations: list[dict[str, Any]]) -> list[str]:
    """Writes that touch several rows must show all of them or none."""
    problems = []
    for operation in operations:
        session = operation.get("session")
        if operation["kind"] == "new_session_log":
            has_session = session in state["sessions"]
            logs = state["session_logs"][session]
            if has_session != (logs == 1):
                problems.append(f"{operation['id']}: session present={has_session} with {logs} logs")
        elif operation["kind"] == "new_group":
            key = (session, f"g_{operation['id']}")
            parts = (session in state["sessions"], state["groups"][key] == 1, state["created_events"][key] == 1)
            if len(set(parts)) != 1:
                problems.append(f"{operation['id']}: session/group/creation event present = {parts}")
    return problems


# -- command line ----------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    stress = commands.add_parser("stress")
    stress.add_argument("--db", required=True)
    stress.add_argument("--workdir")
    stress.add_argument("--writers", type=int, default=16)
    stress.add_argument("--ops", type=int, default=60)
    stress.add_argument("--readers", type=int, default=2)
    stress.add_argument("--groups", type=int, default=4)
    stress.add_argument("--seed", type=int, default=1)
    crash = commands.add_parser("crash")
    crash.add_argument("--db", required=True)
    crash.add_argument("--kills", type=int, default=500)
    crash.add_argument("--lanes", type=int, default=4)
    crash.add_argument("--seed", type=int, default=1)
    migration = commands.add_parser("migration-crash")
    migration.add_argument("--dir", required=True)
    migration.add_argument("--fresh", type=int, default=200)
    migration.add_argument("--adoptions", type=int, default=20)
    migration.add_argument("--rows", type=int, default=30000)
    worker = commands.add_parser("worker")
    for name in ("--db", "--journal"):
        worker.add_argument(name, required=True)
    for name in ("--worker", "--ops", "--groups", "--seed"):
        worker.add_argument(name, type=int, required=True)
    reader = commands.add_parser("reader")
    for name in ("--db", "--stop", "--out"):
        reader.add_argument(name, required=True)
    reader.add_argument("--pause", type=float, default=0.05)
    options = parser.parse_args(argv)
    if options.command == "worker":
        return worker_main(options)
    if options.command == "reader":
        return reader_main(options)
    if options.command == "stress":
        workdir = options.workdir or (f"{options.db}.stress-work" if is_file_target(options.db) else "stress-work")
        summary = run_stress(options.db, workdir, writers=options.writers, ops=options.ops,
                             readers=options.readers, groups=options.groups, seed=options.seed)
    elif options.command == "crash":
        summary = run_crash(options.db, kills=options.kills, lanes=options.lanes, seed=options.seed,
                            max_calls=options.kills * 10)
    else:
        from migration_crash import run_migration_crash

        summary = run_migration_crash(options.dir, fresh=options.fresh, adoptions=options.adoptions,
                                      rows=options.rows)
    print(json.dumps(summary, indent=2))
    return 1 if summary["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
