"""The store's foundation: opening, schema checks, transactions and shared helpers.

``BazingaDB`` (store.py) is built from this base and the operation mixins beside it.
"""

from __future__ import annotations

import os
import time

from .backends import open_backend
from .errors import DatabaseError, SchemaTooNew, SessionNotFound
from .paths import resolve_target
from .schema import JSON_COLUMNS

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from typing import Any, TypeVar

    from .backends import Backend, Transaction

    _Store = TypeVar("_Store", bound="StoreBase")


# The schema version this code writes: len(migrations.MIGRATIONS), kept here so that an
# up-to-date database is recognised without importing the migrations (a test checks it).
SCHEMA_VERSION = 2


def utc_now() -> str:
    """UTC ISO-8601 with milliseconds, e.g. 2025-11-13T14:35:30.123Z."""
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"


def decode(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """Turn the JSON text columns of a row back into objects."""
    if row is None:
        return None
    for key in JSON_COLUMNS.intersection(row):
        if isinstance(row[key], str):
            import json  # here, not at the top: a log write never needs it (start-up time)

            try:
                row[key] = json.loads(row[key])
            except ValueError:
                pass  # text written by another tool: return it as it is
    return row


def where_group(group_id: str | None) -> tuple[str, tuple[Any, ...]]:
    if group_id is None:
        return "group_id IS NULL", ()
    return "group_id = ?", (group_id,)


class StoreBase:
    """Opening a database and running transactions on it.

    ``BazingaDB()`` opens the default database (``BAZINGA_DB``, else ``bazinga/bazinga.db``
    under the project root); ``BazingaDB("path.db")`` or ``BazingaDB("postgresql://…")``
    open another. The database and its folder are created on first use.
    """

    def __init__(self, db: str | os.PathLike[str] | None = None, *, read_only: bool = False) -> None:
        self.target = resolve_target(None if db is None else os.fspath(db))
        self.read_only = read_only
        self._backend: Backend = open_backend(self.target, read_only=read_only)
        self._version: int | None = None
        self._too_new: SchemaTooNew | None = None
        #: Things worth telling the caller about the last call, e.g. ("session_auto_created", id).
        self.notices: list[tuple[str, str]] = []

    # -- lifecycle ----------------------------------------------------------------------

    def close(self) -> None:
        self._backend.close()

    def __enter__(self: _Store) -> _Store:  # noqa: PYI019 (typing.Self needs Python 3.11)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def location(self) -> str:
        return self._backend.location

    def migrate(self) -> dict[str, Any]:
        """Apply pending migrations now; report the version and what was applied."""
        from . import migrations

        if self.read_only:
            version = self._backend.schema_version()
            return {"schema_version": version, "latest": migrations.LATEST_VERSION, "applied": []}
        applied = migrations.migrate(self._backend)
        self._version = migrations.LATEST_VERSION
        return {"schema_version": self._version, "latest": migrations.LATEST_VERSION, "applied": applied}

    def _ensure_schema(self, *, for_write: bool) -> None:
        if self._version is None:
            version = self._backend.schema_version()
            if version == SCHEMA_VERSION:  # the steady state: nothing more to import or do
                self._version = version
                self._too_new = None
                return
            from .migrations import LATEST_VERSION, migrate, too_new

            if version < LATEST_VERSION:
                if self.read_only:
                    raise DatabaseError(
                        f"database {self.location} needs a schema upgrade before it can be read",
                        hint="run `bazinga-db migrate` once with write access",
                    )
                # A file another tool made also has version 0, but it is migrated, not initialised.
                is_new = version == 0 and getattr(self._backend, "is_empty", lambda: True)()
                applied = migrate(self._backend)
                if applied:
                    # The process that created the tables says "initialised"; one that only
                    # applied later migrations (another process started first) says "migrated".
                    created = is_new and applied[0] == "m001_initial"
                    self.notices.append(("database_initialized" if created else "database_migrated", self.location))
                version = LATEST_VERSION
            self._version = version
            self._too_new = too_new(self._backend, version) if version > LATEST_VERSION else None
        if for_write and self._too_new is not None:
            raise self._too_new

    def _write(self) -> AbstractContextManager[Transaction]:
        self.notices = []
        if self.read_only:
            raise DatabaseError(f"database {self.location} was opened read-only")
        self._ensure_schema(for_write=True)
        return self._backend.write()

    def _read(self) -> AbstractContextManager[Transaction]:
        self.notices = []
        self._ensure_schema(for_write=False)
        return self._backend.read()

    # -- helpers ------------------------------------------------------------------------

    def _ensure_session(self, tx: Transaction, session_id: str) -> None:
        """Create a missing session with defaults (the seed's rule for writes)."""
        now = utc_now()
        tx.execute(
            "INSERT INTO sessions (session_id, start_time, mode, original_requirements, status, "
            "created_at, updated_at, metadata) VALUES (?, ?, 'simple', '', 'active', ?, ?, ?) "
            "ON CONFLICT (session_id) DO NOTHING",
            (session_id, now, now, now, '{"auto_created":true}'),
        )
        if tx.rowcount() == 1:
            self.notices.append(("session_auto_created", session_id))

    def _require_session(self, tx: Transaction, session_id: str) -> dict[str, Any]:
        row = tx.one("SELECT * FROM sessions WHERE session_id = ?", (session_id,))
        if row is None:
            raise SessionNotFound(
                f"session {session_id!r} not found", hint="list sessions with `bazinga-db list-sessions`"
            )
        return decode(row)  # type: ignore[return-value]

    def _append(self, table: str, values: dict[str, Any]) -> dict[str, Any]:
        """One write: the session (created if missing) and a new row of a session's record."""
        with self._write() as tx:
            self._ensure_session(tx, values["session_id"])
            return self._insert(tx, table, values)

    def _insert(self, tx: Transaction, table: str, values: dict[str, Any]) -> dict[str, Any]:
        """INSERT one row and return it; a repeated idempotency key returns the first row."""
        key = values.get("idempotency_key")
        if key is not None:
            # Looked up first rather than INSERT … ON CONFLICT DO NOTHING: PostgreSQL draws
            # the id before it detects the conflict, so a replay would leave a gap in the ids.
            # The write transaction holds the write lock, so nobody inserts the key meanwhile.
            row = tx.one(
                f"SELECT * FROM {table} WHERE session_id = ? AND idempotency_key = ?",
                (values["session_id"], key),
            )
            if row is not None:  # the key was used before: this is a retry
                self.notices.append(("idempotent_replay", str(key)))
                return decode(row)  # type: ignore[return-value]
        values = self._redact(tx, values)
        columns = ", ".join(values)
        marks = ", ".join("?" * len(values))
        row = tx.one(f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING *", tuple(values.values()))
        return decode(row)  # type: ignore[return-value]

    def _redact(self, tx: Transaction, values: dict[str, Any]) -> dict[str, Any]:
        """``values`` with secrets in their text and JSON columns replaced by markers.

        The configuration is read only when something would be redacted, so ordinary
        writes pay no extra query.
        """
        from . import redaction

        enabled = redaction.env_setting()
        if enabled is False:
            return values
        redacted = redaction.redact_values(values)
        if redacted == values:
            return values
        if enabled is None:
            row = decode(tx.one("SELECT value FROM configuration WHERE key = ?", (redaction.CONFIG_KEY,)))
            enabled = redaction.config_allows(None if row is None else row["value"])
        return redacted if enabled else values
