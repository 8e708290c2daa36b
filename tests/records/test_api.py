"""The Python API: ``from bazinga_db import BazingaDB``, plain data back, specific exceptions."""

from __future__ import annotations

import json
import re

import pytest

import bazinga_db
from bazinga_db import (
    AmbiguousTaskGroup,
    BazingaDB,
    BazingaError,
    Conflict,
    InvalidInput,
    InvalidJSON,
    ReadOnlyViolation,
    SessionNotFound,
    TaskGroupNotFound,
    operations,
)

ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def is_plain(value: object) -> bool:
    """Only dicts, lists, str, int, float, bool and None all the way down."""
    if isinstance(value, dict):
        return all(isinstance(key, str) and is_plain(item) for key, item in value.items())
    if isinstance(value, list):
        return all(is_plain(item) for item in value)
    return value is None or isinstance(value, (str, int, float, bool))


def test_every_store_operation_is_a_method_with_the_declared_arguments() -> None:
    import inspect

    for operation in operations.OPERATIONS:
        if operation.tool:
            continue  # tool commands (servers, exports) are not store methods
        method = getattr(BazingaDB, operation.method)
        signature = inspect.signature(method)
        names = [name for name in signature.parameters if name != "self"]
        assert names == [param.name for param in operation.params], operation.name
        for param in operation.params:
            has_default = signature.parameters[param.name].default is not inspect.Parameter.empty
            assert has_default != param.required, (operation.name, param.name)


def test_public_names() -> None:
    assert "BazingaDB" in bazinga_db.__all__
    for name in ("SessionNotFound", "TaskGroupNotFound", "InvalidInput", "SchemaTooNew", "ReadOnlyViolation"):
        assert issubclass(getattr(bazinga_db, name), BazingaError)


def test_every_operation_returns_plain_data(store) -> None:  # type: ignore[no-untyped-def]
    results = [
        store.create_session("s1", "parallel", "Build it", metadata={"ticket": "T-1"}),
        store.get_session("s1"),
        store.list_sessions(),
        store.log_interaction("s1", "pm", "plan", iteration=1, agent_id="pm_main"),
        store.get_logs("s1"),
        store.stream_logs("s1"),
        store.save_state("s1", "pm", {"iteration": 1}),
        store.get_state("s1", "pm"),
        store.create_task_group("g1", "s1", "Auth"),
        store.update_task_group("g1", status="completed"),
        store.get_task_groups("s1"),
        store.get_task_group_events("s1"),
        store.log_tokens("s1", "pm", 10),
        store.token_summary("s1"),
        store.save_skill_output("s1", "lint", {"errors": 0}),
        store.get_skill_output("s1", "lint"),
        store.set_config("k", [1, 2]),
        store.get_config("k"),
        store.log_decision("s1", "approve", {"group": "g1"}),
        store.get_decisions("s1"),
        store.dashboard_snapshot("s1"),
        store.query("SELECT COUNT(*) AS n FROM sessions"),
        store.update_session_status("s1", "completed"),
        store.migrate(),
    ]
    for result in results:
        assert is_plain(result), result
    session = store.get_session("s1")
    assert session["metadata"] == {"ticket": "T-1"}
    assert ISO_MS.match(session["created_at"]) and ISO_MS.match(session["end_time"])
    assert store.get_config("k") == [1, 2]
    assert store.query("SELECT COUNT(*) AS n FROM sessions") == [{"n": 1}]


def test_records_carry_ids_in_write_order_and_iso_timestamps(store) -> None:  # type: ignore[no-untyped-def]
    written = [store.log_interaction("s1", "developer", f"entry {n}") for n in range(5)]
    ids = [entry["id"] for entry in written]
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert all(ISO_MS.match(entry["timestamp"]) for entry in written)
    assert [entry["content"] for entry in store.get_logs("s1")] == [f"entry {n}" for n in range(5)]
    assert [entry["content"] for entry in store.get_logs("s1", limit=2)] == ["entry 3", "entry 4"]
    assert [entry["content"] for entry in store.stream_logs("s1", limit=2, offset=1)] == ["entry 2", "entry 3"]


def test_the_with_statement_closes(db_path) -> None:  # type: ignore[no-untyped-def]
    with BazingaDB(db_path) as db:
        db.create_session("s1")
    with BazingaDB(db_path) as db:
        assert db.get_session("s1")["session_id"] == "s1"


# -- exceptions ---------------------------------------------------------------------------


