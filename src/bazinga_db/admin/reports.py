"""Reads across the record families: the dashboard snapshot, session comparison, SQL queries."""

from __future__ import annotations

from ..core import decode, require_session
from ..errors import InvalidInput
from ..records import criteria, decisions, logs, plans, reasoning, skill_outputs, state, task_groups, tokens
from ..util import validation as v
from ..util.clock import epoch, utc_now

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any

    from ..core import Store
    from ..db.backends import Transaction

RECENT_LOGS = 10


def dashboard_snapshot(db: Store, session_id: str) -> dict[str, Any]:
    """Everything a dashboard shows about a session, read in one consistent transaction."""
    session_id = v.identifier(session_id, "session_id")
    with db.read() as tx:
        session = require_session(tx, session_id)
        groups = task_groups.all_of_session(tx, session_id)
        log_count = tx.one("SELECT COUNT(*) AS n FROM orchestration_logs WHERE session_id = ?", (session_id,))
        recent = logs.recent(tx, session_id, RECENT_LOGS)
        states = state.latest_by_type(tx, session_id)
        skills = skill_outputs.latest_by_skill(tx, session_id)
        recent_decisions = decisions.recent(tx, session_id, RECENT_LOGS)
        usage = tokens.summary(tx, session_id, "agent_type")
        success_criteria = criteria.all_of_session(tx, session_id)
        plan = decode(tx.one("SELECT * FROM development_plans WHERE session_id = ?", (session_id,)), "development_plans")
        latest_reasoning = reasoning.latest_by_agent(tx, session_id)
    return {
        "session": session,
        "task_groups": groups,
        "task_group_counts": task_groups.status_counts(groups),
        "token_usage": {"total_tokens": usage["total_tokens"], "by_agent_type": usage["breakdown"],
                        "cost_usd": usage["cost_usd"]},
        # Beside the seed's token_usage (kept as it was): where the figures come from, by kind.
        "token_usage_detail": _usage_by_kind(usage),
        "log_count": log_count["n"] if log_count else 0,
        "recent_logs": recent,
        "states": states,
        "skill_outputs": skills,
        "recent_decisions": recent_decisions,
        "success_criteria": success_criteria,
        "plan_progress": plans.progress(plan),
        "latest_reasoning": latest_reasoning,
        # The public project's snapshot keys, for dashboards and agents written against it.
        "orchestrator_state": states.get("orchestrator"),
        "pm_state": states.get("pm"),
        "token_summary": {**usage["breakdown"], "total": usage["total_tokens"]},
        "generated_at": utc_now(),
    }


def query(db: Store, sql: str) -> list[dict[str, Any]]:
    """Run one read-only SQL statement; anything that would write is rejected."""
    sql = v.text(sql, "sql")
    db.notices = []
    db.check_schema(for_write=False)
    return db.backend.read_only_query(sql)


def compare_sessions(db: Store, session_a: str, session_b: str) -> dict[str, Any]:
    """Two sessions side by side: status, duration, tokens, cost, task groups, revisions, reviews."""
    session_a = v.identifier(session_a, "session_a")
    session_b = v.identifier(session_b, "session_b")
    if session_a == session_b:
        raise InvalidInput(f"compare-sessions needs two different sessions, got {session_a!r} twice")
    now = utc_now()
    with db.read() as tx:
        summaries = [_session_summary(tx, session_id, now) for session_id in (session_a, session_b)]
    a, b = summaries

    def delta(key: str) -> Any:
        if a[key] is None or b[key] is None:
            return None
        return round(b[key] - a[key], 6)

    return {
        "sessions": summaries,
        "difference": {key: delta(key) for key in (
            "duration_s", "total_tokens", "cost_usd", "groups_completed", "revisions", "log_count",
        )},
        "generated_at": now,
    }


def _session_summary(tx: Transaction, session_id: str, now: str) -> dict[str, Any]:
    session = require_session(tx, session_id)
    usage = tokens.summary(tx, session_id, "agent_type")
    groups = tx.all("SELECT status, revision_count, last_review_status FROM task_groups WHERE session_id = ?",
                    (session_id,))
    counts = task_groups.status_counts(groups)
    del counts["total"]
    reviews = {status: 0 for status in v.REVIEW_STATUSES}
    for group in groups:
        if group["last_review_status"]:
            reviews[group["last_review_status"]] = reviews.get(group["last_review_status"], 0) + 1
    log_stats = tx.one("SELECT COUNT(*) AS n, MAX(iteration) AS iterations FROM orchestration_logs "
                       "WHERE session_id = ?", (session_id,))
    start = epoch(session.get("start_time") or session.get("created_at"))
    end = epoch(session.get("end_time") or (now if session["status"] == "active" else session.get("updated_at")))
    return {
        "session_id": session_id,
        "status": session["status"],
        "mode": session.get("mode"),
        "start_time": session.get("start_time"),
        "end_time": session.get("end_time"),
        "running": session["status"] == "active",
        "duration_s": round(end - start, 3) if start is not None and end is not None else None,
        "total_tokens": usage["total_tokens"],
        "tokens_by_agent_type": usage["breakdown"],
        "cost_usd": usage["cost_usd"],
        "token_source": usage["source"],
        "tokens_by_kind": {kind: usage[kind] for kind in tokens.KINDS},
        "measured_tokens": usage["measured"]["tokens"],
        "reported_tokens": usage["reported"]["tokens"],
        "groups_total": len(groups),
        "groups_completed": counts.get("completed", 0),
        "groups_failed": counts.get("failed", 0),
        "group_status_counts": counts,
        "revisions": sum(int(group["revision_count"] or 0) for group in groups),
        "review_outcomes": reviews,
        "log_count": int(log_stats["n"]) if log_stats else 0,
        "iterations": log_stats["iterations"] if log_stats else None,
    }


def _usage_by_kind(usage: dict[str, Any]) -> dict[str, Any]:
    """Where the figures come from and the tokens by kind (input, output, cache read/write)."""
    return {
        "source": usage["source"],
        **{kind: usage[kind] for kind in tokens.KINDS},
        "measured": usage["measured"],
        "reported": usage["reported"],
        **({"note": usage["note"]} if "note" in usage else {}),
    }
