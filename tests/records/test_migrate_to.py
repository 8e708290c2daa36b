"""`migrate-to`: a whole database copied SQLite → PostgreSQL → SQLite, row counts verified."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from bazinga_db import BazingaDB
from bazinga_db.db import schema
from bazinga_db.db.backends import open_backend
from conftest import run_cli


def populate(target: str) -> None:
    with BazingaDB(target) as db:
        db.create_session("sess_1", "parallel", "Add OAuth2 login", metadata={"team": ["pm", "dev"]})
        for number in range(1, 26):
            db.log_interaction("sess_1", "developer", f"entry {number}: 100% ✓", iteration=number,
                               agent_id="developer_1", idempotency_key=f"k{number}")
        db.log_interaction("sess_2", "pm", "auto-created session")
        db.save_state("sess_1", "pm", {"iteration": 3, "ratio": 0.5})
        db.save_state("sess_1", "group_status", {"g1": "done"}, group_id="g1")
        db.create_task_group("g1", "sess_1", "Authentication", assigned_to="developer_1")
        db.update_task_group("g1", increment_revision=True, last_review_status="CHANGES_REQUESTED")
        db.log_tokens("sess_1", "developer", input_tokens=1200, output_tokens=300, model="opus")
        db.save_skill_output("sess_1", "lint", {"errors": 0, "warnings": 3}, agent_type="qa", iteration=2)
        db.set_config("max_parallel_developers", 4)
        db.log_decision("sess_1", "spawn_developers", {"count": 3}, iteration=1)
        # measured usage and the read positions of its transcript files
        db.ingest_transcript(str(Path(__file__).resolve().parents[2] / "examples" / "transcript.jsonl"), "sess_1")
        # the workflow records and what the project learned
        db.save_success_criteria("sess_1", ["All tests pass", {"criterion": "Docs", "required_for_completion": False}])
        db.save_development_plan("sess_1", "Add OAuth2 login", "Backend, then UI", [{"phase": 1, "name": "API"}])
        db.save_event("sess_1", "tl_verdicts", {"g1": "CHANGES_REQUESTED"}, group_id="g1")
        db.save_reasoning("sess_1", "g1", "developer", "decisions", "JWT with refresh tokens", confidence="high")
        package = db.save_context_package("sess_1", "g1", "failures", "review.md", "tech_lead", ["developer", "qa"],
                                          "high", "Refresh tokens leak", project_root=str(Path(target).parent))
        db.mark_context_consumed(package["id"], "developer", 2)
        db.save_consumption("sess_1", "g1", "developer", 2, package["id"])
        db.save_error_pattern("shop", "KeyError", "KeyError: 'sub' in /srv/auth.py line 3", "check the claims",
                              lang="python", context_hints=["jwt"])
        db.save_strategy("shop", "architecture", "Tokens are checked in one middleware", lang="python")


def dump(target: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, in key order, exactly as stored."""
    backend = open_backend(target)
    try:
        with backend.read() as tx:
            tables = {}
            for table in schema.TABLES:
                order = ", ".join(table.primary_key) if table.primary_key else "id"
                tables[table.name] = tx.all(f"SELECT * FROM {table.name} ORDER BY {order}")
            return tables
    finally:
        backend.close()


