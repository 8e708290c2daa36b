"""PostgreSQL rows of the benchmark: one private server, medians and ratios side by side.

    .venv/bin/python benchmarks/bench_postgres.py [--rounds N] [--quick]   (make bench runs it)

A throwaway server is started with initdb + pg_ctl on 127.0.0.1 (with fsync and
synchronous_commit on, as a team's server runs), and removed at the end. Without the
PostgreSQL binaries or psycopg the script prints one line saying so and exits 0.

1. per-call wall time of a CLI write (log-interaction) and read (get-state), each a new
   process, on PostgreSQL and on SQLite, interleaved; the floors ``python -c pass`` and
   ``python -c "import psycopg"``;
2. 8 writer processes x N writes through the Python API (one connection each, a durable
   commit per write): on 8 sessions (their locks do not meet) against one session (every
   write waits for the one before);
3. the long-lived paths: per-operation cost of the Python API (what the MCP server runs
   per tool call) and of ``bazinga-db batch`` on PostgreSQL, against SQLite.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable
ENV = {key: value for key, value in os.environ.items() if key != "BAZINGA_DB"}
Row = tuple[str, str, str]


def find_bin_dir() -> str | None:
    chosen = os.environ.get("BAZINGA_TEST_PG_BIN")
    candidates = [chosen] if chosen else sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    initdb = shutil.which("initdb")
    if initdb and not chosen:
        candidates.insert(0, os.path.dirname(initdb))
    for folder in candidates:
        if folder and os.path.exists(os.path.join(folder, "initdb")):
            return folder
    return None


class Server:
    """initdb + pg_ctl in a temporary folder (as the postgres user when run as root)."""

    def __init__(self, bin_dir: str) -> None:
        self.folder = tempfile.mkdtemp(prefix="bazinga-bench-pg-")
        self.run_as: list[str] = []
        if os.geteuid() == 0:
            import pwd

            account = pwd.getpwnam("postgres")
            os.chown(self.folder, account.pw_uid, account.pw_gid)
            self.run_as = ["runuser", "-u", "postgres", "--"]
        data = os.path.join(self.folder, "data")
        subprocess.run(
            self.run_as + [os.path.join(bin_dir, "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
                           "-E", "UTF8", "--locale=C.UTF-8"],
            check=True, capture_output=True, cwd=self.folder,
        )
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.pg_ctl = self.run_as + [os.path.join(bin_dir, "pg_ctl"), "-D", data]
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c max_connections=100"
        subprocess.run(
            self.pg_ctl + ["-l", os.path.join(self.folder, "server.log"), "-w", "-o", options, "start"],
            check=True, capture_output=True, cwd=self.folder,
        )
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        subprocess.run(self.pg_ctl + ["-m", "immediate", "stop"], capture_output=True, cwd=self.folder, check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


def run_once(command: list[str], stdin: str | None = None) -> float:
    start = time.perf_counter()
    completed = subprocess.run(command, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env=ENV, text=True, check=False)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        raise SystemExit(f"benchmark call failed: {' '.join(command)}\n{completed.stderr}")
    return elapsed


def interleaved(commands: dict[str, list[str]], rounds: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            samples[name].append(run_once(command))
    return {name: statistics.median(values) for name, values in samples.items()}


def cli(db: str, *args: str) -> list[str]:
    return [PYTHON, "-m", "bazinga_db", "--db", db, "--quiet", *args]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms" if seconds < 0.01 else f"{seconds * 1000:.1f} ms"


def per_call(rows: list[Row], url: str, sqlite_db: str, rounds: int) -> None:
    for db in (url, sqlite_db):
        run_once(cli(db, "save-state", "bench", "pm", '{"phase": 1}'))
    medians = interleaved({
        "floor": [PYTHON, "-c", "pass"],
        "import": [PYTHON, "-c", "import psycopg"],
        "pg_write": cli(url, "log-interaction", "bench", "developer", "benchmark entry"),
        "sqlite_write": cli(sqlite_db, "log-interaction", "bench", "developer", "benchmark entry"),
        "pg_read": cli(url, "get-state", "bench", "pm"),
        "sqlite_read": cli(sqlite_db, "get-state", "bench", "pm"),
    }, rounds)
    rows.append(("python -c pass (floor)", ms(medians["floor"]), ""))
    rows.append(('python -c "import psycopg"', ms(medians["import"]),
                 f"{(medians['import'] - medians['floor']) * 1000:.1f} ms of import"))
    for kind in ("write", "read"):
        name = "log-interaction" if kind == "write" else "get-state"
        pg, lite = medians[f"pg_{kind}"], medians[f"sqlite_{kind}"]
        rows.append((f"CLI {name}: SQLite", ms(lite), ""))
        rows.append((f"CLI {name}: PostgreSQL", ms(pg), f"{pg / lite:.2f}x SQLite"))


WRITER = """
import sys, time
from bazinga_db import BazingaDB
url, session, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
with BazingaDB(url) as db:
    db.log_interaction(session, "developer", "warm-up")
    print("ready", flush=True)
    sys.stdin.readline()
    for number in range(count):
        db.log_interaction(session, "developer", f"entry {number}")
