"""Bad input through the real CLI: the right exit code, a message naming the problem, and
the database exactly as it was.

The first part runs each case against a copy of a populated SQLite file and compares a
fingerprint of all its rows (and its schema version) before and after. Arguments are passed
as bytes where the case needs bytes that are not UTF-8. Cases about broken database files
compare the file's bytes instead.

The second part covers every argument of every core command on both backends: each case
lists what the message on stderr must contain (the field's name and what is allowed), and
the database is compared row by row through the API before and after.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bazinga_db import BazingaDB, InvalidInput
from bazinga_db.db import schema
from bazinga_db.db.migrations import LATEST_VERSION

SESSION = "sess_bad_input"
ONE_MIB = 1024 * 1024


def run(db: str, *args: str | bytes, stdin: bytes | None = None) -> tuple[int, str, str]:
    completed = subprocess.run(
        [sys.executable, "-m", "bazinga_db", "--db", db, *args],
        input=stdin if stdin is not None else b"", capture_output=True, timeout=120, check=False)
    return (completed.returncode, completed.stdout.decode("utf-8", "replace"),
            completed.stderr.decode("utf-8", "replace"))


def fingerprint(path: str) -> Any:
    """Every row of every table, plus the schema version: equal means nothing was written."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        rows = {table: sorted(map(repr, connection.execute(f'SELECT * FROM "{table}"'))) for table in tables}
        return connection.execute("PRAGMA user_version").fetchone()[0], rows
    finally:
        connection.close()


def file_digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("template") / "template.db")
    with BazingaDB(path) as db:
        db.create_session(SESSION, "parallel", "Add OAuth2 login")
        db.log_interaction(SESSION, "pm", "Task breakdown: 2 groups", iteration=1, agent_id="pm_main")
        db.save_state(SESSION, "pm", {"iteration": 1})
        db.create_task_group("group_a", SESSION, "Authentication")
        db.log_tokens(SESSION, "developer", 1200, agent_id="developer_1")
        db.set_config("max_parallel_developers", 4)
    assert not os.path.exists(path + "-wal")  # one self-contained file to copy
    return path


@pytest.fixture
def database(template: str, tmp_path: Path) -> str:
    path = str(tmp_path / "bazinga.db")
    shutil.copyfile(template, path)
    return path


LONG_ID = "s" * 129
NOT_UTF8 = b"caf\xe9 \xff\xfe"
DEEP_JSON = "[" * 50_000 + "]" * 50_000  # 100 KB: one argv string may hold at most 128 KiB

