"""The store's core: opening a database, read and write transactions, the schema check,
notices, and the row helpers every record family shares.

``Store`` is what a record family's functions receive (``records/*.py``); ``BazingaDB``
(``store.py``) is a ``Store`` with every operation as a method. A write is always::

    with db.write() as tx:      # BEGIN IMMEDIATE (SQLite) or the write lock (PostgreSQL)
        ensure_session(db, tx, session_id)
        return insert(db, tx, "orchestration_logs", values)
"""

from __future__ import annotations

import os

from .db.backends import open_backend
from .db.migrations import LATEST_VERSION
from .db.paths import resolve_target
from .db.schema import JSON_COLUMNS
from .errors import DatabaseError, SchemaTooNew, SessionNotFound
from .util.clock import utc_now

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from typing import Any, TypeVar

    from .db.backends import Backend, Transaction

    _Store = TypeVar("_Store", bound="Store")


class Store:
    """An open database: ``Store()`` opens the default one (``BAZINGA_DB``, else
    ``bazinga/bazinga.db`` under the project root); ``Store("path.db")`` or
    ``Store("postgresql://…")`` another. The database and its folder are created on first use.
    """

    def __init__(self, db: str | os.PathLike[str] | None = None, *, read_only: bool = False) -> None:
        self.target = resolve_target(None if db is None else os.fspath(db))
        self.read_only = read_only
        self.backend: Backend = open_backend(self.target, read_only=read_only)
        self._version: int | None = None
        self._too_new: SchemaTooNew | None = None
        #: Things worth telling the caller about the last call, e.g. ("session_auto_created", id).
        self.notices: list[tuple[str, str]] = []

    def close(self) -> None:
        self.backend.close()

    def __enter__(self: _Store) -> _Store:  # noqa: PYI019 (typing.Self needs Python 3.11)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def location(self) -> str:
        return self.backend.location

    # -- schema ---------------------------------------------------------------------------

    def migrate(self) -> dict[str, Any]:
        """Apply pending migrations now; report the version and what was applied."""
        from .db.migrations.steps import migrate

        if self.read_only:
            version = self.backend.schema_version()
            return {"schema_version": version, "latest": LATEST_VERSION, "applied": []}
        applied = migrate(self.backend)
        self._version = LATEST_VERSION
        return {"schema_version": self._version, "latest": LATEST_VERSION, "applied": applied}

    def check_schema(self, *, for_write: bool) -> None:
        """Bring the database to the current schema on first use; refuse writes to a newer one."""
        if self._version is None:
            version = self.backend.schema_version()
            if version == LATEST_VERSION:  # the steady state: nothing more to import or do
                self._version = version
                self._too_new = None
                return
            from .db.migrations.steps import migrate, too_new

            if version < LATEST_VERSION:
                if self.read_only:
                    raise DatabaseError(
                        f"database {self.location} needs a schema upgrade before it can be read",
                        hint="run `bazinga-db migrate` once with write access",
                    )
                # A file another tool made also has version 0, but it is migrated, not initialised.
                is_new = version == 0 and self.backend.is_empty()
                applied = migrate(self.backend)
                if applied:
                    # The process that created the tables says "initialised"; one that only
                    # applied later migrations (another process started first) says "migrated".
                    created = is_new and applied[0] == "m001_initial"
                    self.notices.append(("database_initialized" if created else "database_migrated", self.location))
                version = LATEST_VERSION
            self._version = version
            self._too_new = too_new(self.backend, version) if version > LATEST_VERSION else None
        if for_write and self._too_new is not None:
            raise self._too_new

    # -- transactions ---------------------------------------------------------------------

    def write(self) -> AbstractContextManager[Transaction]:
        """One write transaction, retried on a busy database, committed once."""
        self.notices = []
        if self.read_only:
            raise DatabaseError(f"database {self.location} was opened read-only")
        self.check_schema(for_write=True)
        return self.backend.write()

    def read(self) -> AbstractContextManager[Transaction]:
        """One consistent snapshot: every query inside sees the same committed state."""
        self.notices = []
        self.check_schema(for_write=False)
        return self.backend.read()


# -- rows ---------------------------------------------------------------------------------


def decode(row: dict[str, Any] | None, table: str) -> dict[str, Any] | None:
    """Turn the JSON columns of a row of ``table`` back into objects."""
    if row is None:
        return None
    for key in JSON_COLUMNS[table].intersection(row):
        if isinstance(row[key], str):
            import json  # here, not at the top: a log write never needs it (start-up time)

            try:
                row[key] = json.loads(row[key])
            except ValueError:
                pass  # text written by another tool: return it as it is
    return row


def decode_all(rows: list[dict[str, Any]], table: str) -> list[dict[str, Any]]:
    return [decode(row, table) for row in rows]  # type: ignore[misc]


def where_group(group_id: str | None) -> tuple[str, tuple[Any, ...]]:
    """The SQL condition for "this group" (None: the session-wide records)."""
    if group_id is None:
        return "group_id IS NULL", ()
    return "group_id = ?", (group_id,)


def ensure_session(db: Store, tx: Transaction, session_id: str) -> None:
    """Create a missing session with defaults (the seed's rule for writes)."""
    now = utc_now()
    tx.execute(
        "INSERT INTO sessions (session_id, start_time, mode, original_requirements, status, "
        "created_at, updated_at, metadata) VALUES (?, ?, 'simple', '', 'active', ?, ?, ?) "
        "ON CONFLICT (session_id) DO NOTHING",
        (session_id, now, now, now, '{"auto_created":true}'),
    )
    if tx.rowcount() == 1:
        db.notices.append(("session_auto_created", session_id))


def require_session(tx: Transaction, session_id: str) -> dict[str, Any]:
    row = tx.one("SELECT * FROM sessions WHERE session_id = ?", (session_id,))
    if row is None:
        raise SessionNotFound(
            f"session {session_id!r} not found", hint="list sessions with `bazinga-db list-sessions`"
        )
    return decode(row, "sessions")  # type: ignore[return-value]


def append(db: Store, table: str, values: dict[str, Any]) -> dict[str, Any]:
    """One write: the session (created if missing) and a new row of a session's record."""
    with db.write() as tx:
        ensure_session(db, tx, values["session_id"])
        return insert(db, tx, table, values)


def insert(db: Store, tx: Transaction, table: str, values: dict[str, Any]) -> dict[str, Any]:
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
            db.notices.append(("idempotent_replay", str(key)))
            return decode(row, table)  # type: ignore[return-value]
    values = redact(tx, values, JSON_COLUMNS[table])
    columns = ", ".join(values)
    marks = ", ".join("?" * len(values))
    row = tx.one(f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING *", tuple(values.values()))
    return decode(row, table)  # type: ignore[return-value]


def redact(tx: Transaction, values: dict[str, Any], json_columns: frozenset[str] = frozenset()) -> dict[str, Any]:
    """``values`` with secrets in their text and JSON columns replaced by markers.

    The configuration is read only when something would be redacted, so ordinary
    writes pay no extra query.
    """
    from .util import redaction

    enabled = redaction.env_setting()
    if enabled is False:
        return values
    redacted = redaction.redact_values(values, json_columns)
    if redacted == values:
        return values
    if enabled is None:
        row = decode(tx.one("SELECT value FROM configuration WHERE key = ?", (redaction.CONFIG_KEY,)), "configuration")
        enabled = redaction.config_allows(None if row is None else row["value"])
    return redacted if enabled else values
