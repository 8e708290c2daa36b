"""PostgreSQL through psycopg 3: the same transactions and error contract as SQLite.

Imported only when a ``postgresql://`` URL is used, so SQLite calls never load psycopg.

Writes are serialised by one transaction-scoped advisory lock, taken right after BEGIN:
the PostgreSQL counterpart of SQLite's BEGIN IMMEDIATE. Every store operation is written
as "read, decide, write" inside one transaction, and under that lock it behaves exactly as
on SQLite: no lost update, no duplicate from an idempotency-key race, and ids become
visible in increasing order, so "highest id seen" cursors (``get-logs --after-id``, the
dashboard) never skip a row committed late. The lock is held for a few round trips per
write; readers take no lock at all.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import conninfo as pg_conninfo
from psycopg import errors as pg_errors
from psycopg.adapt import Loader
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row
from psycopg.types.string import TextLoader

from ...errors import BazingaError, DatabaseBusy, DatabaseError, InvalidInput, ReadOnlyViolation

# The first key of our advisory locks ("BAZG", as SQLite's application_id); the second
# says which lock.
LOCK_NAMESPACE = 0x42415A47
WRITE_LOCK = 1
# Same budget as SQLite: wait this long for the write lock, then fail with nothing written.
WRITE_DEADLINE_S = 60.0
CONNECT_TIMEOUT_S = 10
# The schema version lives in the comment of _migrations (the counterpart of SQLite's
# application_id + user_version), so another tool's _migrations table is never mistaken
# for ours.
VERSION_COMMENT = "bazinga-db schema {}"
_VERSION_PATTERN = re.compile(r"^bazinga-db schema (\d+)$")
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
        self._connection: psycopg.Connection[Any] | None = None

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
        try:
            # autocommit: we issue BEGIN/COMMIT ourselves (see read() and write()).
            connection = psycopg.connect(self.url, autocommit=True, row_factory=dict_row, **extra)
        except psycopg.Error as exc:
            raise DatabaseError(
                f"cannot connect to PostgreSQL at {self.location}: {_message(exc)}",
                hint="check that the server runs and the URL's host, port, database, user and password",
            ) from None
        adapters = connection.adapters
        adapters.register_loader("numeric", _NumberLoader)
        # Types SQLite never returns come back as their text, so `query` output is JSON.
        for type_name in ("date", "time", "timetz", "timestamp", "timestamptz", "interval", "uuid", "inet"):
            adapters.register_loader(type_name, TextLoader)
        return connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    # -- schema version -----------------------------------------------------------------

    def schema_version(self) -> int:
        """Our schema version, or 0 for an empty database."""
        try:
            row = self.connection.execute(
                "SELECT to_regclass('_migrations') IS NOT NULL AS present, "
                "obj_description(to_regclass('_migrations'), 'pg_class') AS comment"
            ).fetchone()
        except psycopg.Error as exc:
            raise translate_error(exc, self.location) from None
        assert row is not None
        if not row["present"]:
            self.created = True
            return 0
        match = _VERSION_PATTERN.match(row["comment"] or "")
        if match is None:
            raise DatabaseError(
                f"database {self.location} holds a _migrations table that bazinga-db did not make",
                hint="give bazinga-db a database (or a schema, via search_path) of its own",
            )
        return int(match.group(1))

    def is_empty(self) -> bool:
        row = self.connection.execute(
            "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchone()
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
            raise translate_error(exc, self.location) from None
        finally:
            self._end(connection, "ROLLBACK")  # nothing to keep: the transaction only read

    @contextmanager
    def write(self) -> Iterator[PostgresTransaction]:
        """BEGIN, take the write lock (retried within the deadline), body, COMMIT.

        READ COMMITTED, not REPEATABLE READ: the snapshot must be taken after the lock is
        granted, so that the body sees every write committed before it. Only taking the
        lock is retried: a context manager cannot run its body twice, and under the lock
        our statements meet no serialization failure or deadlock. Should one come anyway
        (from another program's row locks), it is DatabaseBusy with nothing written.
        """
        connection = self._begin_write()
        try:
            yield PostgresTransaction(connection)
        except BaseException as exc:
            self._end(connection, "ROLLBACK")
            if isinstance(exc, psycopg.Error):
                raise translate_error(exc, self.location) from None
            raise
        try:
            connection.execute("COMMIT")
        except psycopg.Error as exc:
            self._end(connection, "ROLLBACK")
            raise translate_error(exc, self.location) from None

    @contextmanager
    def migration(self) -> Iterator[PostgresTransaction]:
        """A write transaction: the advisory write lock also serialises migrations, across
        every process and machine, and keeps writers out while the schema changes."""
        with self.write() as tx:
            yield tx

    def _begin(self, statement: str) -> psycopg.Connection[Any]:
        connection = self.connection
        try:
            connection.execute(statement)
        except psycopg.Error as exc:
            self._end(connection, "ROLLBACK")
            raise translate_error(exc, self.location) from None
        return connection

    def _begin_write(self) -> psycopg.Connection[Any]:
        deadline = time.monotonic() + WRITE_DEADLINE_S
        attempt = 0
        while True:
            connection = self.connection
            remaining_ms = max(1, int((deadline - time.monotonic()) * 1000))
            try:
                # One round trip (no parameters: the simple protocol runs all four).
                # PostgreSQL queues lock waiters in order, so one long wait is fairer than polling.
                connection.execute(
                    f"BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = {remaining_ms}; "
                    f"SELECT pg_advisory_xact_lock({LOCK_NAMESPACE}, {WRITE_LOCK}); SET LOCAL lock_timeout = 0"
                )
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
            except psycopg.OperationalError as exc:
                # The server closed the connection (restart, idle timeout): reconnect once
                # more while there is time; nothing of this transaction was sent yet.
                self.close()
                attempt += 1
                if attempt >= 3 or time.monotonic() >= deadline:
                    raise translate_error(exc, self.location) from None
            except psycopg.Error as exc:
                self._end(connection, "ROLLBACK")
                raise translate_error(exc, self.location) from None

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
