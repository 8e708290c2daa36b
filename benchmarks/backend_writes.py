"""Write throughput of one backend through the Python API, one process and several.

    python benchmarks/backend_writes.py DB [--writes N] [--processes P]

DB is an SQLite path or a postgresql:// URL (an empty database). Prints milliseconds per
write for one writer, then writes per second for P writer processes.
"""

from __future__ import annotations

import argparse
import time
from multiprocessing import Pool

from bazinga_db import BazingaDB


def writer(arguments: tuple[str, int, int]) -> float:
    target, number, writes = arguments
    with BazingaDB(target) as db:
        db.list_sessions()  # connect and migrate before the clock starts
        started = time.perf_counter()
        for index in range(writes):
            db.log_interaction("bench", "developer", f"writer {number} entry {index}", agent_id=f"developer_{number}")
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("--writes", type=int, default=300)
    parser.add_argument("--processes", type=int, default=8)
    options = parser.parse_args()
    alone = writer((options.db, 0, options.writes))
    print(f"one writer: {alone / options.writes * 1000:.2f} ms per write ({options.writes} writes)")
    with Pool(options.processes) as pool:
        started = time.perf_counter()
        pool.map(writer, [(options.db, n + 1, options.writes) for n in range(options.processes)])
        elapsed = time.perf_counter() - started
    total = options.processes * options.writes
    print(f"{options.processes} writer processes: {total / elapsed:.0f} writes/s ({total} writes in {elapsed:.1f} s)")


if __name__ == "__main__":
    main()
