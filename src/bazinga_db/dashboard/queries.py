"""What each dashboard page reads, composed from the record families' read functions.

The SQL lives with its family in ``records/`` (the same reads the CLI's reports use);
this module only decides what a page needs. Each function takes an open read transaction
(``backend.read()``) so that everything a page shows comes from one consistent snapshot,
and the snapshot is released as soon as the page is built: agents writing meanwhile never
wait for the dashboard.
"""

from __future__ import annotations

import json
from typing import Any

from ..core import require_session
from ..db.backends import Transaction
from ..errors import NotFound
from ..records import (
    context,
    criteria,
    decisions,
    events,
    logs,
    memory,
    plans,
    reasoning,
    sessions,
    skill_outputs,
    state,
    task_groups,
    tokens,
)
from ..util.clock import utc_now

SESSION_LIMIT = sessions.OVERVIEW_LIMIT
LOG_LIMIT = 500
RECORD_LIMIT = 200
TOKEN_POINTS_LIMIT = 5_000
EVENT_LIMIT = 50
REASONING_LIMIT = 200
MEMORY_LIMIT = 200


def sessions_overview(
    tx: Transaction, *, status: str | None = None, search: str | None = None, limit: int = SESSION_LIMIT
) -> list[dict[str, Any]]:
    return sessions.overview(tx, status, search, limit)


def session_detail(tx: Transaction, session_id: str, *, with_logs: bool = True) -> dict[str, Any]:
    """Everything the session page shows, read in the caller's one transaction."""
    info = require_session(tx, session_id)
    groups = task_groups.all_of_session(tx, session_id)
    # The panels list the newest records first.
    detail: dict[str, Any] = {
        "session": info,
        "task_groups": groups,
        "task_group_counts": task_groups.status_counts(groups),
        **logs.counts(tx, session_id),
        "log_filters": logs.filter_values(tx, session_id),
        "tokens": token_usage(tx, session_id),
        "states": state.history_summary(tx, session_id, RECORD_LIMIT),
        "skill_outputs": skill_outputs.recent(tx, session_id, RECORD_LIMIT)[::-1],
        "decisions": decisions.recent(tx, session_id, RECORD_LIMIT)[::-1],
        "timeline": task_groups.recent_events(tx, session_id, RECORD_LIMIT)[::-1],
        "success_criteria": success_criteria(tx, session_id),
        "plan": plan(tx, session_id),
        "reasoning": reasoning_by_agent(tx, session_id),
        "events": events.recent(tx, session_id, EVENT_LIMIT),
        "context_packages": context.session_packages(tx, session_id),
    }
    if with_logs:
        detail["logs"] = logs.after(tx, session_id, limit=LOG_LIMIT)
    return detail


def token_usage(tx: Transaction, session_id: str) -> dict[str, Any]:
    """Tokens and cost in total, per agent type and per agent id (``records.tokens.summary``),
    and every usage record in order (for the chart)."""
    by_type = tokens.summary(tx, session_id, "agent_type")
    by_agent = tokens.summary(tx, session_id, "agent_id")
    types_of_agents = tokens.agent_types_of_agents(tx, session_id) if by_agent["details"] else {}

    def rows(summary: dict[str, Any], key: str) -> list[dict[str, Any]]:
        return [
            {key: name, "tokens": detail["tokens"], "calls": detail["calls"], "cost_usd": detail["cost_usd"]}
            for name, detail in summary["details"].items()
        ]

    return {
        "total_tokens": by_type["total_tokens"],
        "cost_usd": by_type["cost_usd"],
        "priced_calls": by_type["priced_calls"],
        "by_agent_type": rows(by_type, "agent_type"),
        "by_agent": [{**row, "agent_type": types_of_agents.get(row["agent"])} for row in rows(by_agent, "agent")],
        "over_time": tokens.usage_points(tx, session_id, TOKEN_POINTS_LIMIT),
    }


def success_criteria(tx: Transaction, session_id: str) -> dict[str, Any]:
    """The checklist: every criterion in the order saved, and how many (required ones) are met."""
    rows = criteria.all_of_session(tx, session_id)
    return {**criteria.summary(rows), "items": rows}


def plan(tx: Transaction, session_id: str) -> dict[str, Any] | None:
    """The development plan with each phase's percent and which phase is the current one."""
    row = plans.of_session(tx, session_id)
    if row is None:
        return None
    brief = plans.progress(row) or {}
    raw = [p for p in row["phases"] if isinstance(p, dict)] if isinstance(row["phases"], list) else []
    current = row["current_phase"]
    if current is None:  # no number saved: the first phase under way is the current one
        current = next((p.get("phase") for p in raw if p.get("status") == "in_progress"), None)
    phases = []
    for p in raw:
        percent = p.get("progress_percent")
        if p.get("status") == "completed":
            percent = 100
        phases.append({"phase": p.get("phase"), "name": p.get("name"), "status": p.get("status"),
                       "progress_percent": percent if isinstance(percent, int) else 0,
                       "current": current is not None and p.get("phase") == current})
    return {"plan_text": row["plan_text"], "current_phase": current, "total_phases": row["total_phases"],
            "phases_completed": brief.get("phases_completed", 0), "updated_at": row["updated_at"], "phases": phases}


def reasoning_by_agent(tx: Transaction, session_id: str) -> list[dict[str, Any]]:
    """Reasoning entries grouped per agent (agent id, else agent type), each group oldest first."""
    agents: dict[str, list[dict[str, Any]]] = {}
    for row in reasoning.recent(tx, session_id, REASONING_LIMIT):
        agents.setdefault(row.get("agent_id") or row["agent_type"], []).append(row)
    return [{"agent": agent, "agent_type": rows[0]["agent_type"], "entries": rows} for agent, rows in agents.items()]


def project_detail(tx: Transaction, project_id: str) -> dict[str, Any]:
    """One project's error patterns (most trusted first) and strategies (most helpful first);
    NotFound when it has neither."""
    counts = memory.projects_overview(tx, project_id)
    if not counts:
        raise NotFound(f"no project {project_id!r}: no error pattern or strategy names it")
    learned = memory.project_memory(tx, project_id, MEMORY_LIMIT)
    now = utc_now()
    for pattern in learned["error_patterns"]:
        pattern["expired"] = pattern.get("expires_at") is not None and pattern["expires_at"] <= now
    return {"project_id": project_id, "counts": counts[0], **learned}


def state_diff(tx: Transaction, session_id: str, old_id: int, new_id: int) -> dict[str, Any]:
    """Two snapshots, the changed JSON paths between them and a line diff of their pretty JSON."""
    import difflib  # only this page needs it

    compared = state.compare(tx, session_id, old_id, new_id)
    old_text = pretty(compared["old"]["state_data"]).splitlines()
    new_text = pretty(compared["new"]["state_data"]).splitlines()
    lines = list(difflib.unified_diff(old_text, new_text, f"#{old_id}", f"#{new_id}", lineterm="", n=3))
    return {**compared, "unified_diff": lines}


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
