#!/usr/bin/env bash
# A short, realistic orchestration played through the CLI, the way agents call it:
# a PM plans three task groups with a development plan and success criteria, three
# developers work in parallel processes and record their reasoning, QA and the tech lead
# review (one group needs a revision: the tech lead hands the developer a context package,
# the developer records the error it hit as a pattern for the project), skills report,
# tokens are counted, strategies are drawn from the approved work, the validator gives its
# verdict and the session ends through the completion gate.
# Agents report estimates with log-tokens; Claude Code's hooks (`bazinga-db hook`, fed
# here with a generated transcript) record what the orchestrator and the developers
# actually spent, which then replaces their estimates in the summary.
# Then the dashboard snapshot shows the whole session.
#
#   DEMO_DB=path.db   where to write (default demo-run/bazinga.db, recreated each run)
#   DEMO_DELAY=0.5    seconds between steps, to follow the run live in the dashboard
set -euo pipefail

DB="${DEMO_DB:-demo-run/bazinga.db}"
DELAY="${DEMO_DELAY:-0}"
if [ -z "${DEMO_DB:-}" ]; then rm -f "$DB" "$DB-wal" "$DB-shm"; fi
SID="bazinga_$(date -u +%Y%m%d_%H%M%S)"

db() { bazinga-db --db "$DB" "$@"; }
# A Claude Code transcript as Claude Code would write it during this run (its subagents'
# ids are the names the developers log with, so their measured usage replaces their estimates).
TRANSCRIPTS="$(dirname "$DB")/claude-transcripts-$SID"
MAIN=$(python3 "$(dirname "$0")/make_transcript.py" "$TRANSCRIPTS" \
  --subagent developer:developer_1 --subagent developer:developer_2 --subagent developer:developer_3)
hook() {  # one hook event, as Claude Code sends it: JSON on stdin, `{}` back
  BAZINGA_SESSION="$SID" bazinga-db --db "$DB" hook <<< "$1" >/dev/null
}
step() { printf '\n== %s\n' "$*"; sleep "$DELAY"; }
# Files agents hand to each other live in the project; here the demo's folder is the project.
PROJECT="$(dirname "$DB")"
ARTIFACTS="artifacts/$SID"
mkdir -p "$PROJECT/$ARTIFACTS"

step "Orchestrator opens the session"
db create-session "$SID" parallel "Add user authentication with OAuth2 support, an API backend and UI components"
db log-interaction "$SID" orchestrator "Session started; spawning the project manager for a task breakdown" 1 orchestrator

step "PM plans: its understanding, a development plan, success criteria, task groups"
db save-reasoning "$SID" global pm understanding "OAuth2 login with an API backend and UI; three independent parts" --confidence high
db get-development-plan "$SID"   # null: nothing to resume, so the PM plans
db save-development-plan "$SID" "Add user authentication with OAuth2 support" \
  "Auth, API and UI in parallel, then review" \
  '[{"phase": 1, "name": "Build"}, {"phase": 2, "name": "Review"}]' 1 2
db save-success-criteria "$SID" '["All tests pass", "Coverage >= 80%", {"criterion": "Docs updated", "required_for_completion": false}]'
db log-interaction "$SID" pm "Task breakdown created: 3 groups (group_a auth, group_b API, group_c UI)" 1 pm_main
db create-task-group group_a "$SID" "Authentication (OAuth2)" pending developer_1
db create-task-group group_b "$SID" "API backend" pending developer_2
db create-task-group group_c "$SID" "UI components" pending developer_3
db save-state "$SID" pm '{"iteration": 1, "mode": "parallel", "pending_groups": ["group_a", "group_b", "group_c"], "completed_groups": []}'
db log-decision "$SID" spawn_developers '{"count": 3, "reason": "three independent groups"}' 1
db log-tokens "$SID" pm 12450 pm_main

step "Three developers work in parallel (separate processes)"
develop() {
  local n=$1 group=$2 lesson=$3
  hook "{\"hook_event_name\": \"SubagentStart\", \"transcript_path\": \"$MAIN\", \"agent_type\": \"developer\", \"agent_id\": \"developer_$n\"}"
  db --quiet update-task-group "$group" --session "$SID" --status in_progress
  db --quiet save-reasoning "$SID" "$group" developer understanding "$group: read the code and the plan" --agent-id "developer_$n"
  for part in "read the existing code" "wrote the implementation" "added unit tests"; do
    db --quiet log-interaction "$SID" developer "$group: $part" 1 "developer_$n" --group-id "$group"
    sleep "$DELAY"
  done
  db --quiet save-skill-output "$SID" lint "{\"group\": \"$group\", \"errors\": 0, \"warnings\": $n}" --agent-type developer --group-id "$group"
  db --quiet log-tokens "$SID" developer $((8000 + n * 1500)) "developer_$n" --group-id "$group"
  db --quiet save-reasoning "$SID" "$group" developer completion "$lesson" --agent-id "developer_$n"
  db log-interaction "$SID" developer "$group ready for QA" 1 "developer_$n" --group-id "$group"
  hook "{\"hook_event_name\": \"SubagentStop\", \"transcript_path\": \"$MAIN\", \"agent_type\": \"developer\", \"agent_id\": \"developer_$n\", \"agent_transcript_path\": \"${MAIN%.jsonl}/subagents/agent-developer_$n.jsonl\"}"
}
develop 1 group_a "Kept the OAuth2 flow behind one provider interface, so tests run against a fake provider" &
develop 2 group_b "All list endpoints share one pagination helper; tests cover the empty and the last page" &
develop 3 group_c "Components get their data through props only; state stays in the page component" &
wait

