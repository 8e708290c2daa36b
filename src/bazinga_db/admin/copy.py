"""``migrate-to TARGET``: copy every table of this database into another one.

SQLite to PostgreSQL and back (or SQLite to SQLite): the target is brought to the current
schema, then every row is copied in one transaction on the target, ids included, and the
row count of each table is checked before that transaction commits. A target that already
holds data is refused unless ``--append`` is given.
"""

from __future__ import annotations

import os
from typing import Any

from ..core import Store
from ..db import schema
from ..db.paths import resolve_target
from ..errors import Conflict, DatabaseError, InvalidInput

BATCH_ROWS = 1000


def copy_database(source: str | None, target: str, *, append: bool = False) -> dict[str, Any]:
    """Copy every row of ``source`` (a path, URL, or None for the default) into ``target``."""
    source_target = resolve_target(source)
    target_target = resolve_target(target)
    if _same(source_target, target_target):
        raise InvalidInput(f"the target {target} is the database being copied", hint="give another database")
    if "://" not in source_target and not os.path.exists(source_target):
        raise DatabaseError(f"no database at {source_target} to copy", hint="choose it with --db PATH_OR_URL")
    with Store(source_target) as source_db, Store(target_target) as target_db:
        if source_db.backend.schema_version() == 0:
            raise DatabaseError(f"{source_db.location} holds no bazinga-db data to copy")
        target_db.migrate()
        report: dict[str, Any] = {
            "source": source_db.location, "target": target_db.location, "appended": append, "tables": {},
        }
        skipped: dict[str, list[str]] = {}
        with source_db.read() as reader, target_db.write() as writer:
            if not append:
                _require_empty(writer, target_db.location)
            for table in schema.TABLES:
                copied, extra = _copy_table(reader, writer, table)
                report["tables"][table.name] = copied
                if extra:
                    skipped[table.name] = extra
        report["rows"] = sum(report["tables"].values())
        report["verified"] = True
        if skipped:
            report["skipped_columns"] = skipped
        return report


def _same(first: str, second: str) -> bool:
    if "://" in first or "://" in second:
        return first == second
    return os.path.realpath(first) == os.path.realpath(second)


def _count(tx: Any, table: str) -> int:
    row = tx.one(f"SELECT COUNT(*) AS n FROM {table}")
    return int(row["n"]) if row else 0


def _require_empty(tx: Any, location: str) -> None:
    counts = {table.name: _count(tx, table.name) for table in schema.TABLES}
    filled = {name: count for name, count in counts.items() if count}
    if filled:
        described = ", ".join(f"{count} in {name}" for name, count in filled.items())
        raise Conflict(
            f"the target {location} already holds rows ({described}); nothing was copied",
            hint="copy into an empty database, or add --append to add these rows to it",
        )


def _copy_table(reader: Any, writer: Any, table: schema.Table) -> tuple[int, list[str]]:
    """Copy one table; return the rows copied and the source columns left out."""
    # Every column both sides have (later migrations add some); adopted SQLite files may
    # hold columns of other tools that the target has not: those are reported.
    source_columns = reader.columns(table.name)
    target_columns = set(writer.columns(table.name))
    columns = [name for name in source_columns if name in target_columns]
    extra = [name for name in source_columns if name not in target_columns]
    expected = _count(reader, table.name)
    before = _count(writer, table.name)
    names = ", ".join(columns)
    insert = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})"
    order = "id" if not table.primary_key else ", ".join(table.primary_key)
    cursor = reader.execute(f"SELECT {names} FROM {table.name} ORDER BY {order}")
    copied = 0
    while True:
        batch = cursor.fetchmany(BATCH_ROWS)
        if not batch:
            break
        try:
            writer.execute_many(insert, [tuple(row[name] for name in columns) for row in batch])
        except Exception as exc:
            # sqlite3 and psycopg both name it IntegrityError: a key that exists in the target.
            if any(cls.__name__ == "IntegrityError" for cls in type(exc).__mro__):
                raise Conflict(
                    f"a row of {table.name} already exists in the target ({' '.join(str(exc).split())}); "
                    "nothing was copied",
                    hint="--append adds only rows whose keys (ids included) are new to the target",
                ) from None
            raise
        copied += len(batch)
    after = _count(writer, table.name)
    if copied != expected or after - before != expected:
        raise DatabaseError(
            f"copying {table.name} did not add up: {expected} rows in the source, {copied} read, "
            f"{after - before} added to the target; nothing was copied"
        )
    if "id" in columns and not table.primary_key:
        _carry_id_high_water(reader, writer, table.name)
    return copied, extra


def _carry_id_high_water(reader: Any, writer: Any, table: str) -> None:
    """Make the target's next id follow the largest id the source ever gave out, so ids of
    deleted rows are never reused (and PostgreSQL's identity does not restart at 1)."""
    largest = reader.one(f"SELECT MAX(id) AS m FROM {table}")
    high = max(_id_high_water(reader, table), int(largest["m"] or 0) if largest else 0)
    if writer.dialect == "postgres":
        writer.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST(COALESCE(MAX(id), 0), ?, 1), "
            f"COALESCE(MAX(id), 0) > 0 OR ? > 0) FROM {table}",
            (high, high),
        )
        return
    if high == 0:
        return
    writer.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = ? AND seq < ?", (high, table, high))
    if writer.one("SELECT 1 AS found FROM sqlite_sequence WHERE name = ?", (table,)) is None:
        writer.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, high))


def _id_high_water(tx: Any, table: str) -> int:
    if tx.dialect == "postgres":
        row = tx.one(f"SELECT pg_sequence_last_value(pg_get_serial_sequence('{table}', 'id')::regclass) AS value")
    else:
        row = tx.one("SELECT seq AS value FROM sqlite_sequence WHERE name = ?", (table,))
    return int(row["value"] or 0) if row else 0
