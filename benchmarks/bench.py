"""Side-by-side benchmark of bazinga-db: one run, one table of medians and ratios.

    .venv/bin/python benchmarks/bench.py [--rounds N] [--quick] [--only SECTION]   (or: make bench)

Every comparison is measured in the same run, interleaved (A, B, A, B, ...), so that a
busy machine slows both sides alike; the table reports medians and their ratios:

1. per-call wall time of log-interaction, save-state, get-state and dashboard-snapshot,
   each a new process, through the ``bazinga-db`` console script and ``python -m
   bazinga_db``, against the floor ``python -c "import sqlite3"`` (same interpreter);
2. the same on a large database (1,000,000 log rows across 10,000 sessions, generated
   once and cached under benchmarks/.cache): dashboard-snapshot must cost no more than
   1.2x the same call on a tiny database;
3. Python API throughput (log_interaction per second, each a durable commit) against a
   plain sqlite3 insert loop with the same settings (WAL, synchronous=FULL, one BEGIN
   IMMEDIATE/COMMIT per row);
4. 8 processes x 50 CLI calls at once: total wall time and lost rows (must be 0);
5. ``bazinga-db batch``: operations per second against the per-process rate;
6. scale: on the large database, search-logs (a phrase and a word found in every entry,
   a rare word, and the same within one session), the reads get-logs, stream-logs,
   dashboard-snapshot, token-summary, compare-sessions, a one-session export and
   prune --dry-run, and the dashboard's home and session pages over HTTP (the real
   ``bazinga-db dashboard``), each beside the same call on the tiny database.

Only the standard library is used: time.perf_counter, subprocess and statistics.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
PYTHON = sys.executable
SCRIPT = str(Path(PYTHON).parent / "bazinga-db")
LARGE_SESSIONS = 10_000
LOGS_PER_SESSION = 100  # 1,000,000 log rows in all
LARGE_NAME = f"large-{LARGE_SESSIONS}x{LOGS_PER_SESSION}-v1.db"

ENV = {key: value for key, value in os.environ.items() if key != "BAZINGA_DB"}


# -- helpers ---------------------------------------------------------------------------


def run_once(command: list[str], env: dict[str, str] | None = None) -> float:
    """Wall time of one process, start to exit, in seconds; a failing call aborts the run."""
    start = time.perf_counter()
    completed = subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**ENV, **(env or {})}, text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        raise SystemExit(f"benchmark command failed ({completed.returncode}): {command}\n{completed.stderr}")
    return elapsed


# The opt-in durability trade-off, measured beside the default (README "Performance").
NORMAL = {"BAZINGA_DB_SYNCHRONOUS": "normal"}


def interleaved(commands: dict[str, list[str]], rounds: int) -> dict[str, float]:
    """Run every command once per round, in turn; return each one's median in seconds."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            samples[name].append(run_once(command, NORMAL if name.endswith("normal") else None))
    return {name: statistics.median(values) for name, values in samples.items()}


def cli(entry: str, db: str, *args: str) -> list[str]:
    prefix = [SCRIPT] if entry == "script" else [PYTHON, "-m", "bazinga_db"]
    return [*prefix, "--db", db, "--quiet", *args]


def operation_args(session: str) -> dict[str, list[str]]:
    return {
        "log-interaction": ["log-interaction", session, "developer", "implemented the login form", "3", "developer_1"],
        "save-state": ["save-state", session, "pm", '{"iteration": 3, "pending_groups": ["a", "b"]}'],
        "get-state": ["get-state", session, "pm"],
        "dashboard-snapshot": ["dashboard-snapshot", session],
    }


WRITES = ("log-interaction", "save-state")

# The same durable write with nothing but sqlite3, as a process: how much of a call is
# SQLite and the disk (WAL files, fsync, checkpoint on close) rather than bazinga-db.
RAW_WRITE = """
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("PRAGMA synchronous=FULL")
c.execute("PRAGMA foreign_keys=ON")
c.execute("BEGIN IMMEDIATE")
c.execute("INSERT INTO orchestration_logs (session_id, timestamp, iteration, agent_type, agent_id, content) "
          "VALUES ('bench_tiny', '2025-11-13T14:35:30.123Z', 3, 'developer', 'developer_1', 'implemented it')")
c.execute("COMMIT")
c.close()
"""


class Row:
    def __init__(self, measure: str, value: str, ratio: str = "", target: str = "", met: bool | None = None) -> None:
        self.cells = [measure, value, ratio, target, "" if met is None else ("met" if met else "MISSED")]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


