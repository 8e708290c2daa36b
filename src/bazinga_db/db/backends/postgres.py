"""PostgreSQL through psycopg 3: the same transactions and error contract as SQLite.

Imported only when a ``postgresql://`` URL is used, so SQLite calls never load psycopg.

Writes are serialised per session by transaction-scoped advisory locks, taken right after
BEGIN: the PostgreSQL counterpart of SQLite's BEGIN IMMEDIATE, one lock per session. A write
to one session takes the global key SHARED and its session's key EXCLUSIVE; a write that is
not about one session (configuration, migrations, prune, import, a task-group update that
must search every session) takes the global key EXCLUSIVE. Every store operation is written
as "read, decide, write" inside one transaction, and under those locks it behaves exactly as
on SQLite within a session: no lost update, no duplicate from an idempotency-key race, and a
session's ids become visible in increasing order, so per-session "highest id seen" cursors
(``get-logs --after-id``, the dashboard) never skip a row committed late. Two sessions'
writes run side by side. Readers take no lock at all.

Lost connections (a server restart, a dropped network) are retried within a bounded
budget (``BAZINGA_DB_RECONNECT_SECONDS``, 15 s by default): connecting and BEGIN are simply
run again; a failure inside a write transaction raises ``TransactionInterrupted`` so that
the caller runs the whole transaction again (``core.retried``); a failure during COMMIT
leaves the outcome unknown, which only writes that are safe to repeat may retry.
"""

from __future__ import annotations

import os
import random
import re
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import conninfo as pg_conninfo
from psycopg import errors as pg_errors
from psycopg import sql as pg_sql
from psycopg.adapt import Loader
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row
from psycopg.types.string import TextLoader

from ...errors import (
    BazingaError,
    DatabaseBusy,
    DatabaseError,
    DatabaseUnavailable,
    InvalidInput,
    OutcomeUnknown,
    ReadOnlyViolation,
    TransactionInterrupted,
)

# The first key of our advisory locks ("BAZG", as SQLite's application_id); the second
# says which lock.
LOCK_NAMESPACE = 0x42415A47
WRITE_LOCK = 1
# The namespace of the per-session keys; the second key is a hash of the session id (two
# sessions sharing a hash only serialise with each other, which is harmless).
SESSION_LOCK_NAMESPACE = 0x42415A48
# How long a call waits for a restarting or unreachable server before giving up. An
# immediate restart under load kept the server away for 4-6.5 s in our runs.
RECONNECT_SECONDS = 15.0
# Connect-time failures worth waiting out (libpq gives no SQLSTATE before the session
# starts, only its message). Anything else (authentication, unknown role or database)
# is final.
_TRANSIENT_CONNECT = (
    "connection refused", "starting up", "shutting down", "recovery mode", "not yet accepting",
    "closed the connection unexpectedly", "terminating connection", "timeout expired", "connection reset",
    "no such file or directory", "could not receive", "could not send", "too many clients", "server closed",
    "connection timed out", "network is unreachable", "no route to host", "broken pipe",
    "connection is lost", "the connection is closed", "eof detected", "ssl syscall error",
    "ssl connection has been closed unexpectedly",
)
# Every committed write transaction notifies this channel (see ``write``); the payload is
# the session id when the write is about one session (ids are at most 128 characters,
# well within NOTIFY's 8000-byte payload limit).
NOTIFY_CHANNEL = "bazinga_db_changes"
# Same budget as SQLite: wait this long for the write lock, then fail with nothing written.
WRITE_DEADLINE_S = 60.0
CONNECT_TIMEOUT_S = 10
# The schema version lives in the comment of _migrations (the counterpart of SQLite's
# application_id + user_version), so another tool's _migrations table is never mistaken
# for ours.
VERSION_COMMENT = "bazinga-db schema {}"
_VERSION_PATTERN = re.compile(r"^bazinga-db schema (\d+)$")
_VERSION_QUERY = (
    "SELECT to_regclass('_migrations') IS NOT NULL AS present, "
    "obj_description(to_regclass('_migrations'), 'pg_class') AS comment"
)
# Failures after which running the same transaction again is safe and may succeed.
_RETRIABLE = (pg_errors.SerializationFailure, pg_errors.DeadlockDetected, pg_errors.LockNotAvailable)
# Statements `query` accepts; the READ ONLY transaction then refuses anything that writes.
_QUERY_KEYWORDS = {"select", "with", "values", "table", "show", "explain"}
# Other statements PostgreSQL knows: refused as writes; any other first word is a syntax error.
_OTHER_STATEMENTS = {
    "abort", "alter", "analyze", "begin", "call", "checkpoint", "close", "cluster", "comment", "commit",
    "copy", "create", "deallocate", "declare", "delete", "discard", "do", "drop", "end", "execute", "fetch",
    "grant", "import", "insert", "listen", "load", "lock", "merge", "move", "notify", "prepare", "reassign",
    "refresh", "reindex", "release", "reset", "revoke", "rollback", "savepoint", "security", "select", "set",
    "start", "truncate", "unlisten", "update", "vacuum",
}


