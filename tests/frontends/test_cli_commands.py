"""Every command and argument form of SPEC §3, run through the real CLI.

Each test asserts the exit code and the exact output: ✓ lines for writes, JSON for reads,
``null`` for an absent state, Markdown for stream-logs. The seed document's own
invocations are in test_seed_verbatim.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bazinga_db import operations
from cli_helpers import auto_created, initialised, lines, ok
from conftest import Result, run_cli

# -- every command, seed form, exact output -----------------------------------------------


def test_every_command_in_its_seed_form(cli, db_path) -> None:  # type: ignore[no-untyped-def]
    """One orchestration through every command of SPEC §3 in its positional form."""
    assert lines(ok(cli("create-session", "s1", "parallel", "Build it")).out) == [
        initialised(db_path), "✓ Session created: s1"
    ]
    session = ok(cli("get-session", "s1")).json()
    assert {k: session[k] for k in ("session_id", "mode", "original_requirements", "status", "end_time")} == {
        "session_id": "s1", "mode": "parallel", "original_requirements": "Build it", "status": "active",
        "end_time": None,
    }
    assert ok(cli("log-interaction", "s1", "orchestrator", "start")).out == (
        "✓ Logged orchestrator interaction for session s1\n"
    )
    assert ok(cli("log-interaction", "s1", "developer", "coded", "2", "developer_1")).out == (
        "✓ Logged developer interaction for session s1 (iteration 2)\n"
    )
    assert ok(cli("save-state", "s1", "pm", '{"iteration": 1}')).out == "✓ Saved PM state for session s1\n"
    assert ok(cli("get-state", "s1", "pm")).out == '{\n  "iteration": 1\n}\n'
    assert ok(cli("get-state", "s1", "orchestrator")).out == "null\n"
    assert ok(cli("create-task-group", "group_a", "s1", "Auth")).out == (
        "✓ Task group created: group_a (Auth) in session s1 → pending\n"
    )
    assert ok(cli("create-task-group", "group_b", "s1", "API", "in_progress", "developer_2")).out == (
        "✓ Task group created: group_b (API) in session s1 → in_progress\n"
    )
    assert ok(cli("update-task-group", "group_a", "--status", "completed")).out == (
        "✓ Updated task group: group_a → completed\n"
    )
    assert ok(cli("update-task-group", "group_b", "--last_review_status", "CHANGES_REQUESTED")).out == (
        "✓ Updated task group: group_b → in_progress (last_review_status CHANGES_REQUESTED)\n"
    )
    groups = ok(cli("get-task-groups", "s1")).json()
    assert [(g["id"], g["status"], g["assigned_to"]) for g in groups] == [
        ("group_a", "completed", None), ("group_b", "in_progress", "developer_2")
    ]
    assert [g["id"] for g in ok(cli("get-task-groups", "s1", "completed")).json()] == ["group_a"]
    assert ok(cli("log-tokens", "s1", "developer", "1500", "developer_1")).out == (
        "✓ Logged 1,500 tokens for developer in session s1\n"
    )
    assert ok(cli("log-tokens", "s1", "pm", "500")).out == "✓ Logged 500 tokens for PM in session s1\n"
    summary = ok(cli("token-summary", "s1")).json()
    assert {key: summary[key] for key in ("session_id", "by", "total_tokens", "calls", "breakdown")} == {
        "session_id": "s1", "by": "agent_type", "total_tokens": 2000, "calls": 2,
        "breakdown": {"developer": 1500, "pm": 500},
    }
    assert summary["cost_usd"] is None  # the seed's estimates name no model, so have no price
    assert ok(cli("token-summary", "s1", "agent_id")).json()["breakdown"] == {"developer_1": 1500, "unknown": 500}
    assert ok(cli("save-skill-output", "s1", "lint", '{"errors": 0}')).out == "✓ Saved lint output for session s1\n"
    assert ok(cli("get-skill-output", "s1", "lint")).json() == {"errors": 0}
    assert ok(cli("get-skill-output", "s1", "coverage")).out == "null\n"
    assert ok(cli("set-config", "max_parallel", "4")).out == "✓ Config saved: max_parallel\n"
    assert ok(cli("get-config", "max_parallel")).out == "4\n"
    assert ok(cli("get-config", "unset_key")).out == "null\n"
    assert ok(cli("log-decision", "s1", "spawn_developers", '{"count": 2}', "1")).out == (
        "✓ Logged spawn_developers decision for session s1\n"
    )
    decisions = ok(cli("get-decisions", "s1")).json()
    assert [(d["decision_type"], d["decision_data"], d["iteration"]) for d in decisions] == [
        ("spawn_developers", {"count": 2}, 1)
    ]
    logs = ok(cli("get-logs", "s1")).json()
    assert [(e["agent_type"], e["content"]) for e in logs] == [("orchestrator", "start"), ("developer", "coded")]
    assert ok(cli("query", "SELECT COUNT(*) AS n FROM orchestration_logs")).json() == [{"n": 2}]
    snapshot = ok(cli("dashboard-snapshot", "s1")).json()
    assert snapshot["task_group_counts"]["total"] == 2
    assert ok(cli("update-session-status", "s1", "completed")).out == "✓ Session s1 → completed\n"
    session = ok(cli("get-session", "s1")).json()
    assert session["status"] == "completed" and session["end_time"] is not None
    assert [s["session_id"] for s in ok(cli("list-sessions")).json()] == ["s1"]
    assert ok(cli("list-sessions", "--status", "active")).json() == []
    from bazinga_db.db.migrations import LATEST_VERSION

    assert ok(cli("migrate")).out == f"✓ Database schema up to date (version {LATEST_VERSION})\n"


def test_stream_logs_markdown(cli, store) -> None:  # type: ignore[no-untyped-def]
    store.create_session("s1", "simple", "x")
    assert ok(cli("stream-logs", "s1")).out == "# Orchestration log: s1\n\n_No log entries yet._\n"
    first = store.log_interaction("s1", "pm", "plan made", iteration=1, agent_id="pm_main")
    second = store.log_interaction("s1", "developer", "line one\nline two", group_id="group_a")
    third = store.log_interaction("s1", "qa", "tests pass", iteration=2)
    store.close()
    assert ok(cli("stream-logs", "s1")).out == (
        "# Orchestration log: s1\n\n_3 entries, oldest first_\n\n"
        f"### {first['timestamp']} · PM (pm_main) · iteration 1\n\nplan made\n\n"
        f"### {second['timestamp']} · developer · group group_a\n\nline one\nline two\n\n"
        f"### {third['timestamp']} · QA · iteration 2\n\ntests pass\n"
    )
    # limit keeps the newest, offset skips the newest
    assert "tests pass" in ok(cli("stream-logs", "s1", "1")).out
    assert "plan made" not in ok(cli("stream-logs", "s1", "1")).out
    limited = ok(cli("stream-logs", "s1", "1", "1")).out
    assert "line one" in limited and "tests pass" not in limited and "plan made" not in limited
    assert ok(cli("stream-logs", "s1", "--limit", "1", "--offset", "2")).out.count("###") == 1
    assert "plan made" in ok(cli("stream-logs", "s1", "--limit", "1", "--offset", "2")).out


def test_get_logs_filters(cli, store) -> None:  # type: ignore[no-untyped-def]
    first = store.log_interaction("s1", "pm", "a")
    store.log_interaction("s1", "developer", "b", group_id="group_a")
    store.log_interaction("s1", "developer", "c")
    store.close()
    contents = lambda result: [e["content"] for e in ok(result).json()]
    assert contents(cli("get-logs", "s1")) == ["a", "b", "c"]
    assert contents(cli("get-logs", "s1", "--limit", "2")) == ["b", "c"]
    assert contents(cli("get-logs", "s1", "2")) == ["b", "c"]
    assert contents(cli("get-logs", "s1", "--agent-type", "developer")) == ["b", "c"]
    assert contents(cli("get-logs", "s1", "--agent_type=developer", "--limit=1")) == ["c"]
    assert contents(cli("get-logs", "s1", "--since", "2000-01-01T00:00:00Z")) == ["a", "b", "c"]
    assert contents(cli("get-logs", "s1", "--since", "2999-01-01")) == []
    assert contents(cli("get-logs", "s1", "--group-id", "group_a")) == ["b"]
    assert contents(cli("get-logs", "s1", "--after-id", str(first["id"]))) == ["b", "c"]


# -- argument forms -----------------------------------------------------------------------


def test_optional_positionals_as_flags(cli, store) -> None:  # type: ignore[no-untyped-def]
    result = ok(cli("log-interaction", "s1", "developer", "coded", "--iteration", "3", "--agent-id", "developer_1"))
    assert lines(result.out)[-1] == "✓ Logged developer interaction for session s1 (iteration 3)"
    ok(cli("log-interaction", "s1", "developer", "tested", "--agent_id=developer_2", "--iteration=4"))
    ok(cli("log-interaction", "--session-id", "s1", "--agent-type", "qa", "--content", "ok", "--iteration", "5"))
    ok(cli("log-interaction", "s1", "qa", "--content=flag after positionals"))
    logs = store.get_logs("s1")
    assert [(e["agent_type"], e["iteration"], e["agent_id"], e["content"]) for e in logs] == [
        ("developer", 3, "developer_1", "coded"),
        ("developer", 4, "developer_2", "tested"),
        ("qa", 5, None, "ok"),
        ("qa", None, None, "flag after positionals"),
    ]


def test_every_required_positional_also_works_as_a_flag(cli, store) -> None:  # type: ignore[no-untyped-def]
    ok(cli("create-session", "--session-id", "s1", "--mode", "parallel", "--requirements", "r"))
    ok(cli("create-task-group", "--group-id", "g1", "--session-id", "s1", "--name", "Group one",
           "--status", "in_progress", "--assigned-to", "developer_1"))
    ok(cli("save-state", "--session", "s1", "--state-type", "pm", "--state-data", '{"a": 1}'))
    ok(cli("log-tokens", "--session-id", "s1", "--agent-type", "pm", "--tokens", "7", "--agent-id", "pm_main"))
    ok(cli("save-skill-output", "--session-id", "s1", "--skill-name", "lint", "--output-data", "[1]"))
    ok(cli("log-decision", "--session-id", "s1", "--decision-type", "approve", "--decision-data", "{}",
           "--iteration", "2"))
    ok(cli("set-config", "--key", "k", "--value", '"v"'))
    ok(cli("update-session-status", "--session-id", "s1", "--status", "failed"))
    assert store.get_session("s1")["mode"] == "parallel"
    assert store.get_session("s1")["status"] == "failed"
    group = store.get_task_groups("s1")[0]
    assert (group["id"], group["name"], group["status"], group["assigned_to"]) == (
        "g1", "Group one", "in_progress", "developer_1"
    )
    assert store.get_state("s1", "pm") == {"a": 1}
    assert store.token_summary("s1", "agent_id")["breakdown"] == {"pm_main": 7}
    assert store.get_skill_output("s1", "lint") == [1]
    assert store.get_decisions("s1")[0]["iteration"] == 2
    assert store.get_config("k") == "v"
    assert ok(cli("get-state", "--session-id", "s1", "--state-type", "pm")).json() == {"a": 1}
    assert ok(cli("get-config", "--key", "k")).json() == "v"


@pytest.mark.parametrize("flag", ["--assigned_to", "--assigned-to"])
@pytest.mark.parametrize("equals", [False, True])
def test_assigned_to_spellings(cli, store, flag, equals) -> None:  # type: ignore[no-untyped-def]
    store.create_task_group("group_a", "s1", "Auth")
    store.close()
    args = [f"{flag}=developer_7"] if equals else [flag, "developer_7"]
    result = ok(cli("update-task-group", "group_a", *args))
    assert result.out == "✓ Updated task group: group_a → pending (assigned_to developer_7)\n"
    assert store.get_task_groups("s1")[0]["assigned_to"] == "developer_7"


def test_update_task_group_every_flag_form(cli, store) -> None:  # type: ignore[no-untyped-def]
    store.create_task_group("group_a", "s1", "Auth")
    store.close()
    ok(cli("update-task-group", "group_a", "--session=s1", "--status=in_progress", "--revision_count=1",
           "--last-review-status=CHANGES_REQUESTED"))
    ok(cli("update-task-group", "group_a", "--session", "s1", "--revision-count", "2", "--last_review_status",
           "approved"))
    ok(cli("update-task-group", "--group-id", "group_a", "--increment-revision", "--name", "Authentication"))
    group = store.get_task_groups("s1")[0]
    assert {k: group[k] for k in ("status", "revision_count", "last_review_status", "name")} == {
        "status": "in_progress", "revision_count": 3, "last_review_status": "APPROVED", "name": "Authentication"
    }


@pytest.mark.parametrize(
    "argv",
    [
        ["--db", "{db}", "--json", "get-state", "s1", "pm"],
        ["get-state", "s1", "pm", "--db", "{db}", "--json"],
        ["--json", "get-state", "--db={db}", "s1", "pm"],
        ["get-state", "--json", "s1", "--db", "{db}", "pm"],
    ],
)
def test_global_options_before_or_after_the_command(argv, db_path, store) -> None:  # type: ignore[no-untyped-def]
    store.save_state("s1", "pm", {"where": "anywhere"})
    store.close()
    result = ok(run_cli(*[arg.replace("{db}", db_path) for arg in argv]))
    assert result.json() == {"where": "anywhere"}


def test_quiet_before_or_after_and_short_form(cli, store) -> None:  # type: ignore[no-untyped-def]
    store.create_session("s1")
    store.close()
    for argv in (["--quiet", "log-interaction", "s1", "pm", "a"], ["log-interaction", "s1", "pm", "b", "--quiet"],
                 ["log-interaction", "s1", "pm", "c", "-q"]):
        result = ok(cli(*argv))
        assert (result.out, result.err) == ("", "")
    assert [e["content"] for e in store.get_logs("s1")] == ["a", "b", "c"]


def test_double_dash_ends_options(cli, store) -> None:  # type: ignore[no-untyped-def]
    ok(cli("log-interaction", "s1", "developer", "--", "--status is a flag name, not an option here"))
    assert store.get_logs("s1")[0]["content"] == "--status is a flag name, not an option here"


def test_json_from_stdin_and_file(cli, store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ok(cli("save-state", "s1", "pm", "-", input='{"from": "stdin"}'))
    assert store.get_state("s1", "pm") == {"from": "stdin"}
    document = tmp_path / "state.json"
    document.write_text('{"from": "file"}')
    ok(cli("save-state", "s1", "pm", f"@{document}"))
    assert store.get_state("s1", "pm") == {"from": "file"}


def test_enum_values_forgive_case_and_spaces(cli, store) -> None:  # type: ignore[no-untyped-def]
    ok(cli("create-session", "s1", "Parallel", "x"))
    ok(cli("create-task-group", "g1", "s1", "G", "In Progress"))
    ok(cli("update-task-group", "g1", "--status", "COMPLETED", "--last-review-status", "changes-requested"))
    ok(cli("log-interaction", "s1", "Tech-Lead", "reviewed"))
    assert store.get_session("s1")["mode"] == "parallel"
    group = store.get_task_groups("s1")[0]
    assert (group["status"], group["last_review_status"]) == ("completed", "CHANGES_REQUESTED")
    assert store.get_logs("s1")[0]["agent_type"] == "tech_lead"


def test_new_agent_roles_are_accepted(cli, store) -> None:  # type: ignore[no-untyped-def]
    ok(cli("log-interaction", "s1", "senior_software_engineer", "took over group_b"))
    ok(cli("log-tokens", "s1", "requirements-engineer", "10"))
    assert store.get_logs("s1")[0]["agent_type"] == "senior_software_engineer"
    assert store.token_summary("s1")["breakdown"] == {"requirements-engineer": 10}


# -- help ---------------------------------------------------------------------------------


def test_general_help_lists_every_command(db_path) -> None:
    for argv in (["--help"], ["-h"], ["help"], []):
        result = ok(run_cli(*argv))
        assert result.out.startswith("usage: bazinga-db [--db PATH_OR_URL] [--json] [--quiet] COMMAND ARGS...\n")
        for operation in operations.OPERATIONS:
            assert f"\n  {operation.name} " in result.out, (argv, operation.name)
        assert result.err == ""
    assert not os.path.exists(db_path)


@pytest.mark.parametrize("name", [operation.name for operation in operations.OPERATIONS])
def test_command_help(name, db_path) -> None:  # type: ignore[no-untyped-def]
    operation = operations.BY_NAME[name]
    outputs = set()
    forms = [[name, "--help"], ["--db", db_path, name, "s1", "--help"]]
    if name == "log-interaction":  # the other spellings, once
        forms += [[name, "-h"], ["help", name], ["--help", name]]
    for argv in forms:
        result = ok(run_cli(*argv))
        outputs.add(result.out)
        assert result.out.startswith(f"usage: bazinga-db {name}")
        assert f"example:\n  bazinga-db {operation.example}\n" in result.out
        for param in operation.params:
            assert param.flag in result.out
    assert len(outputs) == 1
    assert not os.path.exists(db_path), "help must not touch the database"


def test_json_without_a_command_is_a_usage_error_document(db_path) -> None:
    """A script that passes --json parses stdout: no command is an error document, not help."""
    for argv in (["--json"], ["--json", "--quiet"], ["--db", db_path, "--json"]):
        result = run_cli(*argv)
        assert result.code == 2, (argv, result)
        assert result.json() == {"ok": False, "error": {
            "code": "usage", "message": "no command given; run `bazinga-db --help` for the list of commands"}}
        assert result.err == "error: no command given; run `bazinga-db --help` for the list of commands\n"
    # An explicit request for help is for a person: the help text, even with --json.
    for argv in (["--json", "--help"], ["--json", "help"], ["--json", "log-interaction", "--help"]):
        result = ok(run_cli(*argv))
        assert result.out.startswith("usage: bazinga-db "), argv
    assert not os.path.exists(db_path)


def test_version(db_path) -> None:
    from bazinga_db import __version__

    assert ok(run_cli("--version")).out == f"bazinga-db {__version__}\n"


def test_unknown_command_suggests_the_closest(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("log-interation", "s1", "pm", "x")
    assert result.code == 2
    assert result.out == ""
    assert result.err == (
        "error: unknown command 'log-interation'; run `bazinga-db --help` for the list of commands\n"
        "hint: did you mean log-interaction?\n"
    )
    underscored = ok(cli("list_sessions"))  # _ for - is not a typo
    assert underscored.json() == []


def test_unknown_flag_suggests_the_closest(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("update-task-group", "group_a", "--stauts", "completed")
    assert result.code == 2
    assert "unknown option --stauts for update-task-group" in result.err
    assert "hint: did you mean --status?" in result.err
    assert result.out == ""


def test_unknown_option_before_the_command(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("--verbose", "list-sessions")
    assert result.code == 2
    assert "unknown option --verbose before the command" in result.err


def test_extra_positional_argument_is_refused(cli, db_path) -> None:  # type: ignore[no-untyped-def]
    result = cli("get-state", "s1", "pm", "extra")
    assert result.code == 2
    assert "unexpected extra argument 'extra' for get-state" in result.err
    assert "usage: bazinga-db get-state SESSION_ID STATE_TYPE" in result.err


# -- --json and --quiet -------------------------------------------------------------------

WRITES = [
    (["create-session", "s1", "simple", "r"], {"session_id": "s1", "mode": "simple", "status": "active"}),
    (["update-session-status", "s1", "completed"], {"session_id": "s1", "status": "completed"}),
    (["log-interaction", "s1", "pm", "hello", "1", "pm_main"],
     {"session_id": "s1", "agent_type": "pm", "content": "hello", "iteration": 1, "agent_id": "pm_main"}),
    (["save-state", "s1", "pm", '{"a": 1}'], {"session_id": "s1", "state_type": "pm", "state_data": {"a": 1}}),
    (["create-task-group", "g1", "s1", "Group"], {"id": "g1", "session_id": "s1", "status": "pending"}),
    (["update-task-group", "g1", "--status", "completed"], {"id": "g1", "status": "completed"}),
    (["log-tokens", "s1", "developer", "99", "developer_1"],
     {"session_id": "s1", "agent_type": "developer", "tokens_estimated": 99, "agent_id": "developer_1"}),
    (["save-skill-output", "s1", "lint", '{"errors": 1}'], {"skill_name": "lint", "output_data": {"errors": 1}}),
    (["set-config", "k", '{"x": true}'], {"key": "k", "value": {"x": True}}),
    (["log-decision", "s1", "approve", '{"group": "g1"}', "2"],
     {"decision_type": "approve", "decision_data": {"group": "g1"}, "iteration": 2}),
]


def test_json_mode_prints_the_stored_record_for_every_write(cli, store) -> None:  # type: ignore[no-untyped-def]
    for argv, expected in WRITES:
        result = ok(cli("--json", *argv))
        record = result.json()  # exactly one JSON document, nothing else on stdout
        assert {key: record[key] for key in expected} == expected, argv
        assert "✓" not in result.out
    assert store.get_session("s1")["status"] == "completed"


def test_quiet_mode_prints_nothing_for_writes(cli, store) -> None:  # type: ignore[no-untyped-def]
    for argv, _expected in WRITES:
        result = ok(cli("--quiet", *argv))
        assert result.out == "", argv
    assert store.get_task_groups("s1")[0]["status"] == "completed"
    # reads still print their JSON
    assert ok(cli("--quiet", "get-state", "s1", "pm")).json() == {"a": 1}


def test_json_mode_notices_go_to_stderr(cli, db_path) -> None:  # type: ignore[no-untyped-def]
    result = ok(cli("--json", "log-interaction", "s9", "pm", "first"))
    assert result.json()["content"] == "first"
    assert lines(result.err) == [initialised(db_path), auto_created("s9")]
    quiet = ok(cli("--json", "--quiet", "log-interaction", "s8", "pm", "x"))
    assert quiet.json()["session_id"] == "s8" and quiet.err == ""


def test_quiet_mode_notices_go_to_stderr(cli, db_path) -> None:  # type: ignore[no-untyped-def]
    result = ok(cli("--quiet", "save-state", "s9", "pm", "{}"))
    assert result.out == ""
    assert lines(result.err) == [initialised(db_path), auto_created("s9")]


@pytest.mark.parametrize(
    "argv, code, error_code, exit_code",
    [
        (["nope"], "usage", "usage", 2),
        (["log-interaction", "s1"], "usage", "usage", 2),
        (["save-state", "s1", "pm", "{bad json"], "invalid_json", "invalid_json", 2),
        (["create-session", "s1", "serial", "x"], "invalid_input", "invalid_input", 2),
        (["get-session", "missing"], "session_not_found", "session_not_found", 1),
        (["update-task-group", "ghost", "--status", "completed"], "task_group_not_found", "task_group_not_found", 1),
        (["query", "DELETE FROM sessions"], "not_read_only", "not_read_only", 2),
    ],
)
def test_json_mode_failures_are_one_json_document(cli, argv, code, error_code, exit_code) -> None:  # type: ignore[no-untyped-def]
    result = cli("--json", *argv)
    assert result.code == exit_code
    document = result.json()
    assert set(document) == {"ok", "error"} and document["ok"] is False
    assert document["error"]["code"] == error_code
    assert document["error"]["message"]
    assert result.err.startswith(f"error: {document['error']['message']}\n")
    assert "Traceback" not in result.err


def test_failure_without_json_prints_nothing_on_stdout(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("get-session", "missing")
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        "error: session 'missing' not found\nhint: list sessions with `bazinga-db list-sessions`\n"
    )


# -- sessions appear when written to ------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["log-interaction", "auto", "pm", "hello"],
        ["save-state", "auto", "pm", "{}"],
        ["create-task-group", "g1", "auto", "Group"],
        ["log-tokens", "auto", "pm", "5"],
        ["save-skill-output", "auto", "lint", "{}"],
        ["log-decision", "auto", "approve", "{}"],
    ],
)
def test_writes_create_a_missing_session_and_say_so(cli, store, argv) -> None:  # type: ignore[no-untyped-def]
    store.create_session("other")
    store.close()
    result = ok(cli(*argv))
    assert lines(result.out)[0] == auto_created("auto")
    assert len(lines(result.out)) == 2
    session = store.get_session("auto")
    assert (session["mode"], session["status"]) == ("simple", "active")
    # the second write to it says nothing about sessions
    again = ok(cli(*argv))
    assert auto_created("auto") not in again.out


def test_create_session_fills_in_an_auto_created_session(cli, store) -> None:  # type: ignore[no-untyped-def]
    ok(cli("log-interaction", "s1", "pm", "early log"))
    assert store.get_session("s1")["metadata"] == {"auto_created": True}
    store.close()
    result = ok(cli("create-session", "s1", "parallel", "The real requirements"))
    assert result.out == "✓ Session created: s1\n"
    session = store.get_session("s1")
    assert (session["mode"], session["original_requirements"], session["metadata"]) == (
        "parallel", "The real requirements", None
    )
    assert [e["content"] for e in store.get_logs("s1")] == ["early log"]
    # creating it again with the same values is fine; different values are a conflict
    assert ok(cli("create-session", "s1", "parallel", "The real requirements")).out == (
        "✓ Session already exists: s1 (unchanged)\n"
    )
    conflict = cli("create-session", "s1", "simple", "Other")
    assert conflict.code == 1
    assert "session 's1' already exists" in conflict.err
    assert store.get_session("s1")["mode"] == "parallel"


# -- update-task-group without --session ------------------------------------------------


def test_update_task_group_resolves_the_only_session(cli, store) -> None:  # type: ignore[no-untyped-def]
    store.create_task_group("group_a", "s1", "Auth")
    store.create_task_group("group_b", "s2", "API")
    store.close()
    assert ok(cli("update-task-group", "group_a", "--status", "in_progress")).out == (
        "✓ Updated task group: group_a → in_progress\n"
    )
    assert store.get_task_groups("s1")[0]["status"] == "in_progress"
    assert store.get_task_groups("s2")[0]["status"] == "pending"


def test_update_task_group_in_several_sessions_lists_them(cli, store, db_path) -> None:  # type: ignore[no-untyped-def]
    for session in ("s2", "s1", "s3"):
        store.create_task_group("group_a", session, "Auth")
    store.close()
    result = cli("update-task-group", "group_a", "--status", "completed")
    assert result.code == 2
    assert result.out == ""
    assert result.err == (
        "error: task group 'group_a' exists in 3 sessions (s1, s2, s3); say which with --session\n"
        "hint: e.g. --session s3\n"
    )
    assert {g["status"] for s in ("s1", "s2", "s3") for g in store.get_task_groups(s)} == {"pending"}
    as_json = cli("--json", "update-task-group", "group_a", "--status", "completed")
    assert as_json.code == 2
    assert as_json.json()["error"]["code"] == "ambiguous_task_group"
    ok(cli("update-task-group", "group_a", "--session", "s2", "--status", "completed"))
    assert [g["status"] for g in store.get_task_groups("s2")] == ["completed"]
    assert [g["status"] for g in store.get_task_groups("s1")] == ["pending"]


# -- which database -----------------------------------------------------------------------


def _clean_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key != "BAZINGA_DB"}


def _run_without_db(*args: str, cwd: Path, env: dict[str, str]) -> Result:
    completed = subprocess.run(
        [sys.executable, "-m", "bazinga_db", *args], check=False, capture_output=True, text=True, cwd=cwd, env=env, timeout=60
    )
    return Result(completed)


@pytest.mark.sqlite_only
@pytest.mark.parametrize("marker", [".git", ".claude"])
def test_default_database_is_under_the_project_root(tmp_path, marker) -> None:  # type: ignore[no-untyped-def]
    project = tmp_path / "project"
    (project / marker).mkdir(parents=True)
    deep = project / "src" / "module"
    deep.mkdir(parents=True)
    result = ok(_run_without_db("create-session", "s1", cwd=deep, env=_clean_env()))
    expected = project / "bazinga" / "bazinga.db"
    assert lines(result.out)[0] == initialised(str(expected))
    assert expected.is_file()
    assert not (deep / "bazinga").exists()
    listed = ok(_run_without_db("list-sessions", cwd=project, env=_clean_env())).json()
    assert [s["session_id"] for s in listed] == ["s1"]


@pytest.mark.sqlite_only
def test_default_database_without_a_project_is_under_the_current_folder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "loose"
    folder.mkdir()
    if any((parent / marker).exists() for parent in folder.parents for marker in (".git", ".claude")):
        pytest.skip("the temporary folder is inside a project")
    ok(_run_without_db("create-session", "s1", cwd=folder, env=_clean_env()))
    assert (folder / "bazinga" / "bazinga.db").is_file()


@pytest.mark.sqlite_only
def test_bazinga_db_environment_variable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".git").mkdir()
    target = tmp_path / "elsewhere" / "state.db"
    env = {**_clean_env(), "BAZINGA_DB": str(target)}
    ok(_run_without_db("create-session", "s1", cwd=tmp_path, env=env))
    assert target.is_file()
    assert not (tmp_path / "bazinga").exists()
    # --db wins over the environment
    other = tmp_path / "other.db"
    ok(_run_without_db("--db", str(other), "create-session", "s2", cwd=tmp_path, env=env))
    assert [s["session_id"] for s in ok(_run_without_db("list-sessions", cwd=tmp_path, env=env)).json()] == ["s1"]
    assert other.is_file()


@pytest.mark.sqlite_only
def test_relative_db_is_relative_to_the_current_folder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".git").mkdir()
    work = tmp_path / "sub"
    work.mkdir()
    result = ok(_run_without_db("--db", "data/x.db", "create-session", "s1", cwd=work, env=_clean_env()))
    assert (work / "data" / "x.db").is_file()
    assert lines(result.out)[0] == initialised(str(work / "data" / "x.db"))
    env = {**_clean_env(), "BAZINGA_DB": "rel.db"}
    ok(_run_without_db("create-session", "s1", cwd=work, env=env))
    assert (work / "rel.db").is_file()


def test_a_value_that_looks_like_an_option_gets_a_way_out(cli, store) -> None:  # type: ignore[no-untyped-def]
    result = cli("log-interaction", "s1", "pm", "-v")
    assert result.code == 2
    assert "error: unknown option -v for log-interaction" in result.err
    assert "hint: if -v is a value, not an option, put -- before it: -- -v" in result.err
    ok(cli("log-interaction", "s1", "pm", "--", "-v"))
    assert store.get_logs("s1")[0]["content"] == "-v"


def test_a_reader_that_stops_early_is_not_an_error(store, db_path) -> None:  # type: ignore[no-untyped-def]
    for number in range(150):  # more output than a pipe holds
        store.log_interaction("s1", "developer", f"{number} " + "x" * 1000)
    store.close()
    process = subprocess.Popen(
        [sys.executable, "-m", "bazinga_db", "--db", db_path, "get-logs", "s1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline() == b"[\n"
    process.stdout.close()  # like `| head -1`
    assert process.wait(timeout=60) == 0
    assert process.stderr.read() == b""