# (id, argv, stdin, exit code, words the stderr must contain)
CASES: list[tuple[str, list[str | bytes], bytes | None, int, list[str]]] = [
    # invalid JSON
    ("json-syntax", ["save-state", SESSION, "pm", "{bad"], None, 2, ["invalid JSON in state_data", "line 1 column 2"]),
    ("json-truncated", ["save-skill-output", SESSION, "lint", '{"errors": [1, 2'], None, 2, ["invalid JSON in output_data"]),
    ("json-trailing-garbage", ["log-decision", SESSION, "spawn", '{"n": 1} and more'], None, 2,
     ["invalid JSON in decision_data", "Extra data"]),
    ("json-config", ["set-config", "max_parallel_developers", "fourr"], None, 2, ["invalid JSON in value"]),
    ("json-nan", ["save-state", SESSION, "pm", '{"ratio": NaN}'], None, 2, ["state_data is not JSON-serialisable"]),
    ("json-too-deep", ["save-state", SESSION, "pm", DEEP_JSON], None, 2, ["state_data", "nested too deeply"]),
    ("json-stdin-invalid", ["save-state", SESSION, "pm", "-"], b"{'single': 'quotes'}", 2, ["invalid JSON in state_data"]),
    ("json-stdin-empty", ["save-state", SESSION, "pm", "-"], b"", 2, ["invalid JSON in state_data"]),
    ("json-stdin-oversized", ["save-state", SESSION, "pm", "-"], json.dumps({"a": "x" * ONE_MIB}).encode(), 2,
     ["state_data is 1,048,585 bytes of JSON", "maximum is 1,048,576 bytes"]),
    ("json-missing-file", ["save-state", SESSION, "pm", "@/nonexistent/state.json"], None, 2,
     ["cannot read state_data from /nonexistent/state.json", "No such file"]),
    # empty and over-long ids
    ("empty-session-id", ["log-interaction", "", "developer", "hello"], None, 2, ["session_id must be provided and non-empty"]),
    ("long-session-id", ["log-interaction", LONG_ID, "developer", "hello"], None, 2,
     ["session_id is 129 characters long; the maximum is 128"]),
    ("long-group-id", ["create-task-group", "g" * 200, SESSION, "Name"], None, 2,
     ["group_id is 200 characters long; the maximum is 128"]),
    ("long-idempotency-key", ["log-interaction", SESSION, "developer", "hi", "--idempotency-key", "k" * 129], None, 2,
     ["idempotency_key is 129 characters long"]),
    ("control-char-in-id", ["log-interaction", "sess\nnewline", "developer", "hello"], None, 2,
     ["session_id", "contains control characters"]),
    ("empty-agent-type", ["log-interaction", SESSION, "", "hello"], None, 2, ["agent_type must be provided and non-empty"]),
    ("bad-agent-name", ["log-interaction", SESSION, "Dev Ops!", "hello"], None, 2,
     ["agent_type 'Dev Ops!' is not a valid name", "lower-case letters"]),
    ("empty-content", ["log-interaction", SESSION, "developer", "   "], None, 2, ["content must be provided and non-empty"]),
    # unknown enum values, with the allowed ones listed
    ("enum-mode", ["create-session", "sess_new", "turbo", "x"], None, 2,
     ["invalid mode 'turbo'", "allowed values: simple, parallel"]),
    ("enum-session-status", ["update-session-status", SESSION, "done"], None, 2,
     ["invalid status 'done'", "allowed values: active, completed, failed"]),
    ("enum-task-status", ["create-task-group", "group_b", SESSION, "API", "blocked"], None, 2,
     ["invalid status 'blocked'", "allowed values: pending, in_progress, completed, failed"]),
    ("enum-review-status", ["update-task-group", "group_a", "--last-review-status", "LGTM"], None, 2,
     ["invalid last_review_status 'LGTM'", "allowed values: APPROVED, CHANGES_REQUESTED"]),
    ("enum-update-status-typo", ["update-task-group", "group_a", "--status", "complete"], None, 2,
     ["allowed values: pending, in_progress, completed, failed", "did you mean 'completed'?"]),
    ("enum-summary-by", ["token-summary", SESSION, "colour"], None, 2,
     ["invalid by 'colour'", "allowed values: agent_type, agent_id, model, group_id"]),
    # numbers
    ("tokens-not-a-number", ["log-tokens", SESSION, "developer", "lots"], None, 2, ["tokens must be a whole number, got 'lots'"]),
    ("tokens-negative", ["log-tokens", SESSION, "developer", "-5"], None, 2, ["tokens must be at least 0, got -5"]),
    ("iteration-fraction", ["log-interaction", SESSION, "developer", "hi", "1.5"], None, 2,
     ["iteration must be a whole number, got '1.5'"]),
    ("revision-and-increment", ["update-task-group", "group_a", "--revision-count", "3", "--increment-revision"], None, 2,
     ["either --revision-count N or --increment-revision"]),
    ("nothing-to-update", ["update-task-group", "group_a"], None, 2, ["nothing to update", "--status"]),
    # NUL bytes and invalid UTF-8 (argv, stdin and @file)
    ("utf8-content-argv", ["log-interaction", SESSION, "developer", b"note: " + NOT_UTF8], None, 2,
     ["content is not valid UTF-8 text"]),
    ("utf8-session-argv", ["log-interaction", b"sess_" + NOT_UTF8, "developer", "hi"], None, 2,
     ["session_id is not valid UTF-8 text"]),
    ("utf8-json-argv", ["save-state", SESSION, "pm", b'{"note": "' + NOT_UTF8 + b'"}'], None, 2,
     ["state_data is not valid UTF-8 text"]),
    ("utf8-json-stdin", ["save-state", SESSION, "pm", "-"], b'{"note": "' + NOT_UTF8 + b'"}', 2,
     ["state_data read from stdin is not valid UTF-8"]),
    ("nul-json-stdin", ["save-skill-output", SESSION, "lint", "-"], b'{"note": "a\x00b"}', 2,
     ["output_data contains a NUL byte"]),
    # SQL injection where it cannot be stored: rejected by validation, tables intact
    ("injection-agent-filter", ["get-logs", SESSION, "--agent-type", "developer' OR '1'='1"], None, 2,
     ["is not a valid name"]),
    ("injection-query-stacked", ["query", "SELECT 1; DROP TABLE sessions"], None, 2, ["one statement"]),
    ("injection-query-write", ["query", "DELETE FROM orchestration_logs"], None, 2, ["query is read-only"]),
    ("injection-query-pragma", ["query", "PRAGMA user_version = 99"], None, 2, ["query is read-only"]),
    # missing and extra arguments, unknown commands and flags
    ("missing-arguments", ["log-interaction", SESSION], None, 2,
     ["log-interaction is missing AGENT_TYPE", "CONTENT", "usage: bazinga-db log-interaction"]),
    ("missing-everything", ["save-state"], None, 2, ["save-state is missing SESSION_ID", "STATE_TYPE", "STATE_DATA"]),
    ("extra-argument", ["get-session", SESSION, "surplus"], None, 2, ["unexpected extra argument 'surplus' for get-session"]),
    ("extra-argument-write", ["log-interaction", SESSION, "developer", "hi", "1", "dev_1", "surplus"], None, 2,
     ["unexpected extra argument 'surplus'"]),
    ("unknown-command", ["log-interactoin", SESSION, "developer", "hi"], None, 2,
     ["unknown command 'log-interactoin'", "did you mean log-interaction?"]),
    ("unknown-flag", ["log-interaction", SESSION, "developer", "hi", "--iteratoin", "2"], None, 2,
     ["unknown option --iteratoin for log-interaction", "did you mean --iteration?"]),
    ("flag-without-value", ["log-interaction", SESSION, "developer", "hi", "--iteration"], None, 2,
     ["--iteration needs a value"]),
    ("flag-twice", ["log-interaction", SESSION, "developer", "hi", "--agent-id", "a", "--agent-id", "b"], None, 2,
     ["--agent-id is given twice"]),
    ("switch-with-value", ["update-task-group", "group_a", "--increment-revision=maybe"], None, 2,
     ["--increment-revision is a switch"]),
    ("empty-db-option", ["--db", "", "log-interaction", SESSION, "developer", "hi"], None, 2, ["--db needs a value"]),
]


