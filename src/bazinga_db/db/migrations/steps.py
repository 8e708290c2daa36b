"""The migration steps, and applying them.

Rules: a migration is a function of one transaction; it is never edited once released;
new changes are new functions, named in ``NAMES`` (``__init__.py``). Each runs in its own
transaction under the backend's migration lock (SQLite: the write lock of BEGIN
IMMEDIATE; PostgreSQL: an advisory lock), and re-checks the recorded version first, so
any number of processes starting together apply each migration exactly once.
"""

from __future__ import annotations

from ...errors import SchemaTooNew
from ...util.clock import utc_now
from .. import schema
from ..schema import LOG_SEARCH_TABLE
from . import LATEST_VERSION, NAMES
from .adoption import adopt_sqlite_table, sqlite_table_exists, timestamp_expression

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def m001_initial(tx: Any) -> None:
    """Create the eight seed tables (plus the task-group timeline), adopting existing ones.

    A file made by the seed scripts or by their later versions (schema_version up to 19)
    already has these tables: each is rebuilt into our shape with every row kept, columns
    we do not know included.
    """
    for table in schema.TABLES_V1:
        if tx.dialect == "sqlite" and sqlite_table_exists(tx, table.name):
            adopt_sqlite_table(tx, table)
        else:
            tx.execute(schema.create_table_sql(table, tx.dialect))
        for index in table.indexes:
            tx.execute(schema.create_index_sql(table, index))


def m002_log_search(tx: Any) -> None:
    """A full-text index over log content, kept in step with writes, built for existing rows.

    SQLite: an external-content FTS5 table (the text is stored once, in the logs) and three
    triggers; PostgreSQL: a GIN index on the 'simple' text-search vector. An SQLite built
    without FTS5 gets no index; ``search-logs`` then says so.
    """
    if tx.dialect == "postgres":
        tx.execute(
            "CREATE INDEX IF NOT EXISTS idx_logs_content_search ON orchestration_logs "
            "USING GIN (to_tsvector('simple', content))"
        )
        return
    if not fts5_available(tx):
        return
    tx.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {LOG_SEARCH_TABLE} USING fts5(content, content='orchestration_logs', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
    )
    # An external-content index must be told the old text to remove, hence the 'delete' rows.
    tx.execute(
        f"CREATE TRIGGER IF NOT EXISTS {LOG_SEARCH_TABLE}_insert AFTER INSERT ON orchestration_logs BEGIN "
        f"INSERT INTO {LOG_SEARCH_TABLE} (rowid, content) VALUES (new.id, new.content); END"
    )
    tx.execute(
        f"CREATE TRIGGER IF NOT EXISTS {LOG_SEARCH_TABLE}_delete AFTER DELETE ON orchestration_logs BEGIN "
        f"INSERT INTO {LOG_SEARCH_TABLE} ({LOG_SEARCH_TABLE}, rowid, content) VALUES ('delete', old.id, old.content); END"
    )
    tx.execute(
        f"CREATE TRIGGER IF NOT EXISTS {LOG_SEARCH_TABLE}_update AFTER UPDATE OF content ON orchestration_logs BEGIN "
        f"INSERT INTO {LOG_SEARCH_TABLE} ({LOG_SEARCH_TABLE}, rowid, content) VALUES ('delete', old.id, old.content); "
        f"INSERT INTO {LOG_SEARCH_TABLE} (rowid, content) VALUES (new.id, new.content); END"
    )
    tx.execute(f"INSERT INTO {LOG_SEARCH_TABLE} ({LOG_SEARCH_TABLE}) VALUES ('rebuild')")


def m003_token_sources(tx: Any) -> None:
    """Measured token usage beside the reported estimates: token_usage gains its source,
    the message it counts (unique per session) and the 1-hour cache writes; transcript
    read positions get their table."""
    present = set(tx.columns("token_usage"))
    for column in schema.TOKEN_USAGE_COLUMNS_V3:
        if column.name not in present:  # an adopted file may carry a column of that name already
            tx.execute(f"ALTER TABLE token_usage ADD COLUMN {schema.column_sql(column, tx.dialect)}")
    # request_id is missing on some paths: COALESCE makes "no request id" one value, not many NULLs.
    tx.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS idx_tokens_message ON token_usage "
        "(session_id, message_id, COALESCE(request_id, ''))"
    )
    for table in schema.TABLES_V3:
        tx.execute(schema.create_table_sql(table, tx.dialect))
        for index in table.indexes:
            tx.execute(schema.create_index_sql(table, index))


