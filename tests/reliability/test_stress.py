"""Parallel agents through the real CLI: no acknowledged write lost or doubled, no lost increment.

The fast variant runs in `make test`; `make stress` (BAZINGA_STRESS=full) runs the large one.
The driver is tests/support/reliability.py; it also runs on its own against any target.
"""

from __future__ import annotations

import os
from pathlib import Path

import reliability

FULL = os.environ.get("BAZINGA_STRESS") == "full"


def test_sixteen_writers_and_two_readers_lose_nothing(tmp_path: Path) -> None:
    writers, ops, groups = (16, 60, 4) if FULL else (16, 4, 1)
    summary = reliability.run_stress(
        str(tmp_path / "stress.db"), str(tmp_path / "work"),
        writers=writers, ops=ops, readers=2, groups=groups, seed=7,
    )
    print(summary)
    assert summary["problems"] == []
    # every writer's every call was acknowledged (creates + ops + same-key retries)
    assert summary["calls"] == writers * (groups + ops) + summary["retried_with_same_key"]
    assert summary["acknowledged_writes"] == writers * (groups + ops)
    assert summary["increments"] > 0 and summary["retried_with_same_key"] > 0
    assert summary["snapshots"] >= 2