@pytest.mark.parametrize("argv, stdin, code, words", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_rejected_with_message_and_nothing_written(
    database: str, argv: list[str | bytes], stdin: bytes | None, code: int, words: list[str]
) -> None:
    before = fingerprint(database)
    exit_code, out, err = run(database, *argv, stdin=stdin)
    assert exit_code == code, err
    assert err.startswith("error: ")
    for word in words:
        assert word in err
    assert "Traceback" not in err and out == ""
    assert fingerprint(database) == before


def test_json_mode_reports_the_error_as_one_document(database: str) -> None:
    before = fingerprint(database)
    exit_code, out, err = run(database, "--json", "update-session-status", SESSION, "paused")
    assert exit_code == 2 and "error: invalid status 'paused'" in err
    document = json.loads(out)
    assert document["ok"] is False and document["error"]["code"] == "invalid_input"
    assert "allowed values: active, completed, failed" in document["error"]["message"]
    assert fingerprint(database) == before


def test_oversized_json_from_a_file(database: str, tmp_path: Path) -> None:
    source = tmp_path / "state.json"
    source.write_text(json.dumps({"log": "y" * ONE_MIB}))
    before = fingerprint(database)
    exit_code, _, err = run(database, "save-state", SESSION, "pm", f"@{source}")
    assert exit_code == 2 and "maximum is 1,048,576 bytes (1 MiB)" in err
    assert fingerprint(database) == before


def test_just_under_the_json_limit_is_accepted(database: str, tmp_path: Path) -> None:
    source = tmp_path / "state.json"
    source.write_text(json.dumps({"log": "y" * (ONE_MIB - 20)}))
    exit_code, _, err = run(database, "save-state", SESSION, "pm", f"@{source}")
    assert exit_code == 0, err


@pytest.mark.parametrize("payload, words", [
    (b'{"note": "\xff\xfe"}', ["state_data file", "is not valid UTF-8"]),
    (b'{"note": "a\x00b"}', ["state_data contains a NUL byte"]),
], ids=["invalid-utf8", "nul-byte"])
def test_bad_bytes_in_a_json_file(database: str, tmp_path: Path, payload: bytes, words: list[str]) -> None:
    source = tmp_path / "state.json"
    source.write_bytes(payload)
    before = fingerprint(database)
    exit_code, _, err = run(database, "save-state", SESSION, "pm", f"@{source}")
    assert exit_code == 2
    for word in words:
        assert word in err
    assert fingerprint(database) == before


def test_nul_and_oversized_text_through_the_api(database: str) -> None:
    # argv cannot carry a NUL byte nor (on Linux) a single argument over 128 KiB, so these
    # limits of free text are reached through the Python API (and the MCP server).
    before = fingerprint(database)
    with BazingaDB(database) as db:
        with pytest.raises(InvalidInput, match="content contains a NUL byte"):
            db.log_interaction(SESSION, "developer", "before\x00after")
        with pytest.raises(InvalidInput, match=r"content is 1,048,577 bytes; the maximum is 1,048,576"):
            db.log_interaction(SESSION, "developer", "z" * (ONE_MIB + 1))
        with pytest.raises(InvalidInput, match=r"requirements is 2,097,152 bytes"):
            db.create_session("sess_big", "simple", "é" * ONE_MIB)
    assert fingerprint(database) == before


@pytest.mark.parametrize("text", [
    "'); DROP TABLE orchestration_logs; --",
    "Robert'); DELETE FROM sessions WHERE ('1'='1",
    '" OR 1=1 --',
])
def test_sql_injection_is_stored_literally(database: str, text: str) -> None:
    exit_code, _, err = run(database, "log-interaction", SESSION, "developer", text, "--json")
    assert exit_code == 0, err
    session_like = "x'; DROP TABLE sessions; --"
    exit_code, _, err = run(database, "save-state", session_like, "pm", json.dumps({"note": text}))
    assert exit_code == 0, err
    _, rows = fingerprint(database)
    assert {"sessions", "orchestration_logs", "state_snapshots", "task_groups"} <= set(rows)
    with BazingaDB(database) as db:
        assert db.get_logs(SESSION)[-1]["content"] == text
        assert db.get_state(session_like, "pm") == {"note": text}
        assert len(db.get_logs(SESSION)) == 2  # the template's log and this one: nothing deleted


# -- broken database files -------------------------------------------------------------


def test_db_that_is_a_directory(tmp_path: Path) -> None:
    exit_code, _, err = run(str(tmp_path), "log-interaction", SESSION, "developer", "hi")
    assert exit_code == 1 and f"--db {tmp_path} is a directory, not a database file" in err
    assert os.listdir(tmp_path) == []


def _immutable(path: Path) -> bool:
    """chattr +i: read-only even for root (plain chmod is not, and the tests run as root)."""
    chattr = shutil.which("chattr")
    return chattr is not None and subprocess.run([chattr, "+i", str(path)], capture_output=True, check=False).returncode == 0


def _mutable(path: Path) -> None:
    subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)


