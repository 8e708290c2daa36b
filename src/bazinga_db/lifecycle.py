"""Operations over a database's life: state history and diffs, log search, prices, session
comparison, and retention (prune, vacuum). Export and import are in ``export_import.py``.
"""

from __future__ import annotations

import os
import time

from . import validation as v
from .errors import DatabaseError, InvalidInput, NotFound
from .reports import _token_summary
from .store_base import StoreBase, decode, utc_now, where_group

# This mixin is part of BazingaDB, so it is imported by every call: the modules only its
# commands need (re, datetime, search, costs, jsondiff) are imported inside them.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import datetime
    from typing import Any

# Tables holding rows of a session, all deleted with it (ON DELETE CASCADE).
SESSION_TABLES = (
    "orchestration_logs", "state_snapshots", "task_groups", "task_group_events",
    "token_usage", "skill_outputs", "decisions",
)
FINISHED_STATUSES = ("completed", "failed")
_DURATION = r"^\s*(\d+)\s*([wdhm])\s*$"
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
SEARCH_LIMIT = 20


class Lifecycle(StoreBase):
    # -- state history ------------------------------------------------------------------

    def state_history(
        self, session_id: str, state_type: str, group_id: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Every saved state of that type, newest first: id, timestamp, group_id, state_data."""
        session_id = v.identifier(session_id, "session_id")
        state_type = v.name(state_type, "state_type")
        where, params = where_group(v.optional_identifier(group_id, "group_id"))
        sql = (
            "SELECT id, timestamp, group_id, state_data FROM state_snapshots "
            f"WHERE session_id = ? AND state_type = ? AND {where} ORDER BY id DESC"
        )
        all_params: list[Any] = [session_id, state_type, *params]
        if limit is not None:
            sql += " LIMIT ?"
            all_params.append(v.integer(limit, "limit", minimum=1, maximum=v.MAX_LIMIT))
        with self._read() as tx:
            self._require_session(tx, session_id)
            return [decode(row) for row in tx.all(sql, all_params)]  # type: ignore[misc]

    def state_diff(
        self,
        session_id: str,
        state_type: str,
        from_id: int | None = None,
        to_id: int | None = None,
        group_id: str | None = None,
    ) -> dict[str, Any]:
        """What changed between two saved states (default: the one before the newest, and the newest)."""
        from . import jsondiff

        session_id = v.identifier(session_id, "session_id")
        state_type = v.name(state_type, "state_type")
        group_id = v.optional_identifier(group_id, "group_id")
        from_id = v.optional_integer(from_id, "from_id", minimum=1)
        to_id = v.optional_integer(to_id, "to_id", minimum=1)
        where, params = where_group(group_id)
        with self._read() as tx:
            self._require_session(tx, session_id)
            newest = tx.all(
                "SELECT id, timestamp, group_id, state_data FROM state_snapshots "
                f"WHERE session_id = ? AND state_type = ? AND {where} ORDER BY id DESC LIMIT 2",
                (session_id, state_type, *params),
            )
            if to_id is None and not newest:
                scope = f" of group {group_id}" if group_id else ""
                raise NotFound(f"no {state_type} state{scope} saved in session {session_id!r}")
            to_row = self._state_row(tx, session_id, state_type, group_id, to_id) if to_id else newest[0]
            from_row: dict[str, Any] | None
            if from_id is not None:
                from_row = self._state_row(tx, session_id, state_type, group_id, from_id)
            elif to_id is None:
                from_row = newest[1] if len(newest) > 1 else None
            else:
                from_row = tx.one(
                    "SELECT id, timestamp, group_id, state_data FROM state_snapshots WHERE session_id = ? "
                    "AND state_type = ? AND id < ? AND group_id IS NOT DISTINCT FROM ? ORDER BY id DESC LIMIT 1"
                    if tx.dialect == "postgres" else
                    "SELECT id, timestamp, group_id, state_data FROM state_snapshots WHERE session_id = ? "
                    "AND state_type = ? AND id < ? AND group_id IS ? ORDER BY id DESC LIMIT 1",
                    (session_id, state_type, to_row["id"], to_row["group_id"]),
                )
        new = decode(to_row)["state_data"]  # type: ignore[index]
        if from_row is None:
            old: Any = {} if isinstance(new, dict) else [] if isinstance(new, list) else None
            changes = jsondiff.diff(old, new) if old is not None else [
                {"path": jsondiff.ROOT, "op": "add", "old": None, "new": new}
            ]
        else:
            changes = jsondiff.diff(decode(from_row)["state_data"], new)  # type: ignore[index]
        return {
            "session_id": session_id,
            "state_type": state_type,
            "group_id": to_row["group_id"],
            "from": None if from_row is None else {"id": from_row["id"], "timestamp": from_row["timestamp"]},
            "to": {"id": to_row["id"], "timestamp": to_row["timestamp"]},
            "changes": changes,
        }

    def _state_row(
        self, tx: Any, session_id: str, state_type: str, group_id: str | None, state_id: int
    ) -> dict[str, Any]:
        row = tx.one(
            "SELECT id, timestamp, group_id, state_data, session_id, state_type FROM state_snapshots WHERE id = ?",
            (state_id,),
        )
        if row is None or row["session_id"] != session_id or row["state_type"] != state_type or (
            group_id is not None and row["group_id"] != group_id
        ):
            scope = f" of group {group_id!r}" if group_id else ""
            ids = [r["id"] for r in tx.all(
                "SELECT id FROM state_snapshots WHERE session_id = ? AND state_type = ? ORDER BY id DESC LIMIT 10",
                (session_id, state_type),
            )]
            known = f"; its newest ids are {', '.join(map(str, ids))}" if ids else "; it has none"
            raise InvalidInput(
                f"state id {state_id} is not a {state_type} state{scope} of session {session_id!r}{known}",
                hint=f"list them with `bazinga-db state-history {session_id} {state_type}`",
            )
        return row  # type: ignore[no-any-return]

    # -- search -------------------------------------------------------------------------

    def search_logs(
        self,
        query: str,
        session_id: str | None = None,
        agent_type: str | None = None,
        limit: int = SEARCH_LIMIT,
    ) -> list[dict[str, Any]]:
        """Log entries matching the words of ``query``, best first, with a highlighted snippet."""
        query = v.text(query, "query")
        session_id = v.optional_identifier(session_id, "session_id")
        agent_type = None if agent_type is None else v.name(agent_type, "agent_type", v.KNOWN_AGENT_TYPES)
        limit = v.integer(limit, "limit", minimum=1, maximum=v.MAX_LIMIT)
        from . import search

        with self._read() as tx:
            if session_id is not None:
                self._require_session(tx, session_id)
            return search.search(tx, query, session_id, agent_type, limit)

    # -- prices -------------------------------------------------------------------------

    def prices(self) -> dict[str, Any]:
        """The price table in effect: the defaults with `set-config prices` laid over them."""
        from . import costs

        with self._read() as tx:
            row = decode(tx.one("SELECT value FROM configuration WHERE key = ?", (costs.PRICES_KEY,)))
            table = costs.price_table(tx)
        configured = row["value"] if row and isinstance(row["value"], dict) else {}
        return {
            "unit": "USD per million tokens",
            "note": "defaults are vendor list prices when this version was released and may be out of date; "
                    "override them with `bazinga-db set-config prices '{\"model\": {\"input\": 3, \"output\": 15}}'`",
            "configured": sorted(configured),
            "prices": dict(sorted(table.items())),
        }

    # -- comparison ---------------------------------------------------------------------

    def compare_sessions(self, session_a: str, session_b: str) -> dict[str, Any]:
        """Two sessions side by side: status, duration, tokens, cost, task groups, revisions, reviews."""
        session_a = v.identifier(session_a, "session_a")
        session_b = v.identifier(session_b, "session_b")
        if session_a == session_b:
            raise InvalidInput(f"compare-sessions needs two different sessions, got {session_a!r} twice")
        now = utc_now()
        with self._read() as tx:
            summaries = [self._session_summary(tx, session_id, now) for session_id in (session_a, session_b)]
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

    def _session_summary(self, tx: Any, session_id: str, now: str) -> dict[str, Any]:
        session = self._require_session(tx, session_id)
        tokens = _token_summary(tx, session_id, "agent_type")
        groups = tx.all("SELECT status, revision_count, last_review_status FROM task_groups WHERE session_id = ?",
                        (session_id,))
        counts = {status: 0 for status in v.TASK_STATUSES}
        reviews = {status: 0 for status in v.REVIEW_STATUSES}
        for group in groups:
            counts[group["status"]] = counts.get(group["status"], 0) + 1
            if group["last_review_status"]:
                reviews[group["last_review_status"]] = reviews.get(group["last_review_status"], 0) + 1
        logs = tx.one("SELECT COUNT(*) AS n, MAX(iteration) AS iterations FROM orchestration_logs WHERE session_id = ?",
                      (session_id,))
        start = _parse_time(session.get("start_time") or session.get("created_at"))
        end = _parse_time(session.get("end_time") or (now if session["status"] == "active" else session.get("updated_at")))
        return {
            "session_id": session_id,
            "status": session["status"],
            "mode": session.get("mode"),
            "start_time": session.get("start_time"),
            "end_time": session.get("end_time"),
            "running": session["status"] == "active",
            "duration_s": round((end - start).total_seconds(), 3) if start and end else None,
            "total_tokens": tokens["total_tokens"],
            "tokens_by_agent_type": tokens["breakdown"],
            "cost_usd": tokens["cost_usd"],
            "groups_total": len(groups),
            "groups_completed": counts.get("completed", 0),
            "groups_failed": counts.get("failed", 0),
            "group_status_counts": counts,
            "revisions": sum(int(group["revision_count"] or 0) for group in groups),
            "review_outcomes": reviews,
            "log_count": int(logs["n"]) if logs else 0,
            "iterations": logs["iterations"] if logs else None,
        }

    # -- retention ----------------------------------------------------------------------

    def prune(self, older_than: str, status: str | None = None, dry_run: bool = False) -> dict[str, Any]:
        """Delete finished sessions older than the cutoff, with all their rows; report counts per table.

        A session's age is its end_time, else its created_at. Active sessions are never deleted.
        """
        cutoff = parse_cutoff(older_than)
        statuses: tuple[str, ...] = FINISHED_STATUSES
        if status is not None:
            if isinstance(status, str) and status.strip().lower() == "active":
                raise InvalidInput("prune never deletes active sessions; --status must be completed or failed")
            statuses = (v.choice(status, "status", FINISHED_STATUSES),)
        marks = ", ".join("?" * len(statuses))
        chosen = f"SELECT session_id FROM sessions WHERE status IN ({marks}) AND COALESCE(end_time, created_at) < ?"
        params = (*statuses, cutoff)
        with self._write() as tx:
            sessions = [row["session_id"] for row in tx.all(chosen + " ORDER BY session_id", params)]
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
                "sessions": sessions, "removed": removed}

    def vacuum(self) -> dict[str, Any]:
        """Give the space of deleted rows back to the file system; report the size before and after."""
        if self._backend.dialect == "postgres":
            return self._vacuum_postgres()
        import sqlite3

        from . import search
        from .backends.sqlite import translate_error

        with self._write() as tx:  # also brings the schema up to date first
            if tx.one("SELECT 1 AS found FROM sqlite_master WHERE name = ?", (search.FTS_TABLE,)):
                tx.execute(f"INSERT INTO {search.FTS_TABLE} ({search.FTS_TABLE}) VALUES ('optimize')")
        path = self.location
        before = _file_bytes(path)
        connection = self._backend.connection  # type: ignore[attr-defined]
        started = time.monotonic()
        try:
            # VACUUM cannot run inside a transaction; in WAL mode the rewritten pages go to
            # the log first, so checkpoint to get them into (and the size out of) the file.
            connection.execute("VACUUM")
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            raise translate_error(exc, path) from exc
        after = _file_bytes(path)
        return {"database": path, "bytes_before": before, "bytes_after": after,
                "bytes_freed": before - after, "seconds": round(time.monotonic() - started, 3)}


    def _vacuum_postgres(self) -> dict[str, Any]:
        # Plain VACUUM (not FULL): it makes dead rows' space reusable and returns empty
        # pages at the end of a table, without the exclusive lock that would stop agents.
        self._ensure_schema(for_write=True)
        connection = self._backend.connection  # type: ignore[attr-defined]  # autocommit
        size = "SELECT pg_database_size(current_database()) AS bytes"
        started = time.monotonic()
        before = int(connection.execute(size).fetchone()["bytes"])
        connection.execute("VACUUM (ANALYZE)")
        after = int(connection.execute(size).fetchone()["bytes"])
        return {"database": self.location, "bytes_before": before, "bytes_after": after,
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


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    from datetime import datetime, timezone

    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _file_bytes(path: str) -> int:
    return sum(os.path.getsize(part) for part in (path, path + "-wal") if os.path.exists(part))
