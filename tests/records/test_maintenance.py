"""`bazinga-db doctor` and `bazinga-db backup`, on healthy, broken and live databases."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import migration_crash
import reliability
from conftest import run_cli

SESSION = "sess_maintenance"


def populate(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("create-session", SESSION, "parallel", "doctor and backup").code == 0
    assert cli("log-interaction", SESSION, "pm", "planned two groups").code == 0
    assert cli("create-task-group", "group_a", SESSION, "Authentication").code == 0
    assert cli("update-task-group", "group_a", "--increment-revision").code == 0


def test_doctor_on_a_healthy_database(cli, db_path):
    populate(cli)
    result = cli("doctor")
    assert result.code == 0, result.out
    assert "✓ integrity: ok" in result.out and f"✓ {db_path}: healthy" in result.out
    report = cli("doctor", "--json").json()
    assert report["ok"] is True and report["schema_version"] == report["latest_schema_version"]
    assert {check["check"] for check in report["checks"]} == {
        "integrity", "schema_version", "wal_size", "foreign_keys", "orphan_rows"}
    assert all(check["status"] == "ok" for check in report["checks"])


def test_doctor_finds_orphan_rows(cli, db_path):
    populate(cli)
    connection = sqlite3.connect(db_path)  # another tool, with foreign keys off, leaves orphans
    connection.execute("INSERT INTO orchestration_logs (session_id, timestamp, agent_type, content) "
                       "VALUES ('gone', '2025-01-01T00:00:00.000Z', 'qa', 'orphan')")
    connection.execute("INSERT INTO task_group_events (session_id, group_id, timestamp, changes) "
                       f"VALUES ('{SESSION}', 'no_such_group', '2025-01-01T00:00:00.000Z', '{{}}')")
    connection.commit()
    connection.close()
    result = cli("doctor", "--json")
    assert result.code == 1
    report = result.json()
    assert report["ok"] is False
    assert report["orphans"] == {"orchestration_logs": 1, "task_group_events (no task group)": 1}
    statuses = {check["check"]: check["status"] for check in report["checks"]}
    assert statuses["foreign_keys"] == "error" and statuses["orphan_rows"] == "error"
    assert statuses["integrity"] == "ok"


def test_doctor_on_corrupt_and_foreign_files(cli, db_path, tmp_path):
    populate(cli)
    data = bytearray(Path(db_path).read_bytes())
    data[2 * 4096: 3 * 4096] = b"\x00\xff" * 2048
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(bytes(data))
    result = run_cli("doctor", db=str(corrupt))
    assert result.code == 1 and "✗ integrity:" in result.out and "PROBLEMS FOUND" in result.out

    text = tmp_path / "text.db"
    text.write_text("not a database\n" * 100)
    result = run_cli("doctor", "--json", db=str(text))
    assert result.code == 1 and "file is not a database" in result.json()["checks"][0]["detail"]

    missing = tmp_path / "missing.db"
    result = run_cli("doctor", db=str(missing))
    assert result.code == 1 and f"no database at {missing}" in result.err
    assert not missing.exists()  # the doctor never creates a file


def test_doctor_on_schema_versions(cli, db_path, tmp_path):
    populate(cli)
    connection = sqlite3.connect(db_path)
    connection.execute("PRAGMA user_version = 99")
    connection.close()
    result = cli("doctor")
    assert result.code == 1 and "version 99 is newer than this bazinga-db" in result.out

    seed = tmp_path / "seed.db"  # a file of the seed's scripts: not an error, migrated on next write
    migration_crash.make_seed_file(str(seed), 10)
    result = run_cli("doctor", "--json", db=str(seed))
    assert result.code == 0
    statuses = {check["check"]: check["status"] for check in result.json()["checks"]}
    assert statuses["schema_version"] == "warning"
    assert migration_crash.classify_file(str(seed)) == "unmigrated"  # the doctor did not migrate it


def test_backup_copies_and_verifies(cli, db_path, tmp_path):
    populate(cli)
    destination = tmp_path / "copies" / "backup.db"
    destination.parent.mkdir()
    result = cli("--json", "backup", str(destination))
    assert result.code == 0, result.err
    report = result.json()
    assert report["integrity"] == "ok" and report["rows"]["orchestration_logs"] == 1
    assert report["destination"] == str(destination)
    assert os.listdir(destination.parent) == ["backup.db"]  # no temporary file left behind
    copy = run_cli("get-task-groups", SESSION, db=str(destination))
    assert copy.code == 0 and copy.json()[0]["revision_count"] == 1

    # refuses to overwrite without --force, and leaves the old copy as it was
    assert cli("log-interaction", SESSION, "qa", "one more").code == 0
    before = destination.read_bytes()
    result = cli("backup", str(destination))
    assert result.code == 2 and "already exists; nothing was written" in result.err and "--force" in result.err
    assert destination.read_bytes() == before
    result = cli("backup", str(destination), "--force")
    assert result.code == 0 and "✓ Backup written" in result.out
    assert len(run_cli("get-logs", SESSION, db=str(destination)).json()) == 2

    # a folder as destination gets a file named like the database
    result = cli("--json", "backup", str(destination.parent))
    assert result.code == 0 and result.json()["destination"] == str(destination.parent / "bazinga.db")

    assert cli("backup", db_path, "--force").code == 2  # never onto itself
    missing = run_cli("backup", str(tmp_path / "x.db"), db=str(tmp_path / "none.db"))
    assert missing.code == 1 and "no database at" in missing.err


def test_backup_while_writers_run_is_consistent(tmp_path):
    target = str(tmp_path / "live.db")
    reliability.setup(target, reliability.group_ids(2))
    # A long-lived connection (as a dashboard server keeps) means the writers are never the
    # last to close, so recent commits stay in the WAL: a copy of the main file alone
    # would miss them.
    keeper = sqlite3.connect(target)
    keeper.execute("SELECT COUNT(*) FROM sessions").fetchone()
    script = reliability.__file__
    writers = [
        subprocess.Popen([sys.executable, script, "worker", "--db", target, "--worker", str(index),
                          "--ops", "8", "--groups", "2", "--seed", str(index),
                          "--journal", str(tmp_path / f"w{index}.jsonl")])
        for index in range(4)
    ]
    copies = []
    while any(writer.poll() is None for writer in writers) or not copies:
        destination = tmp_path / f"copy{len(copies)}.db"
        result = run_cli("backup", str(destination), db=target)
        assert result.code == 0, result.err
        copies.append(destination)
    assert [writer.wait() for writer in writers] == [0] * 4
    final = tmp_path / "final.db"
    assert run_cli("backup", str(final), db=target).code == 0
    copies.append(final)

    previous_logs = -1
    for copy in copies:
        assert reliability.sqlite_health(str(copy)) == []
        state = reliability.stored(str(copy))
        # a torn copy would show a counter without its timeline events, or the reverse
        for group, value in state["revisions"].items():
            assert state["revision_events"][group] == value, copy
        logs = sum(state["session_logs"].values())
        assert logs >= previous_logs  # successive snapshots only grow
        previous_logs = logs
    live, last = reliability.stored(target), reliability.stored(str(final))
    keeper.close()
    assert last["found"] == live["found"] and last["revisions"] == live["revisions"]
    assert len(copies) >= 2
    journal = [json.loads(line) for index in range(4) for line in (tmp_path / f"w{index}.jsonl").read_text().splitlines()]
    assert all(record["rc"] == 0 for record in journal)  # the backups never made a writer fail
