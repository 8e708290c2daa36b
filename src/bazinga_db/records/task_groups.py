"""Task groups of a session, and the timeline of every change made to them."""

from __future__ import annotations

from ..core import decode, decode_all, ensure_session, require_session, retried
from ..errors import AmbiguousTaskGroup, Conflict, InvalidInput, TaskGroupNotFound
from ..util import validation as v
from ..util.clock import utc_now

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any

    from ..core import Store
    from ..db.backends import Transaction

# The columns whose changes go into the timeline.
TRACKED = ("name", "status", "assigned_to", "revision_count", "last_review_status")


@retried
def create_task_group(
    db: Store,
    group_id: str,
    session_id: str,
    name: str,
    status: str = "pending",
    assigned_to: str | None = None,
) -> dict[str, Any]:
    group_id = v.task_group_id(group_id)
    session_id = v.identifier(session_id, "session_id")
    name = v.text(name, "name")
    status = v.choice(status, "status", v.TASK_STATUSES)
    assigned_to = v.optional_identifier(assigned_to, "assigned_to")
    now = utc_now()
    with db.write(session_id) as tx:
        ensure_session(db, tx, session_id)
        existing = tx.one("SELECT * FROM task_groups WHERE session_id = ? AND id = ?", (session_id, group_id))
        if existing is not None:
            if existing["name"] == name and existing["status"] == status and existing["assigned_to"] == assigned_to:
                db.notices.append(("task_group_exists", group_id))
                return decode(existing, "task_groups")  # type: ignore[return-value]
            raise Conflict(
                f"task group {group_id!r} already exists in session {session_id!r} "
                f"(status {existing['status']!r}); nothing was changed",
                hint="change it with `bazinga-db update-task-group`",
            )
        row = tx.one(
            "INSERT INTO task_groups (id, session_id, name, status, assigned_to, revision_count, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?) RETURNING *",
            (group_id, session_id, name, status, assigned_to, now, now),
        )
        changes = {"created": [None, name], "status": [None, status]}
        if assigned_to:
            changes["assigned_to"] = [None, assigned_to]
        _record_event(tx, session_id, group_id, now, changes)
        return decode(row, "task_groups")  # type: ignore[return-value]


@retried
def update_task_group(
    db: Store,
    group_id: str,
    session_id: str | None = None,
    status: str | None = None,
    assigned_to: str | None = None,
    revision_count: int | None = None,
    last_review_status: str | None = None,
    increment_revision: bool = False,
    name: str | None = None,
) -> dict[str, Any]:
    group_id = v.identifier(group_id, "group_id")
    session_id = v.optional_identifier(session_id, "session_id")
    updates: dict[str, Any] = {}
    if status is not None:
        updates["status"] = v.choice(status, "status", v.TASK_STATUSES)
    if assigned_to is not None:
        updates["assigned_to"] = v.identifier(assigned_to, "assigned_to")
    if revision_count is not None:
        if increment_revision:
            raise InvalidInput("give either --revision-count N or --increment-revision, not both")
        updates["revision_count"] = v.integer(revision_count, "revision_count")
    if last_review_status is not None:
        updates["last_review_status"] = v.choice(last_review_status, "last_review_status", v.REVIEW_STATUSES)
    if name is not None:
        updates["name"] = v.text(name, "name")
    if not updates and not increment_revision:
        raise InvalidInput(
            "nothing to update: give at least one of --status, --assigned-to, --revision-count, "
            "--increment-revision, --last-review-status, --name"
        )
    now = utc_now()
    with db.write(session_id, repeatable=not increment_revision) as tx:  # None: search every session
        session_id = _resolve_session(tx, group_id, session_id)
        old = tx.one("SELECT * FROM task_groups WHERE session_id = ? AND id = ?", (session_id, group_id))
        if old is None:
            raise TaskGroupNotFound(f"task group {group_id!r} not found in session {session_id!r}")
        assignments = [f"{column} = ?" for column in updates]
        if increment_revision:
            # Incremented inside the database, so concurrent reviews never lose one.
            assignments.append("revision_count = revision_count + 1")
        assignments.append("updated_at = ?")
        row = tx.one(
            f"UPDATE task_groups SET {', '.join(assignments)} WHERE session_id = ? AND id = ? RETURNING *",
            (*updates.values(), now, session_id, group_id),
        )
        assert row is not None
        changes = {column: [old[column], row[column]] for column in TRACKED if old[column] != row[column]}
        if changes:
            _record_event(tx, session_id, group_id, now, changes)
        return decode(row, "task_groups")  # type: ignore[return-value]


