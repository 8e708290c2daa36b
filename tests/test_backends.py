"""The same behaviour on SQLite and PostgreSQL: every test here runs once per backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from bazinga_db import BazingaDB, Conflict, InvalidInput, ReadOnlyViolation, SessionNotFound
from bazinga_db.db.migrations.steps import MIGRATIONS


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
