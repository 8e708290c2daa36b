"""A whole orchestration, played through the real CLI in the order of the public orchestrator's
moments (reference/upstream-head-domain.md §3), on both backends.

Each moment is one helper: it makes the calls that moment's caller makes, in the original's
argument forms where our contract accepts them, and asserts what the next agent reads back.
Files the agents write (reasoning notes, event payloads, investigation state, context
packages) live in a temporary project folder (it holds a ``.git`` folder, so it is the
project root), and every call runs with that folder as its current directory.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import Result

SID = "bazinga_20260104_101500"
EARLIER = "bazinga_20260103_090000"  # a finished run of the same project, without a plan
PROJECT = "shop"
REQUIREMENTS = "Add OAuth2 login (backend first, then the login page)"
ARTIFACTS = f"bazinga/artifacts/{SID}"
REQUIRED = ["All tests pass", "Coverage >= 80%"]
OPTIONAL = "README documents the login flow"
PM_NOTES = "The user wants OAuth2 login.\nScope: backend now, page later.\n"
PHASES = [
    {"phase": 1, "name": "OAuth backend", "status": "in_progress",
     "description": "token issue and refresh", "requested_now": True},
    {"phase": 2, "name": "Login page", "status": "pending",
     "description": "the form and its errors", "requested_now": False},
]


class Run:
    """The CLI of one run: ``--json`` on every call, the project folder as cwd, and the
    checks every call shares (no traceback; a refusal is one JSON error document)."""

    def __init__(self, cli: Any, project: Path) -> None:
        self.cli = cli
        self.project = project

    def call(self, *args: str, as_json: bool = True) -> Result:
        result = self.cli(*(["--json"] if as_json else []), *args, cwd=str(self.project))
        assert "Traceback" not in result.err and "Traceback" not in result.out, (args, result)
        return result

    def ok(self, *args: str) -> Any:
        """A call that must succeed (every write does); its JSON answer."""
        result = self.call(*args)
        assert result.code == 0, (args, result)
        return result.json()

    def refused(self, *args: str) -> dict[str, Any]:
        """A call the store must refuse with exit 1; its error object."""
        result = self.call(*args)
        assert result.code == 1, (args, result)
        answer = result.json()
        assert answer["ok"] is False, answer
        return dict(answer["error"])

    def write(self, name: str, content: Any) -> str:
        """An agent writes a file under the session's artifacts; the path the CLI is given."""
        relative = f"{ARTIFACTS}/{name}"
        path = self.project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
        return relative

    def packages(self, group: str, agent: str, limit: int = 3) -> list[dict[str, Any]]:
        return list(self.ok("get-context-packages", SID, group, agent, str(limit)))

    def events(self, subtype: str, *limit: str) -> list[dict[str, Any]]:
        return list(self.ok("get-events", SID, subtype, *limit))


@pytest.fixture
def run(cli: Any, tmp_path: Path) -> Run:
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    return Run(cli, project)


# -- the moments, in a run's order -------------------------------------------------------------


def orchestrator_starts(run: Run) -> None:
    # an earlier run of this project finished without a plan (what the PM's orphan search finds)
    run.ok("create-session", EARLIER, "simple", "Fix the signup form")
    run.ok("update-session-status", EARLIER, "completed")
    session = run.ok("create-session", SID, "simple", REQUIREMENTS)
    assert (session["session_id"], session["status"]) == (SID, "active")


def orchestrator_resumes(run: Run) -> list[dict[str, Any]]:
    # Orchestrator resumes (orchestrator.md Step 4.5): no criteria means the PM must save them
    return list(run.ok("get-success-criteria", SID))


def orchestrator_spawns_pm(run: Run) -> None:
    # Orchestrator spawns PM (templates/orchestrator/pm_spawn_workflow.md)
    notes = run.write("pm_understanding.md", PM_NOTES)
    saved = run.ok("save-reasoning", SID, "global", "project_manager", "understanding",
                   "--content-file", notes, "--confidence", "high")
    assert (saved["agent_type"], saved["reasoning_phase"], saved["confidence_level"]) == (
        "project_manager", "understanding", "high")
    assert saved["group_id"] is None  # global: session-wide
    assert saved["content"] == PM_NOTES