def test_missing_session_raises_session_not_found(store) -> None:  # type: ignore[no-untyped-def]
    store.create_session("present")
    reads = [
        lambda: store.get_session("nope"),
        lambda: store.get_logs("nope"),
        lambda: store.stream_logs("nope"),
        lambda: store.get_state("nope", "pm"),
        lambda: store.get_task_groups("nope"),
        lambda: store.get_task_group_events("nope"),
        lambda: store.token_summary("nope"),
        lambda: store.get_skill_output("nope", "lint"),
        lambda: store.get_decisions("nope"),
        lambda: store.dashboard_snapshot("nope"),
        lambda: store.update_session_status("nope", "completed"),
    ]
    for read in reads:
        with pytest.raises(SessionNotFound) as raised:
            read()
        assert "'nope'" in str(raised.value)
        assert raised.value.exit_code == 1 and raised.value.code == "session_not_found"
    assert [s["session_id"] for s in store.list_sessions()] == ["present"]


def test_task_group_errors(store) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TaskGroupNotFound):
        store.update_task_group("ghost", status="completed")
    store.create_session("s1")
    with pytest.raises(TaskGroupNotFound):
        store.update_task_group("ghost", session_id="s1", status="completed")
    store.create_task_group("g1", "s1", "One")
    store.create_task_group("g1", "s2", "One")
    with pytest.raises(AmbiguousTaskGroup) as raised:
        store.update_task_group("g1", status="completed")
    assert raised.value.exit_code == 2
    assert "s1, s2" in str(raised.value)
    with pytest.raises(Conflict):
        store.create_task_group("g1", "s1", "Another name")
    # the same group created again with the same values is not an error
    assert store.create_task_group("g1", "s1", "One")["name"] == "One"
    with pytest.raises(InvalidInput):
        store.update_task_group("g1", session_id="s1")  # nothing to update
    with pytest.raises(InvalidInput):
        store.update_task_group("g1", session_id="s1", revision_count=2, increment_revision=True)


def test_conflicting_session(store) -> None:  # type: ignore[no-untyped-def]
    store.create_session("s1", "simple", "A")
    assert store.create_session("s1", "simple", "A")["original_requirements"] == "A"
    with pytest.raises(Conflict) as raised:
        store.create_session("s1", "parallel", "B")
    assert raised.value.exit_code == 1
    assert store.get_session("s1")["mode"] == "simple"


def test_invalid_values_raise_invalid_input_naming_the_field(store) -> None:  # type: ignore[no-untyped-def]
    cases = [
        (lambda: store.create_session("s1", "serial"), "mode", "simple, parallel"),
        (lambda: store.update_session_status("s1", "done"), "status", "active, completed, failed"),
        (lambda: store.create_task_group("g", "s1", "G", status="blocked"), "status", "in_progress"),
        (lambda: store.log_interaction("s1", "Dev Ops!", "x"), "agent_type", "lower-case"),
        (lambda: store.log_interaction("s1", "pm", "   "), "content", "non-empty"),
        (lambda: store.log_tokens("s1", "pm", -5), "tokens", "at least 0"),
        (lambda: store.token_summary("s1", "colour"), "by", "agent_type, agent_id, model, group_id"),
        (lambda: store.list_sessions(0), "limit", "at least 1"),
        (lambda: store.get_logs("s1", since="yesterday"), "since", "ISO-8601"),
    ]
    for call, field, allowed in cases:
        with pytest.raises(InvalidInput) as raised:
            call()
        assert field in str(raised.value) and allowed in str(raised.value), str(raised.value)
        assert raised.value.exit_code == 2
    with pytest.raises(InvalidJSON):
        store.save_state("s1", "pm", {"not": {1, 2}})
    assert store.list_sessions() == []


def test_query_is_read_only(store) -> None:  # type: ignore[no-untyped-def]
    store.create_session("s1")
    with pytest.raises(ReadOnlyViolation):
        store.query("DELETE FROM sessions")
    assert [row["session_id"] for row in store.query("SELECT session_id FROM sessions")] == ["s1"]


# -- state history ------------------------------------------------------------------------