def mask_password(url: str) -> str:
    """The URL with its password replaced by ***, fit for messages and reports."""
    masked = re.sub(r"^(postgres(?:ql)?://[^:@/?#]*):[^@/?#]*@", r"\1:***@", url)
    return re.sub(r"([?&]password=)[^&#]*", r"\1***", masked)


@lru_cache(maxsize=512)
def to_pyformat(sql: str) -> str:
    """Our ``?`` placeholders as psycopg's ``%s``; a literal ``%`` becomes ``%%``.

    A ``?`` inside a quoted literal or identifier is left alone.
    """
    out: list[str] = []
    quote: str | None = None
    for char in sql:
        if quote is not None:
            if char == quote:
                quote = None
        elif char in ("'", '"'):
            quote = char
        elif char == "?":
            out.append("%s")
            continue
        out.append("%%" if char == "%" else char)
    return "".join(out)


def _message(exc: BaseException) -> str:
    """The first line of a psycopg error, without the connection details noise."""
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    text = primary or str(exc) or type(exc).__name__
    return " ".join(text.split())


def translate_error(exc: psycopg.Error, location: str) -> BazingaError:
    text = _message(exc)
    if isinstance(exc, _RETRIABLE):
        return DatabaseBusy(
            f"database {location} is busy ({text}); nothing was written",
            hint="run the command again",
        )
    if isinstance(exc, pg_errors.InsufficientPrivilege):
        return DatabaseError(f"permission denied on {location}: {text}", hint="grant the user rights on the database")
    if isinstance(exc, pg_errors.ReadOnlySqlTransaction):
        return DatabaseError(f"{location} is read-only: cannot write ({text})", hint="connect to the primary server")
    if isinstance(exc, psycopg.OperationalError):
        return DatabaseError(f"lost the connection to PostgreSQL at {location}: {text}")
    return DatabaseError(f"database error on {location}: {text}")


def is_transient(exc: BaseException) -> bool:
    """True for a failure that a new connection may not meet: a refused or dropped
    connection, a server starting up or shutting down (SQLSTATE 08xxx, 57P01-57P03).
    Never an authentication failure (28xxx) or a statement's own error."""
    if not isinstance(exc, psycopg.Error):
        return False
    sqlstate = getattr(exc, "sqlstate", None)
    if sqlstate:
        return sqlstate.startswith("08") or sqlstate in ("57P01", "57P02", "57P03", "53300")
    if not isinstance(exc, psycopg.OperationalError):
        return False
    text = str(exc).lower()
    if "authentication" in text or "password" in text or "does not exist" in text or "pg_hba" in text:
        return False
    return any(marker in text for marker in _TRANSIENT_CONNECT)


def reconnect_seconds() -> float:
    text = os.environ.get("BAZINGA_DB_RECONNECT_SECONDS")
    if not text:
        return RECONNECT_SECONDS
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:
        raise InvalidInput(
            f"BAZINGA_DB_RECONNECT_SECONDS={text!r} is not a number of seconds between 0 and 3600",
            hint="e.g. BAZINGA_DB_RECONNECT_SECONDS=30",
        )
    return value


def session_key(session_id: str) -> int:
    """The second advisory key of a session: a stable 32-bit signed hash of its id."""
    value = zlib.crc32(session_id.encode("utf-8", "surrogatepass"))
    return value - (1 << 32) if value >= (1 << 31) else value