def test_read_only_database_file(database: str) -> None:
    path = Path(database)
    if not _immutable(path):
        pytest.skip("chattr +i is not available on this file system (root ignores chmod)")
    try:
        digest = file_digest(database)
        exit_code, _, err = run(database, "log-interaction", SESSION, "developer", "hi")
        assert exit_code == 1
        assert f"{database} is read-only: cannot write" in err
        assert file_digest(database) == digest
        # reading still works
        exit_code, out, err = run(database, "get-session", SESSION)
        assert exit_code == 0 and json.loads(out)["session_id"] == SESSION
    finally:
        _mutable(path)


def test_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    if not _immutable(folder):
        pytest.skip("chattr +i is not available on this file system (root ignores chmod)")
    try:
        exit_code, _, err = run(str(folder / "bazinga.db"), "log-interaction", SESSION, "developer", "hi")
        assert exit_code == 1
        assert f"its folder {folder} is read-only" in err
        assert os.listdir(folder) == []
    finally:
        _mutable(folder)


def test_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("These are my notes, not a database.\n" * 200)
    digest = file_digest(str(path))
    for argv in (["log-interaction", SESSION, "developer", "hi"], ["get-session", SESSION]):
        exit_code, _, err = run(str(path), *argv)
        assert exit_code == 1
        assert f"{path} is not an SQLite database" in err and "Traceback" not in err
    assert file_digest(str(path)) == digest


