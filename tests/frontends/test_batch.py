"""`bazinga-db batch`: one JSON command per line in, one JSON answer per line out."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

# Run in a second process: it sees only what the batch process has committed.
COUNT_ROWS = (
    "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
    "print(c.execute('SELECT COUNT(*) FROM orchestration_logs').fetchone()[0])"
)


def answers(result: Any) -> list[dict[str, Any]]:
    assert result.code == 0, result
    return [json.loads(line) for line in result.out.splitlines()]


def lines(*requests: Any) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in requests)


def test_good_operations_run_through_the_store(cli: Any) -> None:
    result = cli("batch", input=lines(
        {"op": "create-session", "args": {"session_id": "s1", "mode": "parallel", "requirements": "build it"}},
        {"op": "log-interaction", "args": {"session_id": "s1", "agent_type": "pm", "content": "plan made", "iteration": 1}},
        {"command": "save-state", "args": {"session": "s1", "type": "pm", "data": {"iteration": 1}}},
        {"op": "get-state", "args": {"session_id": "s1", "state_type": "pm"}},
        {"argv": ["log-interaction", "s1", "Developer", "wrote code", "2", "developer_1"]},
        {"op": "get_logs", "args": {"session-id": "s1"}},
    ))
    got = answers(result)
    assert [a["ok"] for a in got] == [True] * 6
    assert got[0]["result"]["mode"] == "parallel"
    assert got[1]["result"]["content"] == "plan made" and got[1]["result"]["iteration"] == 1
    assert got[3]["result"] == {"iteration": 1}
    assert got[4]["result"]["agent_type"] == "developer" and got[4]["result"]["agent_id"] == "developer_1"
    assert [log["content"] for log in got[5]["result"]] == ["plan made", "wrote code"]
    # The CLI reads the same rows back.
    assert cli("get-state", "s1", "pm").json() == {"iteration": 1}


def test_a_bad_line_is_answered_and_the_next_one_runs(cli: Any) -> None:
    result = cli("batch", input=lines(
        "this is not json",
        "",
        "[1, 2]",
        {"op": "no-such-op", "args": {}},
        {"op": "log-interaction", "args": {"session_id": "s1", "agent_type": "pm"}},
        {"op": "log-interaction", "args": {"session_id": "s1", "agent_type": "pm", "content": "x", "colour": "red"}},
        {"op": "log-interaction", "args": {"session_id": "s1", "agent_type": "not a name!", "content": "x"}},
        {"op": "get-logs", "args": "s1"},
        {"op": "batch"},
        {"argv": ["--db", "elsewhere.db", "get-session", "s1"]},
        {"op": "log-interaction", "args": {"session_id": "s1", "agent_type": "qa", "content": "still alive"}},
    ))
    got = answers(result)
    assert len(got) == 10  # the blank line is skipped, every other line answered
    codes = [a["error"]["code"] if not a["ok"] else "ok" for a in got]
    assert codes == ["invalid_json", "usage", "usage", "usage", "usage", "invalid_input", "usage", "usage", "usage", "ok"]
    assert "no-such-op" in got[2]["error"]["message"]
    assert "content" in got[3]["error"]["message"]
    assert "colour" in got[4]["error"]["message"] and "agent_type" in got[4]["error"]["message"]
    assert got[9]["result"]["content"] == "still alive"
    # Only the good line wrote anything.
    assert [log["content"] for log in cli("get-logs", "s1").json()] == ["still alive"]


def test_invalid_utf8_line_is_an_error_answer(cli: Any, db_path: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "bazinga_db", "--db", db_path, "batch"],
        input=b'\xff\xfe{"op": "get-config"}\n{"op": "get-config", "args": {"key": "k"}}\n',
        capture_output=True, timeout=60, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    got = [json.loads(line) for line in completed.stdout.decode().splitlines()]
    assert got[0]["ok"] is False and got[0]["error"]["code"] == "invalid_json"
    assert got[1] == {"ok": True, "result": None, "notices": got[1]["notices"]}


def test_ids_are_echoed_back(cli: Any) -> None:
    result = cli("batch", input=lines(
        {"id": 7, "op": "get-config", "args": {"key": "k"}},
        {"id": "abc", "op": "no-such-op"},
        {"id": {"n": [1]}, "argv": ["get-config", "k"]},
        {"op": "get-config", "args": {"key": "k"}},
    ))
    got = answers(result)
    assert [a.get("id", "absent") for a in got] == [7, "abc", {"n": [1]}, "absent"]
    assert [a["ok"] for a in got] == [True, False, True, True]


def test_each_write_is_committed_before_its_answer(db_path: str) -> None:
    """A second process sees the row as soon as the answer has been read."""
    batch = subprocess.Popen(
        [sys.executable, "-m", "bazinga_db", "--db", db_path, "batch"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert batch.stdin is not None and batch.stdout is not None
    try:
        for n in range(1, 4):
            request = {"op": "log-interaction", "args": {"session_id": "s1", "agent_type": "pm", "content": f"entry {n}"}}
            batch.stdin.write(json.dumps(request) + "\n")
            batch.stdin.flush()
            answer = json.loads(batch.stdout.readline())
            assert answer["ok"] is True
            # The batch process is still running, holding its connection open.
            assert batch.poll() is None
            reader = subprocess.run(
                [sys.executable, "-c", COUNT_ROWS, db_path],
                capture_output=True, text=True, timeout=60, check=False,
            )
            assert reader.stdout.strip() == str(n), reader.stderr
    finally:
        batch.stdin.close()
        code = batch.wait(timeout=60)
        batch.stdout.close()
    assert code == 0


def test_argv_options_and_aliases(cli: Any) -> None:
    result = cli("batch", input=lines(
        {"argv": ["log-interaction", "--session", "s1", "--agent", "qa", "--message=tested", "--group-id", "g1"]},
        {"argv": ["get-logs", "s1", "--group", "g1"]},
        {"argv": ["--help"]},
        {"argv": "get-logs s1"},
    ))
    got = answers(result)
    assert got[0]["ok"] and got[0]["result"]["group_id"] == "g1"
    assert [log["content"] for log in got[1]["result"]] == ["tested"]
    assert got[2]["error"]["code"] == "usage"
    assert got[3]["error"]["code"] == "usage"


@pytest.mark.parametrize("request_line, expected", [
    ({"op": "update-task-group", "args": {"group_id": "g", "increment_revision": "yes"}},
     "increment_revision must be true or false, got 'yes'"),
    ({"op": "log-interaction", "args": {"session_id": "s", "agent_type": "pm", "content": "x", "agent": "qa"}},
     "given twice"),
    ({"op": "get-logs", "argv": ["get-logs", "s"]}, "either argv"),
    ({"op": "get-logs", "args": {"session_id": "s"}, "extra": 1}, "unknown field"),
])
def test_argument_mistakes_name_the_problem(cli: Any, request_line: dict[str, Any], expected: str) -> None:
    got = answers(cli("batch", input=lines(request_line)))
    assert got[0]["ok"] is False and expected in got[0]["error"]["message"]


def test_a_reader_that_goes_away_ends_the_batch_quietly(db_path: str) -> None:
    batch = subprocess.Popen(
        [sys.executable, "-m", "bazinga_db", "--db", db_path, "batch"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert batch.stdin is not None and batch.stdout is not None and batch.stderr is not None
    request = json.dumps({"op": "log-interaction", "args": {"session_id": "s1", "agent_type": "pm", "content": "x"}})
    batch.stdin.write(request + "\n")
    batch.stdin.flush()
    assert json.loads(batch.stdout.readline())["ok"] is True
    batch.stdout.close()  # like `| head -1`
    try:
        for _ in range(20):
            batch.stdin.write(request + "\n")
            batch.stdin.flush()
    except BrokenPipeError:
        pass  # the batch process already stopped reading
    finally:
        try:
            batch.stdin.close()
        except BrokenPipeError:
            pass
    assert batch.wait(timeout=60) == 0
    errors = batch.stderr.read()
    batch.stderr.close()
    assert "internal error" not in errors and "Traceback" not in errors


def test_json_arguments_given_as_strings_are_json_text(cli: Any) -> None:
    """One rule with MCP: a string for a JSON argument is decoded; one that is not JSON is
    refused as invalid_json, as on the command line, and nothing is stored."""
    result = cli("batch", input=lines(
        {"op": "save-state", "args": {"session_id": "s1", "state_type": "pm", "state_data": "{not json"}, "id": 1},
        {"op": "get-state", "args": {"session_id": "s1", "state_type": "pm"}, "id": 2},
        {"op": "save-state", "args": {"session_id": "s1", "state_type": "pm", "state_data": '{"a": 1}'}, "id": 3},
        {"op": "set-config", "args": {"key": "k", "value": '"plain text"'}, "id": 4},
        {"op": "set-config", "args": {"key": "k2", "value": "plain text"}, "id": 5},
        {"op": "log-decision", "args": {"session_id": "s1", "decision_type": "approve", "decision_data": {"b": 2},
                                        "iteration": "3"}, "id": 6},
        {"op": "log-decision", "args": {"session_id": "s1", "decision_type": "approve", "decision_data": "[1, 2]",
                                        "iteration": 1.5}, "id": 7},
    ))
    got = answers(result)
    assert got[0]["ok"] is False and got[0]["error"]["code"] == "invalid_json"
    assert got[0]["error"]["message"].startswith("invalid JSON in state_data:")
    assert got[1]["error"]["code"] == "session_not_found"  # the bad line did not even create the session
    assert got[2]["ok"] is True
    assert got[4]["ok"] is False and got[4]["error"]["code"] == "invalid_json"
    assert got[5]["ok"] is True and got[5]["result"]["iteration"] == 3
    assert got[6]["error"] == {"code": "invalid_input", "message": "iteration must be a whole number, got 1.5"}
    assert cli("get-state", "s1", "pm").json() == {"a": 1}
    assert cli("get-config", "k").json() == "plain text"
    assert cli("get-config", "k2").json() is None
    # The command line reads its text as JSON once, as before: a JSON string stays a string.
    assert cli("save-state", "s1", "qa", '"{\\"a\\": 1}"').code == 0
    assert cli("get-state", "s1", "qa").json() == '{"a": 1}'
    assert cli("save-state", "s1", "qa", "{not json").code == 2
