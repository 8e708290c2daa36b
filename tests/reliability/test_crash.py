"""Writers killed with SIGKILL at random moments, and processes killed while migrating.

Fast variant in `make test`: at least 50 kills of writers plus 12 fresh files and 3 large
adoptions killed during first start. `make stress` (BAZINGA_STRESS=full): 500 kills,
200 fresh files, 20 adoptions. The driver is tests/support/reliability.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import migration_crash
import reliability

FULL = os.environ.get("BAZINGA_STRESS") == "full"


def test_killed_writers_lose_no_acknowledged_write_and_leave_nothing_half_written(tmp_path: Path) -> None:
    kills = 500 if FULL else 50
    summary = reliability.run_crash(str(tmp_path / "crash.db"), kills=kills, lanes=4, seed=11,
                                    max_calls=kills * 10)
    print(summary)
    assert summary["problems"] == []
    assert summary["kills"] >= kills
    assert summary["failed"] == 0
    # the kills reached processes that were inside SQLite, not only ones still starting up
    assert summary["killed_with_database_open"] > 0
    # the store still works: a plain write succeeds and the doctor finds nothing wrong
    assert reliability.run_checked(reliability.cli(str(tmp_path / "crash.db"), "log-interaction",
                                                   "after_crash", "qa", "still writable")).returncode == 0
    assert reliability.run_checked(reliability.cli(str(tmp_path / "crash.db"), "doctor")).returncode == 0


def test_process_killed_while_migrating_leaves_file_unmigrated_or_fully_migrated(tmp_path: Path) -> None:
    fresh, adoptions = (200, 20) if FULL else (12, 3)
    summary = migration_crash.run_migration_crash(str(tmp_path), fresh=fresh, adoptions=adoptions, seed=5)
    print(summary)
    assert summary["problems"] == []
    assert summary["killed"] > 0
    states = summary["states"]
    assert sum(states.values()) == fresh + adoptions
    # the adoption kills land inside the long migration transaction: the file keeps its seed shape
    assert states.get("adoption:unmigrated", 0) > 0