"""


def writers(rows: list[Row], url: str, processes: int, count: int) -> None:
    results: dict[str, float] = {}
    for label, sessions in (("8 sessions", [f"team-{n}" for n in range(processes)]), ("one session", ["team"] * processes)):
        started = [subprocess.Popen([PYTHON, "-c", WRITER, url, session, str(count)], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, text=True, env=ENV) for session in sessions]
        for process in started:
            assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        start = time.perf_counter()
        for process in started:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        for process in started:
            if process.wait() != 0:
                raise SystemExit("a writer process failed")
        results[label] = time.perf_counter() - start
    total = processes * count
    for label, seconds in results.items():
        note = "" if label == "8 sessions" else f"8 sessions are {seconds / results['8 sessions']:.2f}x faster"
        rows.append((f"{processes} writers x {count} API writes, {label}", f"{total / seconds:,.0f} writes/s", note))


def long_lived(rows: list[Row], url: str, sqlite_db: str, operations: int) -> None:
    from bazinga_db import BazingaDB

    for name, db_target in (("SQLite", sqlite_db), ("PostgreSQL", url)):
        with BazingaDB(db_target) as db:
            db.log_interaction("api", "developer", "warm-up")
            start = time.perf_counter()
            for number in range(operations):
                db.log_interaction("api", "developer", f"entry {number}")
            api = (time.perf_counter() - start) / operations
            start = time.perf_counter()
            for _ in range(operations):
                db.get_state("api", "pm")
            read = (time.perf_counter() - start) / operations
        rows.append((f"API / MCP tool body, log_interaction: {name}", ms(api), f"{1 / api:,.0f} ops/s"))
        rows.append((f"API / MCP tool body, get_state: {name}", ms(read), f"{1 / read:,.0f} ops/s"))
        lines = "".join(
            json.dumps({"op": "log-interaction", "args": {"session_id": "batch", "agent_type": "pm", "content": f"b{n}"}})
            + "\n" for n in range(operations)
        )
        whole = run_once([PYTHON, "-m", "bazinga_db", "--db", db_target, "batch"], stdin=lines)
        rows.append((f"batch, {operations} log-interaction: {name}", ms(whole / operations) + "/op",
                     f"{operations / whole:,.0f} ops/s incl. start-up"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="samples per per-call measurement (default 15)")
    parser.add_argument("--quick", action="store_true", help="fewer rounds and smaller loads, for a smoke test")
    options = parser.parse_args()
    try:
        import psycopg  # noqa: F401
    except ImportError:
        print("PostgreSQL benchmark skipped: psycopg is not installed (pip install 'bazinga-db[postgres]')")
        return 0
    bin_dir = find_bin_dir()
    if bin_dir is None:
        print("PostgreSQL benchmark skipped: initdb and pg_ctl not found (apt-get install postgresql)")
        return 0
    rounds = 5 if options.quick else options.rounds
    server = Server(bin_dir)
    folder = tempfile.mkdtemp(prefix="bazinga-bench-")
    rows: list[Row] = []
    try:
        sqlite_db = str(Path(folder) / "bench.db")
        for db in (server.url, sqlite_db):
            run_once(cli(db, "migrate"))
        per_call(rows, server.url, sqlite_db, rounds)
        writers(rows, server.url, 8, 25 if options.quick else 150)
        long_lived(rows, server.url, sqlite_db, 100 if options.quick else 500)
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    version = subprocess.run(
        [os.path.join(bin_dir, "postgres"), "--version"], capture_output=True, text=True, check=False
    ).stdout
    print(f"\nPostgreSQL rows ({version.strip()}, local TCP, fsync on; medians of {rounds} rounds)\n")
    width = max(len(row[0]) for row in rows)
    value_width = max(len(row[1]) for row in rows)
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>{value_width}}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
