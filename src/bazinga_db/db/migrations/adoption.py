"""Adopting SQLite tables that another tool made (the seed scripts, the public project's
later schema up to its schema_version 19): each is rebuilt in our shape, every row kept.
"""

from __future__ import annotations

from .. import schema

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

TIMESTAMP_COLUMNS = ("timestamp", "start_time", "end_time", "created_at", "updated_at", "last_seen", "consumed_at")


def sqlite_table_exists(tx: Any, name: str) -> bool:
    return tx.one("SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)) is not None


def adopt_sqlite_table(tx: Any, table: schema.Table) -> None:
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


def timestamp_expression(name: str) -> str:
    """SQL turning the time in column ``name`` into ours.

    CURRENT_TIMESTAMP text ("2025-11-12 14:30:00") and other ISO-8601 forms (fractions,
    offsets) become ours, in UTC, so that text order is time order. Text SQLite cannot read
    as a time is kept as it is; the GLOB keeps numbers from being read as Julian days.
    """
    return (
        f"CASE WHEN typeof({name}) = 'text' AND {name} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' "
        f"THEN COALESCE(strftime('%Y-%m-%dT%H:%M:%fZ', {name}), {name}) ELSE {name} END"
    )


def _source_expression(table_name: str, column: schema.Column) -> str:
    name = column.name
    expression = name
    if name in TIMESTAMP_COLUMNS:
        expression = timestamp_expression(name)
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
