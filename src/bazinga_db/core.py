"""The store's core: opening a database, read and write transactions, the schema check,
notices, and the row helpers every record family shares.

``Store`` is what a record family's functions receive (``records/*.py``); ``BazingaDB``
(``store.py``) is a ``Store`` with every operation as a method. A write is always::

    with db.write(session_id) as tx:   # BEGIN IMMEDIATE (SQLite) or the session's lock (PostgreSQL)
        ensure_session(db, tx, session_id)
        return insert(db, tx, "orchestration_logs", values)

The transaction is the unit of retry: a function holding one write transaction is marked
``@retried``, and on PostgreSQL it runs again whole when the connection was lost before or
during its COMMIT (a server restart). Rows it inserts carry an internal write token, so a
second run after an unknown COMMIT outcome finds the first run's row instead of adding one.
"""

from __future__ import annotations

import os

from .db.backends import open_backend
from .db.migrations import LATEST_VERSION
from .db.paths import resolve_target
from .db.schema import JSON_COLUMNS
from .errors import DatabaseError, SchemaTooNew, SessionNotFound, TransactionInterrupted
from .util.clock import utc_now

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from contextlib import AbstractContextManager
    from typing import Any, TypeVar

    from .db.backends import Backend, Transaction

    _Store = TypeVar("_Store", bound="Store")
    _Function = TypeVar("_Function", bound=Callable[..., Any])

# How many times a write operation is run in all when connections keep being lost; the
# reconnect budget (BAZINGA_DB_RECONNECT_SECONDS) bounds the waiting between runs.
MAX_RUNS = 6


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
        # The write token of the operation being run by ``retried`` (PostgreSQL only), the
        # run number, and how many rows this run inserted (each row gets token:n).
        self.write_token: str | None = None
        self.write_run = 0
        self.write_inserts = 0

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

    def write(self, session_id: str | None = None, *, repeatable: bool = True) -> AbstractContextManager[Transaction]:
        """One write transaction, retried on a busy database, committed once.

        ``session_id`` is the one session the transaction writes to: on PostgreSQL it then
        waits only for writers of that session (None: for every writer; configuration,
        migrations and cross-session operations). ``repeatable=False`` says running the
        transaction twice would apply it twice (an increment): should the connection die
        during its COMMIT it fails with OutcomeUnknown instead of being run again.
        """
        self.notices = []
        self.write_inserts = 0
        if self.read_only:
            raise DatabaseError(f"database {self.location} was opened read-only")
        if self._version is None and self.backend.dialect == "postgres":
            return self._first_write(session_id, repeatable)
        self.check_schema(for_write=True)
        return self.backend.write(session_id, repeatable=repeatable)  # SQLite ignores the scope

    def _first_write(self, session_id: str | None, repeatable: bool) -> AbstractContextManager[Transaction]:
        """PostgreSQL's first write of a connection: the schema version comes back with BEGIN
        (one round trip less per CLI call); only a database that is not up to date then
        takes the full check (and migration) before its transaction starts again."""
        from contextlib import contextmanager

        @contextmanager
        def transaction() -> Iterator[Transaction]:
            backend: Any = self.backend
            with backend.write(session_id, repeatable=repeatable, check_version=True) as tx:
                if backend.version_seen == LATEST_VERSION:
                    self._version, self._too_new = LATEST_VERSION, None
                    yield tx
                    return
            # Not up to date (or not ours): the empty transaction above is committed; check
            # (and migrate) as every other first call does, then write.
            self.check_schema(for_write=True)
            with self.backend.write(session_id, repeatable=repeatable) as tx:
                yield tx

        return transaction()

    def read(self) -> AbstractContextManager[Transaction]:
        """One consistent snapshot: every query inside sees the same committed state."""
        self.notices = []
        self.check_schema(for_write=False)
        return self.backend.read()


def retried(function: _Function) -> _Function:
    """Mark ``function(db, …)``, which makes exactly one write transaction and has no other
    effect, as safe to run again whole after a lost connection (PostgreSQL only).

    Run again when the connection died before COMMIT (nothing was written) or during it
    (unknown outcome: the transaction said ``repeatable``; inserted rows are found again
    by their write token). Waiting for the server is bounded by the backend's budget.
    """

    def run(db: Store, *args: Any, **kwargs: Any) -> Any:
        if db.backend.dialect == "sqlite" or db.write_token is not None:
            return function(db, *args, **kwargs)  # a local file, or already inside a retried call
        db.write_token = os.urandom(12).hex()
        try:
            for db.write_run in range(1, MAX_RUNS + 1):
                try:
                    result = function(db, *args, **kwargs)
                except TransactionInterrupted:
                    if db.write_run == MAX_RUNS:
                        raise
                    continue
                if db.write_inserts and os.urandom(1)[0] == 0:  # about one write in 256
                    db.backend.forget_write_tokens()  # type: ignore[attr-defined]
                return result
            raise AssertionError("unreachable")
        finally:
            db.write_token = None
            db.write_run = 0

    run.__name__ = function.__name__
    run.__qualname__ = function.__qualname__
    run.__doc__ = function.__doc__
    run.__wrapped__ = function  # type: ignore[attr-defined]
    return run  # type: ignore[return-value]


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


@retried
def append(db: Store, table: str, values: dict[str, Any]) -> dict[str, Any]:
    """One write: the session (created if missing) and a new row of a session's record."""
    with db.write(values["session_id"]) as tx:
        ensure_session(db, tx, values["session_id"])
        return insert(db, tx, table, values)


def insert(db: Store, tx: Transaction, table: str, values: dict[str, Any]) -> dict[str, Any]:
    """INSERT one row and return it; a repeated idempotency key returns the first row."""
    key = values.get("idempotency_key")
    if key is not None:
        # Looked up first rather than INSERT … ON CONFLICT DO NOTHING: PostgreSQL draws
        # the id before it detects the conflict, so a replay would leave a gap in the ids.
        # The write transaction holds the session's lock, so nobody inserts the key meanwhile.
        row = tx.one(
            f"SELECT * FROM {table} WHERE session_id = ? AND idempotency_key = ?",
            (values["session_id"], key),
        )
        if row is not None:  # the key was used before: this is a retry
            db.notices.append(("idempotent_replay", str(key)))
            return decode(row, table)  # type: ignore[return-value]
    token = None
    if db.write_token is not None and key is None:
        db.write_inserts += 1
        token = f"{db.write_token}:{db.write_inserts}"
        if db.write_run > 1:  # a run after a lost COMMIT: did the first one save the row?
            found = tx.one("SELECT table_name, row_id FROM _write_tokens WHERE token = ?", (token,))
            if found is not None:
                return decode(tx.one(f"SELECT * FROM {found['table_name']} WHERE id = ?", (found["row_id"],)), table)  # type: ignore[return-value]
    values = redact(tx, values, JSON_COLUMNS[table])
    columns = ", ".join(values)
    marks = ", ".join("?" * len(values))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING *"
    params = tuple(values.values())
    if token is not None:
        # Same statement, same round trip: the token row commits with the record or not at all.
        sql = (
            f"WITH inserted AS ({sql}), token AS (INSERT INTO _write_tokens (token, table_name, row_id, session_id) "
            f"SELECT ?, '{table}', id, session_id FROM inserted) SELECT * FROM inserted"
        )
        params += (token,)
    row = tx.one(sql, params)
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
