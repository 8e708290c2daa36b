"""What the NOTIFY sent with every PostgreSQL COMMIT costs writers, with and without it.

    .venv/bin/python benchmarks/notify_cost.py [--processes P] [--writes N] [--rounds R]

PostgreSQL serialises the commits of transactions that NOTIFY (one lock, held until the
commit is on disk), so writers to different sessions, which otherwise commit side by
side, queue there. This starts a private server with durable settings (fsync and
synchronous_commit on, as a team's server runs), then runs P writer processes, each
logging N entries to a session of its own through the Python API, alternately with the
NOTIFY and with it replaced by ``SELECT 1`` (the same round trip), and prints writes per
second of each round.
"""

from __future__ import annotations

import argparse
import sys
import time
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "support"))


def writer(arguments: tuple[str, int, int, bool]) -> float:
    target, number, writes, notify = arguments
    from bazinga_db import BazingaDB
    from bazinga_db.db.backends import postgres

    if not notify:
        postgres.notify_statement = lambda connection, session_id: "SELECT 1"  # type: ignore[assignment]
    session = f"bench_{number}"
    with BazingaDB(target) as db:
        db.create_session(session, "simple", "notify cost")
        started = time.perf_counter()
        for index in range(writes):
            db.log_interaction(session, "developer", f"entry {index}")
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args()
    import postgres_helper

    postgres_helper.SERVER_SETTINGS = "-c fsync=on -c synchronous_commit=on -c max_connections=200"
    server = postgres_helper.start_postgres_server()
    try:
        for round_number in range(options.rounds):
            for notify in (True, False):
                url = server.url(server.create_database())
                from bazinga_db import BazingaDB

                with BazingaDB(url) as db:
                    db.list_sessions()  # migrate before the clock starts
                jobs = [(url, number, options.writes, notify) for number in range(options.processes)]
                started = time.perf_counter()
                with Pool(options.processes) as pool:
                    pool.map(writer, jobs)
                elapsed = time.perf_counter() - started
                total = options.processes * options.writes
                print(f"round {round_number + 1}, {'with' if notify else 'without'} NOTIFY: "
                      f"{total / elapsed:7.0f} writes/s ({options.processes} processes x {options.writes})")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