step "QA tests every group"
db check-mandatory-phases "$SID" group_a developer
db log-interaction "$SID" qa "All three groups pass their tests; coverage 87.5%" 2 qa_main
db update-success-criterion "$SID" "All tests pass" met --evidence "QA: all three groups pass"
db update-success-criterion "$SID" "Coverage >= 80%" met --actual "87.5%"
db save-skill-output "$SID" coverage '{"line_coverage": 87.5, "branch_coverage": 74.0}' --agent-type qa
db save-skill-output "$SID" security_scan '{"high": 0, "medium": 1, "low": 3}' --agent-type qa
db log-tokens "$SID" qa 5200 qa_main

step "Tech lead reviews: group_b needs changes"
db update-task-group group_a --session "$SID" --status completed --last-review-status APPROVED
db update-task-group group_c --session "$SID" --status completed --last-review-status APPROVED
db update-task-group group_b --session "$SID" --last-review-status CHANGES_REQUESTED --increment-revision
db log-interaction "$SID" tech_lead "group_b: validate pagination parameters before querying" 2 tech_lead_main --group-id group_b
db save-event "$SID" tl_verdicts '{"group_b": "CHANGES_REQUESTED", "issues": ["validate pagination parameters"]}' --group-id group_b --agent-type tech_lead
printf '# group_b review\n\n/items?page=abc reaches int() unchecked and fails with a 500.\n' > "$PROJECT/$ARTIFACTS/group_b_review.md"
db save-context-package "$SID" group_b failures "$ARTIFACTS/group_b_review.md" tech_lead '["developer"]' high \
  "Pagination parameters reach int() unchecked" --project-root "$PROJECT"
db log-tokens "$SID" tech_lead 4440 tech_lead_main

step "Developer 2 reads its package, revises group_b; the tech lead approves"
PACKAGE=$(db --json get-context-packages "$SID" group_b developer 3 | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])')
db save-consumption "$SID" group_b developer 2 "$PACKAGE"
db mark-context-consumed "$PACKAGE" developer 2
db save-error-pattern demo-shop ValueError "invalid literal for int() with base 10: 'abc' in /srv/api/pagination.py line 42" \
  "Validate query parameters with a schema before converting them" --lang python
db save-reasoning "$SID" group_b developer decisions "Validate query parameters once, at the edge, with a schema; handlers receive typed values" --agent-id developer_2
db log-interaction "$SID" developer "group_b: added parameter validation and tests" 3 developer_2 --group-id group_b
db update-task-group group_b --session "$SID" --status completed --last-review-status APPROVED
db save-state "$SID" pm '{"iteration": 3, "mode": "parallel", "pending_groups": [], "completed_groups": ["group_a", "group_b", "group_c"]}'
db update-plan-progress "$SID" Build completed
db update-plan-progress "$SID" Review completed
db extract-strategies "$SID" all demo-shop   # what the approved groups' reasoning teaches the project
db log-interaction "$SID" pm "All groups approved. BAZINGA" 3 pm_main
db save-event "$SID" pm_bazinga '{"groups": 3, "criteria_met": 2}' --agent-type pm

step "Validator checks, then the shutdown gate"
db save-event "$SID" validator_verdict '{"verdict": "ACCEPT", "reason": "required criteria met", "scope_check": "ok"}'
db get-events "$SID" validator_verdict 1
hook "{\"hook_event_name\": \"Stop\", \"transcript_path\": \"$MAIN\", \"stop_hook_active\": false}"
db complete-session "$SID"   # the completion gate: every required criterion is met

step "Token usage by agent: measured (orchestrator, developers) beside reported estimates (PM, QA, tech lead)"
db token-summary "$SID"

step "Recent log"
db stream-logs "$SID" 6

step "Dashboard snapshot"
db dashboard-snapshot "$SID"
echo
echo "Database: $DB   (session $SID)"
