"""The dashboard's reads: one short read transaction per page, never a write.

Each function takes an open read transaction (``backend.read()``) so that everything a
page shows comes from one consistent snapshot, and the snapshot is released as soon as
the page is built: agents writing meanwhile never wait for the dashboard.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from ..core import decode
from ..db.backends import Transaction
from ..errors import InvalidInput, SessionNotFound
from ..util.validation import TASK_STATUSES

SESSION_LIMIT = 200
LOG_LIMIT = 500
RECORD_LIMIT = 200
TOKEN_POINTS_LIMIT = 5_000


def sessions_overview(
    tx: Transaction, *, status: str | None = None, search: str | None = None, limit: int = SESSION_LIMIT
) -> list[dict[str, Any]]:
    """Sessions newest first, each with its task-group progress, tokens and last activity."""
    clauses: list[str] = []
    params: list[Any] = []
    if status:
        clauses.append("s.status = ?")
        params.append(status)
    if search:
        # LIKE with our own escape character, so % and _ in the search are literal.
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append("(s.session_id LIKE ? ESCAPE '\\' OR s.original_requirements LIKE ? ESCAPE '\\')")
        params += [pattern, pattern]
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = tx.all(
        "SELECT s.*,"
        " (SELECT COUNT(*) FROM task_groups g WHERE g.session_id = s.session_id) AS groups_total,"
        " (SELECT COUNT(*) FROM task_groups g WHERE g.session_id = s.session_id"
        "  AND g.status = 'completed') AS groups_done,"
        " (SELECT COALESCE(SUM(tokens_estimated), 0) FROM token_usage t"
        "  WHERE t.session_id = s.session_id) AS tokens,"
        " (SELECT COUNT(*) FROM orchestration_logs l WHERE l.session_id = s.session_id) AS log_count,"
        " (SELECT MAX(l.timestamp) FROM orchestration_logs l WHERE l.session_id = s.session_id) AS last_activity"
        f" FROM sessions s {where} ORDER BY s.created_at DESC, s.session_id DESC LIMIT ?",
        (*params, limit),
    )
    return [decode(row, "sessions") for row in rows]  # type: ignore[misc]


def session(tx: Transaction, session_id: str) -> dict[str, Any]:
    row = decode(tx.one("SELECT * FROM sessions WHERE session_id = ?", (session_id,)), "sessions")
    if row is None:
        raise SessionNotFound(f"session {session_id!r} not found")
    return row


def logs(
    tx: Transaction,
    session_id: str,
    *,
    after_id: int = 0,
    agent_type: str | None = None,
    group_id: str | None = None,
    limit: int = LOG_LIMIT,
) -> list[dict[str, Any]]:
    """The newest ``limit`` log entries after ``after_id``, oldest first."""
    sql = "SELECT * FROM orchestration_logs WHERE session_id = ? AND id > ?"
    params: list[Any] = [session_id, after_id]
    if agent_type:
        sql += " AND agent_type = ?"
        params.append(agent_type)
    if group_id:
        sql += " AND group_id = ?"
        params.append(group_id)
    rows = tx.all(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))
    rows.reverse()
    return rows


def session_detail(tx: Transaction, session_id: str, *, with_logs: bool = True) -> dict[str, Any]:
    """Everything the session page shows, read in the caller's one transaction."""
    info = session(tx, session_id)
    groups = tx.all("SELECT * FROM task_groups WHERE session_id = ? ORDER BY created_at, id", (session_id,))
    counts = {status: 0 for status in TASK_STATUSES}
    for group in groups:
        counts[group["status"]] = counts.get(group["status"], 0) + 1
    log_stats = tx.one(
        "SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS last_id FROM orchestration_logs WHERE session_id = ?",
        (session_id,),
    ) or {"n": 0, "last_id": 0}
    filters = {
        "agent_types": [r["v"] for r in tx.all(
            "SELECT DISTINCT agent_type AS v FROM orchestration_logs WHERE session_id = ? ORDER BY v", (session_id,))],
        "group_ids": [r["v"] for r in tx.all(
            "SELECT DISTINCT group_id AS v FROM orchestration_logs WHERE session_id = ? AND group_id IS NOT NULL "
            "ORDER BY v", (session_id,))],
    }
    detail: dict[str, Any] = {
        "session": info,
        "task_groups": groups,
        "task_group_counts": {"total": len(groups), **counts},
        "log_count": int(log_stats["n"]),
        "last_log_id": int(log_stats["last_id"]),
        "log_filters": filters,
        "tokens": tokens(tx, session_id),
        "states": state_history(tx, session_id),
        "skill_outputs": [decode(row, "skill_outputs") for row in tx.all(
            "SELECT * FROM skill_outputs WHERE session_id = ? ORDER BY id DESC LIMIT ?", (session_id, RECORD_LIMIT))],
        "decisions": [decode(row, "decisions") for row in tx.all(
            "SELECT * FROM decisions WHERE session_id = ? ORDER BY id DESC LIMIT ?", (session_id, RECORD_LIMIT))],
        "timeline": [decode(row, "task_group_events") for row in tx.all(
            "SELECT * FROM task_group_events WHERE session_id = ? ORDER BY id DESC LIMIT ?",
            (session_id, RECORD_LIMIT))],
    }
    if with_logs:
        detail["logs"] = logs(tx, session_id)
    return detail


