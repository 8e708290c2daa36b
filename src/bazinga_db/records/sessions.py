"""Sessions: one orchestration run each, with its mode, requirements and status."""

from __future__ import annotations

from ..core import decode, decode_all, redact, require_session, retried
from ..errors import Conflict, InvalidInput, SessionNotFound
from ..util import validation as v
from ..util.clock import utc_now

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any

    from ..core import Store
    from ..db.backends import Transaction


@retried
def create_session(
    db: Store,
    session_id: str,
    mode: str = "simple",
    requirements: str = "",
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    session_id = v.identifier(session_id, "session_id")
    mode = v.choice(mode, "mode", v.SESSION_MODES)
    requirements = v.text(requirements, "requirements", allow_empty=True)
    if metadata is not None and not isinstance(metadata, dict):
        raise InvalidInput("metadata must be a JSON object")
    metadata_text = v.json_document(metadata, "metadata") if metadata is not None else None
    now = utc_now()
    with db.write(session_id) as tx:
        requirements = redact(tx, {"original_requirements": requirements})["original_requirements"]
        existing = decode(tx.one("SELECT * FROM sessions WHERE session_id = ?", (session_id,)), "sessions")
        if existing is None:
            return decode(tx.one(  # type: ignore[return-value]
                "INSERT INTO sessions (session_id, start_time, mode, original_requirements, status, "
                "created_at, updated_at, metadata) VALUES (?, ?, ?, ?, 'active', ?, ?, ?) RETURNING *",
                (session_id, now, mode, requirements, now, now, metadata_text),
            ), "sessions")
        old_metadata = existing.get("metadata")
        if isinstance(old_metadata, dict) and old_metadata.get("auto_created"):
            # A log or state write created it with defaults; now it gets its real values.
            merged = {key: value for key, value in old_metadata.items() if key != "auto_created"}
            merged.update(metadata or {})
            db.notices.append(("session_completed_from_defaults", session_id))
            return decode(tx.one(  # type: ignore[return-value]
                "UPDATE sessions SET mode = ?, original_requirements = ?, metadata = ?, updated_at = ? "
                "WHERE session_id = ? RETURNING *",
                (mode, requirements, v.json_document(merged, "metadata") if merged else None, now, session_id),
            ), "sessions")
        if existing["mode"] == mode and (existing["original_requirements"] or "") == requirements:
            db.notices.append(("session_exists", session_id))
            return existing
        raise Conflict(
            f"session {session_id!r} already exists with mode {existing['mode']!r} and other "
            "requirements; nothing was changed",
            hint="choose a new session id, or read it with `bazinga-db get-session`",
        )


def get_session(db: Store, session_id: str) -> dict[str, Any]:
    session_id = v.identifier(session_id, "session_id")
    with db.read() as tx:
        return require_session(tx, session_id)


def list_sessions(db: Store, limit: int = 10, status: str | None = None) -> list[dict[str, Any]]:
    limit = v.integer(limit, "limit", minimum=1, maximum=v.MAX_LIMIT)
    sql, params = "SELECT * FROM sessions", ()  # type: tuple[str, tuple[Any, ...]]
    if status is not None:
        sql, params = sql + " WHERE status = ?", (v.choice(status, "status", v.SESSION_STATUSES),)
    with db.read() as tx:
        rows = tx.all(sql + " ORDER BY created_at DESC NULLS LAST, session_id DESC LIMIT ?", (*params, limit))
    return decode_all(rows, "sessions")


@retried
def update_session_status(
    db: Store, session_id: str, status: str, force: bool = False, reason: str | None = None
) -> dict[str, Any]:
    """Set a session's status. ``completed`` passes the completion gate: every required
    success criterion must be met, unless ``force`` with a ``reason`` (recorded as a decision)."""
    session_id = v.identifier(session_id, "session_id")
    status = v.choice(status, "status", v.SESSION_STATUSES)
    if force and status != "completed":
        raise InvalidInput("--force only overrides the completion gate: use it with status completed")
    if force and (reason is None or not str(reason).strip()):
        raise InvalidInput('--force needs --reason "why the run is complete although criteria are unmet"')
    if reason is not None and not force:
        raise InvalidInput("--reason goes with --force (the override of unmet success criteria)")
    reason = None if reason is None else v.text(reason, "reason")
    now = utc_now()
    end_time = now if status in ("completed", "failed") else None
    with db.write(session_id) as tx:
        if status == "completed":
            from .criteria import check_completion

            require_session(tx, session_id)
            check_completion(db, tx, session_id, force, reason)
        row = tx.one(
            "UPDATE sessions SET status = ?, end_time = ?, updated_at = ? WHERE session_id = ? RETURNING *",
            (status, end_time, now, session_id),
        )
        if row is None:
            raise SessionNotFound(f"session {session_id!r} not found; nothing was changed")
        return decode(row, "sessions")  # type: ignore[return-value]


def complete_session(db: Store, session_id: str, force: bool = False, reason: str | None = None) -> dict[str, Any]:
    """Mark a session completed, through the completion gate."""
    return update_session_status(db, session_id, "completed", force, reason)


def update_session(db: Store, session_id: str, status: str, force: bool = False, reason: str | None = None) -> dict[str, Any]:
    """The public project's name for update-session-status (``--status S``)."""
    return update_session_status(db, session_id, status, force, reason)


# -- reads inside an open transaction (dashboard) -----------------------------------------

OVERVIEW_LIMIT = 200
_CHUNK = 500  # ids per IN (...) list: far below every backend's limit on parameters


def overview(
    tx: Transaction, status: str | None = None, search: str | None = None, limit: int = OVERVIEW_LIMIT
) -> list[dict[str, Any]]:
    """Sessions newest first, each with its task-group progress, tokens, cost, log count and
    last activity.

    The page of sessions is chosen first (status filter, id/requirements search, newest
    first, ``limit``) and only those sessions are aggregated, each through its families'
    indexed per-session lookups: the cost follows the page size, not the database size.
    ``status`` and ``limit`` are trusted (the caller validated them).
    """
    from . import logs, task_groups, tokens

    clauses: list[str] = []
    params: list[Any] = []
    if status:
        clauses.append("status = ?")
        params.append(status)
    if search:
        # LIKE with our own escape character, so % and _ in the search are literal.
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append("(session_id LIKE ? ESCAPE '\\' OR original_requirements LIKE ? ESCAPE '\\')")
        params += [pattern, pattern]
    where = f"WHERE {' AND '.join(clauses)} " if clauses else ""
    rows = decode_all(tx.all(
        f"SELECT * FROM sessions {where}ORDER BY created_at DESC NULLS LAST, session_id DESC LIMIT ?",
        (*params, limit),
    ), "sessions")
    ids = [row["session_id"] for row in rows]
    progress, usage, activity = {}, {}, {}  # type: dict[str, Any], dict[str, Any], dict[str, Any]
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        progress.update(task_groups.progress_of_sessions(tx, chunk))
        usage.update(tokens.totals_of_sessions(tx, chunk))
        activity.update(logs.activity_of_sessions(tx, chunk))
    for row in rows:
        session_id = row["session_id"]
        row.update(progress.get(session_id) or {"groups_total": 0, "groups_done": 0})
        row.update(usage.get(session_id) or {"tokens": 0, "cost_usd": None})
        row.update(activity.get(session_id) or {"log_count": 0, "last_activity": None})
    return rows