def test_truncated_database(template: str, tmp_path: Path) -> None:
    path = tmp_path / "truncated.db"
    path.write_bytes(Path(template).read_bytes()[: 3 * 4096])
    digest = file_digest(str(path))
    exit_code, _, err = run(str(path), "log-interaction", SESSION, "developer", "hi")
    assert exit_code == 1
    assert "is corrupted (database disk image is malformed)" in err and "restore from a backup" in err
    assert file_digest(str(path)) == digest


def test_corrupted_pages(template: str, tmp_path: Path) -> None:
    path = tmp_path / "corrupted.db"
    data = bytearray(Path(template).read_bytes())
    data[2 * 4096: 4 * 4096] = b"\xde\xad\xbe\xef" * 2048  # scribble over b-tree pages
    path.write_bytes(bytes(data))
    digest = file_digest(str(path))
    exit_code, _, err = run(str(path), "log-interaction", SESSION, "developer", "hi")
    assert exit_code == 1 and "is corrupted" in err
    assert file_digest(str(path)) == digest


def test_database_from_a_newer_schema_version(database: str) -> None:
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA user_version = 99")
    connection.close()
    before = fingerprint(database)
    exit_code, _, err = run(database, "log-interaction", SESSION, "developer", "hi")
    assert exit_code == 1
    assert f"has schema version 99, newer than this bazinga-db understands ({LATEST_VERSION})" in err
    assert "upgrade bazinga-db" in err
    assert fingerprint(database) == before
    exit_code, out, _ = run(database, "get-session", SESSION)  # reads still work
    assert exit_code == 0 and json.loads(out)["mode"] == "parallel"


