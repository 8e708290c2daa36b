"""Turning results into text: ✓ confirmations, JSON documents and Markdown logs."""

from __future__ import annotations

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any

AGENT_LABELS = {"pm": "PM", "qa": "QA", "tech_lead": "tech lead"}


def dumps(value: Any) -> str:
    import json  # imported where used: a ✓ confirmation never needs it (start-up time)

    return json.dumps(value, indent=2, ensure_ascii=False)


def _label(agent_type: str) -> str:
    return AGENT_LABELS.get(agent_type, agent_type)


def notice_lines(notices: list[tuple[str, str]]) -> list[str]:
    lines = []
    for kind, subject in notices:
        if kind == "database_initialized":
            lines.append(f"✓ Database auto-initialized at {subject}")
        elif kind == "database_migrated":
            lines.append(f"✓ Database migrated to the current schema: {subject}")
        elif kind == "session_auto_created":
            lines.append(f"✓ Session {subject} did not exist: created it with defaults (mode simple, active)")
        elif kind == "idempotent_replay":
            lines.append(f"✓ Already recorded under idempotency key {subject}: nothing new stored")
    return lines


def confirmation(operation: str, arguments: dict[str, Any], result: Any, notices: list[tuple[str, str]]) -> str:
    """The one-line ✓ confirmation of a write."""
    kinds = {kind for kind, _ in notices}
    r = result if isinstance(result, dict) else {}
    session = r.get("session_id", arguments.get("session_id"))
    if operation == "create-session":
        if "session_exists" in kinds:
            return f"✓ Session already exists: {session} (unchanged)"
        return f"✓ Session created: {session}"
    if operation == "update-session-status":
        return f"✓ Session {session} → {r['status']}"
    if operation == "log-interaction":
        iteration = f" (iteration {r['iteration']})" if r.get("iteration") is not None else ""
        return f"✓ Logged {_label(r['agent_type'])} interaction for session {session}{iteration}"
    if operation == "save-state":
        group = f" (group {r['group_id']})" if r.get("group_id") else ""
        return f"✓ Saved {_label(r['state_type'])} state for session {session}{group}"
    if operation == "create-task-group":
        if "task_group_exists" in kinds:
            return f"✓ Task group already exists: {r['id']} in session {session} (unchanged)"
        return f"✓ Task group created: {r['id']} ({r['name']}) in session {session} → {r['status']}"
    if operation == "update-task-group":
        details = []
        for column in ("assigned_to", "revision_count", "last_review_status"):
            if arguments.get(column) is not None or (column == "revision_count" and arguments.get("increment_revision")):
                details.append(f"{column} {r[column]}")
        suffix = f" ({', '.join(details)})" if details else ""
        return f"✓ Updated task group: {r['id']} → {r['status']}{suffix}"
    if operation == "log-tokens":
        return f"✓ Logged {r['tokens_estimated']:,} tokens for {_label(r['agent_type'])} in session {session}"
    if operation == "save-skill-output":
        return f"✓ Saved {r['skill_name']} output for session {session}"
    if operation == "set-config":
        return f"✓ Config saved: {r['key']}"
    if operation == "log-decision":
        return f"✓ Logged {r['decision_type']} decision for session {session}"
    if operation == "migrate":
        applied = result.get("applied") or []
        if applied:
            return f"✓ Database schema at version {result['schema_version']} (applied {', '.join(applied)})"
        return f"✓ Database schema up to date (version {result['schema_version']})"
    return f"✓ {operation} done"


def logs_markdown(session_id: str, logs: list[dict[str, Any]]) -> str:
    if not logs:
        return f"# Orchestration log: {session_id}\n\n_No log entries yet._"
    lines = [f"# Orchestration log: {session_id}", "", f"_{len(logs)} entries, oldest first_", ""]
    for entry in logs:
        heading = [entry["timestamp"], _label(entry["agent_type"])]
        if entry.get("agent_id"):
            heading[-1] += f" ({entry['agent_id']})"
        if entry.get("iteration") is not None:
            heading.append(f"iteration {entry['iteration']}")
        if entry.get("group_id"):
            heading.append(f"group {entry['group_id']}")
        lines.append(f"### {' · '.join(heading)}")
        lines.append("")
        lines.append(entry["content"])
        lines.append("")
    return "\n".join(lines).rstrip()
