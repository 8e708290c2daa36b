"""The same behaviour on SQLite and PostgreSQL.

Most tests here run once per backend (through the ``cli`` and ``store`` fixtures); the last
one runs one long command sequence on both and compares the printed bytes (timestamps aside).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from bazinga_db import BazingaDB, Conflict, InvalidInput, ReadOnlyViolation, SessionNotFound, operations
from bazinga_db.db.migrations.steps import MIGRATIONS
from bazinga_db.frontends.cli import main


def test_session_round_trip(cli):
    created = cli("--json", "create-session", "sess_1", "parallel", "Add OAuth2 login", "--metadata", '{"team": 3}')
    assert created.code == 0, created
    record = created.json()
    assert record["session_id"] == "sess_1"
    assert record["mode"] == "parallel"
    assert record["metadata"] == {"team": 3}
    fetched = cli("get-session", "sess_1")
    assert fetched.code == 0
    assert fetched.json() == record


def test_logs_keep_order_types_and_filters(cli):
    for number in range(1, 6):
        agent = "developer" if number % 2 else "qa"
        assert cli("log-interaction", "s", agent, f"step {number} 100% done?", str(number), f"{agent}_1").code == 0
    logs = cli("get-logs", "s").json()
    assert [log["content"] for log in logs] == [f"step {n} 100% done?" for n in range(1, 6)]
    assert [log["id"] for log in logs] == [1, 2, 3, 4, 5]
    assert all(isinstance(log["iteration"], int) for log in logs)
    assert [log["iteration"] for log in cli("get-logs", "s", "--agent-type", "qa").json()] == [2, 4]
    assert [log["id"] for log in cli("get-logs", "s", "--after-id", "3").json()] == [4, 5]
    assert [log["id"] for log in cli("get-logs", "s", "--limit", "2").json()] == [4, 5]
    markdown = cli("stream-logs", "s", "2", "1")
    assert markdown.code == 0
    assert "step 3" in markdown.out and "step 4" in markdown.out and "step 5" not in markdown.out


def test_idempotent_replay_stores_once_and_leaves_no_id_gap(cli):
    first = cli("--json", "log-interaction", "s", "pm", "plan", "--idempotency-key", "k1").json()
    again = cli("--json", "log-interaction", "s", "pm", "plan", "--idempotency-key", "k1")
    assert again.code == 0
    assert again.json() == first
    assert "Already recorded" in again.err
    following = cli("--json", "log-interaction", "s", "pm", "next").json()
    assert following["id"] == first["id"] + 1  # PostgreSQL must not burn an id on the replay
    assert len(cli("get-logs", "s").json()) == 2


def test_state_history_and_groups(store: BazingaDB):
    store.save_state("s", "pm", {"iteration": 1})
    store.save_state("s", "pm", {"iteration": 2, "text": "naïve ✓"})
    store.save_state("s", "pm", {"group": True}, group_id="g1")
    assert store.get_state("s", "pm") == {"iteration": 2, "text": "naïve ✓"}
    assert store.get_state("s", "pm", group_id="g1") == {"group": True}
    assert store.get_state("s", "orchestrator") is None


def test_task_group_counter_and_timeline(cli):
    assert cli("create-task-group", "g1", "s", "Auth", "pending", "developer_1").code == 0
    for _ in range(3):
        assert cli("update-task-group", "g1", "--increment-revision").code == 0
    result = cli("--json", "update-task-group", "g1", "--status", "completed", "--last-review-status", "approved")
    assert result.code == 0, result
    group = result.json()
    assert group["revision_count"] == 3 and isinstance(group["revision_count"], int)
    assert group["status"] == "completed"
    events = cli("get-task-group-events", "s", "g1").json()
    assert [event["changes"] for event in events][1:] == [
        {"revision_count": [0, 1]}, {"revision_count": [1, 2]}, {"revision_count": [2, 3]},
        {"status": ["pending", "completed"], "last_review_status": [None, "APPROVED"]},
    ]


def test_conflicts_and_not_found(store: BazingaDB):
    store.create_session("s", "simple", "one thing")
    with pytest.raises(Conflict):
        store.create_session("s", "parallel", "another thing")
    with pytest.raises(SessionNotFound):
        store.get_session("nobody")
    with pytest.raises(InvalidInput):
        store.update_session_status("s", "sleeping")


def test_tokens_summary_sorts_ties_like_sqlite(cli):
    cli("log-tokens", "s", "developer", "100", "dev_b")
    cli("log-tokens", "s", "developer", "100")  # no agent id: the "unknown" key
    cli("log-tokens", "s", "qa", "100", "Dev_a")
    cli("log-tokens", "s", "qa", "250", "dev_a")
    summary = cli("token-summary", "s", "agent_id").json()
    assert summary["total_tokens"] == 550 and summary["calls"] == 4
    # Ties are broken by the key in byte order, the missing key first, on both backends.
    assert list(summary["breakdown"].items()) == [("dev_a", 250), ("unknown", 100), ("Dev_a", 100), ("dev_b", 100)]


def test_text_sorts_by_bytes_whatever_the_server_locale(cli):
    for session in ("a_b", "ab", "aB", "Ab"):
        cli("create-task-group", session, "s", "group " + session)
    # Same created_at is likely within a millisecond; the id breaks ties byte-wise.
    groups = cli("--json", "query", "SELECT id FROM task_groups ORDER BY id").json()
    assert [row["id"] for row in groups] == ["Ab", "aB", "a_b", "ab"]


def test_config_upsert(cli):
    assert cli("set-config", "max_parallel", "4").code == 0
    assert cli("set-config", "max_parallel", '{"value": 5}').code == 0
    assert cli("get-config", "max_parallel").json() == {"value": 5}
    assert cli("get-config", "missing").out.strip() == "null"


def test_dashboard_snapshot(cli):
    cli("create-session", "s", "parallel", "Build it")
    cli("create-task-group", "g1", "s", "Auth")
    cli("save-skill-output", "s", "lint", '{"errors": 0}')
    cli("log-decision", "s", "spawn_developers", '{"count": 3}', "1")
    cli("log-tokens", "s", "pm", "10")
    snapshot = cli("dashboard-snapshot", "s").json()
    assert snapshot["task_group_counts"]["total"] == 1
    assert snapshot["log_count"] == 0
    assert snapshot["skill_outputs"] == {"lint": {"errors": 0}}
    assert snapshot["token_usage"] == {"total_tokens": 10, "by_agent_type": {"pm": 10}, "cost_usd": None}
    assert snapshot["recent_decisions"][0]["decision_data"] == {"count": 3}


def test_query_reads_and_refuses_writes(cli, store: BazingaDB):
    cli("log-interaction", "s", "pm", "hello")
    rows = cli("query", "SELECT agent_type, COUNT(*) AS n FROM orchestration_logs GROUP BY agent_type").json()
    assert rows == [{"agent_type": "pm", "n": 1}]
    for statement in (
        "DELETE FROM orchestration_logs",
        "UPDATE sessions SET status = 'failed'",
        "DROP TABLE sessions",
    ):
        refused = cli("--json", "query", statement)
        assert refused.code == 2, (statement, refused)
        assert refused.json()["error"]["code"] == "not_read_only"
    two = cli("--json", "query", "SELECT 1 AS a; DELETE FROM sessions")
    assert two.code == 2 and two.json()["error"]["code"] in ("invalid_input", "not_read_only")
    bad = cli("--json", "query", "SELEC 1")
    assert bad.code == 2 and bad.json()["error"]["code"] == "invalid_input"
    assert "Traceback" not in bad.err
    # PostgreSQL refuses it as a write, SQLite as a syntax error: both as bad input.
    with pytest.raises(InvalidInput):
        store.query("WITH gone AS (DELETE FROM sessions RETURNING *) SELECT * FROM gone")
    with pytest.raises(ReadOnlyViolation):
        store.query("INSERT INTO configuration (key, value) VALUES ('a', '1')")
    assert len(cli("get-logs", "s").json()) == 1


def test_a_failed_write_leaves_nothing(cli):
    cli("create-session", "s", "simple", "x")
    failed = cli("create-task-group", "g1", "s", "Auth", "sleeping")
    assert failed.code == 2
    assert cli("get-task-groups", "s").json() == []
    assert cli("get-task-group-events", "s").json() == []


def test_migrate_is_idempotent(cli):
    first = cli("--json", "migrate")
    assert first.code == 0, first
    assert first.json()["applied"] == [name for name, _ in MIGRATIONS]
    again = cli("--json", "migrate").json()
    assert again["applied"] == [] and again["schema_version"] == first.json()["schema_version"]


@pytest.mark.sqlite_only
def test_marked_tests_run_on_sqlite_only(store: BazingaDB, db_backend: str):
    assert db_backend == "sqlite"
    assert store.backend.dialect == "sqlite"


def test_tests_using_the_file_path_run_on_sqlite_only(cli, db_path: str, db_backend: str):
    assert db_backend == "sqlite"
    assert cli("set-config", "k", "1").code == 0
    assert Path(db_path).exists()  # cli writes the very file db_path names


def test_every_other_test_runs_on_the_backend_it_is_given(store: BazingaDB, db_backend: str):
    assert store.backend.dialect == db_backend


# -- the same bytes on both backends ---------------------------------------------------

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")

# Every command, reads after writes, errors included; run in this order on each backend.
SEQUENCE: list[list[str]] = [
    ["create-session", "sess_b", "parallel", "Add OAuth2 login", "--metadata", '{"team": ["pm", "dev"], "n": 2}'],
    ["create-session", "sess_b", "parallel", "Add OAuth2 login"],
    ["create-session", "sess_b", "simple", "Something else"],
    ["log-interaction", "sess_a", "pm", "auto-creates the session: 100% ? 'quoted'", "1", "pm_main"],
    ["create-session", "sess_a", "simple", "now with requirements"],
    ["log-interaction", "sess_b", "developer", "naïve ✓ unicode", "2", "developer_1", "--group", "g1"],
    ["log-interaction", "sess_b", "qa", "retry me", "--idempotency-key", "k-1"],
    ["log-interaction", "sess_b", "qa", "retry me", "--idempotency-key", "k-1"],
    ["log-interaction", "sess_b", "tech_lead", "after the replay", "3", "--log-type", "review"],
    ["get-logs", "sess_b"],
    ["get-logs", "sess_b", "--limit", "2", "--agent-type", "qa"],
    ["get-logs", "sess_b", "--after-id", "2"],
    ["get-logs", "sess_b", "--log-type", "review"],
    ["save-state", "sess_b", "pm", '{"iteration": 1, "ratio": 0.25, "big": 12345678901234, "nested": {"a": [1, null]}}'],
    ["save-state", "sess_b", "pm", '{"iteration": 2}'],
    ["save-state", "sess_b", "group_status", '{"g1": "done"}', "--group", "g1"],
    ["get-state", "sess_b", "pm"],
    ["get-state", "sess_b", "group_status", "--group", "g1"],
    ["get-state", "sess_b", "orchestrator"],
    ["create-task-group", "g1", "sess_b", "Authentication", "pending", "developer_1"],
    ["create-task-group", "g2", "sess_b", "Billing"],
    ["create-task-group", "G0", "sess_b", "Upper case sorts first in byte order"],
    ["create-task-group", "g1", "sess_a", "Same id, other session"],
    ["create-task-group", "a_b", "sess_a", "Locale order puts this first, byte order last"],
    ["create-task-group", "aB", "sess_a", "Byte order puts this first"],
    ["update-task-group", "g1"],
    ["update-task-group", "g1", "--session", "sess_b", "--status", "in_progress", "--increment-revision"],
    ["update-task-group", "g1", "--session", "sess_b", "--revision-count", "5", "--last-review-status", "APPROVED"],
    ["update-task-group", "g2", "--status", "completed", "--assigned-to", "developer_2"],
    ["update-task-group", "g2", "--status", "sleeping"],
    ["get-task-groups", "sess_b"],
    ["get-task-groups", "sess_b", "completed"],
    ["get-task-group-events", "sess_b"],
    ["log-tokens", "sess_b", "developer", "1200", "developer_1", "--group", "g1", "--model", "opus"],
    ["log-tokens", "sess_b", "qa", "--input-tokens", "300", "--output-tokens", "200", "--cache-read", "50"],
    ["log-tokens", "sess_b", "pm", "500", "--idempotency-key", "t-1"],
    ["log-tokens", "sess_b", "pm", "500", "--idempotency-key", "t-1"],
    ["log-tokens", "sess_b", "investigator", "1050", "--model", "sonnet"],  # ties with no model
    ["token-summary", "sess_b"],
    ["token-summary", "sess_b", "agent_id"],
    ["token-summary", "sess_b", "model"],
    ["token-summary", "sess_b", "group_id"],
    ["save-skill-output", "sess_b", "lint", '{"errors": 0, "warnings": 3}', "--agent-type", "qa", "--iteration", "2"],
    ["save-skill-output", "sess_b", "coverage", '{"percent": 87.5}', "--group", "g1"],
    ["get-skill-output", "sess_b", "lint"],
    ["get-skill-output", "sess_b", "coverage", "--group", "g1"],
    ["set-config", "max_parallel_developers", "4"],
    ["set-config", "max_parallel_developers", '{"value": 5, "why": "more"}'],
    ["set-config", "model", '"opus"'],
    ["get-config", "max_parallel_developers"],
    ["get-config", "nothing_here"],
    ["log-decision", "sess_b", "spawn_developers", '{"count": 3}', "1"],
    ["log-decision", "sess_b", "escalate", '{"to": "tech_lead"}'],
    ["get-decisions", "sess_b"],
    ["get-decisions", "sess_b", "--type", "escalate", "--limit", "1"],
    ["update-session-status", "sess_a", "completed"],
    ["list-sessions"],
    ["list-sessions", "1", "--status", "active"],
    ["get-session", "sess_a"],
    ["get-session", "nobody"],
    ["dashboard-snapshot", "sess_b"],
    ["query", ("SELECT agent_type, COUNT(*) AS n, SUM(id) AS ids, MAX(iteration) AS top "
               "FROM orchestration_logs GROUP BY agent_type ORDER BY agent_type")],
    ["query", "SELECT id, name FROM task_groups ORDER BY id, session_id"],
    ["log-interaction", "sess_b", "Not An Agent!", "bad agent type"],
]


def run(target: str, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--db", target, *args], out, io.StringIO())
    return code, TIMESTAMP.sub("<time>", out.getvalue())


def run_sequence(target: str) -> list[tuple[int, str]]:
    """Each command once with --json, then every read again as plain text (Markdown included)."""
    outputs = [run(target, "--json", *command) for command in SEQUENCE]
    reads = [command for command in SEQUENCE if not operations.BY_NAME[command[0]].write]
    outputs += [run(target, *command) for command in reads]
    outputs.append(run(target, "stream-logs", "sess_b", "3", "1"))
    return outputs


def refusal_code(target: str) -> str:
    out = io.StringIO()
    assert main(["--db", target, "--json", "query", "DELETE FROM sessions"], out, io.StringIO()) == 2
    return str(json.loads(out.getvalue())["error"]["code"])


def test_every_command_prints_the_same_bytes_on_both_backends(tmp_path: Path, postgres_server):
    sqlite_outputs = run_sequence(str(tmp_path / "parity.db"))
    name = postgres_server.create_database()
    postgres_outputs = run_sequence(postgres_server.url(name))
    assert len(sqlite_outputs) == len(postgres_outputs)
    steps = SEQUENCE + [command for command in SEQUENCE if not operations.BY_NAME[command[0]].write] + [["stream-logs"]]
    for step, sqlite_output, postgres_output in zip(steps, sqlite_outputs, postgres_outputs):
        assert postgres_output == sqlite_output, f"outputs differ for {step}"
    # The refusal of a write by `query` names what each dialect allows; its code is the same.
    assert refusal_code(str(tmp_path / "parity.db")) == refusal_code(postgres_server.url(name)) == "not_read_only"
    # The sequence exercised successes and both kinds of failure.
    codes = {code for code, _ in sqlite_outputs}
    assert codes == {0, 1, 2}
