"""The seed document's invocations, run verbatim through bash as an agent runs them.

``python3 "$DB_SCRIPT" --db "$DB_PATH" …``: ``$DB_SCRIPT`` is a script named like the seed's
(scripts/bazinga_db.py) that calls our CLI, and ``python3`` is the test's interpreter. The
Quick Reference and the five Scenarios are checked against the outputs the seed shows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cli_helpers import auto_created, initialised, lines, ok
from conftest import Result

SEED_SID = "bazinga_20250113_143530"


@pytest.fixture
def seed_shell(tmp_path: Path, db_path: str):  # type: ignore[no-untyped-def]
    """Run a bash snippet copied from the seed, with $DB_SCRIPT and $DB_PATH set as it expects."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    python3 = bin_dir / "python3"
    python3.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python3.chmod(0o755)
    script = tmp_path / "skills" / "bazinga-db" / "scripts" / "bazinga_db.py"
    script.parent.mkdir(parents=True)
    # Named like the seed's script, so its own folder must leave sys.path before the import
    # (otherwise "import bazinga_db" finds this file instead of the package).
    script.write_text(
        "import os, sys\n"
        "here = os.path.dirname(os.path.abspath(__file__))\n"
        "sys.path[:] = [p for p in sys.path if os.path.abspath(p or '.') != here]\n"
        "from bazinga_db.frontends.cli import run\n"
        "run()\n"
    )

    def run(snippet: str, **variables: str) -> Result:
        env = {
            **os.environ,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "DB_SCRIPT": str(script),
            "DB_PATH": db_path,
            **variables,
        }
        completed = subprocess.run(
            ["bash", "-euc", textwrap.dedent(snippet)], check=False, capture_output=True, text=True, env=env, timeout=120
        )
        return Result(completed)

    return run


# -- the seed, verbatim -------------------------------------------------------------------


def test_seed_step2_commands_verbatim(seed_shell, store, db_path) -> None:  # type: ignore[no-untyped-def]
    result = seed_shell(
        r'''
        python3 "$DB_SCRIPT" --db "$DB_PATH" create-session \
          "bazinga_20250113_143530" \
          "parallel" \
          "Add user authentication with OAuth2 support"
        python3 "$DB_SCRIPT" --db "$DB_PATH" list-sessions 5 > /dev/null
        python3 "$DB_SCRIPT" --db "$DB_PATH" log-interaction \
          "bazinga_20250113_143530" \
          "developer" \
          "Implemented the OAuth2 callback" \
          2 \
          developer_1
        python3 "$DB_SCRIPT" --db "$DB_PATH" save-state \
          "bazinga_20250113_143530" \
          "orchestrator" \
          '{"iteration": 2, "phase": "development"}'
        STATE=$(python3 "$DB_SCRIPT" --db "$DB_PATH" get-state \
          "bazinga_20250113_143530" \
          "orchestrator")
        echo "STATE=$STATE"
        python3 "$DB_SCRIPT" --db "$DB_PATH" create-task-group \
          "group_a" \
          "bazinga_20250113_143530" \
          "Authentication" \
          in_progress \
          developer_1
        python3 "$DB_SCRIPT" --db "$DB_PATH" update-task-group \
          "group_a" \
          --status "completed" \
          --assigned_to "developer_2" \
          --revision_count 2
        SNAPSHOT=$(python3 "$DB_SCRIPT" --db "$DB_PATH" dashboard-snapshot \
          "bazinga_20250113_143530")
        echo "$SNAPSHOT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("GROUPS", d["task_group_counts"])'
        '''
    )
    ok(result)
    assert lines(result.out) == [
        initialised(db_path),
        f"✓ Session created: {SEED_SID}",
        f"✓ Logged developer interaction for session {SEED_SID} (iteration 2)",
        f"✓ Saved orchestrator state for session {SEED_SID}",
        "STATE={",
        '  "iteration": 2,',
        '  "phase": "development"',
        "}",
        f"✓ Task group created: group_a (Authentication) in session {SEED_SID} → in_progress",
        "✓ Updated task group: group_a → completed (assigned_to developer_2, revision_count 2)",
        "GROUPS {'total': 1, 'pending': 0, 'in_progress': 0, 'completed': 1, 'failed': 0}",
    ]
    group = store.get_task_groups(SEED_SID)[0]
    assert (group["status"], group["assigned_to"], group["revision_count"]) == ("completed", "developer_2", 2)
    assert store.get_session(SEED_SID)["mode"] == "parallel"


