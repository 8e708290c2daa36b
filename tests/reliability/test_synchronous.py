"""The durability setting: synchronous=FULL by default, NORMAL only when asked for."""

from __future__ import annotations

import os
from typing import Any

import pytest

from bazinga_db import BazingaDB, InvalidInput


def synchronous_of(db_path: str) -> int:
    with BazingaDB(db_path) as db:
        db.log_interaction("s1", "pm", "x")
        row = db.backend.connection.execute("PRAGMA synchronous").fetchone()  # type: ignore[attr-defined]
        return int(next(iter(row.values())))


def test_default_is_full(db_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BAZINGA_DB_SYNCHRONOUS", raising=False)
    assert synchronous_of(db_path) == 2  # FULL: every commit is fsynced before it is reported


def test_normal_on_request(db_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAZINGA_DB_SYNCHRONOUS", " Normal ")
    assert synchronous_of(db_path) == 1


def test_a_bad_value_is_refused_and_nothing_is_written(cli: Any, db_path: str) -> None:
    result = cli("log-interaction", "s1", "pm", "x", env={"BAZINGA_DB_SYNCHRONOUS": "off"})
    assert result.code == 2
    assert "BAZINGA_DB_SYNCHRONOUS='off'" in result.err and "full" in result.err and "normal" in result.err
    assert "Traceback" not in result.err
    assert not os.path.exists(db_path) or os.path.getsize(db_path) == 0


def test_a_bad_value_is_refused_by_the_api(db_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAZINGA_DB_SYNCHRONOUS", "extra")
    with pytest.raises(InvalidInput, match="full .*normal"):
        synchronous_of(db_path)