def m004_write_tokens(tx: Any) -> None:
    """PostgreSQL: the table of internal write tokens, one per inserted record, written in
    the record's transaction, so that a write run again after its connection died during
    COMMIT finds the row of the first run instead of adding a second one. A token is only
    needed for the seconds a retry lasts; writers delete those older than an hour now and
    then. SQLite (a local file, no connection to lose) gets nothing.
    """
    if tx.dialect != "postgres":
        return
    tx.execute(
        "CREATE TABLE IF NOT EXISTS _write_tokens (token TEXT PRIMARY KEY, table_name TEXT NOT NULL, "
        "row_id BIGINT NOT NULL, session_id TEXT NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE, "
        "created_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    )
    # Deleting a session looks its tokens up through this index, not by a full scan.
    tx.execute("CREATE INDEX IF NOT EXISTS idx_write_tokens_session ON _write_tokens (session_id)")


def m005_workflow_records(tx: Any) -> None:
    """Success criteria, development plans and typed events; reasoning columns on the logs.

    A file of the public project's later schema (schema_version 19) holds
    ``success_criteria`` and ``development_plans`` already: they are rebuilt in our shape
    with every row kept. Its events are log rows (``log_type = 'event'``, with the
    ``event_subtype``/``event_payload`` columns m001 kept): they move to ``events``. Its
    reasoning rows are log rows with the columns added here, so they stay where they are.
    """
    for table in schema.TABLES_V5:
        if tx.dialect == "sqlite" and sqlite_table_exists(tx, table.name):
            adopt_sqlite_table(tx, table)
        else:
            tx.execute(schema.create_table_sql(table, tx.dialect))
        for index in table.indexes:
            tx.execute(schema.create_index_sql(table, index))
    present = set(tx.columns("orchestration_logs"))
    for column in schema.ADDED_COLUMNS["orchestration_logs"]:
        if column.name not in present:
            tx.execute(f"ALTER TABLE orchestration_logs ADD COLUMN {schema.column_sql(column, tx.dialect)}")
    if "event_subtype" in present and "event_payload" in present:
        tx.execute(
            "INSERT INTO events (session_id, timestamp, event_subtype, event_payload, group_id, agent_type, "
            "iteration, idempotency_key) SELECT session_id, timestamp, COALESCE(event_subtype, 'unknown'), "
            "COALESCE(event_payload, content), NULLIF(group_id, 'global'), agent_type, iteration, idempotency_key "
            "FROM orchestration_logs WHERE log_type = 'event' ORDER BY id"
        )
        tx.execute("DELETE FROM orchestration_logs WHERE log_type = 'event'")


def m006_context_and_memory(tx: Any) -> None:
    """Context packages and their consumers, consumption scope, error patterns and
    strategies; the task groups' references to their packages.

    A schema-19 file holds all five tables already: they are rebuilt in our shape with
    every row kept. Its consumer rows had no session column: each takes its package's.
    """
    for table in schema.TABLES_V6:
        if tx.dialect == "sqlite" and sqlite_table_exists(tx, table.name):
            if table.name == "context_package_consumers":
                _adopt_consumers(tx, table)
            else:
                adopt_sqlite_table(tx, table)
            if table.name == "error_patterns":
                # The error type was only inside the signature; the expiry is computed once here.
                tx.execute(
                    "UPDATE error_patterns SET error_type = json_extract(signature_json, '$.error_type') "
                    "WHERE error_type IS NULL AND json_valid(signature_json)"
                )
                tx.execute(
                    "UPDATE error_patterns SET expires_at = strftime('%Y-%m-%dT%H:%M:%fZ', last_seen, "
                    "'+' || ttl_days || ' days') WHERE expires_at IS NULL"
                )
        else:
            tx.execute(schema.create_table_sql(table, tx.dialect))
        for index in table.indexes:
            tx.execute(schema.create_index_sql(table, index))
    present = set(tx.columns("task_groups"))
    for column in schema.ADDED_COLUMNS["task_groups"]:
        if column.name not in present:  # a schema-19 file has it already
            tx.execute(f"ALTER TABLE task_groups ADD COLUMN {schema.column_sql(column, tx.dialect)}")


def _adopt_consumers(tx: Any, table: schema.Table) -> None:
    tx.execute("ALTER TABLE context_package_consumers RENAME TO _adopt_old_consumers")
    tx.execute(schema.create_table_sql(table, "sqlite"))
    # Rows whose package is gone could not be read through any package: kept would be
    # orphans breaking the foreign key, so they go (a schema-19 file cascades them anyway).
    tx.execute(
        "INSERT INTO context_package_consumers (id, session_id, package_id, agent_type, iteration, consumed_at) "
        "SELECT c.id, p.session_id, c.package_id, COALESCE(c.agent_type, 'unknown'), COALESCE(c.iteration, 1), "
        f"{timestamp_expression('c.consumed_at')} "
        "FROM _adopt_old_consumers c JOIN context_packages p ON p.id = c.package_id ORDER BY c.id"
    )
    tx.execute("DROP TABLE _adopt_old_consumers")


def fts5_available(tx: Any) -> bool:
    import sqlite3

    try:
        return tx.one("SELECT 1 AS found FROM pragma_module_list WHERE name = 'fts5'") is not None
    except sqlite3.Error:  # pragma_module_list missing from very old SQLite builds
        row = tx.one("SELECT sqlite_compileoption_used('ENABLE_FTS5') AS found")
        return bool(row and row["found"])


# Every step named in NAMES, in that order (a missing function fails at import).
MIGRATIONS: list[tuple[str, Callable[[Any], None]]] = [(name, globals()[name]) for name in NAMES]


def migrate(backend: Any) -> list[str]:
    """Bring ``backend`` to the latest schema; return the names of the migrations applied."""
    version = backend.schema_version()
    if version == LATEST_VERSION:
        return []
    if version > LATEST_VERSION:
        raise too_new(backend, version)
    applied = []
    for number, (name, function) in enumerate(MIGRATIONS, start=1):
        with backend.migration() as tx:
            current = recorded_version(tx)
            if current > LATEST_VERSION:
                raise too_new(backend, current)
            if current >= number:
                continue  # another process applied it while we waited for the lock
            function(tx)
            tx.execute(
                "INSERT INTO _migrations (id, name, applied_at) VALUES (?, ?, ?)",
                (number, name, utc_now()),
            )
            backend.record_version(tx, number)
            applied.append(name)
    return applied


def recorded_version(tx: Any) -> int:
    tx.execute(
        "CREATE TABLE IF NOT EXISTS _migrations "
        "(id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    row = tx.one("SELECT MAX(id) AS version FROM _migrations")
    return int(row["version"] or 0) if row else 0


def too_new(backend: Any, version: int) -> SchemaTooNew:
    return SchemaTooNew(
        f"database {backend.location} has schema version {version}, newer than this "
        f"bazinga-db understands ({LATEST_VERSION}); refusing to write to it",
        hint="upgrade bazinga-db: pip install . in a newer checkout of it",
    )

