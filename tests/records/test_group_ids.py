"""`bazinga-db diagnose-group-ids [--fix]`: group ids the store would refuse or misread.

The bad ids are written with raw SQL, as an adopted file or another tool would have them:
the store itself refuses them, which is the point.
"""

from __future__ import annotations

from bazinga_db import BazingaDB

SESSION = "sess_group_ids"
OTHER = "sess_group_ids_other"


def seed_bad_ids(db_target: str) -> None:
    db = BazingaDB(db_target)
    try:
        db.create_session(SESSION)
        db.create_session(OTHER)
        db.create_task_group("group_a", SESSION, "Fine")
        db.log_interaction(SESSION, "pm", "a fine entry", group_id="group_a")
        # Already taken in SESSION: the rename of "global" must pick another name.
        db.create_task_group("group_global", SESSION, "Taken name")
        with db.write() as tx:
            # Reserved, as an adopted file may have it (create-task-group refuses it), with its "created" event.
            tx.execute("INSERT INTO task_groups (id, session_id, name, status, revision_count) "
                       "VALUES ('default', ?, 'reserved', 'pending', 0)", (OTHER,))
            tx.execute("INSERT INTO task_group_events (session_id, group_id, timestamp, changes) "
                       "VALUES (?, 'default', '2025-01-01T00:00:00.000Z', '{\"created\": true}')", (OTHER,))
            tx.execute("INSERT INTO task_groups (id, session_id, name, status, revision_count) "
                       "VALUES (?, ?, 'reserved', 'pending', 0)", ("global", SESSION))
            tx.execute("INSERT INTO task_groups (id, session_id, name, status, revision_count) "
                       "VALUES (?, ?, 'spaces and a tab', 'pending', 0)", (" auth\t", SESSION))
            for group_id, content in (("global", "in the group named global"), (" auth\t", "auth work")):
                tx.execute("INSERT INTO orchestration_logs (session_id, timestamp, agent_type, content, group_id, "
                           "log_type) VALUES (?, '2025-01-01T00:00:00.000Z', 'developer', ?, ?, 'interaction')",
                           (SESSION, content, group_id))
            tx.execute("INSERT INTO task_group_events (session_id, group_id, timestamp, changes) "
                       "VALUES (?, ?, '2025-01-01T00:00:00.000Z', '{}')", (SESSION, " auth\t"))
            # A session-wide state stored the adopted way: the literal word, in any case.
            tx.execute("INSERT INTO state_snapshots (session_id, timestamp, state_type, state_data, group_id) "
                       "VALUES (?, '2025-01-01T00:00:00.000Z', 'pm', '{\"n\": 1}', 'GLOBAL')", (OTHER,))
            tx.execute("INSERT INTO token_usage (session_id, timestamp, agent_type, tokens_estimated, group_id) "
                       "VALUES (?, '2025-01-01T00:00:00.000Z', 'qa', 5, 'Global')", (OTHER,))
    finally:
        db.close()


def test_a_clean_database_has_no_issues(cli):
    assert cli("create-session", SESSION).code == 0
    assert cli("create-task-group", "group_a", SESSION, "Auth").code == 0
    assert cli("save-state", SESSION, "pm", '{"a": 1}', "--group", "group_a").code == 0
    assert cli("save-event", SESSION, "scope_change", '{"a": 1}', "--group", "global").code == 0  # stored as NULL
    result = cli("diagnose-group-ids", "--json")
    assert result.code == 0, result
    assert result.json() == {"ok": True, "issues_found": 0, "fixes_applied": 0, "issues": [], "fixes": []}
    result = cli("diagnose-group-ids")
    assert (result.code, result.out.strip()) == (0, "✓ No group id problems found")


def test_diagnose_lists_the_bad_ids_and_exits_1(cli, db_target):
    seed_bad_ids(db_target)
    result = cli("diagnose-group-ids", "--json")
    assert result.code == 1, result
    assert "Traceback" not in result.err
    report = result.json()
    found = {(i["table"], i["session_id"], i["group_id"]): i for i in report["issues"]}
    assert set(found) == {
        ("task_groups", SESSION, "global"),
        ("task_groups", SESSION, " auth\t"),
        ("task_groups", OTHER, "default"),
        ("task_group_events", OTHER, "default"),  # its "created" event
        ("orchestration_logs", SESSION, "global"),
        ("orchestration_logs", SESSION, " auth\t"),
        ("task_group_events", SESSION, " auth\t"),
        ("state_snapshots", OTHER, "GLOBAL"),
        ("token_usage", OTHER, "Global"),
    }
    assert report["issues_found"] == 9 and report["fixes_applied"] == 0 and report["fixes"] == []
    assert report["ok"] is False
    assert "reserved word" in found[("task_groups", SESSION, "global")]["problem"]
    assert "leading or trailing spaces" in found[("task_groups", SESSION, " auth\t")]["problem"]
    assert found[("task_groups", SESSION, "global")]["fix"].startswith("rename to 'group_global_2'")
    assert found[("state_snapshots", OTHER, "GLOBAL")]["fix"] == "set to NULL"
    text = cli("diagnose-group-ids")
    assert text.code == 1 and text.out.startswith("✗ 9 group id problem(s) found")
    # Diagnosing wrote nothing: the same issues again.
    assert cli("diagnose-group-ids", "--json").json()["issues"] == report["issues"]


def test_fix_renames_consistently_and_a_second_run_is_clean(cli, db_target):
    seed_bad_ids(db_target)
    result = cli("diagnose-group-ids", "--fix", "--json")
    assert result.code == 0, result
    report = result.json()
    assert report["ok"] is True and report["issues_found"] == 9 and report["fixes_applied"] == 9
    renamed = {(f["session_id"], f["from"]): f["to"] for f in report["fixes"] if f["table"] == "task_groups"}
    assert renamed == {(SESSION, "global"): "group_global_2", (SESSION, " auth\t"): "group_auth_",
                       (OTHER, "default"): "group_default"}

    groups = {g["id"]: g["name"] for g in cli("get-task-groups", SESSION).json()}
    assert groups == {"group_a": "Fine", "group_global": "Taken name", "group_global_2": "reserved",
                      "group_auth_": "spaces and a tab"}
    logs = {log["content"]: log["group_id"] for log in cli("get-logs", SESSION).json()}
    assert logs == {"a fine entry": "group_a", "in the group named global": "group_global_2",
                    "auth work": "group_auth_"}
    events = cli("get-task-group-events", SESSION, "group_auth_").json()
    assert [e["changes"] for e in events] == [{}, {"id": [" auth\t", "group_auth_"]}]
    assert cli("get-state", OTHER, "pm").json() == {"n": 1}  # now session-wide (NULL)
    tokens = cli("query", f"SELECT group_id, tokens_estimated FROM token_usage WHERE session_id = '{OTHER}'").json()
    assert tokens == [{"group_id": None, "tokens_estimated": 5}]

    again = cli("diagnose-group-ids", "--fix", "--json")
    assert again.code == 0 and again.json()["issues_found"] == 0 and again.json()["fixes_applied"] == 0
    assert cli("diagnose-group-ids").code == 0


def test_python_api(store, db_target):
    seed_bad_ids(db_target)
    assert store.diagnose_group_ids()["issues_found"] == 9
    assert store.diagnose_group_ids(fix=True)["fixes_applied"] == 9
    assert store.diagnose_group_ids() == {"ok": True, "issues_found": 0, "fixes_applied": 0, "issues": [],
                                          "fixes": []}