# -- every argument of every core command, on both backends ----------------------------
ARGUMENT_CASES: list[tuple[str, list[str], list[str]]] = [
    # (case id, argv, fragments the message must contain)
    # list-sessions
    ("list-sessions/limit-text", ["list-sessions", "ten"], ["limit", "whole number"]),
    ("list-sessions/limit-zero", ["list-sessions", "0"], ["limit", "at least 1"]),
    ("list-sessions/limit-huge", ["list-sessions", "1000000"], ["limit", "at most 100,000"]),
    ("list-sessions/status", ["list-sessions", "--status", "done"], ["status", "active, completed, failed"]),
    # create-session
    ("create-session/session-empty", ["create-session", "", "simple", "r"], ["session_id", "non-empty"]),
    ("create-session/session-long", ["create-session", LONG_ID, "simple", "r"], ["session_id", "maximum is 128"]),
    ("create-session/session-spaces", ["create-session", " s1 ", "simple", "r"],
     ["session_id", "leading or trailing spaces"]),
    ("create-session/session-control", ["create-session", "s\t1", "simple", "r"], ["session_id", "control characters"]),
    ("create-session/mode", ["create-session", "s_new", "serial", "r"], ["mode", "simple, parallel"]),
    ("create-session/metadata-json", ["create-session", "s_new", "simple", "r", "--metadata", "{oops"],
     ["invalid JSON in metadata"]),
    ("create-session/metadata-array", ["create-session", "s_new", "simple", "r", "--metadata", "[1]"],
     ["metadata", "JSON object"]),
    # get-session
    ("get-session/session-empty", ["get-session", ""], ["session_id", "non-empty"]),
    # update-session-status
    ("update-session-status/status", ["update-session-status", "s1", "done"], ["status", "active, completed, failed"]),
    ("update-session-status/missing", ["update-session-status", "s1"], ["missing STATUS", "active, completed or failed"]),
    # log-interaction
    ("log-interaction/session-empty", ["log-interaction", "", "pm", "x"], ["session_id", "non-empty"]),
    ("log-interaction/agent-type", ["log-interaction", "s_new", "Dev Ops!", "x"],
     ["agent_type", "lower-case letters, digits"]),
    ("log-interaction/agent-type-digit", ["log-interaction", "s_new", "1pm", "x"], ["agent_type", "starting with a letter"]),
    ("log-interaction/content-empty", ["log-interaction", "s_new", "pm", "  "], ["content", "non-empty"]),
    ("log-interaction/iteration-text", ["log-interaction", "s_new", "pm", "x", "first"], ["iteration", "whole number"]),
    ("log-interaction/iteration-negative", ["log-interaction", "s_new", "pm", "x", "--iteration=-1"],
     ["iteration", "at least 0"]),
    ("log-interaction/agent-id", ["log-interaction", "s_new", "pm", "x", "1", ""], ["agent_id", "non-empty"]),
    ("log-interaction/group-id", ["log-interaction", "s_new", "pm", "x", "--group-id", "g\n1"],
     ["group_id", "control characters"]),
    ("log-interaction/log-type", ["log-interaction", "s_new", "pm", "x", "--log-type", "Big Event!"],
     ["log_type", "lower-case letters"]),
    ("log-interaction/idempotency-key", ["log-interaction", "s_new", "pm", "x", "--idempotency-key", ""],
     ["idempotency_key", "non-empty"]),
    # stream-logs
    ("stream-logs/limit", ["stream-logs", "s1", "all"], ["limit", "whole number"]),
    ("stream-logs/offset", ["stream-logs", "s1", "10", "--offset=-5"], ["offset", "at least 0"]),
    # get-logs
    ("get-logs/limit", ["get-logs", "s1", "--limit", "0"], ["limit", "at least 1"]),
    ("get-logs/agent-type", ["get-logs", "s1", "--agent-type", "?"], ["agent_type", "lower-case"]),
    ("get-logs/since", ["get-logs", "s1", "--since", "yesterday"], ["since", "ISO-8601"]),
    ("get-logs/after-id", ["get-logs", "s1", "--after-id", "x"], ["after_id", "whole number"]),
    # save-state
    ("save-state/state-type", ["save-state", "s_new", "1st", "{}"], ["state_type", "starting with a letter"]),
    ("save-state/state-data", ["save-state", "s_new", "pm", "{iteration: 1}"],
     ["invalid JSON in state_data", "line 1 column 2"]),
    ("save-state/state-data-empty", ["save-state", "s_new", "pm", ""], ["invalid JSON in state_data"]),
    ("save-state/group-id", ["save-state", "s_new", "pm", "{}", "--group-id", ""], ["group_id", "non-empty"]),
    # get-state
    ("get-state/state-type", ["get-state", "s1", ""], ["state_type", "non-empty"]),
    # create-task-group
    ("create-task-group/group-id", ["create-task-group", "", "s_new", "G"], ["group_id", "non-empty"]),
    ("create-task-group/session", ["create-task-group", "g9", LONG_ID, "G"], ["session_id", "maximum is 128"]),
    ("create-task-group/name", ["create-task-group", "g9", "s_new", ""], ["name", "non-empty"]),
    ("create-task-group/status", ["create-task-group", "g9", "s_new", "G", "blocked"],
     ["status", "pending, in_progress, completed, failed"]),
    ("create-task-group/assigned-to", ["create-task-group", "g9", "s_new", "G", "pending", "dev\x01"],
     ["assigned_to", "control characters"]),
    # update-task-group
    ("update-task-group/status", ["update-task-group", "group_a", "--status", "done"],
     ["status", "pending, in_progress, completed, failed"]),
    ("update-task-group/assigned-to", ["update-task-group", "group_a", "--assigned-to", ""],
     ["assigned_to", "non-empty"]),
    ("update-task-group/revision-text", ["update-task-group", "group_a", "--revision_count", "two"],
     ["revision_count", "whole number"]),
    ("update-task-group/revision-negative", ["update-task-group", "group_a", "--revision-count=-1"],
     ["revision_count", "at least 0"]),
    ("update-task-group/review", ["update-task-group", "group_a", "--last-review-status", "LGTM"],
     ["last_review_status", "APPROVED, CHANGES_REQUESTED"]),
    ("update-task-group/session", ["update-task-group", "group_a", "--session", "", "--status", "completed"],
     ["session_id", "non-empty"]),
    ("update-task-group/nothing", ["update-task-group", "group_a"], ["nothing to update", "--status"]),
    ("update-task-group/both-revisions", ["update-task-group", "group_a", "--revision-count", "2",
                                          "--increment-revision"], ["--revision-count", "--increment-revision"]),
    ("update-task-group/increment-value", ["update-task-group", "group_a", "--increment-revision=maybe"],
     ["--increment-revision", "=true / =false"]),
    ("update-task-group/group-empty", ["update-task-group", "", "--status", "completed"], ["group_id", "non-empty"]),
    # get-task-groups
    ("get-task-groups/status", ["get-task-groups", "s1", "done"], ["status", "pending, in_progress"]),
    # log-tokens
    ("log-tokens/tokens-text", ["log-tokens", "s_new", "pm", "many"], ["tokens", "whole number"]),
    ("log-tokens/tokens-negative", ["log-tokens", "s_new", "pm", "--tokens=-5"], ["tokens", "at least 0"]),
    ("log-tokens/tokens-missing", ["log-tokens", "s_new", "pm"], ["tokens must be provided"]),
    ("log-tokens/agent-type", ["log-tokens", "s_new", "P M!", "5"], ["agent_type", "lower-case"]),
    ("log-tokens/agent-id", ["log-tokens", "s_new", "pm", "5", " pm"], ["agent_id", "leading or trailing"]),
    ("log-tokens/input", ["log-tokens", "s_new", "pm", "--input-tokens", "lots"], ["input_tokens", "whole number"]),
    ("log-tokens/model", ["log-tokens", "s_new", "pm", "5", "--model", ""], ["model", "non-empty"]),
    # token-summary
    ("token-summary/by", ["token-summary", "s1", "colour"], ["by", "agent_type, agent_id, model, group_id"]),
    # save-skill-output
    ("save-skill-output/skill", ["save-skill-output", "s_new", "Lint Tool!", "{}"], ["skill_name", "lower-case"]),
    ("save-skill-output/output", ["save-skill-output", "s_new", "lint", "errors: 0"], ["invalid JSON in output_data"]),
    ("save-skill-output/iteration", ["save-skill-output", "s_new", "lint", "{}", "--iteration", "x"],
     ["iteration", "whole number"]),
    ("save-skill-output/agent-type", ["save-skill-output", "s_new", "lint", "{}", "--agent-type", "!"],
     ["agent_type", "lower-case"]),
    # get-skill-output
    ("get-skill-output/skill", ["get-skill-output", "s1", ""], ["skill_name", "non-empty"]),
    # set-config / get-config
    ("set-config/key", ["set-config", "", "1"], ["key", "non-empty"]),
    ("set-config/value", ["set-config", "k_new", "{"], ["invalid JSON in value"]),
    ("set-config/value-bare-word", ["set-config", "k_new", "four"], ["invalid JSON in value"]),
    ("get-config/key", ["get-config", ""], ["key", "non-empty"]),
    # log-decision
    ("log-decision/type", ["log-decision", "s_new", "", "{}"], ["decision_type", "non-empty"]),
    ("log-decision/data", ["log-decision", "s_new", "approve", "[1,"], ["invalid JSON in decision_data"]),
    ("log-decision/iteration", ["log-decision", "s_new", "approve", "{}", "one"], ["iteration", "whole number"]),
    # get-decisions
    ("get-decisions/limit", ["get-decisions", "s1", "--limit", "x"], ["limit", "whole number"]),
    # dashboard-snapshot / query
    ("dashboard-snapshot/session", ["dashboard-snapshot", ""], ["session_id", "non-empty"]),
    ("query/empty", ["query", " "], ["sql", "non-empty"]),
    ("query/write", ["query", "UPDATE sessions SET status = 'failed'"], ["read-only", "SELECT"]),
    # the command line itself
    ("usage/missing-all", ["save-state"], ["missing SESSION_ID", "STATE_TYPE", "STATE_DATA"]),
    ("usage/extra", ["get-session", "s1", "s2"], ["unexpected extra argument 's2'", "usage: bazinga-db get-session"]),
    ("usage/flag-without-value", ["update-task-group", "group_a", "--status"], ["--status needs a value", "pending"]),
    ("usage/flag-twice", ["update-task-group", "group_a", "--status", "failed", "--status=completed"],
     ["--status is given twice"]),
    ("usage/unknown-flag", ["log-interaction", "s1", "pm", "x", "--iteraton", "2"],
     ["unknown option --iteraton", "did you mean --iteration?"]),
    ("usage/unknown-command", ["save-states", "s1", "pm", "{}"], ["unknown command 'save-states'", "save-state"]),
    ("usage/global-with-value", ["--json=yes", "list-sessions"], ["--json takes no value"]),
    ("usage/db-without-value", ["list-sessions", "--db"], ["--db needs a value"]),
]


