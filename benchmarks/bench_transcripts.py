"""Ingesting Claude Code transcripts: a 50 MB transcript read whole, then only what was added.

    .venv/bin/python benchmarks/bench_transcripts.py [--rounds N] [--quick] [--megabytes M]

Each measure is the wall time of one ``bazinga-db`` process, as a hook or a person runs it:

1. ``ingest-transcript`` of a generated main transcript of about 50 MB (plus three small
   subagent files) into a fresh database;
2. the same file again after a few lines were appended (one new streamed message): only
   the new bytes are read, so it must cost a small fraction of the first;
3. ``hook`` with a Stop event after a few more lines, the call Claude Code makes at the
   end of every turn;
4. ``ingest-transcript`` of the unchanged file (nothing new): the floor of a process;
5. the first and the incremental ingest in one process (``BazingaDB.ingest_transcript``),
   without the process start that dominates the small calls above.

Only the standard library is used (time.perf_counter, subprocess, statistics).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "examples"))
from make_transcript import turns, write  # the demo's generator, shared

PYTHON = sys.executable
SCRIPT = str(Path(PYTHON).parent / "bazinga-db")
ENV = {key: value for key, value in os.environ.items() if key not in ("BAZINGA_DB", "BAZINGA_SESSION")}
PAD = 2000  # characters of text per line: real transcripts are mostly long tool output


def timed(command: list[str], stdin: str | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    completed = subprocess.run(command, input=stdin, capture_output=True, text=True, env=ENV, check=False)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({completed.returncode}): {completed.stderr.strip()}")
    return elapsed, completed.stdout


def make_corpus(folder: str, megabytes: float) -> str:
    per_turn = len(turns(None, 1, seed=0, pad=PAD))
    count = max(1, int(megabytes * 1_000_000 / per_turn))
    started = time.perf_counter()
    main = write(folder, [("developer", "dev1"), ("qa", "qa1"), ("explore", "ex1")], 20, pad=PAD)
    with open(main, "w", encoding="utf-8") as handle:
        handle.write(turns(None, count, seed=0, pad=PAD))
    size = os.path.getsize(main)
    print(f"# generated {main}: {size / 1e6:.1f} MB, {count:,} messages, in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    return main


def append_turn(main: str, number: int) -> None:
    """A few lines: a prompt and one new streamed response (three copies of one message)."""
    lines = turns(f"late{number}", 1, seed=number, pad=200).splitlines(keepends=True)[:4]
    with open(main, "a", encoding="utf-8") as handle:
        handle.writelines(lines)


def in_process(folder: str, main_path: str, pristine: str, rounds: int) -> tuple[float, float]:
    """Medians of the first and of an incremental ingest through the Python API."""
    from bazinga_db import BazingaDB

    first, grown = [], []
    for number in range(rounds):
        shutil.copyfile(pristine, main_path)
        with BazingaDB(os.path.join(folder, f"api-{number}.db")) as db:
            db.create_session("bench")
            start = time.perf_counter()
            db.ingest_transcript(main_path, "bench")
            first.append(time.perf_counter() - start)
            append_turn(main_path, 100 + number)
            start = time.perf_counter()
            assert db.ingest_transcript(main_path, "bench")["messages"] == 1
            grown.append(time.perf_counter() - start)
    shutil.copyfile(pristine, main_path)
    return statistics.median(first), statistics.median(grown)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="samples per measure (default 5)")
    parser.add_argument("--quick", action="store_true", help="a 5 MB transcript and 2 rounds, for a smoke test")
    parser.add_argument("--megabytes", type=float, default=50.0, help="size of the main transcript (default 50)")
    options = parser.parse_args()
    rounds = 2 if options.quick else options.rounds
    megabytes = 5.0 if options.quick else options.megabytes
    if not os.path.exists(SCRIPT):
        raise SystemExit(f"{SCRIPT} not found: run `make install` first")
    folder = tempfile.mkdtemp(prefix="bazinga-bench-transcripts-")
    try:
        main_path = make_corpus(os.path.join(folder, "project"), megabytes)
        size = os.path.getsize(main_path)
        pristine = os.path.join(folder, "pristine.jsonl")
        shutil.copyfile(main_path, pristine)
        first: list[float] = []
        again: list[float] = []
        grown: list[float] = []
        hooked: list[float] = []
        messages = 0
        for number in range(rounds):
            db = os.path.join(folder, f"round-{number}.db")
            base = [SCRIPT, "--db", db]
            timed([*base, "create-session", "bench"])
            elapsed, out = timed([*base, "--json", "ingest-transcript", main_path, "--session", "bench"])
            first.append(elapsed)
            messages = json.loads(out)["messages"]
            again.append(timed([*base, "ingest-transcript", main_path, "--session", "bench"])[0])
            append_turn(main_path, 2 * number)
            elapsed, out = timed([*base, "--json", "ingest-transcript", main_path, "--session", "bench"])
            assert json.loads(out)["messages"] == 1, out  # exactly the new message
            grown.append(elapsed)
            append_turn(main_path, 2 * number + 1)
            event = json.dumps({"hook_event_name": "Stop", "transcript_path": main_path, "stop_hook_active": False})
            hooked.append(timed([*base, "hook"], stdin=event)[0])
            shutil.copyfile(pristine, main_path)  # the next round starts from the same file
        in_first, in_grown = in_process(folder, main_path, pristine, rounds)
        first_s = statistics.median(first)
        rows = [
            ("ingest-transcript, first time", f"{first_s * 1000:,.0f} ms",
             f"{size / 1e6 / first_s:,.0f} MB/s, {messages:,} messages", "", ""),
            ("ingest-transcript after appending a few lines", f"{statistics.median(grown) * 1000:,.0f} ms",
             f"{statistics.median(grown) / first_s:.1%} of first", "", ""),
            ("hook (Stop event) after a few lines", f"{statistics.median(hooked) * 1000:,.0f} ms",
             f"{statistics.median(hooked) / first_s:.1%} of first", "< 1 s",
             "ok" if statistics.median(hooked) < 1 else "FAIL"),
            ("ingest-transcript, nothing new", f"{statistics.median(again) * 1000:,.0f} ms",
             f"{statistics.median(again) / first_s:.1%} of first", "", ""),
            ("in one process: first time", f"{in_first * 1000:,.0f} ms", f"{size / 1e6 / in_first:,.0f} MB/s", "", ""),
            ("in one process: after appending a few lines", f"{in_grown * 1000:,.1f} ms",
             f"{in_grown / in_first:.2%} of first", "<= 5%", "ok" if in_grown <= 0.05 * in_first else "FAIL"),
        ]
        print(f"# transcript ingest: {size / 1e6:.1f} MB main file + 3 subagent files, {rounds} rounds, medians")
        header = ("measure", "median", "ratio", "target", "result")
        widths = [max(len(header[i]), *(len(row[i]) for row in rows)) for i in range(5)]
        print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
        print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        for row in rows:
            print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
