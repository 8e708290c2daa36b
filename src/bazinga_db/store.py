"""BazingaDB: every operation of the product as a method. Validates, stores, returns data.

Methods return plain dicts and lists (JSON columns decoded) and raise the exceptions of
``errors.py``; nothing here prints. Each write is one transaction (``self._write()``).
Sessions, logs, state and task groups live here; tokens, skill outputs, configuration
and decisions in ``records.py``; snapshots, summaries and queries in ``reports.py``;
history, search, prices, comparison and retention in ``lifecycle.py``; export and
import in ``export_import.py``.
"""

from __future__ import annotations

from . import validation as v
from .errors import AmbiguousTaskGroup, Conflict, InvalidInput, SessionNotFound, TaskGroupNotFound
from .export_import import Transfer
from .lifecycle import Lifecycle
from .records import Records
from .reports import Reports
from .store_base import decode, utc_now, where_group

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any

    from .backends import Transaction


class BazingaDB(Records, Reports, Lifecycle, Transfer):
    """The bazinga-db store.

    ``BazingaDB()`` opens the default database (``BAZINGA_DB``, else ``bazinga/bazinga.db``
    under the project root); ``BazingaDB("path.db")`` or ``BazingaDB("postgresql://…")``
    open another. The database and its folder are created on first use. Every operation
    of the CLI is a method here with the same name and argument names.
    """

    # -- sessions -----------------------------------------------------------------------

    def create_session(
        self,
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
        with self._write() as tx:
            requirements = self._redact(tx, {"original_requirements": requirements})["original_requirements"]
            existing = decode(tx.one("SELECT * FROM sessions WHERE session_id = ?", (session_id,)))
            if existing is None:
                return decode(tx.one(  # type: ignore[return-value]
                    "INSERT INTO sessions (session_id, start_time, mode, original_requirements, status, "
                    "created_at, updated_at, metadata) VALUES (?, ?, ?, ?, 'active', ?, ?, ?) RETURNING *",
                    (session_id, now, mode, requirements, now, now, metadata_text),
                ))
            old_metadata = existing.get("metadata")
            if isinstance(old_metadata, dict) and old_metadata.get("auto_created"):
                # A log or state write created it with defaults; now it gets its real values.
                merged = {key: value for key, value in old_metadata.items() if key != "auto_created"}
                merged.update(metadata or {})
                self.notices.append(("session_completed_from_defaults", session_id))
                return decode(tx.one(  # type: ignore[return-value]
                    "UPDATE sessions SET mode = ?, original_requirements = ?, metadata = ?, updated_at = ? "
                    "WHERE session_id = ? RETURNING *",
                    (mode, requirements, v.json_document(merged, "metadata") if merged else None, now, session_id),
                ))
            if existing["mode"] == mode and (existing["original_requirements"] or "") == requirements:
                self.notices.append(("session_exists", session_id))
                return existing
            raise Conflict(
                f"session {session_id!r} already exists with mode {existing['mode']!r} and other "
                "requirements; nothing was changed",
                hint="choose a new session id, or read it with `bazinga-db get-session`",
            )

    def get_session(self, session_id: str) -> dict[str, Any]:
        session_id = v.identifier(session_id, "session_id")
        with self._read() as tx:
            return self._require_session(tx, session_id)

    def list_sessions(self, limit: int = 10, status: str | None = None) -> list[dict[str, Any]]:
        limit = v.integer(limit, "limit", minimum=1, maximum=v.MAX_LIMIT)
        sql, params = "SELECT * FROM sessions", ()  # type: tuple[str, tuple[Any, ...]]
        if status is not None:
            sql, params = sql + " WHERE status = ?", (v.choice(status, "status", v.SESSION_STATUSES),)
        with self._read() as tx:
            rows = tx.all(sql + " ORDER BY created_at DESC NULLS LAST, session_id DESC LIMIT ?", (*params, limit))
        return [decode(row) for row in rows]  # type: ignore[misc]

    def update_session_status(self, session_id: str, status: str) -> dict[str, Any]:
        session_id = v.identifier(session_id, "session_id")
        status = v.choice(status, "status", v.SESSION_STATUSES)
        now = utc_now()
        end_time = now if status in ("completed", "failed") else None
        with self._write() as tx:
            row = tx.one(
                "UPDATE sessions SET status = ?, end_time = ?, updated_at = ? WHERE session_id = ? RETURNING *",
                (status, end_time, now, session_id),
            )
            if row is None:
                raise SessionNotFound(f"session {session_id!r} not found; nothing was changed")
            return decode(row)  # type: ignore[return-value]

    # -- logs ---------------------------------------------------------------------------

    def log_interaction(
        self,
        session_id: str,
        agent_type: str,
        content: str,
        iteration: int | None = None,
        agent_id: str | None = None,
        group_id: str | None = None,
        log_type: str = "interaction",
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        values: dict[str, Any] = {
            "session_id": v.identifier(session_id, "session_id"),
            "timestamp": utc_now(),
            "iteration": v.optional_integer(iteration, "iteration"),
            "agent_type": v.name(agent_type, "agent_type", v.KNOWN_AGENT_TYPES),
            "agent_id": v.optional_identifier(agent_id, "agent_id"),
            "content": v.text(content, "content"),
            "group_id": v.optional_identifier(group_id, "group_id"),
            "log_type": v.name(log_type, "log_type"),
            "idempotency_key": v.optional_identifier(idempotency_key, "idempotency_key"),
        }
        return self._append("orchestration_logs", values)

    def get_logs(
        self,
        session_id: str,
        limit: int | None = None,
        agent_type: str | None = None,
        since: str | None = None,
        group_id: str | None = None,
        after_id: int | None = None,
        log_type: str | None = None,
    ) -> list[dict[str, Any]]:
        """Logs in the order they were written; ``limit`` keeps the newest N."""
        session_id = v.identifier(session_id, "session_id")
        clauses, params = ["session_id = ?"], [session_id]  # type: list[str], list[Any]
        if agent_type is not None:
            clauses.append("agent_type = ?")
            params.append(v.name(agent_type, "agent_type", v.KNOWN_AGENT_TYPES))
        if since is not None:
            clauses.append("timestamp > ?")
            params.append(v.timestamp(since, "since"))
        if group_id is not None:
            clauses.append("group_id = ?")
            params.append(v.identifier(group_id, "group_id"))
        if after_id is not None:
            clauses.append("id > ?")
            params.append(v.integer(after_id, "after_id"))
        if log_type is not None:
            clauses.append("log_type = ?")
            params.append(v.name(log_type, "log_type"))
        sql = f"SELECT * FROM orchestration_logs WHERE {' AND '.join(clauses)} ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(v.integer(limit, "limit", minimum=1, maximum=v.MAX_LIMIT))
        with self._read() as tx:
            self._require_session(tx, session_id)
            rows = tx.all(sql, params)
        rows.reverse()
        return rows

    def stream_logs(self, session_id: str, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """The newest ``limit`` logs after skipping the newest ``offset``, oldest first."""
        session_id = v.identifier(session_id, "session_id")
        limit = v.integer(limit, "limit", minimum=1, maximum=v.MAX_LIMIT)
        offset = v.integer(offset, "offset")
        with self._read() as tx:
            self._require_session(tx, session_id)
            rows = tx.all(
                "SELECT * FROM orchestration_logs WHERE session_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
                (session_id, limit, offset),
            )
        rows.reverse()
        return rows

    # -- state snapshots ----------------------------------------------------------------

    def save_state(
        self,
        session_id: str,
        state_type: str,
        state_data: Any,
        group_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        values: dict[str, Any] = {
            "session_id": v.identifier(session_id, "session_id"),
            "timestamp": utc_now(),
            "state_type": v.name(state_type, "state_type"),
            "state_data": v.json_document(state_data, "state_data"),
            "group_id": v.optional_identifier(group_id, "group_id"),
            "idempotency_key": v.optional_identifier(idempotency_key, "idempotency_key"),
        }
        return self._append("state_snapshots", values)

    def get_state(self, session_id: str, state_type: str, group_id: str | None = None) -> Any:
        """The newest state of that type, or None."""
        session_id = v.identifier(session_id, "session_id")
        state_type = v.name(state_type, "state_type")
        where, params = where_group(v.optional_identifier(group_id, "group_id"))
        with self._read() as tx:
            self._require_session(tx, session_id)
            row = decode(tx.one(
                f"SELECT state_data FROM state_snapshots WHERE session_id = ? AND state_type = ? AND {where} "
                "ORDER BY id DESC LIMIT 1",
                (session_id, state_type, *params),
            ))
        return None if row is None else row["state_data"]

    # -- task groups --------------------------------------------------------------------

    def create_task_group(
        self,
        group_id: str,
        session_id: str,
        name: str,
        status: str = "pending",
        assigned_to: str | None = None,
    ) -> dict[str, Any]:
        group_id = v.identifier(group_id, "group_id")
        session_id = v.identifier(session_id, "session_id")
        name = v.text(name, "name")
        status = v.choice(status, "status", v.TASK_STATUSES)
        assigned_to = v.optional_identifier(assigned_to, "assigned_to")
        now = utc_now()
        with self._write() as tx:
            self._ensure_session(tx, session_id)
            existing = tx.one("SELECT * FROM task_groups WHERE session_id = ? AND id = ?", (session_id, group_id))
            if existing is not None:
                if existing["name"] == name and existing["status"] == status and existing["assigned_to"] == assigned_to:
                    self.notices.append(("task_group_exists", group_id))
                    return existing
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
            self._record_group_event(tx, session_id, group_id, now, changes)
            return row  # type: ignore[return-value]

    def update_task_group(
        self,
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
        with self._write() as tx:
            session_id = self._resolve_group_session(tx, group_id, session_id)
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
            changes = {
                column: [old[column], row[column]]
                for column in ("name", "status", "assigned_to", "revision_count", "last_review_status")
                if old[column] != row[column]
            }
            if changes:
                self._record_group_event(tx, session_id, group_id, now, changes)
            return row

    def _resolve_group_session(self, tx: Transaction, group_id: str, session_id: str | None) -> str:
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

    def _record_group_event(
        self, tx: Transaction, session_id: str, group_id: str, now: str, changes: dict[str, Any]
    ) -> None:
        import json  # imported where used: most calls never need it (start-up time)

        tx.execute(
            "INSERT INTO task_group_events (session_id, group_id, timestamp, changes) VALUES (?, ?, ?, ?)",
            (session_id, group_id, now, json.dumps(changes, ensure_ascii=False, separators=(",", ":"))),
        )

    def get_task_groups(self, session_id: str, status: str | None = None) -> list[dict[str, Any]]:
        session_id = v.identifier(session_id, "session_id")
        sql, params = "SELECT * FROM task_groups WHERE session_id = ?", [session_id]
        if status is not None:
            sql += " AND status = ?"
            params.append(v.choice(status, "status", v.TASK_STATUSES))
        with self._read() as tx:
            self._require_session(tx, session_id)
            return tx.all(sql + " ORDER BY created_at NULLS FIRST, id", params)

    def get_task_group_events(self, session_id: str, group_id: str | None = None) -> list[dict[str, Any]]:
        """The timeline of task-group changes, oldest first."""
        session_id = v.identifier(session_id, "session_id")
        sql, params = "SELECT * FROM task_group_events WHERE session_id = ?", [session_id]
        if group_id is not None:
            sql += " AND group_id = ?"
            params.append(v.identifier(group_id, "group_id"))
        with self._read() as tx:
            self._require_session(tx, session_id)
            return [decode(row) for row in tx.all(sql + " ORDER BY id", params)]  # type: ignore[misc]