def dump(store) -> dict[str, list[dict]]:  # type: ignore[no-untyped-def]
    """Every row of every table: the whole database, to compare before and after."""
    return {
        table: store.query(f"SELECT * FROM {table} ORDER BY 1, 2")
        for table in [t.name for t in schema.TABLES] + ["_migrations"]
    }


@pytest.fixture
def populated(store):  # type: ignore[no-untyped-def]
    store.create_session("s1", "parallel", "Build it")
    store.log_interaction("s1", "pm", "plan", iteration=1)
    store.save_state("s1", "pm", {"iteration": 1})
    store.create_task_group("group_a", "s1", "Auth", assigned_to="developer_1")
    store.update_task_group("group_a", status="in_progress")
    store.log_tokens("s1", "pm", 10)
    store.save_skill_output("s1", "lint", {"errors": 0})
    store.set_config("k", 1)
    store.log_decision("s1", "approve", {})
    return store


def by_command() -> dict[str, list[tuple[str, list[str], list[str]]]]:
    groups: dict[str, list[tuple[str, list[str], list[str]]]] = {}
    for case in ARGUMENT_CASES:
        groups.setdefault(case[0].split("/")[0], []).append(case)
    return groups


# One test per command (its cases run one after the other on one populated database) keeps
# the number of databases small; each case still runs the real CLI and is checked alone.
@pytest.mark.parametrize("command", list(by_command()))
def test_invalid_input_changes_nothing(populated, cli, command) -> None:  # type: ignore[no-untyped-def]
    before = dump(populated)
    populated.close()
    for number, (case, argv, fragments) in enumerate(by_command()[command]):
        json_mode = number == 0  # the first case of each command also in --json mode
        result = cli(*(["--json"] if json_mode else []), *argv)
        assert result.code == 2, (case, result)
        assert "Traceback" not in result.err, case
        assert result.err.startswith("error: "), (case, result.err)
        for fragment in fragments:
            assert fragment in result.err, (case, fragment, result.err)
        if json_mode:
            error = result.json()["error"]
            assert error["code"] in {"usage", "invalid_input", "invalid_json", "not_read_only"}, case
            assert fragments[0] in error["message"] + error.get("hint", ""), case
        else:
            assert result.out == "", case
        assert dump(populated) == before, case