def pm_first_action(run: Run) -> dict[str, Any]:
    # PM's first action (templates/pm_planning_steps.md Step 0): continue a plan if there is one
    plan = run.ok("get-development-plan", SID)
    if plan is not None:
        return dict(plan)
    # else an orphaned plan of another session; none here
    others = [s["session_id"] for s in run.ok("list-sessions") if s["session_id"] != SID]
    assert others == [EARLIER]
    assert [run.ok("get-development-plan", other) for other in others] == [None]
    # else a new plan, all 7 fields
    saved = run.ok("save-development-plan", SID, REQUIREMENTS, "Backend first; the page after review",
                   json.dumps(PHASES), "1", "2",
                   json.dumps({"plan_type": "user_provided_partial", "scope_requested": "Phase 1 only"}))
    assert saved["phases"] == PHASES and (saved["current_phase"], saved["total_phases"]) == (1, 2)
    return dict(saved)


def pm_plans(run: Run) -> None:
    # PM plans (pm_planning_steps.md, orchestrator.md): the definition of done, its decisions
    criteria: list[dict[str, Any]] = [{"criterion": text} for text in REQUIRED]
    criteria.append({"criterion": OPTIONAL, "required_for_completion": False})
    run.ok("save-success-criteria", SID, json.dumps(criteria))
    run.ok("save-reasoning", SID, "global", "project_manager", "decisions",
           "Two groups: the OAuth backend (group_a) and the login page (group_b)", "--confidence", "medium")
    run.ok("create-task-group", "group_a", SID, "OAuth backend", "in_progress", "developer")
    run.ok("create-task-group", "group_b", SID, "Login page", "pending", "developer")
    # what the next agents will be handed: one package per priority, a session-wide one, another group's
    handed = [
        ("group_a", "decisions", "decisions_jwt.md", "project_manager", ["developer"], "critical",
         "Tokens are JWTs signed with RS256"),
        ("global", "handoff", "conventions.md", "orchestrator", ["developer", "tech_lead"], "high",
         "Repository conventions"),
        ("group_a", "research", "research_oauth.md", "requirements_engineer", ["developer", "tech_lead"],
         "medium", "OAuth providers compared"),
        ("group_a", "research", "research_libraries.md", "requirements_engineer", ["developer"], "low",
         "Token libraries compared"),
        ("group_b", "handoff", "login_page.md", "project_manager", ["developer"], "high", "Login page sketch"),
    ]
    for group, kind, name, producer, consumers, priority, summary in handed:
        path = run.write(name, f"# {summary}\n")
        package = run.ok("save-context-package", SID, group, kind, path, producer, json.dumps(consumers),
                         priority, summary)
        assert (package["file_path"], package["priority"]) == (path, priority)


def after_pm_returns(run: Run) -> None:
    # After PM returns (orchestrator.md DB verification gates): criteria saved, groups created
    criteria = run.ok("get-success-criteria", SID)
    assert [(c["criterion"], c["status"], c["required_for_completion"]) for c in criteria] == [
        (REQUIRED[0], "pending", True), (REQUIRED[1], "pending", True), (OPTIONAL, "pending", False)]
    groups = run.ok("get-task-groups", SID)
    assert [(g["id"], g["status"]) for g in groups] == [("group_a", "in_progress"), ("group_b", "pending")]


def before_spawn(run: Run, group: str, agent: str, limit: int = 3) -> list[dict[str, Any]]:
    # Before each spawn (context-assembler, prompt-builder skills): unread packages, reasoning so far
    packages = run.packages(group, agent, limit)
    assert all(p["group_id"] in (group, None) for p in packages)  # the group's and session-wide ones
    reasoning = run.ok("get-reasoning", SID)
    assert reasoning and [r["id"] for r in reasoning] == sorted((r["id"] for r in reasoning), reverse=True)
    return packages


def agent_reads_packages(run: Run, packages: list[dict[str, Any]], agent: str) -> None:
    # Agent read its packages (developer, SSE, QA, TL Step 0): `mark-context-consumed {id} {agent} 1`
    for package in packages:
        marked = run.ok("mark-context-consumed", str(package["id"]), agent, "1")
        assert (marked["package_id"], marked["newly_consumed"]) == (package["id"], True)


