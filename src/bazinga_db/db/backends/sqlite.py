"""SQLite through the standard library: WAL, one BEGIN IMMEDIATE per write, bounded retries."""

from __future__ import annotations

import os
import sqlite3
import time

from ...errors import DatabaseBusy, DatabaseError

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any

# SQLite's own busy handler waits this long for the write lock on each attempt ...
BUSY_TIMEOUT_MS = 5_000
# ... and we retry whole attempts, with jitter, until this much time has passed, so that
# a burst of parallel agents queues up instead of failing with "database is locked".
WRITE_DEADLINE_S = 60.0

# Identifies a bazinga-db file (PRAGMA application_id), so that another tool's
# user_version is never mistaken for our schema version.
APPLICATION_ID = 0x42415A47  # "BAZG"


def synchronous_setting() -> str:
    """FULL unless BAZINGA_DB_SYNCHRONOUS=normal asks for less (README "Performance").

    With WAL, NORMAL skips the fsync of each commit: a commit still survives any process
    being killed, but the last ones can be lost if the machine loses power or crashes.
    """
    value = os.environ.get("BAZINGA_DB_SYNCHRONOUS", "full").strip().lower()
    if value not in ("full", "normal"):
        from ...errors import InvalidInput

        raise InvalidInput(
            f"BAZINGA_DB_SYNCHRONOUS={value!r} is not allowed; use full (the default) or normal"
        )
    return value.upper()


