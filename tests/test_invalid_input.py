"""Invalid input for every argument of every core command: a clear message, exit 2, nothing written.

Each case lists what the message on stderr must contain: the field's name and what is
allowed. The database is compared row by row before and after.
"""

from __future__ import annotations

import os

import pytest

from bazinga_db.db import schema

LONG_ID = "s" * 129
CASES: list[tuple[str, list[str], list[str]]] = [
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
    for case in CASES:
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
