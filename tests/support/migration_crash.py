"""A process killed while migrating: the file must be untouched or fully migrated.

Fresh files are killed at random moments of their first call; large seed-era files (as the
seed's scripts made them) are killed in the middle of their adoption. Run on its own with
``python tests/support/reliability.py migration-crash --dir DIR``.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

from reliability import cli, has_database_open, run_checked, sqlite_health


def classify_file(path: str) -> str:
    """'absent', 'unmigrated' (nothing of ours in it), 'migrated', or what is wrong."""
    from bazinga_db.db.migrations import LATEST_VERSION
    from bazinga_db.db.schema import TABLES, TABLES_V1

    if not os.path.exists(path):
        return "absent"
    connection = sqlite3.connect(f"file:{path}?mode=rw", uri=True)
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if version == 0:
            ours = tables & ({table.name for table in TABLES_V1} | {"_migrations"})
            seed = {"sessions", "orchestration_logs"}
            return "unmigrated" if not ours or ours == seed else f"half-migrated: tables {sorted(tables)}"
        applied = connection.execute("SELECT COUNT(*) FROM _migrations").fetchone()[0]
        expected = TABLES if version == LATEST_VERSION else TABLES_V1
        missing = {table.name for table in expected} - tables
        if version == LATEST_VERSION and applied == LATEST_VERSION and not missing:
            return "migrated"
        if 0 < version < LATEST_VERSION and applied == version and not missing:
            # Each migration is its own transaction: a kill between two leaves the first
            # whole and the next call applies the rest.
            return "migrated part-way"
        return f"inconsistent: version {version}, {applied} migrations recorded, missing {sorted(missing)}"
    finally:
        connection.close()


def make_seed_file(path: str, rows: int) -> None:
    """A database as the seed's scripts made it (two of its tables), with ``rows`` logs."""
    connection = sqlite3.connect(path)
    connection.executescript(
        "CREATE TABLE sessions (session_id TEXT PRIMARY KEY, start_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP, "
        "end_time TIMESTAMP, mode TEXT, original_requirements TEXT, status TEXT DEFAULT 'active', "
        "created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);"
        "CREATE TABLE orchestration_logs (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, "
        "timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP, iteration INTEGER, agent_type TEXT, agent_id TEXT, "
        "content TEXT NOT NULL, FOREIGN KEY (session_id) REFERENCES sessions(session_id) ON DELETE CASCADE);"
        "INSERT INTO sessions (session_id, mode) VALUES ('seed_session', 'simple');"
    )
    connection.executemany(
        "INSERT INTO orchestration_logs (session_id, iteration, agent_type, content) VALUES (?, ?, ?, ?)",
        (("seed_session", index % 7, "developer", f"seed log {index} " + "x" * 200) for index in range(rows)),
    )
    connection.commit()
    connection.close()


def count_logs(path: str) -> int:
    connection = sqlite3.connect(path)
    try:
        return int(connection.execute("SELECT COUNT(*) FROM orchestration_logs").fetchone()[0])
    finally:
        connection.close()


def kill_after(command: list[str], delay: float, *, after_open: str | None = None) -> int:
    """Run ``command`` and SIGKILL it ``delay`` seconds after start (or after it opened
    the database ``after_open``); return its exit status."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if after_open is not None:
        while process.poll() is None and not has_database_open(process.pid, after_open):
            time.sleep(0.0005)
    try:
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
    return process.wait()


def uncommitted_wal(path: str) -> bool:
    """A killed writer left WAL frames although the file reads as un-migrated: it was
    killed inside the migration transaction (the frames are discarded on recovery)."""
    wal = path + "-wal"
    return os.path.exists(wal) and os.path.getsize(wal) > 32


def run_migration_crash(workdir: str, *, fresh: int = 30, adoptions: int = 6, rows: int = 30000,
                        seed: int = 1) -> dict[str, Any]:
    """Kill first-start migrations at random moments; the file must be all or nothing."""
    rng = random.Random(seed)
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    states: Counter[str] = Counter()
    killed = mid_migration = 0
    # Fresh files: kill anywhere in the first call (start-up, migration, the write itself).
    timing_path = str(work / "timing.db")
    begin = time.monotonic()
    run_checked(cli(timing_path, "log-interaction", "s", "developer", "first"))
    first_call = time.monotonic() - begin
    for index in range(fresh):
        path = str(work / f"fresh{index}.db")
        command = cli(path, "log-interaction", "s", "developer", "first")
        if index % 2:
            code = kill_after(command, rng.uniform(0, first_call * 1.2))
        else:
            code = kill_after(command, rng.uniform(0, 0.02), after_open=path)
        killed += code == -signal.SIGKILL
        inside = uncommitted_wal(path)
        state = classify_file(path)
        mid_migration += inside and state == "unmigrated"
        states[f"fresh:{state}"] += 1
        if state not in ("absent", "unmigrated", "migrated part-way", "migrated"):
            problems.append(f"fresh file {index}: {state}")
        completed = subprocess.run(cli(path, "log-interaction", "s", "developer", "next"), capture_output=True,
                                   text=True, timeout=300, check=False)
        if completed.returncode != 0 or classify_file(path) != "migrated":
            problems.append(f"fresh file {index}: next call exited {completed.returncode} "
                            f"({completed.stderr.strip()}), file {classify_file(path)}")
    # Adopting a large seed-era file takes long enough to be killed in the middle of it.
    template = str(work / "seed-template.db")
    make_seed_file(template, rows)
    timing_copy = str(work / "seed-timing.db")
    shutil.copyfile(template, timing_copy)
    begin = time.monotonic()
    run_checked(cli(timing_copy, "migrate"))
    adoption = time.monotonic() - begin
    for index in range(adoptions):
        path = str(work / f"seed{index}.db")
        shutil.copyfile(template, path)
        # Killed within 100 ms of opening the file: inside the rebuild of 30,000 rows.
        code = kill_after(cli(path, "migrate"), rng.uniform(0, 0.1), after_open=path)
        killed += code == -signal.SIGKILL
        inside = uncommitted_wal(path)
        state = classify_file(path)
        mid_migration += inside and state == "unmigrated"
        states[f"adoption:{state}"] += 1
        if state not in ("unmigrated", "migrated part-way", "migrated") or count_logs(path) != rows:
            problems.append(f"seed file {index}: {state} with {count_logs(path)} of {rows} logs")
        completed = subprocess.run(cli(path, "log-interaction", "seed_session", "developer", "next"),
                                   capture_output=True, text=True, timeout=300, check=False)
        if completed.returncode != 0 or classify_file(path) != "migrated" or count_logs(path) != rows + 1:
            problems.append(f"seed file {index}: next call exited {completed.returncode} "
                            f"({completed.stderr.strip()}), {count_logs(path)} logs")
        problems += [f"seed file {index}: {problem}" for problem in sqlite_health(path)]
    return {"fresh_files": fresh, "adoptions": adoptions, "killed": killed, "states": dict(states),
            "killed_inside_migration": mid_migration,
            "first_call_seconds": round(first_call, 3), "adoption_seconds": round(adoption, 3),
            "problems": problems}