def agent_reasons(run: Run, group: str, agent: str, phase: str, text: str, *extra: str) -> dict[str, Any]:
    # Every agent run (agents/*.md): understanding at the start, completion at the end
    notes = run.write(f"{agent}_{group}_{phase}.md", text)
    saved = run.ok("save-reasoning", SID, group, agent, phase, "--content-file", notes, *extra)
    assert (saved["group_id"], saved["agent_type"], saved["reasoning_phase"], saved["content"]) == (
        group, agent, phase, text)
    return dict(saved)


def ready_for_qa(run: Run, group: str, agent: str) -> dict[str, Any]:
    # Developer says READY_FOR_QA (phase_simple.md 2A.3): incomplete reasoning means a respawn
    result = run.call("check-mandatory-phases", SID, group, agent)
    return {"code": result.code, **result.json()}


def tl_reviews(run: Run, group: str, iteration: int, verdict: str, issues: list[str]) -> None:
    # TL requests changes / approves (workflow_routing_reference.md): typed events from files
    key = f"{SID}|{group}|{{}}|{iteration}"
    if issues:
        payload = run.write(f"tl_issues_{group}_{iteration}.json", {"issues": issues, "iteration": iteration})
        first = run.ok("save-event", SID, "tl_issues", "--payload-file", payload,
                       "--idempotency-key", key.format("tl_issues"), "--group-id", group)
        again = run.ok("save-event", SID, "tl_issues", "--payload-file", payload,
                       "--idempotency-key", key.format("tl_issues"), "--group-id", group)
        assert again["id"] == first["id"]  # a retried call stores nothing new
    verdict_file = run.write(f"tl_verdict_{group}_{iteration}.json", {"verdict": verdict, "iteration": iteration})
    run.ok("save-event", SID, "tl_verdicts", "--payload-file", verdict_file,
           "--idempotency-key", key.format("tl_verdicts"), "--group-id", group)
    run.ok("update-task-group", group, "--session-id", SID, "--last-review-status", verdict,
           *(["--increment-revision"] if issues else ["--status", "completed"]))


def investigation_iteration(run: Run, group: str, number: int, status: str, state: Any, finding: Any) -> None:
    # Investigation iteration (templates/investigation_loop.md): state and event in one transaction
    state_file = run.write(f"investigation_{group}_state_{number}.json", state)
    event_file = run.write(f"investigation_{group}_event_{number}.json", finding)
    saved = run.ok("save-investigation-iteration", SID, group, str(number), status,
                   "--state-file", state_file, "--event-file", event_file)
    assert (saved["iteration"], saved["status"], saved["idempotent"]) == (number, status, False)
    assert saved["state"]["state_data"] == state and saved["event"]["event_payload"]["status"] == status


def pm_before_bazinga(run: Run, updates: dict[str, tuple[str, str, str]]) -> list[dict[str, Any]]:
    # PM before BAZINGA (pm_bazinga_validation.md): criteria with evidence, the plan, then BAZINGA
    assert run.ok("get-success-criteria", SID)
    for criterion, (status, actual, evidence) in updates.items():
        updated = run.ok("update-success-criterion", SID, criterion, "--status", status,
                         "--actual", actual, "--evidence", evidence)
        assert (updated["status"], updated["actual"], updated["evidence"]) == (status, actual, evidence)
    assert run.ok("get-development-plan", SID)["metadata"]["scope_requested"] == "Phase 1 only"
    criteria = list(run.ok("get-success-criteria", SID))
    run.ok("save-event", SID, "pm_bazinga", json.dumps(
        {"status": "BAZINGA", "criteria": {c["criterion"]: c["status"] for c in criteria}}))
    return criteria


def validator(run: Run) -> str:
    # Validator (bazinga-validator SKILL): the newest BAZINGA claim and scope change, then a verdict
    [claim] = run.events("pm_bazinga", "1")
    [scope] = run.events("scope_change", "1")
    assert scope["event_payload"]["to"] == "OAuth backend only"
    unmet = sorted(name for name, status in claim["event_payload"]["criteria"].items()
                   if status != "met" and name in REQUIRED)
    verdict = "REJECT" if unmet else "ACCEPT"
    run.ok("save-event", SID, "validator_verdict", json.dumps(
        {"verdict": verdict, "reason": f"unmet: {unmet}" if unmet else "every required criterion met",
         "scope_check": "pass"}))
    return verdict