def test_state_history_is_kept_and_get_state_returns_the_newest(store) -> None:  # type: ignore[no-untyped-def]
    for iteration in range(1, 4):
        store.save_state("s1", "pm", {"iteration": iteration})
    store.save_state("s1", "orchestrator", {"phase": "qa"})
    store.save_state("s1", "pm", {"group": True}, group_id="group_a")
    assert store.get_state("s1", "pm") == {"iteration": 3}
    assert store.get_state("s1", "pm", group_id="group_a") == {"group": True}
    assert store.get_state("s1", "group_status") is None
    history = store.query(
        "SELECT state_data FROM state_snapshots WHERE session_id = 's1' AND state_type = 'pm' "
        "AND group_id IS NULL ORDER BY id"
    )
    assert [json.loads(row["state_data"]) for row in history] == [{"iteration": n} for n in (1, 2, 3)]


# -- idempotency keys ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "table, write",
    [
        ("orchestration_logs", lambda db, key: db.log_interaction("s1", "pm", "hello", idempotency_key=key)),
        ("state_snapshots", lambda db, key: db.save_state("s1", "pm", {"n": 1}, idempotency_key=key)),
        ("token_usage", lambda db, key: db.log_tokens("s1", "pm", 10, idempotency_key=key)),
        ("skill_outputs", lambda db, key: db.save_skill_output("s1", "lint", {}, idempotency_key=key)),
        ("decisions", lambda db, key: db.log_decision("s1", "approve", {}, idempotency_key=key)),
    ],
)
def test_idempotency_key_returns_the_same_record(store, table, write) -> None:  # type: ignore[no-untyped-def]
    first = write(store, "call-1")
    again = write(store, "call-1")
    assert again == first
    assert ("idempotent_replay", "call-1") in store.notices
    count = lambda: store.query(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"]
    assert count() == 1
    other = write(store, "call-2")
    assert other["id"] != first["id"] and count() == 2


def test_idempotency_keys_are_scoped_to_their_session(store) -> None:  # type: ignore[no-untyped-def]
    first = store.log_interaction("s1", "pm", "hello", idempotency_key="k")
    second = store.log_interaction("s2", "pm", "hello", idempotency_key="k")
    assert first["id"] != second["id"]
    assert len(store.get_logs("s1")) == len(store.get_logs("s2")) == 1


def test_idempotency_key_through_the_cli(cli, store) -> None:  # type: ignore[no-untyped-def]
    first = cli("--json", "log-interaction", "s1", "pm", "retry me", "--idempotency-key", "k1")
    second = cli("--json", "log-interaction", "s1", "pm", "retry me", "--idempotency-key", "k1")
    assert first.code == second.code == 0
    assert first.json() == second.json()
    plain = cli("log-interaction", "s1", "pm", "retry me", "--key", "k1")
    assert plain.code == 0
    assert plain.out.startswith("✓ Already recorded under idempotency key k1: nothing new stored\n")
    assert len(store.get_logs("s1")) == 1


# -- task groups: revisions and timeline --------------------------------------------------


def test_increment_revision_and_timeline(store) -> None:  # type: ignore[no-untyped-def]
    store.create_task_group("g1", "s1", "Auth", assigned_to="developer_1")
    store.update_task_group("g1", status="in_progress")
    store.update_task_group("g1", last_review_status="CHANGES_REQUESTED", increment_revision=True)
    row = store.update_task_group("g1", increment_revision=True)
    assert row["revision_count"] == 2
    store.update_task_group("g1", status="completed", last_review_status="APPROVED", assigned_to="developer_2")
    store.update_task_group("g1", status="completed")  # no change: no event
    events = store.get_task_group_events("s1", "g1")
    assert [event["changes"] for event in events] == [
        {"created": [None, "Auth"], "status": [None, "pending"], "assigned_to": [None, "developer_1"]},
        {"status": ["pending", "in_progress"]},
        {"revision_count": [0, 1], "last_review_status": [None, "CHANGES_REQUESTED"]},
        {"revision_count": [1, 2]},
        {"status": ["in_progress", "completed"], "assigned_to": ["developer_1", "developer_2"],
         "last_review_status": ["CHANGES_REQUESTED", "APPROVED"]},
    ]
    assert all(event["group_id"] == "g1" and event["session_id"] == "s1" for event in events)
    assert [event["id"] for event in events] == sorted(event["id"] for event in events)
    store.create_task_group("g2", "s1", "API")
    assert len(store.get_task_group_events("s1")) == 6
    assert store.update_task_group("g1", revision_count=7)["revision_count"] == 7


def test_task_group_ids_are_unique_per_session(store) -> None:  # type: ignore[no-untyped-def]
    store.create_task_group("group_a", "s1", "Auth")
    store.create_task_group("group_a", "s2", "Auth elsewhere")
    store.update_task_group("group_a", session_id="s2", status="failed")
    assert [g["status"] for g in store.get_task_groups("s1")] == ["pending"]
    assert [g["status"] for g in store.get_task_groups("s2")] == ["failed"]
    assert [g["id"] for g in store.get_task_groups("s2", status="failed")] == ["group_a"]


# -- dashboard snapshot -------------------------------------------------------------------


def test_dashboard_snapshot_content(store) -> None:  # type: ignore[no-untyped-def]
    store.create_session("s1", "parallel", "Build auth")
    store.create_task_group("g1", "s1", "Auth", status="completed")
    store.create_task_group("g2", "s1", "API", status="in_progress")
    store.create_task_group("g3", "s1", "UI")
    for n in range(12):
        store.log_interaction("s1", "developer", f"log {n}")
    store.save_state("s1", "pm", {"iteration": 1})
    store.save_state("s1", "pm", {"iteration": 2})
    store.save_state("s1", "pm", {"only": "group"}, group_id="g1")
    store.save_skill_output("s1", "lint", {"errors": 3})
    store.save_skill_output("s1", "lint", {"errors": 0})
    store.log_tokens("s1", "pm", 100)
    store.log_tokens("s1", "developer", 250)
    store.log_tokens("s1", "developer", 50)
    store.log_decision("s1", "spawn_developers", {"count": 3}, iteration=1)
    store.log_interaction("other", "pm", "not in this session")
    snapshot = store.dashboard_snapshot("s1")
    assert snapshot["session"]["session_id"] == "s1"
    assert [g["id"] for g in snapshot["task_groups"]] == ["g1", "g2", "g3"]
    assert snapshot["task_group_counts"] == {"total": 3, "pending": 1, "in_progress": 1, "completed": 1, "failed": 0}
    assert snapshot["token_usage"] == {
        "total_tokens": 400, "by_agent_type": {"developer": 300, "pm": 100}, "cost_usd": None
    }
    assert snapshot["log_count"] == 12
    assert [entry["content"] for entry in snapshot["recent_logs"]] == [f"log {n}" for n in range(2, 12)]
    assert snapshot["states"] == {"pm": {"iteration": 2}}
    assert snapshot["skill_outputs"] == {"lint": {"errors": 0}}
    assert [(d["decision_type"], d["decision_data"]) for d in snapshot["recent_decisions"]] == [
        ("spawn_developers", {"count": 3})
    ]
    assert ISO_MS.match(snapshot["generated_at"])
    assert is_plain(snapshot)


def test_token_summary_breakdowns(store) -> None:  # type: ignore[no-untyped-def]
    store.log_tokens("s1", "developer", 100, "developer_1", group_id="g1", model="m-large")
    store.log_tokens("s1", "developer", input_tokens=30, output_tokens=20, agent_id="developer_2", group_id="g2")
    store.log_tokens("s1", "qa", 5)
    assert store.token_summary("s1")["breakdown"] == {"developer": 150, "qa": 5}
    assert store.token_summary("s1", "agent_id")["breakdown"] == {"developer_1": 100, "developer_2": 50, "unknown": 5}
    assert store.token_summary("s1", "group_id")["breakdown"] == {"g1": 100, "g2": 50, "unknown": 5}
    assert store.token_summary("s1", "model")["breakdown"] == {"m-large": 100, "unknown": 55}
    summary = store.token_summary("s1")
    assert (summary["total_tokens"], summary["calls"]) == (155, 3)


def test_list_sessions_newest_first_with_limit_and_status(store) -> None:  # type: ignore[no-untyped-def]
    for n in range(12):
        store.create_session(f"s{n:02d}")
    store.update_session_status("s03", "failed")
    assert [s["session_id"] for s in store.list_sessions()] == [f"s{n:02d}" for n in range(11, 1, -1)]
    assert len(store.list_sessions(limit=3)) == 3
    assert [s["session_id"] for s in store.list_sessions(status="failed")] == ["s03"]


def test_skill_outputs_newest_and_per_group(store) -> None:  # type: ignore[no-untyped-def]
    store.save_skill_output("s1", "coverage", {"line": 50}, agent_type="qa", group_id="g1", iteration=1)
    store.save_skill_output("s1", "coverage", {"line": 80}, agent_type="qa", group_id="g2", iteration=1)
    assert store.get_skill_output("s1", "coverage") == {"line": 80}
    assert store.get_skill_output("s1", "coverage", group_id="g1") == {"line": 50}
    assert store.get_skill_output("s1", "security_scan") is None


def test_decisions_filter_and_limit(store) -> None:  # type: ignore[no-untyped-def]
    store.log_decision("s1", "spawn_developers", {"n": 1}, iteration=1)
    store.log_decision("s1", "escalate", {"n": 2}, iteration=2)
    store.log_decision("s1", "spawn_developers", {"n": 3}, iteration=3)
    assert [d["decision_data"]["n"] for d in store.get_decisions("s1")] == [1, 2, 3]
    assert [d["decision_data"]["n"] for d in store.get_decisions("s1", "spawn_developers")] == [1, 3]
    assert [d["decision_data"]["n"] for d in store.get_decisions("s1", limit=1)] == [3]


# -- query: read-only enforcement through the CLI -----------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO configuration (key, value) VALUES ('k', '1')",
        "UPDATE sessions SET status = 'failed'",
        "DELETE FROM sessions",
        "DROP TABLE sessions",
        "CREATE TABLE sneaky (x)",
        "ALTER TABLE sessions ADD COLUMN x",
        "ATTACH DATABASE ':memory:' AS other",
        "PRAGMA user_version = 99",
        "PRAGMA journal_mode = DELETE",
        "SELECT 1; DELETE FROM sessions",
        "SELECT 1; SELECT 2",
        "BEGIN",
        "WITH gone AS (SELECT 1) DELETE FROM sessions",
        "REPLACE INTO configuration (key, value) VALUES ('k', '1')",
    ],
)
def test_query_rejects_anything_but_reading(cli, store, sql) -> None:  # type: ignore[no-untyped-def]
    store.create_session("s1")
    store.set_config("keep", True)
    before = store.query("SELECT (SELECT COUNT(*) FROM sessions) AS s, (SELECT COUNT(*) FROM configuration) AS c")
    store.close()
    result = cli("query", sql)
    assert result.code == 2, result
    assert result.out == ""
    assert result.err.startswith("error: ")
    assert "Traceback" not in result.err
    assert store.get_session("s1")["status"] == "active"
    after = store.query("SELECT (SELECT COUNT(*) FROM sessions) AS s, (SELECT COUNT(*) FROM configuration) AS c")
    assert after == before