def _dict_factory(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
    return {description[0]: value for description, value in zip(cursor.description, row)}


def translate_error(exc: sqlite3.Error, location: str) -> DatabaseError:
    text = str(exc)
    lowered = text.lower()
    if "file is not a database" in lowered:
        return DatabaseError(f"{location} is not an SQLite database", hint="point --db at a bazinga-db file")
    if "malformed" in lowered or "corrupt" in lowered:
        return DatabaseError(
            f"{location} is corrupted ({text})", hint="restore from a backup (bazinga-db backup)"
        )
    if "readonly" in lowered or "read-only" in lowered:
        return DatabaseError(f"{location} is read-only: cannot write ({text})")
    if "unable to open" in lowered:
        folder = os.path.dirname(os.path.abspath(location))
        if os.path.isdir(folder) and not os.access(folder, os.W_OK):
            # WAL mode keeps -wal and -shm files beside the database, even for readers.
            return DatabaseError(
                f"cannot open database {location}: its folder {folder} is read-only "
                "(SQLite needs to create the -wal and -shm files there)"
            )
        return DatabaseError(f"cannot open database {location} ({text})")
    if "disk" in lowered and "full" in lowered:
        return DatabaseError(f"disk full while writing {location}")
    return DatabaseError(f"database error on {location}: {text}")


class SQLiteTransaction:
    dialect = "sqlite"

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self._cursor: sqlite3.Cursor | None = None

    def execute(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> sqlite3.Cursor:
        self._cursor = self.connection.execute(sql, params)
        return self._cursor

    def execute_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        self.connection.executemany(sql, rows)

    def one(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> dict[str, Any] | None:
        row: dict[str, Any] | None = self.connection.execute(sql, params).fetchone()
        return row

    def all(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[dict[str, Any]]:
        return self.connection.execute(sql, params).fetchall()

    def rowcount(self) -> int:
        return self._cursor.rowcount if self._cursor is not None else 0

    def columns(self, table: str) -> list[str]:
        return [row["name"] for row in self.all(f"PRAGMA table_info({table})")]


class SQLiteBackend:
    dialect = "sqlite"

    def __init__(self, path: str, *, read_only: bool = False) -> None:
        self.location = path
        self.read_only = read_only
        self.created = False
        self._connection: sqlite3.Connection | None = None

    # -- connection ---------------------------------------------------------------------

    @property
    def connection(self) -> sqlite3.Connection:
        if self._connection is None:
            self._connection = self._connect()
        return self._connection

    def _connect(self) -> sqlite3.Connection:
        path = self.location
        if os.path.isdir(path):
            raise DatabaseError(f"--db {path} is a directory, not a database file")
        exists = os.path.exists(path)
        if self.read_only:
            if not exists:
                raise DatabaseError(f"database {path} does not exist")
            uri = "file:" + quote_path(os.path.abspath(path)) + "?mode=ro"
        else:
            folder = os.path.dirname(os.path.abspath(path))
            if not exists:
                try:
                    os.makedirs(folder, exist_ok=True)
                except OSError as exc:
                    raise DatabaseError(f"cannot create folder {folder}: {exc.strerror}") from exc
            uri = "file:" + quote_path(os.path.abspath(path))
        synchronous = synchronous_setting()  # checked before anything is opened
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves (see write()).
            connection = sqlite3.connect(
                uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                check_same_thread=False,
            )
            connection.row_factory = _dict_factory
            # FULL (the default): a commit is on disk before we print success, power loss
            # included. NORMAL only when asked for (see synchronous_setting).
            connection.execute(f"PRAGMA synchronous={synchronous}")
            connection.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            raise translate_error(exc, path) from exc
        self.created = not exists
        return connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    # -- schema version -----------------------------------------------------------------

    def schema_version(self) -> int:
        """Our schema version, or 0 for a new file or one another tool made."""
        try:
            row = self.connection.execute(
                "SELECT application_id, user_version FROM pragma_application_id, pragma_user_version"
            ).fetchone()
        except sqlite3.Error as exc:
            raise translate_error(exc, self.location) from exc
        if row["application_id"] != APPLICATION_ID:
            return 0
        return int(row["user_version"])

    def is_empty(self) -> bool:
        """True for a new or 0-byte file: nothing in it to adopt."""
        try:
            row = self.connection.execute("SELECT COUNT(*) AS n FROM sqlite_master").fetchone()
        except sqlite3.Error as exc:
            raise translate_error(exc, self.location) from exc
        return int(row["n"]) == 0

    # -- transactions -------------------------------------------------------------------

    # The transactions are small classes rather than @contextmanager generators: the
    # CLI then starts without importing contextlib (see README "Performance").

    def read(self) -> _ReadTransaction:
        """One consistent snapshot: every query inside sees the same committed state."""
        return _ReadTransaction(self)

    def write(self, session_id: str | None = None, *, repeatable: bool = True) -> _WriteTransaction:
        """BEGIN IMMEDIATE (retried while another writer holds the lock), body, COMMIT.

        One writer at a time for the whole file: the session scope changes nothing here,
        and a local file has no connection to lose, so ``repeatable`` neither.

        Once BEGIN IMMEDIATE succeeds we hold the write lock, so the body and COMMIT
        cannot meet "database is locked"; retrying the BEGIN is the whole retry.
        """
        return _WriteTransaction(self)

    def _begin_immediate(self, connection: sqlite3.Connection) -> None:
        deadline = time.monotonic() + WRITE_DEADLINE_S
        attempt = 0
        while True:
            try:
                connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise translate_error(exc, self.location) from exc
                attempt += 1
                if time.monotonic() >= deadline:
                    raise DatabaseBusy(
                        f"database {self.location} stayed locked for {WRITE_DEADLINE_S:.0f} s "
                        f"({attempt} attempts); nothing was written",
                        hint="another process holds a long write transaction",
                    ) from exc
                import random  # only a contended write pays for it

                time.sleep(random.uniform(0.005, 0.05) * min(attempt, 10))
            except sqlite3.Error as exc:
                raise translate_error(exc, self.location) from exc

    # -- migrations ---------------------------------------------------------------------

    def migration(self) -> _MigrationTransaction:
        """A write transaction with foreign-key enforcement off, in WAL mode.

        Both pragmas are no-ops inside a transaction, hence set before BEGIN.
        Enforcement is off so that rebuilding an adopted ``sessions`` table does not
        cascade-delete its children.
        """
        return _MigrationTransaction(self)

    def _enable_wal(self, connection: sqlite3.Connection) -> None:
        # WAL lets readers (dashboard, snapshots) run while agents write. The mode is
        # stored in the file, so this runs once per database, not once per call.
        deadline = time.monotonic() + WRITE_DEADLINE_S
        while True:
            try:
                mode = connection.execute("PRAGMA journal_mode=WAL").fetchone()
                if str(next(iter(mode.values()))).lower() != "wal":
                    raise DatabaseError(f"cannot switch {self.location} to WAL mode")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise translate_error(exc, self.location) from exc
                import random

                time.sleep(random.uniform(0.005, 0.05))

    def read_only_query(self, sql: str) -> list[dict[str, Any]]:
        return _sqlite_read_only_query(self, sql)

    def vacuum(self) -> tuple[int, int]:
        path = self.location
        before = _file_bytes(path)
        try:
            # VACUUM cannot run inside a transaction; in WAL mode the rewritten pages go to
            # the log first, so checkpoint to get them into (and the size out of) the file.
            self.connection.execute("VACUUM")
            self.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            raise translate_error(exc, path) from exc
        return before, _file_bytes(path)

    def record_version(self, tx: Any, version: int) -> None:
        tx.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        tx.execute(f"PRAGMA user_version = {int(version)}")


class _ReadTransaction:
    def __init__(self, backend: SQLiteBackend) -> None:
        self.backend = backend

    def __enter__(self) -> SQLiteTransaction:
        connection = self.backend.connection
        try:
            connection.execute("BEGIN")
        except sqlite3.Error as exc:
            raise translate_error(exc, self.backend.location) from exc
        return SQLiteTransaction(connection)

    def __exit__(self, exc_type: object, exc: BaseException | None, traceback: object) -> None:
        try:
            self.backend.connection.execute("COMMIT")
        except sqlite3.Error as commit_error:
            if exc is None:
                raise translate_error(commit_error, self.backend.location) from commit_error
        if isinstance(exc, sqlite3.Error):
            raise translate_error(exc, self.backend.location) from exc


class _WriteTransaction:
    def __init__(self, backend: SQLiteBackend) -> None:
        self.backend = backend

    def __enter__(self) -> SQLiteTransaction:
        connection = self.backend.connection
        self.backend._begin_immediate(connection)
        return SQLiteTransaction(connection)

    def __exit__(self, exc_type: object, exc: BaseException | None, traceback: object) -> None:
        connection = self.backend.connection
        if exc is not None:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise translate_error(exc, self.backend.location) from exc
            return  # the body's exception propagates unchanged
        try:
            connection.execute("COMMIT")
        except sqlite3.Error as commit_error:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise translate_error(commit_error, self.backend.location) from commit_error


class _MigrationTransaction(_WriteTransaction):
    def __enter__(self) -> SQLiteTransaction:
        connection = self.backend.connection
        self.backend._enable_wal(connection)
        connection.execute("PRAGMA foreign_keys=OFF")
        try:
            return super().__enter__()
        except BaseException:
            connection.execute("PRAGMA foreign_keys=ON")
            raise

    def __exit__(self, exc_type: object, exc: BaseException | None, traceback: object) -> None:
        try:
            super().__exit__(exc_type, exc, traceback)
        finally:
            self.backend.connection.execute("PRAGMA foreign_keys=ON")


def _file_bytes(path: str) -> int:
    return sum(os.path.getsize(part) for part in (path, path + "-wal") if os.path.exists(part))


def quote_path(path: str) -> str:
    # URI filenames treat ? and # specially; escape them (and %) so any path works.
    return path.replace("%", "%25").replace("?", "%3f").replace("#", "%23")


# -- read-only queries -----------------------------------------------------------------

# What a read-only statement may do (sqlite3 authorizer action codes).
_READ_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, 33}  # 33: RECURSIVE
_READ_PRAGMAS = {
    "table_info", "table_xinfo", "index_list", "index_info", "index_xinfo", "foreign_key_list",
    "user_version", "application_id", "page_count", "page_size", "freelist_count", "journal_mode",
    "table_list", "data_version", "compile_options",
}
# Pragmas whose argument names what to describe (a table, an index), not a value to set.
_INTROSPECTION_PRAGMAS = {
    "table_info", "table_xinfo", "index_list", "index_info", "index_xinfo", "foreign_key_list", "table_list",
}


def _read_only_authorizer(action: int, arg1: str | None, arg2: str | None, *_: object) -> int:
    if action in _READ_ACTIONS:
        return sqlite3.SQLITE_OK
    # A pragma may be read (no argument), and the introspection ones take a table name.
    pragma = (arg1 or "").lower()
    if action == sqlite3.SQLITE_PRAGMA and pragma in _READ_PRAGMAS and (
        arg2 is None or pragma in _INTROSPECTION_PRAGMAS
    ):
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def _sqlite_read_only_query(backend: SQLiteBackend, sql: str) -> list[dict[str, Any]]:
    from ...errors import InvalidInput, ReadOnlyViolation

    connection = backend.connection
    try:
        # BEGIN and ROLLBACK run outside the authorizer, which would refuse them.
        connection.execute("BEGIN")
        try:
            # Only the caller's statement is checked: our own BEGIN/COMMIT are transaction
            # control, which the authorizer refuses.
            connection.set_authorizer(_read_only_authorizer)
            try:
                return connection.execute(sql).fetchall()
            finally:
                connection.set_authorizer(None)
        finally:
            connection.execute("COMMIT")
    except (sqlite3.ProgrammingError, sqlite3.Warning) as exc:
        # Checked first: ProgrammingError is a DatabaseError (several statements, bad SQL API use).
        raise InvalidInput(f"query takes exactly one SQL statement ({exc})") from None
    except sqlite3.DatabaseError as exc:
        if "not authorized" in str(exc):
            raise ReadOnlyViolation(
                "query is read-only: only SELECT statements (WITH … SELECT included) and "
                "read-only PRAGMAs such as table_info are allowed",
            ) from None
        if isinstance(exc, sqlite3.OperationalError):
            raise InvalidInput(f"SQL error: {exc}") from None
        raise translate_error(exc, backend.location) from exc
    finally:
        connection.set_authorizer(None)
        if connection.in_transaction:
            connection.execute("ROLLBACK")