# -- databases -------------------------------------------------------------------------


def make_tiny(path: str) -> None:
    from bazinga_db import BazingaDB

    with BazingaDB(path) as db:
        db.create_session("bench_tiny", "parallel", "a small session")
        db.create_task_group("group_a", "bench_tiny", "Authentication", "in_progress", "developer_1")
        for n in range(5):
            db.log_interaction("bench_tiny", "pm", f"planning step {n}", 1, "pm_main")
        db.save_state("bench_tiny", "pm", {"iteration": 1})
        db.log_tokens("bench_tiny", "pm", 1200, "pm_main")
        db.create_session("bench_tiny_2", "simple", "a second one, for compare-sessions")
        db.log_interaction("bench_tiny_2", "developer", "worked on the task and reported progress", 1)


def large_database() -> str:
    """1,000,000 log rows across 10,000 sessions through the real schema, cached."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / LARGE_NAME
    if path.exists():
        return str(path)
    from bazinga_db import BazingaDB

    started = time.perf_counter()
    partial = CACHE / (LARGE_NAME + ".partial")
    for leftover in CACHE.glob(LARGE_NAME + ".partial*"):
        leftover.unlink()
    with BazingaDB(str(partial)) as db:
        db.migrate()  # the real schema, indexes included
    connection = sqlite3.connect(partial, isolation_level=None)
    connection.execute("PRAGMA synchronous=OFF")  # generation only: a crash just means regenerate
    connection.execute("BEGIN IMMEDIATE")
    stamp = "2025-11-13T14:35:30.123Z"
    connection.executemany(
        "INSERT INTO sessions (session_id, start_time, mode, original_requirements, status, created_at, updated_at) "
        "VALUES (?, ?, 'parallel', 'generated', 'active', ?, ?)",
        ((f"bench_{s:05d}", stamp, stamp, stamp) for s in range(LARGE_SESSIONS)),
    )
    agents = ("pm", "developer", "qa", "tech_lead")
    # Rows arrive interleaved across sessions, as they do from parallel agents.
    connection.executemany(
        "INSERT INTO orchestration_logs (session_id, timestamp, iteration, agent_type, agent_id, content) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            (f"bench_{s:05d}", stamp, n // 10, agents[n % 4], f"{agents[n % 4]}_1",
             f"log entry {n} of session {s}: worked on the task and reported progress")
            for n in range(LOGS_PER_SESSION) for s in range(LARGE_SESSIONS)
        ),
    )
    connection.executemany(
        "INSERT INTO state_snapshots (session_id, timestamp, state_type, state_data) VALUES (?, ?, 'pm', ?)",
        ((f"bench_{s:05d}", stamp, json.dumps({"iteration": s % 7})) for s in range(LARGE_SESSIONS)),
    )
    connection.executemany(
        "INSERT INTO token_usage (session_id, timestamp, agent_type, tokens_estimated) VALUES (?, ?, 'pm', ?)",
        ((f"bench_{s:05d}", stamp, 1000 + s) for s in range(LARGE_SESSIONS)),
    )
    connection.execute("COMMIT")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.execute("ANALYZE")
    connection.close()
    partial.rename(path)
    print(f"# generated {path} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return str(path)


# -- sections --------------------------------------------------------------------------


def per_call(rows: list[Row], tiny: str, large: str, rounds: int) -> None:
    floor = [PYTHON, "-c", "import sqlite3"]
    commands: dict[str, list[str]] = {"floor": floor, "raw write": [PYTHON, "-c", RAW_WRITE, tiny]}
    for name, args in operation_args("bench_tiny").items():
        for entry in ("script", "-m"):
            commands[f"{name} {entry}"] = cli(entry, tiny, *args)
    for name, args in operation_args("bench_05000").items():
        commands[f"{name} large"] = cli("script", large, *args)
    commands["log-interaction normal"] = cli("script", tiny, *operation_args("bench_tiny")["log-interaction"])
    # A second tiny database that this process keeps open, as a running dashboard would:
    # the calls then find the WAL in place and skip the checkpoint on close.
    held = os.path.join(os.path.dirname(tiny), "held.db")
    make_tiny(held)
    holder = sqlite3.connect(held)
    holder.execute("SELECT COUNT(*) FROM sessions").fetchone()
    commands["log-interaction held"] = cli("script", held, *operation_args("bench_tiny")["log-interaction"])
    try:
        medians = interleaved(commands, rounds)
    finally:
        holder.close()
    base = medians["floor"]
    rows.append(Row("floor: python -c 'import sqlite3'", ms(base), "1.00x"))
    raw = medians["raw write"]
    rows.append(Row("reference: the same write in plain sqlite3, as a process", ms(raw),
                    f"{raw / base:.2f}x floor (+{(raw - base) * 1000:.1f} ms)"))
    for name in operation_args("x"):
        for entry in ("script", "-m"):
            value = medians[f"{name} {entry}"]
            label = "bazinga-db" if entry == "script" else "python -m bazinga_db"
            ratio = value / base
            shown = f"{ratio:.2f}x floor (+{(value - base) * 1000:.1f} ms)"
            if name in WRITES:
                rows.append(Row(f"{name} ({label}), tiny db", ms(value), shown, "<= 1.5x", ratio <= 1.5))
            else:
                rows.append(Row(f"{name} ({label}), tiny db", ms(value), shown))
    value = medians["log-interaction held"]
    rows.append(Row("log-interaction (bazinga-db), db kept open by a reader (dashboard)", ms(value),
                    f"{value / base:.2f}x floor (+{(value - base) * 1000:.1f} ms)", "(for comparison)"))
    value = medians["log-interaction normal"]
    rows.append(Row("log-interaction (bazinga-db), BAZINGA_DB_SYNCHRONOUS=normal", ms(value),
                    f"{value / base:.2f}x floor (+{(value - base) * 1000:.1f} ms)", "(opt-in, not default)"))
    for name in operation_args("x"):
        value = medians[f"{name} large"]
        tiny_value = medians[f"{name} script"]
        ratio = value / tiny_value
        if name == "dashboard-snapshot":
            rows.append(Row(f"{name} (bazinga-db), 1M-row db", ms(value), f"{ratio:.2f}x tiny", "<= 1.2x", ratio <= 1.2))
        else:
            rows.append(Row(f"{name} (bazinga-db), 1M-row db", ms(value), f"{ratio:.2f}x tiny"))


def api_throughput(rows: list[Row], folder: str, rounds: int, per_block: int) -> None:
    from bazinga_db import BazingaDB

    api_path = os.path.join(folder, "api.db")
    plain_path = os.path.join(folder, "plain.db")
    for path in (api_path, plain_path):
        with BazingaDB(path) as db:
            db.create_session("bench_api")
    db = BazingaDB(api_path)
    plain = sqlite3.connect(plain_path, isolation_level=None)
    plain.execute("PRAGMA journal_mode=WAL")
    plain.execute("PRAGMA synchronous=FULL")
    plain.execute("PRAGMA foreign_keys=ON")

    def api_block() -> float:
        start = time.perf_counter()
        for n in range(per_block):
            db.log_interaction("bench_api", "developer", f"entry {n}", 1, "developer_1")
        return per_block / (time.perf_counter() - start)

    def plain_block() -> float:
        start = time.perf_counter()
        for n in range(per_block):
            plain.execute("BEGIN IMMEDIATE")
            plain.execute(
                "INSERT INTO orchestration_logs (session_id, timestamp, iteration, agent_type, agent_id, content) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                ("bench_api", "2025-11-13T14:35:30.123Z", 1, "developer", "developer_1", f"entry {n}"),
            )
            plain.execute("COMMIT")
        return per_block / (time.perf_counter() - start)

    api_rates, plain_rates = [], []
    for _ in range(rounds):
        api_rates.append(api_block())
        plain_rates.append(plain_block())
    db.close()
    plain.close()
    api, base = statistics.median(api_rates), statistics.median(plain_rates)
    rows.append(Row("plain sqlite3 loop (WAL, FULL, 1 commit/row)", f"{base:,.0f} rows/s", "1.00x"))
    rows.append(Row("Python API log_interaction (1 commit/call)", f"{api:,.0f} calls/s", f"{api / base:.2f}x plain",
                    ">= 0.7x", api / base >= 0.7))


def concurrency(rows: list[Row], folder: str, workers: int, calls: int) -> None:
    path = os.path.join(folder, "concurrent.db")
    run_once(cli("script", path, "create-session", "bench_parallel", "parallel", "concurrency"))
    failures: list[str] = []

    def worker(number: int) -> None:
        for n in range(calls):
            completed = subprocess.run(
                cli("script", path, "log-interaction", "bench_parallel", "developer", f"worker {number} call {n}",
                    "1", f"developer_{number}"),
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV, text=True, check=False,
            )
            if completed.returncode != 0:
                failures.append(completed.stderr.strip())

    threads = [threading.Thread(target=worker, args=(number,)) for number in range(workers)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    connection = sqlite3.connect(path)
    stored = connection.execute(
        "SELECT COUNT(*) FROM orchestration_logs WHERE session_id = 'bench_parallel'"
    ).fetchone()[0]
    connection.close()
    expected = workers * calls
    lost = expected - stored
    rows.append(Row(f"{workers} processes x {calls} CLI calls at once", f"{elapsed:.2f} s total",
                    f"{expected / elapsed:.0f} calls/s"))
    rows.append(Row("  lost rows / failed calls", f"{lost} / {len(failures)}", "", "0 / 0",
                    lost == 0 and not failures))


def batch(rows: list[Row], folder: str, rounds: int, operations: int) -> None:
    """Batch rate and per-process rate, interleaved round by round on the same database."""
    path = os.path.join(folder, "batch.db")
    run_once(cli("script", path, "create-session", "bench_batch"))
    single = cli("script", path, "log-interaction", "bench_batch", "developer", "one call, one process")
    rates, per_call_seconds = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        process = subprocess.Popen(
            [SCRIPT, "--db", path, "batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=ENV, text=True,
        )
        assert process.stdin is not None and process.stdout is not None
        for n in range(operations):
            # Request, then wait for the answer: the caller knows each write is committed.
            request = {"op": "log-interaction", "id": n,
                       "args": {"session_id": "bench_batch", "agent_type": "developer", "content": f"entry {n}"}}
            process.stdin.write(json.dumps(request) + "\n")
            process.stdin.flush()
            answer = json.loads(process.stdout.readline())
            if not answer.get("ok") or answer.get("id") != n:
                raise SystemExit(f"batch answered {answer}")
        process.stdin.close()
        process.wait()
        process.stdout.close()
        rates.append(operations / (time.perf_counter() - start))
        per_call_seconds += [run_once(single) for _ in range(5)]
    rate = statistics.median(rates)
    per_process = 1 / statistics.median(per_call_seconds)
    rows.append(Row(f"bazinga-db batch ({operations} log-interaction, lockstep)", f"{rate:,.0f} ops/s",
                    f"{rate / per_process:.1f}x per-process", ">= 20x", rate / per_process >= 20))
    rows.append(Row("  per-process log-interaction (bazinga-db), same rounds", f"{per_process:,.1f} ops/s", "1.0x"))


# The reads of the scale section: (label, arguments on the large db, arguments on the tiny one).
LARGE_SESSION, TINY_SESSION = "bench_05000", "bench_tiny"


def scale_reads(folder: str) -> list[tuple[str, list[str], list[str]]]:
    def both(label: str, *args: str) -> tuple[str, list[str], list[str]]:
        def fill(session: str, other: str, side: str) -> list[str]:
            return [a.replace("{s}", session).replace("{o}", other).replace("{side}", side) for a in args]
        return label, fill(LARGE_SESSION, "bench_05001", "large"), fill(TINY_SESSION, "bench_tiny_2", "tiny")

    return [
        both("get-logs SESSION 50", "get-logs", "{s}", "50"),
        both("stream-logs SESSION 20", "stream-logs", "{s}", "20"),
        both("dashboard-snapshot SESSION", "dashboard-snapshot", "{s}"),
        both("token-summary SESSION", "token-summary", "{s}"),
        both("compare-sessions A B", "compare-sessions", "{s}", "{o}"),
        both("export --session-id SESSION (to a file)", "export", "--session-id", "{s}", "--output",
             os.path.join(folder, "export-{side}.jsonl")),
        both("prune --older-than 30d --dry-run", "prune", "--older-than", "30d", "--dry-run"),
    ]


# search-logs on the large database: (label, arguments, absolute target in seconds).
SCALE_SEARCHES = [
    ("search-logs worked on the task (4 words, all in every entry)",
     ["search-logs", "worked on the task", "--limit", "5"], 0.3),
    ('search-logs \'"worked on the task"\' (a phrase in every entry)',
     ["search-logs", '"worked on the task"', "--limit", "5"], 0.3),
    ("search-logs progress (a word in every entry)", ["search-logs", "progress", "--limit", "5"], 0.3),
    ('search-logs \'"entry 7 of session 1234"\' (one entry)',
     ["search-logs", '"entry 7 of session 1234"', "--limit", "5"], 0.3),
    ("search-logs progress --session SESSION", ["search-logs", "progress", "--session", "{s}", "--limit", "5"], 0.05),
    ("search-logs worked on the task --session SESSION",
     ["search-logs", "worked on the task", "--session", "{s}", "--limit", "5"], 0.05),
]


class Dashboard:
    """The real ``bazinga-db dashboard`` on a free port, stopped on exit."""

    def __init__(self, db: str) -> None:
        self.process = subprocess.Popen(
            [SCRIPT, "--db", db, "dashboard", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=ENV, text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # "Dashboard of PATH at http://127.0.0.1:PORT/"
        if "http://" not in line:
            self.process.kill()
            error = self.process.stderr.read() if self.process.stderr else ""
            raise SystemExit(f"the dashboard did not start: {line}{error}")
        self.url = line[line.index("http://"):].split()[0].rstrip("/")

    def get(self, path: str) -> float:
        from urllib.request import urlopen

        start = time.perf_counter()
        with urlopen(self.url + path, timeout=60) as response:
            response.read()
            if response.status != 200:
                raise SystemExit(f"dashboard {path} answered {response.status}")
        return time.perf_counter() - start

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


def scale(rows: list[Row], tiny: str, large: str, folder: str, rounds: int) -> None:
    """Reads on the 1,000,000-entry database beside the same reads on the tiny one."""
    commands: dict[str, list[str]] = {}
    for label, large_args, tiny_args in scale_reads(folder):
        commands[f"{label} large"] = cli("script", large, *large_args)
        commands[f"{label} tiny"] = cli("script", tiny, *tiny_args)
    for label, args, _ in SCALE_SEARCHES:
        commands[f"{label} large"] = cli("script", large, *(a.replace("{s}", LARGE_SESSION) for a in args))
        commands[f"{label} tiny"] = cli("script", tiny, *(a.replace("{s}", TINY_SESSION) for a in args))
    medians = interleaved(commands, rounds)
    for label, args, target in SCALE_SEARCHES:
        value, base = medians[f"{label} large"], medians[f"{label} tiny"]
        rows.append(Row(f"{label}, 1M-row db", ms(value), f"{value / base:.2f}x tiny (+{(value - base) * 1000:.1f} ms)",
                        f"<= {target * 1000:.0f} ms", value <= target))
    for label, _, _ in scale_reads(folder):
        value, base = medians[f"{label} large"], medians[f"{label} tiny"]
        ratio = value / base
        rows.append(Row(f"{label}, 1M-row db", ms(value), f"{ratio:.2f}x tiny (+{(value - base) * 1000:.1f} ms)",
                        "<= 1.5x", ratio <= 1.5))
    servers = {"large": Dashboard(large), "tiny": Dashboard(tiny)}
    try:
        pages = {"home page /": {"large": "/", "tiny": "/"},
                 "session page /sessions/SESSION": {"large": f"/sessions/{LARGE_SESSION}",
                                                    "tiny": f"/sessions/{TINY_SESSION}"}}
        samples: dict[str, list[float]] = {f"{page} {side}": [] for page in pages for side in servers}
        for page, paths in pages.items():  # one request each first: no side pays a first-call cost
            for side, server in servers.items():
                server.get(paths[side])
        for _ in range(rounds):
            for page, paths in pages.items():
                for side, server in servers.items():
                    samples[f"{page} {side}"].append(server.get(paths[side]))
    finally:
        for server in servers.values():
            server.close()
    for page in pages:
        value = statistics.median(samples[f"{page} large"])
        base = statistics.median(samples[f"{page} tiny"])
        rows.append(Row(f"dashboard {page} over HTTP, 1M-row db", ms(value),
                        f"{value / base:.2f}x tiny (+{(value - base) * 1000:.1f} ms)", "<= 100 ms", value <= 0.1))


def postgres_rows(url: str) -> int:
    """Log entries in the PostgreSQL database at ``url`` (0 when it has no tables yet)."""
    import psycopg

    with psycopg.connect(url) as connection:
        found = connection.execute("SELECT to_regclass('orchestration_logs') IS NOT NULL").fetchone()
        if not found or not found[0]:
            return 0
        row = connection.execute("SELECT COUNT(*) FROM orchestration_logs").fetchone()
        return int(row[0]) if row else 0


def scale_postgres(rows: list[Row], url: str, large: str, rounds: int) -> None:
    """The searches of the scale section on PostgreSQL, on the same data (copied once)."""
    import psycopg

    if postgres_rows(url) == 0:
        started = time.perf_counter()
        completed = subprocess.run([SCRIPT, "--db", large, "--quiet", "migrate-to", url], env=ENV,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
        if completed.returncode != 0:
            raise SystemExit(f"migrate-to {url} failed: {completed.stderr}")
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("ANALYZE")
        print(f"# copied {large} to PostgreSQL in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    # A read that costs the same at any size: what any call on PostgreSQL pays (psycopg, connecting).
    reference = "get-logs SESSION 50"
    commands = {reference: cli("script", url, "get-logs", LARGE_SESSION, "50")}
    for label, args, _ in SCALE_SEARCHES:
        commands[label] = cli("script", url, *(a.replace("{s}", LARGE_SESSION) for a in args))
    medians = interleaved(commands, rounds)
    base = medians[reference]
    rows.append(Row(f"{reference}, PostgreSQL 1M rows (reference)", ms(base), "1.00x"))
    for label, _, target in SCALE_SEARCHES:
        value = medians[label]
        shown = f"{value / base:.2f}x get-logs (+{(value - base) * 1000:.1f} ms)"
        rows.append(Row(f"{label}, PostgreSQL 1M rows", ms(value), shown, f"<= {target * 1000:.0f} ms",
                        value <= target))


# -- report ----------------------------------------------------------------------------


def machine() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return (
        f"{os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, load average {load[0]:.2f}"
    )


def check_compiled() -> None:
    """Warn when the installed package has no .pyc files: every call would recompile it."""
    import importlib.util

    import bazinga_db

    source = bazinga_db.__file__ or ""
    if "site-packages" not in source:
        print(f"# warning: benchmarking bazinga_db from {source}, not a regular install", file=sys.stderr)
    cached = importlib.util.cache_from_source(source)
    if not os.path.exists(cached):
        print(f"# warning: {cached} is missing: the package is recompiled on every call", file=sys.stderr)


def print_table(rows: list[Row]) -> None:
    header = ["measure", "median", "ratio", "target", "result"]
    widths = [max(len(header[i]), *(len(row.cells[i]) for row in rows)) for i in range(5)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |"
    print(line)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row.cells, widths)) + " |")


SECTIONS = ("per-call", "api", "concurrency", "batch", "scale")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21, help="samples per per-call measurement (default 21)")
    parser.add_argument("--quick", action="store_true", help="fewer rounds and smaller loads, for a smoke test")
    parser.add_argument("--only", action="append", choices=SECTIONS, metavar="SECTION",
                        help=f"run only this section (repeatable): {', '.join(SECTIONS)}")
    parser.add_argument("--postgres", metavar="URL",
                        help="scale section: also time the searches on this PostgreSQL database "
                             "(filled from the large database with migrate-to when it holds no logs)")
    options = parser.parse_args()
    chosen = options.only or list(SECTIONS)
    rounds = 5 if options.quick else options.rounds
    if not os.path.exists(SCRIPT):
        raise SystemExit(f"{SCRIPT} not found: run `make install` first")
    check_compiled()
    print(f"# machine: {machine()}; {rounds} interleaved rounds per per-call median")
    large = large_database()
    folder = tempfile.mkdtemp(prefix="bazinga-bench-")
    try:
        tiny = os.path.join(folder, "tiny.db")
        make_tiny(tiny)
        # One write on the large database first, so that neither side pays a first-open cost.
        for args in operation_args("bench_05000").values():
            run_once(cli("script", large, *args))
        rows: list[Row] = []
        if "per-call" in chosen:
            per_call(rows, tiny, large, rounds)
        if "api" in chosen:
            api_throughput(rows, folder, rounds=5 if options.quick else 9, per_block=50 if options.quick else 200)
        if "concurrency" in chosen:
            concurrency(rows, folder, workers=8, calls=10 if options.quick else 50)
        if "batch" in chosen:
            batch(rows, folder, rounds=3 if options.quick else 5, operations=100 if options.quick else 500)
        if "scale" in chosen:
            scale(rows, tiny, large, folder, rounds)
            if options.postgres:
                scale_postgres(rows, options.postgres, large, rounds)
        print(f"# finished; load average now {os.getloadavg()[0]:.2f}")
        print_table(rows)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
