"""The workflow records of a run: success criteria and the completion gate, the development
plan, typed events and the investigation loop, and agents' reasoning — on both backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SID = "sess_flow"


def criteria(cli, *items: object) -> None:  # type: ignore[no-untyped-def]
    assert cli("save-success-criteria", SID, json.dumps(list(items))).code == 0


# -- success criteria and the completion gate ------------------------------------------------


def test_criteria_are_saved_read_and_updated(cli) -> None:  # type: ignore[no-untyped-def]
    saved = cli("--json", "save-success-criteria", SID, json.dumps(
        ["All tests pass", {"criterion": "Coverage >= 80%", "required_for_completion": False, "actual": "71%"}]))
    assert saved.code == 0, saved
    rows = cli("--json", "get-success-criteria", SID).json()
    assert [(r["criterion"], r["status"], r["required_for_completion"], r["actual"]) for r in rows] == [
        ("All tests pass", "pending", True, None), ("Coverage >= 80%", "pending", False, "71%")]
    # the skill documents `update-success-criterion <sid> <text> <status> [notes]`; the script --status
    assert cli("update-success-criterion", SID, "All tests pass", "met", "412 passed").code == 0
    assert cli("update-success-criterion", SID, "Coverage >= 80%", "--status", "blocked", "--actual", "79%").code == 0
    rows = cli("--json", "get-success-criteria", SID).json()
    assert [(r["status"], r["evidence"], r["actual"]) for r in rows] == [
        ("met", "412 passed", None), ("blocked", None, "79%")]
    # saving again replaces the list
    criteria(cli, "Only this")
    assert [r["criterion"] for r in cli("--json", "get-success-criteria", SID).json()] == ["Only this"]


def test_an_unknown_criterion_is_an_error_not_a_warning(cli) -> None:  # type: ignore[no-untyped-def]
    criteria(cli, "All tests pass")
    result = cli("--json", "update-success-criterion", SID, "All test pass", "met")
    assert result.code == 1 and result.json()["error"]["code"] == "not_found"
    assert "All tests pass" in result.err  # the hint lists the real ones


@pytest.mark.parametrize("bad", ['"text"', "[]", '[""]', '[{"criterion": "x", "status": "done"}]',
                                 '[{"criterion": "x", "owner": "pm"}]', '["a", "a"]',
                                 '[{"criterion": "x", "required_for_completion": "yes"}]', "{not json"])
def test_bad_criteria_change_nothing(cli, bad: str) -> None:  # type: ignore[no-untyped-def]
    criteria(cli, "Kept")
    result = cli("save-success-criteria", SID, bad)
    assert result.code == 2, result
    assert "Traceback" not in result.err
    assert [r["criterion"] for r in cli("--json", "get-success-criteria", SID).json()] == ["Kept"]


def test_the_completion_gate(cli) -> None:  # type: ignore[no-untyped-def]
    criteria(cli, "All tests pass", {"criterion": "Docs updated", "required_for_completion": False})
    for command in (["update-session-status", SID, "completed"], ["complete-session", SID],
                    ["update-session", SID, "--status", "completed"]):
        refused = cli("--json", *command)
        assert refused.code == 1, refused
        error = refused.json()["error"]
        assert error["code"] == "criteria_unmet" and "All tests pass (pending)" in error["message"]
        assert "Docs updated" not in error["message"]  # not required
    assert cli("--json", "get-session", SID).json()["status"] == "active"
    assert cli("complete-session", SID, "--force").code == 2  # a reason is required
    forced = cli("complete-session", SID, "--force", "--reason", "user accepted the risk")
    assert forced.code == 0 and "forced" in forced.out
    decision = cli("--json", "get-decisions", SID, "completion_override").json()
    assert [d["decision_data"] for d in decision] == [
        {"reason": "user accepted the risk", "unmet_criteria": ["All tests pass"]}]
    assert cli("--json", "get-session", SID).json()["status"] == "completed"


def test_met_criteria_open_the_gate_and_failing_a_session_needs_none(cli) -> None:  # type: ignore[no-untyped-def]
    criteria(cli, "All tests pass")
    assert cli("update-session-status", SID, "failed").code == 0  # only "completed" is gated
    assert cli("update-session-status", SID, "active").code == 0
    assert cli("update-success-criterion", SID, "All tests pass", "met").code == 0
    done = cli("complete-session", SID)
    assert done.code == 0 and "forced" not in done.out
    assert cli("--json", "get-decisions", SID).json() == []
    assert cli("update-session-status", "no_criteria", "active").code == 1  # unknown session
    assert cli("create-session", "plain").code == 0
    assert cli("update-session-status", "plain", "completed").code == 0  # no criteria, no gate


# -- development plans ----------------------------------------------------------------------


def test_the_plan_is_saved_resumed_and_progressed(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("--json", "get-development-plan", "nobody").code == 1
    assert cli("create-session", SID).code == 0
    assert cli("get-development-plan", SID).out.strip() == "null"
    phases = [{"phase": 1, "name": "Auth", "status": "pending"}, {"phase": 2, "name": "Billing UI"}]
    saved = cli("save-development-plan", SID, "Add OAuth2 and billing", "Auth first, then the UI",
                json.dumps(phases), "1", "2", '{"plan_type": "user_provided_partial"}')
    assert saved.code == 0, saved
    assert cli("update-plan-progress", SID, "1", "in_progress", "40").code == 0
    assert cli("update-plan-progress", SID, "billing ui", "completed").code == 0
    plan = cli("--json", "get-development-plan", SID).json()
    assert plan["metadata"] == {"plan_type": "user_provided_partial"}
    assert [(p["name"], p["status"], p.get("progress_percent")) for p in plan["phases"]] == [
        ("Auth", "in_progress", 40), ("Billing UI", "completed", 100)]
    assert plan["current_phase"] == 2 and plan["total_phases"] == 2 and "completed_at" in plan["phases"][1]
    # one plan per session: saving again replaces it
    assert cli("save-development-plan", SID, "p", "t", '["only"]').code == 0
    again = cli("--json", "get-development-plan", SID).json()
    assert again["id"] == plan["id"] and [p["name"] for p in again["phases"]] == ["only"]
    missing = cli("update-plan-progress", SID, "7", "completed")
    assert missing.code == 1 and "no phase" in missing.err
    assert cli("update-plan-progress", SID, "1", "finished").code == 2


def test_the_documented_one_json_plan_form_is_refused_with_the_right_form(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("save-development-plan", SID, '{"phases": []}')
    assert result.code == 2 and "usage: bazinga-db save-development-plan" in result.err


# -- events ---------------------------------------------------------------------------------


def test_events_newest_first_with_types_groups_and_keys(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for number in range(3):  # the same millisecond or not: order is by id
        assert cli("save-event", SID, "tl_verdicts", json.dumps({"n": number}), "--group-id", "group_a").code == 0
    assert cli("save-event", SID, "scope_change", '{"narrowed": true}').code == 0
    payload = tmp_path / "verdict.json"
    payload.write_text('{"verdict": "ACCEPT", "reason": "all criteria met"}', encoding="utf-8")
    first = cli("--json", "save-event", SID, "validator_verdict", "--payload-file", str(payload),
                "--idempotency-key", "verdict-1").json()
    again = cli("--json", "save-event", SID, "validator_verdict", "--payload-file", str(payload),
                "--idempotency-key", "verdict-1").json()
    assert again["id"] == first["id"]
    newest = cli("--json", "get-events", SID, "tl_verdicts", "1").json()
    assert [e["event_payload"] for e in newest] == [{"n": 2}]
    assert len(cli("--json", "get-events", SID).json()) == 5
    assert [e["event_subtype"] for e in cli("--json", "get-events", SID, "--group-id", "global").json()] == [
        "validator_verdict", "scope_change"]
    assert cli("--json", "get-events", SID, "validator_verdict", "1").json()[0]["event_payload"]["verdict"] == "ACCEPT"
    assert cli("save-event", SID, "x", "{not json").code == 2
    assert cli("save-event", SID, "x").code == 2  # no payload at all


def test_an_investigation_iteration_is_one_transaction(cli) -> None:  # type: ignore[no-untyped-def]
    args = [SID, "group_b", "1", "root_cause_found", "--state", '{"hypotheses": ["race"]}',
            "--event", '{"finding": "a race in the cache"}']
    assert cli("save-investigation-iteration", *args).code == 0
    replay = cli("--json", "save-investigation-iteration", *args).json()
    assert replay["idempotent"] is True and replay["state"] is None
    events = cli("--json", "get-events", SID, "investigation_iteration").json()
    assert len(events) == 1 and events[0]["event_payload"]["status"] == "root_cause_found"
    assert cli("--json", "get-state", SID, "investigation", "--group-id", "group_b").json() == {"hypotheses": ["race"]}
    assert cli("save-investigation-iteration", SID, "global", "1", "blocked", "--state", "{}", "--event", "{}").code == 2
    assert cli("save-investigation-iteration", SID, "group_b", "21", "blocked", "--state", "{}", "--event", "{}").code == 2
    assert cli("save-investigation-iteration", SID, "group_b", "2", "stuck", "--state", "{}", "--event", "{}").code == 2


# -- reasoning ------------------------------------------------------------------------------


def test_reasoning_phases_timeline_and_mandatory_check(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    notes = tmp_path / "pm_understanding.md"
    notes.write_text("The user wants OAuth2 with Google.\nScope: login only.", encoding="utf-8")
    # the orchestrator's PM spawn step, as the public project's template writes it
    assert cli("save-reasoning", SID, "global", "pm", "understanding", "--content-file", str(notes),
               "--confidence", "high").code == 0
    assert cli("save-reasoning", SID, "group_a", "developer", "understanding", "JWT, not server sessions",
               "--agent-id", "developer_1", "--references", '["src/auth.py"]').code == 0
    check = cli("--json", "check-mandatory-phases", SID, "group_a", "developer")
    # a gate: exit 1 while incomplete (the public project's rule), the answer still on stdout
    assert check.code == 1 and check.json()["complete"] is False and check.json()["missing"] == ["completion"]
    assert cli("save-reasoning", SID, "group_a", "developer", "completion", "-", "--content-file", "-").code == 2
    assert cli("save-reasoning", SID, "group_a", "developer", "completion", "--content-file", "-",
               input="Done: 12 tests added").code == 0
    assert cli("--json", "check-mandatory-phases", SID, "group_a", "developer").json()["complete"] is True
    entries = cli("--json", "get-reasoning", SID, "group_a", "developer").json()
    assert [e["reasoning_phase"] for e in entries] == ["completion", "understanding"]  # newest first
    assert entries[1]["references_json"] == ["src/auth.py"] and entries[1]["log_type"] == "reasoning"
    assert [e["agent_type"] for e in cli("--json", "get-reasoning", SID, "--phase", "understanding").json()] == [
        "developer", "pm"]
    timeline = cli("reasoning-timeline", SID, "--format", "markdown")
    assert timeline.code == 0 and timeline.out.startswith("# Reasoning timeline: sess_flow")
    assert "## Group: session-wide" in timeline.out and "## Group: group_a" in timeline.out
    assert [e["reasoning_phase"] for e in cli("--json", "reasoning-timeline", SID).json()] == [
        "understanding", "understanding", "completion"]
    # reasoning is part of the log stream
    assert "JWT, not server sessions" in cli("stream-logs", SID).out


@pytest.mark.parametrize("args", [
    ["group_a", "developer", "musing", "x"],                       # not a phase
    ["group_a", "developer", "approach", "x", "--confidence", "85"],  # the documented number form
    ["group_a", "developer", "approach"],                          # no content
    ["group_a", "developer", "approach", "x", "--references", '"src/a.py"'],
    ["group_a", "developer", "approach", "x", "--tokens", "300"],
])
def test_bad_reasoning_is_refused(cli, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    result = cli("save-reasoning", SID, *args)
    assert result.code == 2, result
    assert "Traceback" not in result.err
    assert cli("get-reasoning", SID).code == 1  # nothing written: not even the session


def test_secrets_in_reasoning_and_event_payloads_are_redacted(cli) -> None:  # type: ignore[no-untyped-def]
    secret = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    assert cli("save-reasoning", SID, "global", "qa", "risks", f"token {secret} leaked in CI").code == 0
    assert cli("save-event", SID, "tl_issues", json.dumps({"note": f"use {secret}"})).code == 0
    stored = json.dumps([cli("--json", "get-reasoning", SID).json(), cli("--json", "get-events", SID).json()])
    assert secret not in stored and "[REDACTED:" in stored


# -- skill evidence ---------------------------------------------------------------------------


def test_skill_outputs_all_and_the_evidence_check(cli, store) -> None:  # type: ignore[no-untyped-def]
    store.save_skill_output(SID, "lint", {"errors": 1}, agent_type="developer", iteration=1)
    store.save_skill_output(SID, "lint", {"errors": 0}, agent_type="developer", iteration=2)
    store.save_skill_output(SID, "coverage", {"line": 81.5}, agent_type="qa")
    everything = cli("--json", "get-skill-output-all", SID).json()
    assert [(o["skill_name"], o["iteration"]) for o in everything] == [("coverage", None), ("lint", 2), ("lint", 1)]
    assert [o["output_data"] for o in cli("--json", "get-skill-output-all", SID, "lint").json()] == [
        {"errors": 0}, {"errors": 1}]
    assert cli("--json", "get-skill-output-all", SID, "--agent", "qa").json()[0]["skill_name"] == "coverage"
    check = cli("--json", "check-skill-evidence", SID, "lint,coverage,security_scan").json()
    assert check["complete"] is False and check["missing"] == ["security_scan"]
    assert sorted(check["found"]) == ["coverage", "lint"] and check["recency_window_minutes"] == 30
    assert cli("--json", "check-skill-evidence", SID, "lint", "--agent", "qa").json()["missing"] == ["lint"]
    # an output older than the window does not count; the documented --within-minutes works too
    from datetime import datetime, timedelta, timezone

    two_hours_ago = (datetime.now(timezone.utc) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    with store.write(SID) as tx:
        tx.execute("UPDATE skill_outputs SET timestamp = ? WHERE skill_name = ?", (two_hours_ago, "coverage"))
    assert cli("--json", "check-skill-evidence", SID, "coverage").json()["missing"] == ["coverage"]
    assert cli("--json", "check-skill-evidence", SID, "coverage", "--within-minutes", "180").json()["complete"]
    for bad in (["check-skill-evidence", SID, ","], ["check-skill-evidence", SID, "lint", "--since", "0"],
                ["check-skill-evidence", SID, "Lint Tool!"], ["get-skill-output-all", SID, "--agent", "9x"]):
        result = cli(*bad)
        assert result.code == 2 and "Traceback" not in result.err, (bad, result)
    assert cli("--json", "get-skill-output-all", "nobody").json()["error"]["code"] == "session_not_found"


def test_integrity_check_is_doctor(cli, db_path: str) -> None:  # type: ignore[no-untyped-def]
    assert cli("log-interaction", SID, "pm", "hello").code == 0
    doctor, check = cli("--json", "doctor"), cli("--json", "integrity-check")
    assert doctor.code == check.code == 0
    assert doctor.json() == check.json() and check.json()["ok"] is True