def shutdown_gate(run: Run) -> Result:
    # Shutdown gate (shutdown_protocol.md): the newest verdict must be ACCEPT, then complete the session
    [latest] = run.events("validator_verdict", "1")
    assert latest["event_payload"]["verdict"] in ("ACCEPT", "REJECT")
    return run.call("complete-session", SID)


# -- the run -----------------------------------------------------------------------------------


def plan_the_run(run: Run) -> None:
    """Everything up to the first spawn of a developer."""
    orchestrator_starts(run)
    assert orchestrator_resumes(run) == []  # nothing yet: the PM must define done
    orchestrator_spawns_pm(run)
    plan = pm_first_action(run)
    pm_plans(run)
    after_pm_returns(run)
    # the orchestrator restarts here: the PM's first action finds the plan and continues it
    assert orchestrator_resumes(run) != []
    orchestrator_spawns_pm(run)
    resumed = pm_first_action(run)
    assert (resumed["id"], resumed["phases"], resumed["metadata"]) == (plan["id"], PHASES, plan["metadata"])


def test_a_whole_run_moment_by_moment(run: Run) -> None:
    plan_the_run(run)

    # Developer, group_a, iteration 1: handed the three most urgent packages, by priority
    handed = before_spawn(run, "group_a", "developer")
    assert [(p["priority"], p["summary"]) for p in handed] == [
        ("critical", "Tokens are JWTs signed with RS256"), ("high", "Repository conventions"),
        ("medium", "OAuth providers compared")]
    everything = run.packages("group_a", "developer", 10)
    assert [p["priority"] for p in everything] == ["critical", "high", "medium", "low"]  # not group_b's
    agent_reasons(run, "group_a", "developer", "understanding", "JWT access tokens, refresh in middleware",
                  "--confidence", "high", "--references", '["src/auth/jwt.py"]', "--iteration", "1")
    agent_reads_packages(run, handed, "developer")
    # read packages drop out of the developer's list, and only of the developer's
    assert [p["summary"] for p in run.packages("group_a", "developer")] == ["Token libraries compared"]
    assert [p["summary"] for p in run.packages("group_a", "tech_lead")] == [
        "Repository conventions", "OAuth providers compared"]
    again = run.ok("mark-context-consumed", str(handed[0]["id"]), "developer", "1")
    assert again["newly_consumed"] is False

    # READY_FOR_QA too early: the completion entry is missing
    early = ready_for_qa(run, "group_a", "developer")
    assert (early["complete"], early["missing"]) == (False, ["completion"])
    agent_reasons(run, "group_a", "developer", "approach", "Refresh tokens rotate on every use")
    agent_reasons(run, "group_a", "developer", "completion", "Login and refresh done; 12 tests added",
                  "--confidence", "high")
    done = ready_for_qa(run, "group_a", "developer")
    assert (done["code"], done["complete"], done["missing"]) == (0, True, [])

    # TL requests changes
    agent_reasons(run, "group_a", "tech_lead", "understanding", "Review of the token refresh")
    tl_reviews(run, "group_a", 1, "CHANGES_REQUESTED", ["refresh races with logout"])
    assert len(run.events("tl_issues")) == 1
    assert [e["event_payload"]["verdict"] for e in run.events("tl_verdicts")] == ["CHANGES_REQUESTED"]
    issues_file = run.write("tl_issue_responses_group_a_1.json", {"responses": ["investigating"]})
    run.ok("save-event", SID, "tl_issue_responses", "--payload-file", issues_file,
           "--idempotency-key", f"{SID}|group_a|tl_issue_responses|1", "--group-id", "group_a")
    group_a = next(g for g in run.ok("get-task-groups", SID) if g["id"] == "group_a")
    assert (group_a["last_review_status"], group_a["revision_count"]) == ("CHANGES_REQUESTED", 1)

    # Investigation: two iterations, then the root cause handed to the developer and the SSE
    first_state = {"hypotheses": ["clock skew", "refresh races logout"], "eliminated": []}
    investigation_iteration(run, "group_a", 1, "hypothesis_eliminated", first_state,
                            {"finding": "clocks agree within 5 ms"})
    root_state = {"hypotheses": ["refresh races logout"], "eliminated": ["clock skew"],
                  "root_cause": "refresh races logout"}
    investigation_iteration(run, "group_a", 2, "root_cause_found", root_state,
                            {"finding": "logout does not revoke an in-flight refresh"})
    root = run.write("investigation_group_a.md", "# Root cause\nlogout does not revoke an in-flight refresh\n")
    run.ok("save-context-package", SID, "group_a", "investigation", root, "investigator",
           '["developer", "senior_software_engineer"]', "high", "Root cause: refresh races logout")
    assert run.ok("get-state", SID, "investigation", "--group-id", "group_a") == root_state

    # Investigator looks back
    steps = run.events("investigation_iteration")
    assert [(e["event_payload"]["status"], e["group_id"]) for e in steps] == [
        ("root_cause_found", "group_a"), ("hypothesis_eliminated", "group_a")]
    timeline = run.call("reasoning-timeline", SID, "--group-id", "group_a", "--format", "markdown", as_json=False)
    assert timeline.code == 0 and "## Group: group_a" in timeline.out
    assert timeline.out.index("JWT access tokens") < timeline.out.index("Login and refresh done")

    # Developer, iteration 2: the root cause comes first; the read ones stay read
    handed = before_spawn(run, "group_a", "developer")
    assert [p["summary"] for p in handed] == ["Root cause: refresh races logout", "Token libraries compared"]
    agent_reads_packages(run, handed, "developer")
    assert run.packages("group_a", "developer") == []
    assert [p["summary"] for p in run.packages("group_a", "senior_software_engineer")] == [
        "Root cause: refresh races logout"]
    agent_reasons(run, "group_a", "developer", "understanding", "Revoke refresh tokens on logout",
                  "--iteration", "2")
    agent_reasons(run, "group_a", "developer", "completion", "Logout revokes in-flight refreshes; test added",
                  "--iteration", "2", "--confidence", "high")
    assert ready_for_qa(run, "group_a", "developer")["complete"] is True

    # Meanwhile group_b's developer reasons too (never approved in this run)
    agent_reasons(run, "group_b", "developer", "understanding", "A login form with inline errors")
    agent_reasons(run, "group_b", "developer", "decisions", "Show the login form in a modal dialog")

    # TL approves group_a: its reasoning, and only its, becomes the project's strategies
    agent_reasons(run, "group_a", "tech_lead", "decisions", "Keep token refresh in one middleware")
    agent_reasons(run, "group_a", "tech_lead", "completion", "Approved after the revocation fix")
    tl_reviews(run, "group_a", 2, "APPROVED", [])
    assert [e["event_payload"]["verdict"] for e in run.events("tl_verdicts")] == ["APPROVED", "CHANGES_REQUESTED"]
    extracted = run.ok("extract-strategies", SID, "group_a", PROJECT)
    assert extracted["groups"] == ["group_a"] and extracted["extracted"] >= 1
    not_approved = run.refused("extract-strategies", SID, "group_b", PROJECT)
    assert not_approved["code"] == "group_not_approved"
    strategies = run.ok("get-strategies", PROJECT, "--limit", "50")
    group_a_texts = {r["content"] for r in run.ok("get-reasoning", SID, "group_a")}
    group_b_texts = {r["content"] for r in run.ok("get-reasoning", SID, "group_b")}
    assert strategies and all(s["insight"] in group_a_texts for s in strategies), strategies
    assert not any(s["insight"] in group_b_texts for s in strategies)
    assert {s["topic"] for s in strategies} <= {"implementation", "architecture", "methodology"}

    # User narrows scope (response_parsing.md)
    run.ok("save-event", SID, "scope_change", json.dumps(
        {"from": REQUIREMENTS, "to": "OAuth backend only", "requested_by": "user"}))

    # PM before BAZINGA, first try: coverage is short
    run.ok("update-plan-progress", SID, "1", "completed")
    criteria = pm_before_bazinga(run, {
        REQUIRED[0]: ("met", "412 passed", "pytest -q: 412 passed"),
        REQUIRED[1]: ("blocked", "74%", "coverage report: 74%"),
    })
    assert [c["status"] for c in criteria] == ["met", "blocked", "pending"]
    assert validator(run) == "REJECT"
    refused = shutdown_gate(run)
    assert refused.code == 1, refused
    error = refused.json()["error"]
    assert error["code"] == "criteria_unmet" and "Coverage >= 80% (blocked)" in error["message"]
    assert OPTIONAL not in error["message"] and REQUIRED[0] not in error["message"]
    assert run.ok("get-session", SID)["status"] == "active"

    # PM before BAZINGA, second try: every required criterion met (the optional one may stay pending)
    criteria = pm_before_bazinga(run, {REQUIRED[1]: ("met", "86%", "coverage report: 86%")})
    assert [c["status"] for c in criteria] == ["met", "met", "pending"]
    assert validator(run) == "ACCEPT"
    [verdict] = run.events("validator_verdict", "1")  # limit 1: the newest of the two
    assert verdict["event_payload"]["verdict"] == "ACCEPT"
    assert len(run.events("validator_verdict")) == 2
    completed = shutdown_gate(run)
    assert completed.code == 0, completed
    assert completed.json()["status"] == "completed"
    assert run.ok("get-session", SID)["status"] == "completed"

    # What the dashboard shows at the end
    snapshot = run.ok("dashboard-snapshot", SID)
    assert snapshot["session"]["status"] == "completed"
    assert [(c["criterion"], c["status"]) for c in snapshot["success_criteria"]] == [
        (REQUIRED[0], "met"), (REQUIRED[1], "met"), (OPTIONAL, "pending")]
    progress = snapshot["plan_progress"]
    assert (progress["total_phases"], progress["phases_completed"]) == (2, 1)
    assert [(p["name"], p["status"]) for p in progress["phases"]] == [
        ("OAuth backend", "completed"), ("Login page", "pending")]
    latest = snapshot["latest_reasoning"]
    assert {agent: (entry["reasoning_phase"], entry["content"]) for agent, entry in latest.items()} == {
        "project_manager": ("understanding", PM_NOTES),  # written again when the PM was respawned
        "developer": ("decisions", "Show the login form in a modal dialog"),
        "tech_lead": ("completion", "Approved after the revocation fix"),
    }