FIRST_WRITE_CASES = [cases[0] for command, cases in by_command().items() if command in {
    "create-session", "log-interaction", "save-state", "create-task-group", "log-tokens", "save-skill-output",
    "log-decision", "set-config",
}]


@pytest.mark.parametrize(
    "argv, fragments", [case[1:] for case in FIRST_WRITE_CASES], ids=[case[0] for case in FIRST_WRITE_CASES]
)
def test_invalid_write_on_a_missing_database_creates_no_session(cli, store, db_path, argv, fragments) -> None:  # type: ignore[no-untyped-def]
    result = cli(*argv)
    assert result.code == 2, result
    assert fragments[0] in result.err
    if db_path.startswith(("postgresql://", "postgres://")) or os.path.exists(db_path):
        assert store.list_sessions() == []
        assert store.get_config("k_new") is None


def test_too_large_documents_are_refused(cli, store) -> None:  # type: ignore[no-untyped-def]
    store.create_session("s1")
    store.close()
    big = '{"blob": "' + "x" * (1024 * 1024) + '"}'
    result = cli("save-state", "s1", "pm", "-", input=big)
    assert result.code == 2
    assert "state_data is 1,048,588 bytes of JSON; the maximum is 1,048,576 bytes (1 MiB)" in result.err
    assert store.get_state("s1", "pm") is None


def test_bytes_that_are_not_utf8_are_refused(cli, store) -> None:  # type: ignore[no-untyped-def]
    store.create_session("s1")
    store.close()
    result = cli("log-interaction", "s1", "pm", b"caf\xe9 latin-1")
    assert result.code == 2
    assert "content is not valid UTF-8 text" in result.err
    assert store.get_logs("s1") == []