def notify_statement(connection: psycopg.Connection[Any], session_id: str | None) -> str:
    """``NOTIFY bazinga_db_changes`` with the session id as payload when the write has one.

    Listeners (the dashboard) learn of every committed write without reading any table.
    """
    if session_id is None:
        return f"NOTIFY {NOTIFY_CHANNEL}"
    return f"NOTIFY {NOTIFY_CHANNEL}, {pg_sql.Literal(session_id).as_string(connection)}"


class _NumberLoader(Loader):
    """NUMERIC (what SUM and AVG of BIGINT give) as int or float, as SQLite returns them."""

    def load(self, data: Any) -> Any:
        text = bytes(data).decode()
        if "." in text or "e" in text.lower() or "n" in text.lower():  # decimals, NaN, Infinity
            return float(text)
        return int(text)


class PostgresTransaction:
    dialect = "postgres"

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self.connection = connection
        self._cursor: psycopg.Cursor[Any] | None = None

    def execute(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> psycopg.Cursor[Any]:
        self._cursor = self.connection.execute(to_pyformat(sql), tuple(params))
        return self._cursor

    def execute_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        with self.connection.cursor() as cursor:
            cursor.executemany(to_pyformat(sql), rows)

    def one(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> dict[str, Any] | None:
        row: dict[str, Any] | None = self.execute(sql, params).fetchone()
        return row

    def all(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[dict[str, Any]]:
        return self.execute(sql, params).fetchall()

    def rowcount(self) -> int:
        return self._cursor.rowcount if self._cursor is not None else 0

    def columns(self, table: str) -> list[str]:
        rows = self.all(
            "SELECT column_name AS name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
            (table,),
        )
        return [row["name"] for row in rows]


class PostgresBackend:
    dialect = "postgres"

    def __init__(self, url: str, *, read_only: bool = False) -> None:
        self.url = url
        self.location = mask_password(url)
        self.read_only = read_only
        self.created = False
        try:
            self._options = pg_conninfo.conninfo_to_dict(url)
        except psycopg.Error as exc:
            raise InvalidInput(
                f"invalid PostgreSQL URL {self.location}: {_message(exc)}",
                hint="e.g. postgresql://user:password@host:5432/dbname",
            ) from None
        self.reconnect_seconds = reconnect_seconds()
        #: The schema version read in the same round trip as BEGIN by ``write(check_version=True)``
        #: (-1: another tool's _migrations table).
        self.version_seen: int | None = None
        self._connection: psycopg.Connection[Any] | None = None
        # When the current outage began (monotonic), None while the server answers: the
        # reconnect budget counts from the first failure, however many attempts follow.
        self._outage_since: float | None = None
        #: Connections opened so far (a long-lived process shows its reconnects here).
        self.connects = 0

    @property
    def server(self) -> str:
        """host:port of the server, for messages (never the password)."""
        host = str(self._options.get("host") or self._options.get("hostaddr") or "localhost")
        return f"{host}:{self._options.get('port') or 5432}"

    # -- connection ---------------------------------------------------------------------

    @property
    def connection(self) -> psycopg.Connection[Any]:
        if self._connection is None or self._connection.closed:
            self._connection = self._connect()
        return self._connection

    def _connect(self) -> psycopg.Connection[Any]:
        extra: dict[str, Any] = {}
        if "connect_timeout" not in self._options:
            extra["connect_timeout"] = CONNECT_TIMEOUT_S  # libpq waits forever by default
        if "application_name" not in self._options:
            extra["application_name"] = "bazinga-db"
        attempt = 0
        while True:
            try:
                # autocommit: we issue BEGIN/COMMIT ourselves (see read() and write()).
                connection = psycopg.connect(self.url, autocommit=True, row_factory=dict_row, **extra)
                break
            except psycopg.Error as exc:
                if not is_transient(exc):
                    raise DatabaseError(
                        f"cannot connect to PostgreSQL at {self.location}: {_message(exc)}",
                        hint="check that the server runs and the URL's host, port, database, user and password",
                    ) from None
                attempt += 1
                self._wait_for_server(exc, attempt)
        self.connects += 1
        adapters = connection.adapters
        adapters.register_loader("numeric", _NumberLoader)
        # Types SQLite never returns come back as their text, so `query` output is JSON.
        for type_name in ("date", "time", "timetz", "timestamp", "timestamptz", "interval", "uuid", "inet"):
            adapters.register_loader(type_name, TextLoader)
        return connection

    def _wait_for_server(self, exc: BaseException, attempt: int) -> None:
        """Sleep before the next attempt, or raise DatabaseUnavailable once the budget is spent."""
        now = time.monotonic()
        if self._outage_since is None:
            self._outage_since = now
        waited = now - self._outage_since
        if waited >= self.reconnect_seconds:
            self._outage_since = None  # the next call gets a budget of its own
            raise DatabaseUnavailable(
                f"cannot connect to PostgreSQL at {self.location}: {_message(exc)}; the server at "
                f"{self.server} stayed unavailable for {waited:.1f} s ({attempt} attempts)",
                hint="check that the server runs; BAZINGA_DB_RECONNECT_SECONDS sets how long to wait",
            ) from None
        # Short first pauses (a dropped connection comes back at once), then up to 0.5 s.
        pause = min(0.5, 0.05 * (2 ** min(attempt, 4))) * random.uniform(0.5, 1.0)
        time.sleep(min(pause, max(0.0, self.reconnect_seconds - waited)))

    def _lost(self, exc: BaseException) -> None:
        """Forget a broken connection and count the failure against the reconnect budget."""
        self.close()
        if self._outage_since is None:
            self._outage_since = time.monotonic()

    def _interrupted(self, exc: BaseException, *, during_commit: bool, repeatable: bool) -> BazingaError:
        self._lost(exc)
        if not during_commit:
            return TransactionInterrupted(
                f"lost the connection to PostgreSQL at {self.server} before the commit ({_message(exc)}); "
                "nothing was written",
                outcome_known=True, hint="run the command again",
            )
        if repeatable:
            return TransactionInterrupted(
                f"lost the connection to PostgreSQL at {self.server} during the commit ({_message(exc)}); "
                "the write may or may not have been saved",
                outcome_known=False, hint="read the record back to see whether it was saved",
            )
        return OutcomeUnknown(
            f"lost the connection to PostgreSQL at {self.server} during the commit ({_message(exc)}); "
            "whether the change was saved is unknown, and it was not retried because running it twice "
            "would apply it twice",
            hint="read the record back (e.g. `bazinga-db get-task-groups SESSION`) before running it again",
        )

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except psycopg.Error:
                pass  # closing a broken connection may complain; it is gone either way
            self._connection = None

    def _retrying(self, run: Any) -> Any:
        """``run(connection)`` for a statement without effects, run again on a new connection
        while the failure is transient and the reconnect budget lasts."""
        attempt = 0
        while True:
            connection = self.connection
            try:
                result = run(connection)
            except psycopg.Error as exc:
                if not is_transient(exc):
                    raise translate_error(exc, self.location) from None
                self._lost(exc)
                attempt += 1
                self._wait_for_server(exc, attempt)
                continue
            self._outage_since = None
            return result

    # -- schema version -----------------------------------------------------------------

    def schema_version(self) -> int:
        """Our schema version, or 0 for an empty database."""
        row = self._retrying(lambda connection: connection.execute(_VERSION_QUERY).fetchone())
        return self._parse_version(row, strict=True)

    def _parse_version(self, row: dict[str, Any] | None, *, strict: bool) -> int:
        assert row is not None
        if not row["present"]:
            self.created = True
            return 0
        match = _VERSION_PATTERN.match(row["comment"] or "")
        if match is None:
            if not strict:
                return -1
            raise DatabaseError(
                f"database {self.location} holds a _migrations table that bazinga-db did not make",
                hint="give bazinga-db a database (or a schema, via search_path) of its own",
            )
        return int(match.group(1))

    def is_empty(self) -> bool:
        row = self._retrying(lambda connection: connection.execute(
            "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchone())
        return row is None or int(row["n"]) == 0

    def vacuum(self) -> tuple[int, int]:
        # Plain VACUUM (not FULL): it makes dead rows' space reusable and returns empty
        # pages at the end of a table, without the exclusive lock that would stop agents.
        size = "SELECT pg_database_size(current_database()) AS bytes"
        try:
            before = int(self.connection.execute(size).fetchone()["bytes"])  # type: ignore[index]
            self.connection.execute("VACUUM (ANALYZE)")  # autocommit: outside any transaction
            after = int(self.connection.execute(size).fetchone()["bytes"])  # type: ignore[index]
        except psycopg.Error as exc:
            raise translate_error(exc, self.location) from None
        return before, after

    def forget_write_tokens(self) -> None:
        """Delete write tokens older than an hour (a retry needs its token for seconds).

        Its own autocommit statement, after the write it follows has committed: never part
        of a record's transaction, and a failure here (two writers deleting at once) is
        harmless and ignored.
        """
        try:
            self.connection.execute("DELETE FROM _write_tokens WHERE created_at < now() - interval '1 hour'")
        except psycopg.Error:
            self.close()

    def record_version(self, tx: Any, version: int) -> None:
        tx.execute(f"COMMENT ON TABLE _migrations IS '{VERSION_COMMENT.format(int(version))}'")

    # -- transactions -------------------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[PostgresTransaction]:
        """One consistent snapshot (REPEATABLE READ): every query inside sees the same state."""
        connection = self._begin("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            yield PostgresTransaction(connection)
        except psycopg.Error as exc:
            self._end(connection, "ROLLBACK")
            if is_transient(exc):
                raise self._interrupted(exc, during_commit=False, repeatable=True) from None
            raise translate_error(exc, self.location) from None
        finally:
            self._end(connection, "ROLLBACK")  # nothing to keep: the transaction only read

    @contextmanager
    def write(
        self, session_id: str | None = None, *, repeatable: bool = True, check_version: bool = False
    ) -> Iterator[PostgresTransaction]:
        """BEGIN, take the locks of ``session_id`` (None: the global write lock), body, COMMIT.

        READ COMMITTED, not REPEATABLE READ: the snapshot must be taken after the lock is
        granted, so that the body sees every write committed before it. Taking the lock
        is retried here; a connection lost in the body or during COMMIT raises
        TransactionInterrupted for the caller to run the whole transaction again
        (``repeatable=False``: an unknown COMMIT outcome raises OutcomeUnknown instead).
        ``check_version``: read the schema version in BEGIN's round trip, into ``version_seen``.
        """
        connection = self._begin_write(session_id, check_version)
        try:
            yield PostgresTransaction(connection)
        except BaseException as exc:
            self._end(connection, "ROLLBACK")
            if isinstance(exc, psycopg.Error):
                if is_transient(exc):
                    raise self._interrupted(exc, during_commit=False, repeatable=repeatable) from None
                raise translate_error(exc, self.location) from None
            raise
        try:
            # The NOTIFY rides in COMMIT's round trip (one simple-protocol query): it is
            # delivered only if the transaction commits, and costs no extra wait.
            connection.execute(f"{notify_statement(connection, session_id)}; COMMIT")
        except psycopg.Error as exc:
            if is_transient(exc):
                raise self._interrupted(exc, during_commit=True, repeatable=repeatable) from None
            self._end(connection, "ROLLBACK")
            raise translate_error(exc, self.location) from None
        self._outage_since = None

    @contextmanager
    def migration(self) -> Iterator[PostgresTransaction]:
        """A write transaction under the global write lock: it also serialises migrations,
        across every process and machine, and keeps writers out while the schema changes."""
        with self.write() as tx:
            yield tx

    def _begin(self, statement: str) -> psycopg.Connection[Any]:
        connection: psycopg.Connection[Any] = self._retrying(lambda connection: (connection.execute(statement), connection)[1])
        return connection

    def _begin_write(self, session_id: str | None, check_version: bool = False) -> psycopg.Connection[Any]:
        deadline = time.monotonic() + WRITE_DEADLINE_S
        if session_id is None:
            locks = f"SELECT pg_advisory_xact_lock({LOCK_NAMESPACE}, {WRITE_LOCK})"
        else:
            # Global key shared, then the session's key: always in this order, so no deadlock.
            locks = (
                f"SELECT pg_advisory_xact_lock_shared({LOCK_NAMESPACE}, {WRITE_LOCK}), "
                f"pg_advisory_xact_lock({SESSION_LOCK_NAMESPACE}, {session_key(session_id)})"
            )
        attempt = 0
        lost = 0
        while True:
            connection = self.connection
            remaining_ms = max(1, int((deadline - time.monotonic()) * 1000))
            try:
                # One round trip (no parameters: the simple protocol runs them all).
                # PostgreSQL queues lock waiters in order, so one long wait is fairer than polling.
                cursor = connection.execute(
                    f"BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = {remaining_ms}; "
                    f"{locks}; SET LOCAL lock_timeout = 0" + (f"; {_VERSION_QUERY}" if check_version else "")
                )
                if check_version:
                    while cursor.nextset():
                        pass  # to the last result: the version query's
                    self.version_seen = self._parse_version(cursor.fetchone(), strict=False)
                return connection
            except _RETRIABLE:
                self._end(connection, "ROLLBACK")
                attempt += 1
                if time.monotonic() >= deadline:
                    raise DatabaseBusy(
                        f"database {self.location} stayed locked for {WRITE_DEADLINE_S:.0f} s "
                        f"({attempt} attempts); nothing was written",
                        hint="another process holds a long write transaction",
                    ) from None
                time.sleep(random.uniform(0.005, 0.05) * min(attempt, 10))
            except psycopg.Error as exc:
                if not is_transient(exc):
                    self._end(connection, "ROLLBACK")
                    raise translate_error(exc, self.location) from None
                # The server went away (restart, dropped connection): nothing of this
                # transaction took effect, so connect again and start over.
                self._lost(exc)
                lost += 1
                self._wait_for_server(exc, lost)

    def _end(self, connection: psycopg.Connection[Any], statement: str) -> None:
        if connection.closed:
            return
        if connection.info.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
            try:
                connection.execute(statement)
            except psycopg.Error:
                self.close()  # a broken connection: the server rolls back on its own

    # -- read-only queries --------------------------------------------------------------

    def read_only_query(self, sql: str) -> list[dict[str, Any]]:
        """One statement in a READ ONLY transaction; anything that would write is refused."""
        keyword = _first_keyword(sql)
        if keyword not in _QUERY_KEYWORDS:
            if keyword not in _OTHER_STATEMENTS:
                near = f" at or near {keyword!r}" if keyword else ": no statement given"
                hint = "PostgreSQL has no PRAGMA: read information_schema.columns" if keyword == "pragma" else None
                raise InvalidInput(f"SQL error: syntax error{near}", hint=hint)
            raise ReadOnlyViolation(
                "query is read-only: only SELECT statements (WITH … SELECT, VALUES, TABLE, SHOW and "
                "EXPLAIN included) are allowed",
            )
        connection = self._begin("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            # prepare=True sends the text as one prepared statement: PostgreSQL itself then
            # refuses a second statement hidden after a semicolon.
            cursor = connection.execute(sql, prepare=True)
            return cursor.fetchall() if cursor.description else []
        except pg_errors.ReadOnlySqlTransaction:
            raise ReadOnlyViolation("query is read-only: the statement would write, nothing was run") from None
        except pg_errors.SyntaxError as exc:
            text = _message(exc)
            if "multiple commands" in text:
                raise InvalidInput(f"SQL error: {text}; give exactly one statement") from None
            raise InvalidInput(f"SQL error: {text}") from None
        except (pg_errors.ProgrammingError, pg_errors.DataError) as exc:
            raise InvalidInput(f"SQL error: {_message(exc)}") from None
        except psycopg.Error as exc:
            raise translate_error(exc, self.location) from None
        finally:
            self._end(connection, "ROLLBACK")
            if not connection.closed:
                # A SELECT may call pg_advisory_lock(); never let it keep our write lock.
                connection.execute("SELECT pg_advisory_unlock_all()")


def _first_keyword(sql: str) -> str:
    """The statement's first word, after comments and opening parentheses."""
    text = sql
    while True:
        text = text.lstrip().lstrip("(").lstrip()
        if text.startswith("--"):
            text = text.partition("\n")[2]
        elif text.startswith("/*"):
            text = text.partition("*/")[2]
        else:
            break
    match = re.match(r"[A-Za-z]+", text)
    return match.group(0).lower() if match else ""
