"""`bazinga-db recover-db`: a healthy file is never touched; a damaged one is salvaged into a
new file, page by page, and the original is left exactly as it was."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from bazinga_db import BazingaDB
from conftest import run_cli

SESSIONS = [f"sess_recover_{n}" for n in range(4)]
LOGS_PER_SESSION = 100


def populate(path: str) -> None:
    """Several hundred rows across tables; log content long enough to fill many pages."""
    db = BazingaDB(path)
    try:
        for n, session_id in enumerate(SESSIONS):
            db.create_session(session_id, "parallel", f"requirements {n}")
            db.create_task_group("group_a", session_id, "Authentication")
            db.update_task_group("group_a", session_id, status="in_progress")
            for i in range(LOGS_PER_SESSION):
                db.log_interaction(session_id, "developer", f"entry {i} of {session_id} " + "x" * 300, i)
            db.save_state(session_id, "pm", {"iteration": n})
            db.log_tokens(session_id, "developer", 1000 + n)
            db.log_decision(session_id, "spawn_developers", {"count": n})
        db.set_config("max_parallel_developers", 4)
    finally:
        db.close()
    # Everything into the main file, so damaging its pages damages the data.
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.execute("PRAGMA journal_mode=DELETE")
    connection.close()
    for suffix in ("-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)


def damage_log_pages(path: str) -> int:
    """Overwrite two leaf pages of orchestration_logs in the middle of the table with a fixed
    pattern; return how many rows they held."""
    connection = sqlite3.connect(path)
    page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    leaves = connection.execute(
        "SELECT pageno, ncell FROM dbstat WHERE name = 'orchestration_logs' AND pagetype = 'leaf' ORDER BY pageno"
    ).fetchall()
    connection.close()
    assert len(leaves) > 10
    victims = leaves[len(leaves) // 2: len(leaves) // 2 + 2]
    with open(path, "r+b") as handle:
        for page, _ in victims:
            handle.seek((page - 1) * page_size)
            handle.write(bytes([0xA5]) * page_size)
    return sum(cells for _, cells in victims)


def fingerprint(path: str) -> tuple[bytes, int]:
    return Path(path).read_bytes(), os.stat(path).st_mtime_ns


def test_a_healthy_file_is_never_touched(db_path, tmp_path):
    populate(db_path)
    before = fingerprint(db_path)
    result = run_cli("recover-db", "--json", db=db_path)
    assert result.code == 0, result
    report = result.json()
    assert report["healthy"] is True and report["recovered"] is False
    assert report["database"] == db_path and "nothing to do" in report["message"]
    text = run_cli("recover-db", "--output", str(tmp_path / "new.db"), db=db_path)
    assert text.code == 0 and text.out.startswith("✓") and "nothing to do" in text.out
    assert fingerprint(db_path) == before  # same bytes, same mtime: not copied, rewritten or migrated
    assert sorted(os.listdir(tmp_path)) == ["bazinga.db"]  # no new file either (no -wal/-shm: not WAL now)


def test_damaged_pages_lose_only_their_rows(db_path, tmp_path):
    populate(db_path)
    lost = damage_log_pages(db_path)
    before = fingerprint(db_path)
    assert run_cli("doctor", db=db_path).code == 1  # really damaged

    output = str(tmp_path / "recovered.db")
    result = run_cli("recover-db", "--output", output, "--json", db=db_path)
    assert result.code == 0, result
    assert "Traceback" not in result.err
    report = result.json()
    assert report["healthy"] is False and report["recovered"] is True
    assert report["recovered_database"] == output and report["original_kept"] == db_path
    assert "mv" in report["next_step"] and output in report["next_step"]
    assert fingerprint(db_path) == before  # the original, byte for byte

    logs = report["tables"]["orchestration_logs"]
    total_logs = len(SESSIONS) * LOGS_PER_SESSION
    assert logs["lost"] == lost and logs["salvaged"] == total_logs - lost
    assert logs["salvaged"] + logs["lost"] + logs["orphans_skipped"] + logs["rejected"] == logs["rows_before"]
    assert logs["unreadable_ranges"]
    for table, counts in report["tables"].items():
        if table != "orchestration_logs":
            assert counts["lost"] == 0 and counts["salvaged"] == counts["rows_before"], table
    assert report["rows_lost"] == lost
    assert report["rows_salvaged"] == sum(counts["salvaged"] for counts in report["tables"].values())

    doctor = run_cli("doctor", "--json", db=output)
    assert doctor.code == 0, doctor
    assert doctor.json()["ok"] is True
    counts = run_cli("query", "SELECT COUNT(*) AS n FROM orchestration_logs", db=output).json()
    assert counts == [{"n": total_logs - lost}]
    assert len(run_cli("list-sessions", "--json", db=output).json()) == len(SESSIONS)
    assert run_cli("get-config", "max_parallel_developers", db=output).json() == 4
    # The full-text index is rebuilt from the salvaged rows; the id counter stays past the lost ids.
    found = run_cli("search-logs", f"entry {SESSIONS[0]}", "--limit", "1000", "--json", db=output).json()
    assert len(found) > 0
    new_id = BazingaDB(output).log_interaction(SESSIONS[0], "qa", "after recovery")["id"]
    assert new_id > total_logs

    text = run_cli("recover-db", db=db_path)  # the default name: <db>.recovered-<UTC time>.db
    assert text.code == 0 and text.out.startswith("✓ Recovered into ")
    made = [name for name in os.listdir(tmp_path) if name.startswith("bazinga.db.recovered-")]
    assert len(made) == 1 and made[0].endswith(".db")
    assert f"orchestration_logs {total_logs - lost} salvaged, {lost} lost, 0 orphans skipped" in [
        " ".join(line.split()) for line in text.out.splitlines()]
    assert fingerprint(db_path) == before


def test_a_lost_parent_makes_its_rows_orphans(db_path, tmp_path):
    """Sessions on a destroyed page: their rows are skipped and counted, the new file stays clean."""
    populate(db_path)
    connection = sqlite3.connect(db_path)
    page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    pages = connection.execute("SELECT pageno FROM dbstat WHERE name = 'sessions'").fetchall()
    connection.close()
    assert len(pages) == 1  # four small rows: one leaf, the table's root
    with open(db_path, "r+b") as handle:
        handle.seek((pages[0][0] - 1) * page_size)
        handle.write(bytes([0x5A]) * page_size)
    output = str(tmp_path / "recovered.db")
    result = run_cli("recover-db", "--output", output, "--json", db=db_path)
    assert result.code == 0, result
    tables = result.json()["tables"]
    assert tables["sessions"]["salvaged"] == 0
    assert tables["orchestration_logs"]["orphans_skipped"] == len(SESSIONS) * LOGS_PER_SESSION
    assert tables["orchestration_logs"]["salvaged"] == 0
    assert tables["configuration"]["salvaged"] == 1  # global rows need no session
    assert run_cli("doctor", db=output).code == 0


def test_a_destroyed_header_reads_nothing(db_path, tmp_path):
    populate(db_path)
    with open(db_path, "r+b") as handle:
        handle.write(bytes([0xEE]) * 100)
    before = fingerprint(db_path)
    result = run_cli("recover-db", db=db_path)
    assert result.code == 1, result
    assert "nothing could be read" in result.err and "Traceback" not in result.err
    assert fingerprint(db_path) == before
    assert sorted(os.listdir(tmp_path)) == ["bazinga.db"]  # no new file, no half-written one
    result = run_cli("recover-db", "--json", db=db_path)
    assert result.code == 1 and result.json()["ok"] is False


def test_refusals(db_path, tmp_path):
    populate(db_path)
    damage_log_pages(db_path)
    existing = tmp_path / "taken.db"
    existing.write_text("keep me")
    result = run_cli("recover-db", "--output", str(existing), db=db_path)
    assert result.code == 2 and "already exists" in result.err and "Traceback" not in result.err
    assert existing.read_text() == "keep me"
    result = run_cli("recover-db", "--output", str(tmp_path / "no" / "such" / "dir.db"), db=db_path)
    assert result.code == 2 and "does not exist" in result.err

    missing = tmp_path / "missing.db"
    result = run_cli("recover-db", db=str(missing))
    assert result.code == 1 and f"no database at {missing}" in result.err and "Traceback" not in result.err
    assert not missing.exists()

    # Refused before any connection is tried: no server needed.
    result = run_cli("recover-db", db="postgresql://nobody@127.0.0.1:1/none")
    assert result.code == 2, result
    assert "recover-db repairs SQLite files" in result.err and "pg_dump" in result.err
    assert "Traceback" not in result.err