def tokens(tx: Transaction, session_id: str) -> dict[str, Any]:
    """Token totals per agent type and per agent id, and every usage record in order (for the chart)."""
    by_type = tx.all(
        "SELECT agent_type, SUM(tokens_estimated) AS tokens, COUNT(*) AS calls FROM token_usage "
        "WHERE session_id = ? GROUP BY agent_type ORDER BY tokens DESC, agent_type",
        (session_id,),
    )
    by_agent = tx.all(
        "SELECT COALESCE(agent_id, agent_type) AS agent, MIN(agent_type) AS agent_type, "
        "SUM(tokens_estimated) AS tokens, COUNT(*) AS calls "
        "FROM token_usage WHERE session_id = ? GROUP BY agent ORDER BY tokens DESC, agent",
        (session_id,),
    )
    points = tx.all(
        "SELECT id, timestamp, agent_type, agent_id, tokens_estimated AS tokens FROM token_usage "
        "WHERE session_id = ? ORDER BY id LIMIT ?",
        (session_id, TOKEN_POINTS_LIMIT),
    )
    return {
        "total_tokens": sum(int(row["tokens"] or 0) for row in by_type),
        "by_agent_type": [{**row, "tokens": int(row["tokens"] or 0)} for row in by_type],
        "by_agent": [{**row, "tokens": int(row["tokens"] or 0)} for row in by_agent],
        "over_time": points,
    }


def state_history(tx: Transaction, session_id: str) -> list[dict[str, Any]]:
    """Every state snapshot of the session (without its data), newest first."""
    return tx.all(
        "SELECT id, timestamp, state_type, group_id, LENGTH(state_data) AS size FROM state_snapshots "
        "WHERE session_id = ? ORDER BY id DESC LIMIT ?",
        (session_id, RECORD_LIMIT),
    )


def state_snapshot(tx: Transaction, session_id: str, snapshot_id: int) -> dict[str, Any]:
    row = decode(tx.one(
        "SELECT * FROM state_snapshots WHERE session_id = ? AND id = ?", (session_id, snapshot_id)
    ), "state_snapshots")
    if row is None:
        raise InvalidInput(f"state snapshot {snapshot_id} is not in session {session_id!r}")
    return row


def default_diff_pair(tx: Transaction, session_id: str, state_type: str | None = None) -> tuple[int, int] | None:
    """The two newest snapshots of one state type (the newest type that has two), or None."""
    sql = "SELECT id, state_type, group_id FROM state_snapshots WHERE session_id = ?"
    params: list[Any] = [session_id]
    if state_type:
        sql += " AND state_type = ?"
        params.append(state_type)
    seen: dict[tuple[str, str | None], int] = {}
    for row in tx.all(sql + " ORDER BY id DESC", params):
        key = (row["state_type"], row["group_id"])
        if key in seen:
            return int(row["id"]), seen[key]
        seen[key] = int(row["id"])
    return None


def state_diff(tx: Transaction, session_id: str, old_id: int, new_id: int) -> dict[str, Any]:
    """Two snapshots, the changed JSON paths between them and a line diff of their pretty JSON."""
    old = state_snapshot(tx, session_id, old_id)
    new = state_snapshot(tx, session_id, new_id)
    old_text = pretty(old["state_data"]).splitlines()
    new_text = pretty(new["state_data"]).splitlines()
    lines = list(difflib.unified_diff(old_text, new_text, f"#{old_id}", f"#{new_id}", lineterm="", n=3))
    return {
        "old": old,
        "new": new,
        "changes": json_changes(old["state_data"], new["state_data"]),
        "unified_diff": lines,
    }


def json_changes(old: Any, new: Any, path: str = "$") -> list[dict[str, Any]]:
    """Paths that differ between two JSON values: added, removed or changed (leaf or list)."""
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[dict[str, Any]] = []
        for key in sorted(set(old) | set(new), key=str):
            child = f"{path}.{key}"
            if key not in old:
                changes.append({"path": child, "change": "added", "new": new[key]})
            elif key not in new:
                changes.append({"path": child, "change": "removed", "old": old[key]})
            else:
                changes += json_changes(old[key], new[key], child)
        return changes
    if old == new:
        return []
    return [{"path": path, "change": "changed", "old": old, "new": new}]


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