def test_seed_quick_reference_verbatim(seed_shell, store, db_path) -> None:  # type: ignore[no-untyped-def]
    store.create_task_group("group_a", "sess_qr", "Authentication")
    store.close()
    result = seed_shell(
        '''
        # Log interaction
        python3 "$DB_SCRIPT" --db "$DB_PATH" log-interaction "$SID" "pm" "$CONTENT" 1

        # Save PM state
        python3 "$DB_SCRIPT" --db "$DB_PATH" save-state "$SID" "pm" '{"iteration":1}'

        # Update task group
        python3 "$DB_SCRIPT" --db "$DB_PATH" update-task-group "group_a" --status "completed"

        # Dashboard snapshot
        python3 "$DB_SCRIPT" --db "$DB_PATH" dashboard-snapshot "$SID"
        ''',
        SID="sess_qr",
        CONTENT="Task breakdown created: 1 group (group_a)",
    )
    ok(result)
    out = lines(result.out)
    assert out[:3] == [
        "✓ Logged PM interaction for session sess_qr (iteration 1)",
        "✓ Saved PM state for session sess_qr",
        "✓ Updated task group: group_a → completed",
    ]
    snapshot = json.loads("\n".join(out[3:]))
    assert snapshot["session"]["session_id"] == "sess_qr"
    assert snapshot["states"] == {"pm": {"iteration": 1}}
    assert snapshot["task_group_counts"]["completed"] == 1
    assert [entry["content"] for entry in snapshot["recent_logs"]] == ["Task breakdown created: 1 group (group_a)"]


def test_seed_scenario_1_create_session_on_a_missing_database(seed_shell, db_path) -> None:  # type: ignore[no-untyped-def]
    assert not os.path.exists(db_path)
    result = ok(seed_shell(
        '''
        python3 "$DB_SCRIPT" --db "$DB_PATH" create-session \\
          "bazinga_20250113_143530" \\
          "simple" \\
          "Add user authentication with OAuth2 support"
        '''
    ))
    assert lines(result.out) == [initialised(db_path), f"✓ Session created: {SEED_SID}"]
    assert result.err == ""


def test_seed_scenario_2_log_pm_interaction(cli, db_path) -> None:  # type: ignore[no-untyped-def]
    ok(cli("create-session", "sess_abc123", "parallel", "Add OAuth2"))
    content = (
        "Task breakdown created: 3 groups (group_a, group_b, group_c). Group A will handle auth, "
        "Group B will handle API, Group C will handle UI components."
    )
    result = ok(cli("log-interaction", "sess_abc123", "pm", content, "1", "pm_main"))
    assert result.out == "✓ Logged PM interaction for session sess_abc123 (iteration 1)\n"
    logs = ok(cli("get-logs", "sess_abc123")).json()
    assert [(e["agent_type"], e["agent_id"], e["iteration"], e["content"]) for e in logs] == [
        ("pm", "pm_main", 1, content)
    ]


def test_seed_scenario_3_save_pm_state(cli) -> None:  # type: ignore[no-untyped-def]
    ok(cli("create-session", "sess_abc123", "parallel", "Add OAuth2"))
    state = {
        "iteration": 1,
        "mode": "parallel",
        "task_groups": [
            {"id": "group_a", "name": "Authentication", "status": "pending"},
            {"id": "group_b", "name": "API Backend", "status": "pending"},
            {"id": "group_c", "name": "UI Components", "status": "pending"},
        ],
        "completed_groups": [],
        "in_progress_groups": [],
        "pending_groups": ["group_a", "group_b", "group_c"],
    }
    result = ok(cli("save-state", "sess_abc123", "pm", json.dumps(state, indent=2)))
    assert result.out == "✓ Saved PM state for session sess_abc123\n"
    assert ok(cli("get-state", "sess_abc123", "pm")).json() == state


def test_seed_scenario_4_dashboard_snapshot(cli, store) -> None:  # type: ignore[no-untyped-def]
    store.create_session("sess_abc123", "parallel", "Add OAuth2")
    for group, status in (("group_a", "completed"), ("group_b", "completed"), ("group_c", "in_progress")):
        store.create_task_group(group, "sess_abc123", group.upper(), status)
    for agent, tokens in (("pm", 12450), ("developer", 28340), ("tech_lead", 4440)):
        store.log_tokens("sess_abc123", agent, tokens)
    for number in range(15):
        store.log_interaction("sess_abc123", "developer", f"step {number}")
    store.close()
    snapshot = ok(cli("dashboard-snapshot", "sess_abc123")).json()
    assert snapshot["session"]["mode"] == "parallel"
    assert snapshot["session"]["status"] == "active"
    assert snapshot["task_group_counts"] == {
        "total": 3, "pending": 0, "in_progress": 1, "completed": 2, "failed": 0
    }
    assert snapshot["token_usage"] == {
        "total_tokens": 45230, "by_agent_type": {"developer": 28340, "pm": 12450, "tech_lead": 4440},
        "cost_usd": None,  # estimates without a model have no price
    }
    assert snapshot["log_count"] == 15


def test_seed_scenario_5_log_on_a_missing_database(cli, db_path) -> None:  # type: ignore[no-untyped-def]
    assert not os.path.exists(db_path)
    result = ok(cli("log-interaction", "sess_abc123", "pm", "Planning done", "1"))
    assert lines(result.out) == [
        initialised(db_path),
        auto_created("sess_abc123"),
        "✓ Logged PM interaction for session sess_abc123 (iteration 1)",
    ]
