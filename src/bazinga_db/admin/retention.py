"""Retention: deleting finished sessions with all their rows (prune), and giving the space
back to the file system (vacuum)."""

from __future__ import annotations

import time

from ..db.schema import SESSION_TABLES
from ..errors import DatabaseError, InvalidInput
from ..util import validation as v

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any

    from ..core import Store

FINISHED_STATUSES = ("completed", "failed")
_DURATION = r"^\s*(\d+)\s*([wdhm])\s*$"
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}


def prune(db: Store, older_than: str, status: str | None = None, dry_run: bool = False) -> dict[str, Any]:
    """Delete finished sessions older than the cutoff, with all their rows; report counts per table
    and, in ``session_details``, each session's id, status, end_time and created_at.

    A session's age is its end_time, else its created_at. Active sessions are never deleted.
    """
    cutoff = parse_cutoff(older_than)
    statuses: tuple[str, ...] = FINISHED_STATUSES
    if status is not None:
        if isinstance(status, str) and status.strip().lower() == "active":
            raise InvalidInput("prune never deletes active sessions; --status must be completed or failed")
        statuses = (v.choice(status, "status", FINISHED_STATUSES),)
    marks = ", ".join("?" * len(statuses))
    where = f"FROM sessions WHERE status IN ({marks}) AND COALESCE(end_time, created_at) < ?"
    chosen = f"SELECT session_id {where}"
    params = (*statuses, cutoff)
    with db.write() as tx:
        details = [
            {"session_id": row["session_id"], "status": row["status"], "end_time": row["end_time"],
             "created_at": row["created_at"]}
            for row in tx.all(f"SELECT session_id, status, end_time, created_at {where} ORDER BY session_id", params)
        ]
        sessions = [detail["session_id"] for detail in details]
        removed = {"sessions": len(sessions)}
        for table in SESSION_TABLES:
            row = tx.one(f"SELECT COUNT(*) AS n FROM {table} WHERE session_id IN ({chosen})", params)
            removed[table] = int(row["n"]) if row else 0
        if not dry_run and sessions:
            orphans = "SELECT COUNT(*) AS n FROM {} WHERE session_id NOT IN (SELECT session_id FROM sessions)"
            before = {table: tx.one(orphans.format(table))["n"] for table in SESSION_TABLES}  # type: ignore[index]
            tx.execute(f"DELETE FROM sessions WHERE session_id IN ({chosen})", params)
            for table in SESSION_TABLES:
                # Foreign keys cascade the delete; this check stops a file whose
                # constraints were lost from keeping the rows of deleted sessions.
                if tx.one(orphans.format(table))["n"] != before[table]:  # type: ignore[index]
                    raise DatabaseError(
                        f"deleting sessions left their rows in {table} behind (this file lacks its "
                        "foreign keys); nothing was deleted"
                    )
    return {"dry_run": bool(dry_run), "cutoff": cutoff, "statuses": list(statuses),
            "sessions": sessions, "removed": removed, "session_details": details}


def vacuum(db: Store) -> dict[str, Any]:
    """Give the space of deleted rows back to the file system; report the size before and after."""
    if db.backend.dialect == "sqlite":
        from ..db.schema import LOG_SEARCH_TABLE

        with db.write() as tx:  # also brings the schema up to date first
            if tx.one("SELECT 1 AS found FROM sqlite_master WHERE name = ?", (LOG_SEARCH_TABLE,)):
                tx.execute(f"INSERT INTO {LOG_SEARCH_TABLE} ({LOG_SEARCH_TABLE}) VALUES ('optimize')")
    else:
        db.check_schema(for_write=True)
    started = time.monotonic()
    before, after = db.backend.vacuum()
    return {"database": db.location, "bytes_before": before, "bytes_after": after,
            "bytes_freed": before - after, "seconds": round(time.monotonic() - started, 3)}


def parse_cutoff(older_than: Any) -> str:
    """``30d``, ``12h``, ``45m``, ``2w`` before now, or an ISO-8601 date/time, as a stored timestamp."""
    if not isinstance(older_than, str) or not older_than.strip():
        raise InvalidInput("--older-than must be given: a duration such as 30d, 12h or 45m, or a date such as 2025-01-31")
    import re
    from datetime import datetime, timedelta, timezone

    match = re.match(_DURATION, older_than, re.IGNORECASE)
    if match:
        amount, unit = int(match.group(1)), match.group(2).lower()
        moment = datetime.now(timezone.utc) - timedelta(**{_UNITS[unit]: amount})
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    try:
        return v.timestamp(older_than, "older_than")
    except InvalidInput:
        raise InvalidInput(
            f"invalid --older-than {older_than!r}: give a duration (a number with d for days, h for hours, "
            "m for minutes or w for weeks, e.g. 30d) or an ISO-8601 UTC date such as 2025-01-31"
        ) from None
