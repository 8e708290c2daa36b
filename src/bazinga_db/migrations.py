"""Ordered, named schema migrations, recorded in the ``_migrations`` table.

Rules: a migration is a function of one transaction; it is never edited once released;
new changes are new functions appended to ``MIGRATIONS``. Each runs in its own
transaction under the backend's migration lock (SQLite: the write lock of BEGIN
IMMEDIATE; PostgreSQL: an advisory lock), and re-checks the recorded version first, so
any number of processes starting together apply each migration exactly once.
"""

from __future__ import annotations

from . import schema
from .errors import SchemaTooNew

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

TIMESTAMP_COLUMNS = ("timestamp", "start_time", "end_time", "created_at", "updated_at")


def m001_initial(tx: Any) -> None:
    """Create the eight seed tables (plus the task-group timeline), adopting existing ones.

    A file made by the seed scripts or by their later versions (schema_version up to 19)
    already has these tables: each is rebuilt into our shape with every row kept, columns
    we do not know included.
    """
    for table in schema.TABLES_V1:
        if tx.dialect == "sqlite" and _sqlite_table_exists(tx, table.name):
            _adopt_sqlite_table(tx, table)
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
    from .search import FTS_TABLE, fts5_available

    if not fts5_available(tx):
        return
    tx.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(content, content='orchestration_logs', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
    )
    # An external-content index must be told the old text to remove, hence the 'delete' rows.
    tx.execute(
        f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_insert AFTER INSERT ON orchestration_logs BEGIN "
        f"INSERT INTO {FTS_TABLE} (rowid, content) VALUES (new.id, new.content); END"
    )
    tx.execute(
        f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_delete AFTER DELETE ON orchestration_logs BEGIN "
        f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, content) VALUES ('delete', old.id, old.content); END"
    )
    tx.execute(
        f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_update AFTER UPDATE OF content ON orchestration_logs BEGIN "
        f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, content) VALUES ('delete', old.id, old.content); "
        f"INSERT INTO {FTS_TABLE} (rowid, content) VALUES (new.id, new.content); END"
    )
    tx.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('rebuild')")


MIGRATIONS: list[tuple[str, Callable[[Any], None]]] = [
    ("m001_initial", m001_initial),
    ("m002_log_search", m002_log_search),
]
LATEST_VERSION = len(MIGRATIONS)


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
                (number, name, _now()),
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
        hint="upgrade bazinga-db (pip install -U bazinga-db)",
    )


def _now() -> str:
    from .store import utc_now

    return utc_now()


# -- adopting SQLite files made by other tools -----------------------------------------


def _sqlite_table_exists(tx: Any, name: str) -> bool:
    return tx.one("SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)) is not None


def _adopt_sqlite_table(tx: Any, table: schema.Table) -> None:
    """Rebuild ``table`` in our shape (the documented 12-step ALTER TABLE procedure).

    Foreign-key enforcement is off during migrations (see SQLiteBackend.migration), so
    dropping the old ``sessions`` does not cascade into its children.
    """
    existing = tx.all(f"PRAGMA table_info({table.name})")
    existing_names = [row["name"] for row in existing]
    ours = set(table.column_names)
    extras = [row for row in existing if row["name"] not in ours]
    extra_sql = [f'"{row["name"]}" {row["type"] or ""}'.rstrip() for row in extras]

    temporary = f"_adopt_{table.name}"
    tx.execute(f"DROP TABLE IF EXISTS {temporary}")
    tx.execute(schema.create_table_sql(table, "sqlite", name=temporary, extra_columns=extra_sql))

    targets, sources = [], []
    for column in table.columns:
        if column.name not in existing_names:
            continue
        targets.append(column.name)
        sources.append(_source_expression(table.name, column))
    for row in extras:
        targets.append(f'"{row["name"]}"')
        sources.append(f'"{row["name"]}"')
    tx.execute(
        f"INSERT INTO {temporary} ({', '.join(targets)}) "
        f"SELECT {', '.join(sources)} FROM {table.name}"
    )
    tx.execute(f"DROP TABLE {table.name}")
    tx.execute(f"ALTER TABLE {temporary} RENAME TO {table.name}")
    if "idempotency_key" in existing_names:
        _deduplicate_idempotency_keys(tx, table.name)


def _source_expression(table_name: str, column: schema.Column) -> str:
    name = column.name
    expression = name
    if name in TIMESTAMP_COLUMNS:
        # CURRENT_TIMESTAMP text ("2025-11-12 14:30:00") and other ISO-8601 forms (fractions,
        # offsets) become ours, in UTC, so that text order is time order. Text SQLite cannot
        # read as a time is kept as it is; the GLOB keeps numbers from being read as Julian days.
        expression = (
            f"CASE WHEN typeof({name}) = 'text' AND {name} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' "
            f"THEN COALESCE(strftime('%Y-%m-%dT%H:%M:%fZ', {name}), {name}) ELSE {name} END"
        )
    if table_name == "state_snapshots" and name == "group_id":
        # The later upstream schema stored session-wide state under group 'global'.
        expression = f"NULLIF({name}, 'global')"
    if column.not_null and column.type != "ID":
        fallback = column.default or ("0" if column.type == "INTEGER" else "''")
        if name in ("agent_type", "state_type"):
            fallback = "'unknown'"
        expression = f"COALESCE({expression}, {fallback})"
    return expression


def _deduplicate_idempotency_keys(tx: Any, table_name: str) -> None:
    # The later upstream schema scoped keys by event subtype and group; ours are unique per
    # session. Keep every row: a key that repeats gets its row id appended.
    tx.execute(
        f"UPDATE {table_name} SET idempotency_key = idempotency_key || ':' || id "
        f"WHERE idempotency_key IS NOT NULL AND id NOT IN ("
        f"SELECT MIN(id) FROM {table_name} WHERE idempotency_key IS NOT NULL "
        f"GROUP BY session_id, idempotency_key)"
    )
