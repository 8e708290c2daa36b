"""The same command sequence prints the same bytes on SQLite and PostgreSQL (timestamps aside)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from bazinga_db import operations
from bazinga_db.frontends.cli import main

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