@pytest.mark.parametrize(
    "sql, expected",
    [
        ("SELECT session_id, status FROM sessions", [{"session_id": "s1", "status": "active"}]),
        ("select count(*) as n from orchestration_logs", [{"n": 2}]),
        (("WITH counts AS (SELECT agent_type, COUNT(*) AS n FROM orchestration_logs GROUP BY agent_type) "
          "SELECT * FROM counts ORDER BY agent_type"),
         [{"agent_type": "developer", "n": 1}, {"agent_type": "pm", "n": 1}]),
        ("SELECT 1 AS one;", [{"one": 1}]),
    ],
)
def test_query_reads(cli, store, sql, expected) -> None:  # type: ignore[no-untyped-def]
    store.create_session("s1")
    store.log_interaction("s1", "pm", "a")
    store.log_interaction("s1", "developer", "b")
    store.close()
    result = cli("query", sql)
    assert result.code == 0, result
    assert result.json() == expected


@pytest.mark.sqlite_only
def test_query_allows_table_info(cli) -> None:  # type: ignore[no-untyped-def]
    cli("migrate")
    result = cli("query", "PRAGMA table_info(sessions)")
    assert result.code == 0, result
    assert [row["name"] for row in result.json()][:2] == ["session_id", "start_time"]


def test_increment_revision_is_atomic_across_connections(store, db_path) -> None:  # type: ignore[no-untyped-def]
    import threading

    store.create_task_group("g1", "s1", "Shared")
    errors: list[Exception] = []

    def reviewer() -> None:
        try:
            with BazingaDB(db_path) as db:
                for _ in range(5):
                    db.update_task_group("g1", increment_revision=True)
        except Exception as exc:  # noqa: BLE001 -- any failure of a thread is reported below
            errors.append(exc)

    threads = [threading.Thread(target=reviewer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert store.get_task_groups("s1")[0]["revision_count"] == 40
    assert len(store.get_task_group_events("s1", "g1")) == 41


def test_text_is_kept_exactly(store, cli) -> None:  # type: ignore[no-untyped-def]
    content = "héllo 🚀 — «quoted» 'single' \"double\" $HOME `tick` \\ back\nsecond line\ttab"
    store.close()
    assert cli("log-interaction", "s1", "pm", content).code == 0
    assert store.get_logs("s1")[0]["content"] == content
    assert cli("get-logs", "s1").json()[0]["content"] == content


def test_the_public_projects_method_names_and_argument_order(store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Code written against the public project's ``BazingaDB`` runs unchanged: its method
    names, its positional argument order, plain lists and dicts back, errors raised."""
    sid = "sess_upstream"
    store.create_session(sid, "simple", "x")
    store.create_task_group("group_a", sid, "Auth")
    (tmp_path / ".git").mkdir()
    plan = store.save_development_plan(sid, "Add auth", "Auth first", [{"phase": 1, "name": "Auth"}], 1, 1,
                                       {"plan_type": "user_provided_partial"})
    assert store.get_development_plan(sid)["metadata"] == {"plan_type": "user_provided_partial"} and plan["id"]
    assert store.update_plan_progress(sid, 1, "completed")["phases"][0]["progress_percent"] == 100
    store.save_success_criteria(sid, [{"criterion": "Tests pass"}])
    # (session_id, criterion, status, actual, evidence)
    updated = store.update_success_criterion(sid, "Tests pass", "met", "12/12", "pytest -q")
    assert (updated["actual"], updated["evidence"]) == ("12/12", "pytest -q")
    assert isinstance(store.get_success_criteria(sid), list)
    package = store.save_context_package(sid, "group_a", "research", "notes.md", "investigator", ["developer"],
                                         "high", "Notes", 42, project_root=str(tmp_path))
    assert package["size_bytes"] == 42
    assert [p["id"] for p in store.get_context_packages(sid, "group_a", "developer", 3)] == [package["id"]]
    assert store.mark_context_consumed(package["id"], "developer", 1)["newly_consumed"] is True
    assert store.update_context_references("group_a", sid, [package["id"]])["context_references"] == [package["id"]]
    assert store.save_consumption(sid, "group_a", "developer", 1, package["id"])["inserted"] is True
    assert len(store.get_consumption(sid, "group_a", "developer", 10)) == 1
    store.save_reasoning(sid, "group_a", "developer", "understanding", "Read the code")
    assert store.get_reasoning(sid, "group_a", "developer", "understanding", 5)[0]["content"] == "Read the code"
    assert isinstance(store.reasoning_timeline(sid, "group_a"), list)
    assert store.check_mandatory_phases(sid, "group_a", "developer")["missing"] == ["completion"]
    # (session_id, event_subtype, payload, idempotency_key, group_id): its payloads are JSON text
    first = store.save_event(sid, "tl_verdicts", '{"verdict": "APPROVED"}', "tl-1", "group_a")
    again = store.save_event(sid, "tl_verdicts", '{"verdict": "APPROVED"}', "tl-1", "group_a")
    assert first["id"] == again["id"] and first["group_id"] == "group_a"
    assert store.get_events(sid, "tl_verdicts", 1)[0]["event_payload"] == '{"verdict": "APPROVED"}'
    assert store.save_investigation_iteration(sid, "group_a", 1, "under_investigation", "{}", "{}")["iteration"] == 1
    saved = store.save_error_pattern("shop", "KeyError", "KeyError: 'x'", "check first", "python", ["api"], [])
    assert store.update_error_pattern_confidence(saved["pattern_hash"], "shop", True)["new_confidence"] == 0.6
    assert [p["pattern_hash"] for p in store.get_error_patterns("shop", "python", 0.5, 5)] == [saved["pattern_hash"]]
    assert store.cleanup_expired_patterns("shop")["deleted_count"] == 0
    strategy = store.save_strategy("shop", "general", "Small commits", "python", None, None)
    assert store.get_strategies("shop", "python", None, "general", 5)[0]["strategy_id"] == strategy["strategy_id"]
    assert store.update_strategy_helpfulness(strategy["strategy_id"], 2)["new_helpfulness"] == 3
    with pytest.raises(BazingaError) as refused:  # not approved yet: raised, never an exit
        store.extract_strategies(sid, "group_a", "shop")
    assert refused.value.code == "group_not_approved"
    assert isinstance(store.get_skill_output_all(sid, "lint"), list)
    assert store.check_skill_evidence(sid, "lint")["complete"] is False
    assert store.update_session_status(sid, "failed")["status"] == "failed"
    assert store.diagnose_group_ids()["ok"] is True
    assert store.check_integrity()["ok"] is True
    snapshot = store.get_dashboard_snapshot(sid)
    assert {"session", "orchestrator_state", "pm_state", "task_groups", "token_summary", "recent_logs"} <= set(snapshot)
    assert is_plain(snapshot)
