"""How soon a write shows up on the dashboard's live event stream, on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/dashboard_live.py [--writes N] [--db PATH_OR_URL ...]

Starts the real ``bazinga-db dashboard`` (a separate process) on each database, opens its
event stream (``/events?session=…``) as the browser does, then writes log entries from
this process through the Python API, one at a time, and times from the moment the write
returned (its COMMIT acknowledged) to the moment the update carrying that entry arrived
on the stream. Prints the median, 95th percentile and slowest of each backend. Without
``--db`` it uses a temporary SQLite file and a private PostgreSQL server (the tests'
helper: initdb + pg_ctl, so the PostgreSQL binaries must be installed).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "support"))

SESSION = "live_bench"


def start_dashboard(db: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, "-m", "bazinga_db", "--db", db, "dashboard", "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = process.stdout.readline() if process.stdout else ""
    match = re.search(r"(http://[^/\s]+/)", line)
    if not match:
        process.kill()
        raise SystemExit(f"the dashboard did not start: {line!r}")
    return process, match.group(1)


def measure(db: str, writes: int) -> list[float]:
    from bazinga_db import BazingaDB

    store = BazingaDB(db)
    store.create_session(SESSION, "simple", "live update latency")
    process, url = start_dashboard(db)
    latencies: list[float] = []
    try:
        with urllib.request.urlopen(url + f"events?session={SESSION}", timeout=30) as stream:
            stream.readline()  # retry:
            time.sleep(0.5)  # let the watcher settle (PostgreSQL: LISTEN issued)
            for number in range(writes):
                content = f"entry {number}"
                store.log_interaction(SESSION, "pm", content)
                committed = time.perf_counter()
                for raw in stream:
                    line = raw.decode("utf-8")
                    if line.startswith("data:") and any(
                            entry["content"] == content for entry in json.loads(line[5:]).get("logs", [])):
                        latencies.append(time.perf_counter() - committed)
                        break
                time.sleep(0.05)
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()
        store.close()
    return latencies


def report(name: str, latencies: list[float]) -> None:
    ordered = sorted(latencies)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    print(f"{name:<11} {len(ordered):>4} writes: median {statistics.median(ordered) * 1000:7.1f} ms, "
          f"p95 {p95 * 1000:7.1f} ms, slowest {ordered[-1] * 1000:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=50)
    parser.add_argument("--db", action="append", help="an SQLite path or a PostgreSQL URL (repeatable)")
    options = parser.parse_args()
    if options.db:
        for db in options.db:
            report("postgresql" if db.startswith("postgres") else "sqlite", measure(db, options.writes))
        return
    with tempfile.TemporaryDirectory() as folder:
        report("sqlite", measure(str(Path(folder) / "bazinga.db"), options.writes))
    from postgres_helper import start_postgres_server

    server = start_postgres_server()
    try:
        name = server.create_database()
        report("postgresql", measure(server.url(name), options.writes))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
