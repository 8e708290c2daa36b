"""How fast the dashboard's session list answers on a large database, over real HTTP.

    .venv/bin/python benchmarks/dashboard_sessions.py [--requests N] [--db PATH] [--baseline PYTHON]

Builds (once, cached under benchmarks/.cache) a migrated SQLite file with 10,000
sessions, 1,000,000 log entries, 40,000 task groups and 40,000 token-usage records (half
of them priced), written directly with sqlite3 ``executemany`` through the real schema
(indexes and the search triggers included). Then it starts the real ``bazinga-db
dashboard`` on a free port and times whole HTTP requests to the sessions page, its JSON
twin, a filtered and a searched list and one session's page, and prints the median
(and the fastest and slowest) of each. ``--baseline PYTHON`` also starts the dashboard
of another installation (e.g. a venv with an older version) and interleaves the requests
to both, so that a busy machine slows both alike.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
SESSIONS = 10_000
LOGS_PER_SESSION = 100
GROUPS_PER_SESSION = 4
TOKENS_PER_SESSION = 4
NAME = f"dashboard-{SESSIONS}x{LOGS_PER_SESSION}-v2.db"
STATUSES = ("active", "completed", "failed")
AGENTS = ("pm", "developer", "qa", "tech_lead")
GROUP_STATUSES = ("pending", "in_progress", "completed", "failed")


def stamp(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(1_760_000_000 + seconds)) + ".000Z"


def build(path: Path) -> None:
    from bazinga_db import BazingaDB

    started = time.perf_counter()
    partial = path.with_name(path.name + ".partial")
    for leftover in path.parent.glob(path.name + ".partial*"):
        leftover.unlink()
    with BazingaDB(str(partial)) as db:
        db.migrate()  # the real schema, indexes and triggers included
    connection = sqlite3.connect(partial, isolation_level=None)
    connection.execute("PRAGMA synchronous=OFF")  # generation only: a crash just means regenerate
    connection.execute("BEGIN IMMEDIATE")
    # Every session has the same created_at (as in bench.py's large database): the worst
    # case for "newest first", where the order cannot be read off the created_at index
    # and the database must sort every row. Logs of all sessions are interleaved, as
    # parallel agents write them.
    connection.executemany(
        "INSERT INTO sessions (session_id, start_time, mode, original_requirements, status, created_at, updated_at) "
        "VALUES (?, ?, 'parallel', ?, ?, ?, ?)",
        ((f"bench_{s:05d}", stamp(60 * s), f"generated requirement {s} for the dashboard benchmark",
          STATUSES[s % 3], stamp(0), stamp(60 * s)) for s in range(SESSIONS)),
    )
    connection.executemany(
        "INSERT INTO orchestration_logs (session_id, timestamp, iteration, agent_type, agent_id, content) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        ((f"bench_{s:05d}", stamp(60 * s + n), n // 10, AGENTS[n % 4], f"{AGENTS[n % 4]}_1",
          f"log entry {n} of session {s}: worked on the task and reported progress")
         for n in range(LOGS_PER_SESSION) for s in range(SESSIONS)),
    )
    connection.executemany(
        "INSERT INTO task_groups (id, session_id, name, status, revision_count, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, 0, ?, ?)",
        ((f"group_{g}", f"bench_{s:05d}", f"Group {g}", GROUP_STATUSES[(s + g) % 4], stamp(60 * s), stamp(60 * s))
         for s in range(SESSIONS) for g in range(GROUPS_PER_SESSION)),
    )
    connection.executemany(
        "INSERT INTO token_usage (session_id, timestamp, agent_type, agent_id, tokens_estimated, model, "
        "input_tokens, output_tokens, cost_usd) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ((f"bench_{s:05d}", stamp(60 * s + t), AGENTS[t], f"{AGENTS[t]}_1", 1000 + s,
          "claude-sonnet-4-5" if t % 2 else None, 800 if t % 2 else None, 200 + s if t % 2 else None,
          round(0.0024 + 0.000015 * (200 + s), 6) if t % 2 else None)
         for s in range(SESSIONS) for t in range(TOKENS_PER_SESSION)),
    )
    connection.execute("COMMIT")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.execute("ANALYZE")
    connection.close()
    partial.rename(path)
    print(f"# generated {path} in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def start(python: str, db: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [python, "-m", "bazinga_db", "--db", db, "dashboard", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    line = process.stdout.readline() if process.stdout else ""
    match = re.search(r"(http://[^/\s]+/)", line)
    if not match:
        process.kill()
        raise SystemExit(f"the dashboard did not start: {line!r}")
    return process, match.group(1)


def timed(url: str) -> tuple[float, int]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        size = len(response.read())
    return time.perf_counter() - started, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=15, help="requests per page (default 15)")
    parser.add_argument("--db", help="an existing database to measure instead of the generated one")
    parser.add_argument("--baseline", metavar="PYTHON", help="also measure the dashboard run by this interpreter")
    options = parser.parse_args()
    if options.db:
        db = options.db
    else:
        CACHE.mkdir(exist_ok=True)
        path = CACHE / NAME
        if not path.exists():
            build(path)
        db = str(path)
    pages = {
        "sessions page (/)": "",
        "/api/sessions": "api/sessions",
        "/api/sessions?status=failed": "api/sessions?status=failed",
        "/api/sessions?q=requirement+42": "api/sessions?q=requirement+42",
        "one session's page": "sessions/bench_05000",
        "/api/sessions/<id>": "api/sessions/bench_05000",
    }
    pythons = {"this": sys.executable, **({"baseline": options.baseline} if options.baseline else {})}
    servers = {label: start(python, db) for label, python in pythons.items()}
    samples: dict[tuple[str, str], list[float]] = {}
    sizes: dict[tuple[str, str], int] = {}
    try:
        for _process, url in servers.values():
            for path in pages.values():
                timed(url + path)  # warm the page cache once
        # Interleaved (page by page, server by server), so that a busy moment hits all alike.
        for _ in range(options.requests):
            for name, path in pages.items():
                for label, (_process, url) in servers.items():
                    seconds, sizes[label, name] = timed(url + path)
                    samples.setdefault((label, name), []).append(seconds)
    finally:
        for process, _url in servers.values():
            process.terminate()
            process.wait(timeout=10)
            if process.stdout:
                process.stdout.close()
    print(f"# {db}: {options.requests} requests per page, whole HTTP request; median (min, max)")
    for name in pages:
        for label in servers:
            values = samples[label, name]
            print(f"{name:34} {label:8} {statistics.median(values) * 1000:8.1f} ms  "
                  f"(min {min(values) * 1000:.1f}, max {max(values) * 1000:.1f}; {sizes[label, name]:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