def test_ready_for_qa_exits_1_until_understanding_and_completion(run: Run) -> None:
    """The orchestrator's READY_FOR_QA gate reads the exit code, as the public project's
    check-mandatory-phases gives it: 1 while understanding or completion is missing."""
    plan_the_run(run)
    agent_reasons(run, "group_a", "developer", "understanding", "JWT access tokens, refresh in middleware")
    early = ready_for_qa(run, "group_a", "developer")
    assert (early["complete"], early["missing"]) == (False, ["completion"])
    assert early["code"] == 1, early
    agent_reasons(run, "group_a", "developer", "completion", "Login and refresh done; 12 tests added")
    done = ready_for_qa(run, "group_a", "developer")
    assert (done["code"], done["complete"]) == (0, True)


def test_a_package_read_in_a_later_iteration_drops_out(run: Run) -> None:
    """Before a spawn the context assembler marks what it handed over with the agent's
    iteration (`mark-context-consumed <id> <agent> <iteration>`). A package saved while the
    developer is in iteration 2 (the investigator's root cause) must then drop out of the
    developer's unread list, as the original's mark does (it marks the pending row)."""
    plan_the_run(run)
    agent_reads_packages(run, run.packages("group_a", "developer", 10), "developer")  # iteration 1
    root = run.write("investigation_group_a.md", "# Root cause\nlogout does not revoke an in-flight refresh\n")
    package = run.ok("save-context-package", SID, "group_a", "investigation", root, "investigator",
                     '["developer", "senior_software_engineer"]', "high", "Root cause: refresh races logout")
    [handed] = before_spawn(run, "group_a", "developer")
    assert handed["id"] == package["id"]
    marked = run.ok("mark-context-consumed", str(handed["id"]), "developer", "2")
    assert marked["newly_consumed"] is True
    assert run.packages("group_a", "developer") == [], "a package read in iteration 2 is handed over again"
