"""The `bazinga-db` console script as written by the pip that Python bundles, side by side
with the one a current pip writes, against the floor ``python -c "import sqlite3"``.

    .venv/bin/python benchmarks/bench_console_script.py [--rounds N] [--quick]  (make bench runs it)

pip writes the console script when it installs the package; its template is pip's, not
ours. Before pip 25.0 (and so in every venv made with the pip that ``ensurepip`` bundles
with Python 3.12 and older) the script starts with ``import re`` for one
``re.sub`` on argv[0]: several milliseconds on every call of a command whose own path
never imports ``re``. This script makes such a venv (``python -m venv``, pip not
upgraded) and installs the package into it without dependencies; makes a second, identical
venv and installs the same wheel with the current pip (``pip --python``); then times the same
``log-interaction`` through both scripts and the floor, interleaved, with the same
interpreter. Only the console script differs between the two.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {key: value for key, value in os.environ.items() if key != "BAZINGA_DB"}


def run(command: list[str], **options: object) -> str:
    completed = subprocess.run(command, capture_output=True, text=True, env=ENV, check=False, **options)  # type: ignore[call-overload]
    if completed.returncode != 0:
        raise SystemExit(f"failed ({completed.returncode}): {' '.join(command)}\n{completed.stdout}{completed.stderr}")
    return str(completed.stdout)


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    completed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV, text=True,
                               check=False)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        raise SystemExit(f"benchmark command failed ({completed.returncode}): {command}\n{completed.stderr}")
    return elapsed


def pip_version(python: Path) -> str:
    return run([str(python), "-m", "pip", "--version"]).split()[1]


def imports_re(script: Path) -> bool:
    return any(line.strip() == "import re" for line in script.read_text(encoding="utf-8").splitlines())


def make_venvs(folder: Path) -> tuple[Path, Path]:
    """Two venvs as `python -m venv` makes them (the bundled pip, not upgraded), the package
    installed into the first by that bundled pip and into the second by the current pip
    (``pip --python``): the same files but for the console script's template."""
    wheels = folder / "wheels"
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)], cwd=folder)
    wheel = str(next(wheels.glob("bazinga_db-*.whl")))
    # The base interpreter, as a user's python3 would be, not this venv's.
    base = getattr(sys, "_base_executable", sys.executable)
    bundled, current = folder / "bundled-pip", folder / "current-pip"
    quiet = ["-q", "--no-deps", "--no-index", "--disable-pip-version-check"]
    for venv in (bundled, current):
        run([base, "-m", "venv", str(venv)])
    run([str(bundled / "bin" / "python"), "-m", "pip", "install", *quiet, wheel])
    run([sys.executable, "-m", "pip", "--python", str(current / "bin" / "python"), "install", *quiet, wheel])
    return bundled, current


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21, help="interleaved samples per median (default 21)")
    parser.add_argument("--quick", action="store_true", help="5 rounds, for a smoke test")
    options = parser.parse_args()
    rounds = 5 if options.quick else options.rounds
    folder = Path(tempfile.mkdtemp(prefix="bazinga-bench-script-"))
    try:
        bundled, current = make_venvs(folder)
        python = bundled / "bin" / "python"
        scripts = {"bundled": bundled / "bin" / "bazinga-db", "current": current / "bin" / "bazinga-db"}
        db = str(folder / "bench.db")
        args = ["--db", db, "--quiet", "log-interaction", "bench_script", "developer", "implemented the form", "3",
                "developer_1"]
        for script in scripts.values():  # compiles each install's modules and creates the database first
            timed([str(script), *args])
        commands = {"floor": [str(python), "-c", "import sqlite3"]}
        commands.update({name: [str(script), *args] for name, script in scripts.items()})
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(rounds):
            for name, command in commands.items():
                samples[name].append(timed(command))
        medians = {name: statistics.median(values) for name, values in samples.items()}
        base = medians["floor"]
        rows = [["floor: python -c 'import sqlite3'", ms(base), "1.00x", ""]]
        versions = {"bundled": f"the bundled pip {pip_version(python)}", "current": f"current pip {pip_version(Path(sys.executable))}"}
        for name in ("current", "bundled"):
            value = medians[name]
            rows.append([f"log-interaction, bazinga-db written by {versions[name]}", ms(value),
                         f"{value / base:.2f}x floor (+{(value - base) * 1000:.1f} ms)",
                         "imports re" if imports_re(scripts[name]) else "no re"])
        print(f"# console scripts, Python {sys.version.split()[0]}; {rounds} interleaved rounds per median")
        header = ["measure", "median", "ratio", "script"]
        widths = [max(len(header[i]), *(len(row[i]) for row in rows)) for i in range(len(header))]
        print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
        print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        for row in rows:
            print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
