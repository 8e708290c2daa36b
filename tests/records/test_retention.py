"""prune (whole finished sessions, never active ones) and vacuum; compare-sessions."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bazinga_db import BazingaDB
from bazinga_db.db.schema import SESSION_TABLES


def fill(db: BazingaDB, session_id: str, status: str | None) -> None:
    db.create_session(session_id, "parallel", f"work of {session_id}")
    db.log_interaction(session_id, "pm", f"plan for {session_id} " + "x" * 2000)
    db.save_state(session_id, "pm", {"iteration": 1})
    db.create_task_group("group_a", session_id, "Auth")
    db.update_task_group("group_a", session_id, status="completed", last_review_status="APPROVED")
    db.log_tokens(session_id, "developer", 1000, "developer_1")
    db.save_skill_output(session_id, "lint", {"errors": 0})
    db.log_decision(session_id, "spawn", {"count": 1})
    db.save_success_criteria(session_id, [{"criterion": "tests pass", "status": "met"}])
    db.save_development_plan(session_id, "work", "one phase", ["build"])
    db.save_event(session_id, "validator_verdict", {"verdict": "ACCEPT"})
    package = db.save_context_package(session_id, "group_a", "research", "notes.md", "investigator",
                                      ["developer"], "high", "notes", project_root=str(Path(db.location).parent))
    db.save_consumption(session_id, "group_a", "developer", 1, package["id"])
    transcript = Path(db.location).parent / f"{session_id}.jsonl"  # measured usage and its read position
    transcript.write_text(json.dumps({"type": "assistant", "message": {
        "id": f"msg_{session_id}", "model": "local-model", "usage": {"input_tokens": 1, "output_tokens": 2}}}) + "\n")
    db.ingest_transcript(str(transcript), session_id)
    if status:
        db.update_session_status(session_id, status)


def age(db_path: str, session_id: str, when: str, *, end: bool = True) -> None:
    connection = sqlite3.connect(db_path)
    with connection:
        connection.execute("UPDATE sessions SET start_time = ?, created_at = ?, end_time = ? WHERE session_id = ?",
                           (when, when, when if end else None, session_id))
    connection.close()


def counts(db_path: str) -> dict[str, int]:
    connection = sqlite3.connect(db_path)
    found = {table: connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
             for table in ("sessions", *SESSION_TABLES)}
    connection.close()
    return found


@pytest.fixture
def aged(store: BazingaDB, db_path: str) -> BazingaDB:
    fill(store, "old_done", "completed")
    fill(store, "old_failed", "failed")
    fill(store, "old_active", None)
    fill(store, "new_done", "completed")
    fill(store, "old_no_end", "completed")
    for session_id in ("old_done", "old_failed", "old_active"):
        age(db_path, session_id, "2024-01-01T00:00:00.000Z")
    age(db_path, "old_no_end", "2024-02-01T00:00:00.000Z", end=False)  # created_at counts then
    return store


def test_dry_run_reports_and_deletes_nothing(aged: BazingaDB, cli, db_path: str) -> None:  # type: ignore[no-untyped-def]
    before = counts(db_path)
    result = cli("--json", "prune", "--older-than", "30d", "--dry-run")
    assert result.code == 0, result
    report = result.json()
    assert report["dry_run"] is True
    assert report["sessions"] == ["old_done", "old_failed", "old_no_end"]
    assert report["removed"] == {"sessions": 3, "orchestration_logs": 3, "state_snapshots": 3, "task_groups": 3,
                                 "task_group_events": 6, "token_usage": 6, "skill_outputs": 3, "decisions": 3,
                                 "_transcript_offsets": 3, "success_criteria": 3, "development_plans": 3, "events": 3,
                                 "context_packages": 3, "context_package_consumers": 3, "consumption_scope": 3}
    assert report["session_details"] == [
        {"session_id": "old_done", "status": "completed", "end_time": "2024-01-01T00:00:00.000Z",
         "created_at": "2024-01-01T00:00:00.000Z"},
        {"session_id": "old_failed", "status": "failed", "end_time": "2024-01-01T00:00:00.000Z",
         "created_at": "2024-01-01T00:00:00.000Z"},
        {"session_id": "old_no_end", "status": "completed", "end_time": None,
         "created_at": "2024-02-01T00:00:00.000Z"},
    ]
    assert counts(db_path) == before
    text = cli("prune", "--older-than", "30d", "--dry-run").out.rstrip().splitlines()
    assert text[0].startswith("✓ Would remove 3 completed or failed session(s) older than ")
    assert text[0].endswith("decisions 3, _transcript_offsets 3, success_criteria 3, development_plans 3, events 3, context_packages 3, context_package_consumers 3, consumption_scope 3 (dry run: nothing deleted)")
    # Every session the real run would delete, by id, with its status and end time.
    assert text[1:] == [
        "  old_done    completed  ended 2024-01-01T00:00:00.000Z",
        "  old_failed  failed     ended 2024-01-01T00:00:00.000Z",
        "  old_no_end  completed  no end time, created 2024-02-01T00:00:00.000Z",
    ]
    assert counts(db_path) == before


def test_prune_deletes_whole_finished_sessions_only(aged: BazingaDB, cli, db_path: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("prune", "--older-than", "2024-01-15", "--status", "Completed")
    assert result.code == 0, result
    assert "Removed 1 completed session(s) older than 2024-01-15T00:00:00.000Z" in result.out
    assert result.out.splitlines()[1:] == ["  old_done  completed  ended 2024-01-01T00:00:00.000Z"]
    nothing = cli("prune", "--older-than", "2024-01-15", "--status", "completed")
    assert nothing.out == "✓ Removed 0 completed session(s) older than 2024-01-15T00:00:00.000Z: nothing to do\n"
    assert cli("--json", "prune", "--older-than", "2024-01-15", "--dry-run").json()["session_details"] == [
        {"session_id": "old_failed", "status": "failed", "end_time": "2024-01-01T00:00:00.000Z",
         "created_at": "2024-01-01T00:00:00.000Z"}
    ]
    assert sorted(s["session_id"] for s in aged.list_sessions(status="completed")) == ["new_done", "old_no_end"]
    report = aged.prune("12h")
    assert report["sessions"] == ["old_failed", "old_no_end"]
    left = counts(db_path)
    assert left["sessions"] == 2  # old_active and new_done
    for table in SESSION_TABLES:
        connection = sqlite3.connect(db_path)
        sessions = {row[0] for row in connection.execute(f"SELECT DISTINCT session_id FROM {table}")}
        connection.close()
        assert sessions == {"old_active", "new_done"}, table
    assert aged.search_logs("plan old_failed") == []  # the search index lost them too


def test_prune_bad_input_exits_2_and_deletes_nothing(aged: BazingaDB, cli, db_path: str) -> None:  # type: ignore[no-untyped-def]
    before = counts(db_path)
    for arguments, message in [
        (("--older-than", "30"), "give a duration"),
        (("--older-than", "30 days"), "give a duration"),
        (("--older-than", "yesterday"), "give a duration"),
        (("--older-than", "0d", "--status", "active"), "never deletes active sessions"),
        (("--older-than", "0d", "--status", "done"), "allowed values: completed, failed"),
        ((), "missing"),
    ]:
        result = cli("prune", *arguments)
        assert result.code == 2 and message in result.err, (arguments, result)
    assert counts(db_path) == before


def test_vacuum_gives_space_back(aged: BazingaDB, cli, db_path: str) -> None:  # type: ignore[no-untyped-def]
    for n in range(200):
        aged.log_interaction("old_done", "developer", f"entry {n} " + "y" * 4000)
    aged.prune("1d")
    result = cli("--json", "vacuum")
    assert result.code == 0, result
    report = result.json()
    assert report["bytes_before"] > report["bytes_after"] > 0
    assert report["bytes_freed"] == report["bytes_before"] - report["bytes_after"]
    assert report["bytes_freed"] > 500_000
    text = cli("vacuum")
    assert text.code == 0 and text.out.startswith(f"✓ Vacuumed {db_path}: ")
    assert cli("vacuum", "now").code == 2


def test_compare_sessions_side_by_side(aged: BazingaDB, cli) -> None:  # type: ignore[no-untyped-def]
    aged.log_tokens("new_done", "qa", model="gpt-4o", input_tokens=1_000_000, output_tokens=0)
    aged.update_task_group("group_a", "new_done", increment_revision=True)
    aged.create_task_group("group_b", "new_done", "UI", status="failed")
    result = cli("--json", "compare-sessions", "old_done", "new_done")
    assert result.code == 0, result
    a, b = result.json()["sessions"]
    assert (a["session_id"], b["session_id"]) == ("old_done", "new_done")
    assert a["total_tokens"] == 1003 and b["total_tokens"] == 1_001_003  # 3 measured tokens each
    assert a["cost_usd"] is None and b["cost_usd"] == pytest.approx(2.5)
    assert (a["groups_completed"], a["groups_total"], b["groups_completed"], b["groups_total"]) == (1, 1, 1, 2)
    assert (a["revisions"], b["revisions"]) == (0, 1)
    assert a["review_outcomes"] == {"APPROVED": 1, "CHANGES_REQUESTED": 0}
    assert a["duration_s"] == 0 and a["running"] is False  # aged: start and end both 2024-01-01
    assert result.json()["difference"]["total_tokens"] == 1_000_000
    text = cli("compare-sessions", "old_done", "old_active").out.splitlines()
    assert text[0].split() == ["old_done", "old_active"]
    assert text[1].split() == ["status", "completed", "active"]
    assert text[3].startswith("duration") and text[3].endswith("(running)")
    assert "task groups done  1/1" in "\n".join(text)


def test_compare_sessions_bad_input(aged: BazingaDB, cli) -> None:  # type: ignore[no-untyped-def]
    same = cli("compare-sessions", "old_done", "old_done")
    assert same.code == 2 and "two different sessions" in same.err
    assert cli("compare-sessions", "old_done").code == 2
    missing = cli("compare-sessions", "old_done", "ghost")
    assert missing.code == 1 and "session 'ghost' not found" in missing.err