def _resolve_session(tx: Transaction, group_id: str, session_id: str | None) -> str:
    if session_id is not None:
        return session_id
    rows = tx.all("SELECT session_id FROM task_groups WHERE id = ? ORDER BY session_id", (group_id,))
    if not rows:
        raise TaskGroupNotFound(f"task group {group_id!r} not found in any session")
    if len(rows) > 1:
        candidates = ", ".join(row["session_id"] for row in rows)
        raise AmbiguousTaskGroup(
            f"task group {group_id!r} exists in {len(rows)} sessions ({candidates}); "
            "say which with --session",
            hint=f"e.g. --session {rows[-1]['session_id']}",
        )
    return str(rows[0]["session_id"])


def _record_event(tx: Transaction, session_id: str, group_id: str, now: str, changes: dict[str, Any]) -> None:
    import json  # imported where used: most calls never need it (start-up time)

    tx.execute(
        "INSERT INTO task_group_events (session_id, group_id, timestamp, changes) VALUES (?, ?, ?, ?)",
        (session_id, group_id, now, json.dumps(changes, ensure_ascii=False, separators=(",", ":"))),
    )


def get_task_groups(db: Store, session_id: str, status: str | None = None) -> list[dict[str, Any]]:
    session_id = v.identifier(session_id, "session_id")
    sql, params = "SELECT * FROM task_groups WHERE session_id = ?", [session_id]
    if status is not None:
        sql += " AND status = ?"
        params.append(v.choice(status, "status", v.TASK_STATUSES))
    with db.read() as tx:
        require_session(tx, session_id)
        return decode_all(tx.all(sql + " ORDER BY created_at NULLS FIRST, id", params), "task_groups")


def all_of_session(tx: Transaction, session_id: str) -> list[dict[str, Any]]:
    # NULLS FIRST spells out SQLite's order; PostgreSQL's default is the opposite.
    return decode_all(
        tx.all("SELECT * FROM task_groups WHERE session_id = ? ORDER BY created_at NULLS FIRST, id", (session_id,)),
        "task_groups",
    )


def status_counts(groups: list[dict[str, Any]]) -> dict[str, int]:
    """``{"total": n, "pending": …, "in_progress": …, …}`` (other statuses counted too)."""
    counts = {status: 0 for status in v.TASK_STATUSES}
    for group in groups:
        counts[group["status"]] = counts.get(group["status"], 0) + 1
    return {"total": len(groups), **counts}


def get_task_group_events(db: Store, session_id: str, group_id: str | None = None) -> list[dict[str, Any]]:
    """The timeline of task-group changes, oldest first."""
    session_id = v.identifier(session_id, "session_id")
    sql, params = "SELECT * FROM task_group_events WHERE session_id = ?", [session_id]
    if group_id is not None:
        sql += " AND group_id = ?"
        params.append(v.identifier(group_id, "group_id"))
    with db.read() as tx:
        require_session(tx, session_id)
        return decode_all(tx.all(sql + " ORDER BY id", params), "task_group_events")


def progress_of_sessions(tx: Transaction, session_ids: list[str]) -> dict[str, dict[str, int]]:
    """Per session of ``session_ids``: ``groups_total`` and ``groups_done`` (completed).

    Sessions without task groups are left out. Read from the (session_id, status) index.
    """
    if not session_ids:
        return {}
    marks = ", ".join("?" * len(session_ids))
    rows = tx.all(
        "SELECT session_id, COUNT(*) AS total, SUM(CASE WHEN status = 'completed' THEN 1 ELSE 0 END) AS done "
        f"FROM task_groups WHERE session_id IN ({marks}) GROUP BY session_id",
        session_ids,
    )
    return {row["session_id"]: {"groups_total": int(row["total"]), "groups_done": int(row["done"] or 0)}
            for row in rows}


def recent_events(tx: Transaction, session_id: str, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` task-group changes of a session, oldest first."""
    rows = decode_all(tx.all(
        "SELECT * FROM task_group_events WHERE session_id = ? ORDER BY id DESC LIMIT ?", (session_id, limit)
    ), "task_group_events")
    rows.reverse()
    return rows