def test_round_trip_sqlite_postgres_sqlite(tmp_path: Path, postgres_server):
    original = str(tmp_path / "original.db")
    populate(original)
    # A pruned newest log: its id must never be handed out again, on any backend.
    with sqlite3.connect(original) as connection:
        connection.execute("DELETE FROM orchestration_logs WHERE id = (SELECT MAX(id) FROM orchestration_logs)")
    url = postgres_server.url(postgres_server.create_database())

    to_postgres = run_cli("--json", "migrate-to", url, db=original)
    assert to_postgres.code == 0, to_postgres
    report = to_postgres.json()
    expected_counts = {name: len(rows) for name, rows in dump(original).items()}
    assert report["tables"] == expected_counts
    assert report["rows"] == sum(expected_counts.values()) and report["verified"] is True
    assert expected_counts["orchestration_logs"] == 26 and expected_counts["sessions"] == 2
    assert all(expected_counts.values()), expected_counts  # every table is part of the test
    assert dump(url) == dump(original)

    back = str(tmp_path / "back.db")
    to_sqlite = run_cli("migrate-to", back, db=url)
    assert to_sqlite.code == 0, to_sqlite
    assert to_sqlite.out.startswith(f"✓ Copied {sum(expected_counts.values())} rows from postgresql://")
    assert any(line.split() == ["orchestration_logs", "26"] for line in to_sqlite.out.splitlines())
    assert any(line.split() == ["_transcript_offsets", "2"] for line in to_sqlite.out.splitlines())
    assert dump(back) == dump(original)

    # New rows continue after the highest id ever used, on both copies.
    for copy in (url, back):
        new = run_cli("--json", "log-interaction", "sess_1", "qa", "after the move", db=copy)
        assert new.code == 0, new
        assert new.json()["id"] == 28
        replay = run_cli("--json", "log-interaction", "sess_1", "developer", "entry 1: 100% ✓",
                         "--idempotency-key", "k1", db=copy)
        assert replay.json()["id"] == 1  # idempotency keys came along


def test_refuses_a_target_with_rows_and_copies_nothing(tmp_path: Path, postgres_server):
    source = str(tmp_path / "source.db")
    populate(source)
    url = postgres_server.url(postgres_server.create_database())
    assert run_cli("set-config", "owner", '"someone else"', db=url).code == 0

    refused = run_cli("--json", "migrate-to", url, db=source)
    assert refused.code == 1
    error = refused.json()["error"]
    assert error["code"] == "conflict" and "1 in configuration" in error["message"]
    assert {name: len(rows) for name, rows in dump(url).items() if rows} == {"configuration": 1}

    appended = run_cli("--json", "migrate-to", url, "--append", db=source)
    assert appended.code == 0, appended
    assert appended.json()["tables"]["configuration"] == 1
    assert len(dump(url)["configuration"]) == 2

    # Appending the same rows again meets existing keys: refused as a whole.
    again = run_cli("--json", "migrate-to", url, "--append", db=source)
    assert again.code == 1 and again.json()["error"]["code"] == "conflict"
    assert len(dump(url)["orchestration_logs"]) == 27


def test_nothing_to_copy_or_same_database(tmp_path: Path):
    missing = run_cli("migrate-to", str(tmp_path / "b.db"), db=str(tmp_path / "missing.db"))
    assert missing.code == 1 and "no database at" in missing.err
    assert not (tmp_path / "missing.db").exists()
    populate(str(tmp_path / "a.db"))
    same = run_cli("migrate-to", str(tmp_path / "a.db"), db=str(tmp_path / "a.db"))
    assert same.code == 2 and "is the database being copied" in same.err


def test_columns_the_target_lacks_are_reported(tmp_path: Path, postgres_server):
    source = str(tmp_path / "adopted.db")
    populate(source)
    with sqlite3.connect(source) as connection:  # a column another tool added to the file
        connection.execute("ALTER TABLE sessions ADD COLUMN legacy_note TEXT")
    url = postgres_server.url(postgres_server.create_database())
    result = run_cli("--json", "migrate-to", url, db=source)
    assert result.code == 0, result
    assert result.json()["skipped_columns"] == {"sessions": ["legacy_note"]}
    assert dump(url)["sessions"] == [
        {key: value for key, value in row.items() if key != "legacy_note"} for row in dump(source)["sessions"]
    ]
    text = run_cli("migrate-to", str(tmp_path / "copy.db"), db=source)
    assert "note: sessions columns not in the schema were not copied: legacy_note" in text.out
