"""`bazinga-db recover-db`: salvage the readable rows of a damaged SQLite file into a new one.

A healthy file (it opens, ``PRAGMA integrity_check`` says ok, its schema reads) is never
touched: the command says so and stops. A damaged one is only ever read, through a
read-only connection; what can be read is written into a NEW file made with the current
schema, and the original stays where it is, byte for byte, for whoever wants to look at
it again. Switching to the new file is the user's step, taken when no agent is running.

Rows are read per table in the export's order (parents first), in ranges of rowids. A
range whose read raises ``sqlite3.DatabaseError`` is halved until the failing part is a
single rowid, so a damaged page costs the rows stored on it and no others. When an index
of the table is still readable, it tells which rowids existed, so the rows lost are
counted exactly; otherwise the report gives the unreadable rowid ranges instead.
"""

from __future__ import annotations

import os
import sqlite3
import time
from typing import Any

from ..core import Store
from ..db.backends import is_postgres_url
from ..db.backends.sqlite import quote_path
from ..db.paths import resolve_target
from ..errors import DatabaseError, InvalidInput, NotFound
from .transfer import TABLE_ORDER

# Rows per read: large enough to be quick, small enough that halving a failing range
# down to single rowids takes few steps.
CHUNK = 256


def recover_db(db: str | None, output: str | None = None) -> dict[str, Any]:
    """Check the SQLite file ``db`` names; when it is damaged, salvage it into ``output``.

    Raises InvalidInput (exit 2) for PostgreSQL or an unusable ``output``, NotFound when
    there is no file, DatabaseError when nothing at all could be read.
    """
    target = resolve_target(db)
    if is_postgres_url(target):
        raise InvalidInput(
            "recover-db repairs SQLite files; a PostgreSQL server has its own tools",
            hint="restore with pg_dump/pg_restore or the server's point-in-time recovery (PITR)",
        )
    path = os.path.abspath(target)
    if os.path.isdir(path):
        raise InvalidInput(f"--db {target} is a directory, not a database file")
    if not os.path.exists(path):
        raise NotFound(f"no database at {target}: nothing to recover", hint="check --db or $BAZINGA_DB")
    if output is not None:
        output = _check_output(output, path)

    source = _open_read_only(path)
    try:
        problems = _health(source)
        if problems is None:
            return {
                "healthy": True,
                "recovered": False,
                "database": path,
                "message": f"{path} passed its integrity check: nothing to do (the file was not touched)",
            }
        if output is None:
            stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
            output = _check_output(f"{path}.recovered-{stamp}.db", path)
        return _salvage(source, path, output, problems)
    finally:
        source.close()


def _check_output(output: str, source: str) -> str:
    if not isinstance(output, str) or not output.strip():
        raise InvalidInput("--output must name a file")
    resolved = os.path.abspath(os.path.expanduser(output))
    if resolved == source:
        raise InvalidInput(f"--output {output} is the damaged database itself; choose a new file name")
    if os.path.lexists(resolved):
        raise InvalidInput(
            f"--output {output} already exists; nothing was written",
            hint="choose a file name that does not exist yet",
        )
    folder = os.path.dirname(resolved)
    if not os.path.isdir(folder):
        raise InvalidInput(f"--output folder {folder} does not exist")
    return resolved


def _open_read_only(path: str) -> sqlite3.Connection:
    # mode=ro: reading a damaged file must never write to it (no journal replay into it,
    # no checkpoint of its WAL on close).
    try:
        connection = sqlite3.connect(
            "file:" + quote_path(path) + "?mode=ro", uri=True, timeout=5, isolation_level=None,
        )
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot open {path} to read it ({exc}); nothing was written") from None
    return connection


def _health(source: sqlite3.Connection) -> list[str] | None:
    """None when the file is healthy, else what is wrong with it."""
    try:
        rows = source.execute("PRAGMA integrity_check").fetchall()
        problems = [str(row[0]) for row in rows]
        if problems != ["ok"]:
            return problems
        for (name,) in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            source.execute(f'PRAGMA table_info("{name}")').fetchall()
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    return None


# -- salvage ---------------------------------------------------------------------------


def _salvage(source: sqlite3.Connection, path: str, output: str, problems: list[str]) -> dict[str, Any]:
    try:
        source_tables = {
            name for (name,) in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        }
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(
            f"nothing could be read from {path}: {exc} (its header or schema page is destroyed); "
            "nothing was written and the file was not touched",
            hint="restore from a backup (bazinga-db backup makes one)",
        ) from None

    # The new file is made beside its final name and renamed into place only when complete.
    temporary = f"{output}.partial-{os.getpid()}"
    for leftover in (temporary, temporary + "-wal", temporary + "-shm", temporary + "-journal"):
        if os.path.exists(leftover):
            os.unlink(leftover)
    try:
        with Store(temporary) as store:
            store.migrate()  # our current schema and its _migrations history
        tables, read_any = _copy_tables(source, source_tables, temporary)
        if not read_any:
            raise DatabaseError(
                f"nothing could be read from {path}: every table is unreadable; nothing was written "
                "and the file was not touched",
                hint="restore from a backup (bazinga-db backup makes one)",
            )
        os.replace(temporary, output)
    finally:
        for leftover in (temporary, temporary + "-wal", temporary + "-shm", temporary + "-journal"):
            if os.path.exists(leftover):
                os.unlink(leftover)

    known = all(table["lost"] is not None for table in tables.values())
    lost = sum(table["lost"] or 0 for table in tables.values())
    salvaged = sum(table["salvaged"] for table in tables.values())
    orphans = sum(table["orphans_skipped"] for table in tables.values())
    if known:
        summary = f"{salvaged} rows salvaged, {lost} lost on damaged pages, {orphans} orphan rows skipped"
    else:
        summary = (f"{salvaged} rows salvaged, {orphans} orphan rows skipped; some tables had unreadable "
                   "parts whose row count is unknown (see unreadable_ranges)")
    return {
        "healthy": False,
        "recovered": True,
        "database": path,
        "original_kept": path,
        "recovered_database": output,
        "problems": problems[:20],
        "rows_salvaged": salvaged,
        "rows_lost": lost if known else None,
        "orphans_skipped": orphans,
        "tables": tables,
        "message": f"{path} is damaged; {summary}. The original was not changed.",
        "next_step": (
            f"check the new file (bazinga-db --db {output} doctor), then, while no agent is running, "
            f"keep the damaged file aside and move the new one into place: mv {path} {path}.damaged && "
            f"mv {output} {path} (remove any stale {path}-wal and {path}-shm first)"
        ),
    }


def _copy_tables(
    source: sqlite3.Connection, source_tables: set[str], temporary: str
) -> tuple[dict[str, dict[str, Any]], bool]:
    target = sqlite3.connect(temporary, isolation_level=None)
    try:
        target.execute("PRAGMA foreign_keys=ON")
        target.execute("BEGIN IMMEDIATE")
        tables: dict[str, dict[str, Any]] = {}
        read_any = False
        for table in TABLE_ORDER:
            if table not in source_tables:
                continue
            report, readable = _copy_table(source, target, table)
            tables[table] = report
            read_any = read_any or readable
        _carry_sequences(source, target)
        target.execute("COMMIT")
    except BaseException:
        if target.in_transaction:
            target.execute("ROLLBACK")
        raise
    finally:
        target.close()
    return tables, read_any


def _copy_table(source: sqlite3.Connection, target: sqlite3.Connection, table: str) -> tuple[dict[str, Any], bool]:
    report: dict[str, Any] = {"salvaged": 0, "lost": None, "orphans_skipped": 0, "rejected": 0}
    target_columns = [row[1] for row in target.execute(f"PRAGMA table_info({table})").fetchall()]
    try:
        source_columns = {row[1] for row in source.execute(f'PRAGMA table_info("{table}")').fetchall()}
    except sqlite3.DatabaseError:
        report["unreadable_ranges"] = [["all", "all"]]
        return report, False
    columns = [column for column in target_columns if column in source_columns]
    if not columns:
        return report, False

    existing = _rowids_from_an_index(source, table)
    low, high, readable = _rowid_bounds(source, table, existing)
    failed: list[int] = []
    read: set[int] = set()
    if low is not None and high is not None:
        sql = f"SELECT rowid, {', '.join(columns)} FROM \"{table}\" WHERE rowid BETWEEN ? AND ? ORDER BY rowid"
        insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        for start in range(low, high + 1, CHUNK):
            for row in _read_range(source, sql, start, min(start + CHUNK - 1, high), failed):
                read.add(row[0])
                values = row[1:]
                try:
                    target.execute(insert, values)
                except sqlite3.IntegrityError as exc:
                    # A missing parent (its row was on a damaged page) or a value the schema refuses.
                    if "FOREIGN KEY" in str(exc).upper():
                        report["orphans_skipped"] += 1
                    else:
                        report["rejected"] += 1
                    continue
                report["salvaged"] += 1
        if failed and not read:
            readable = False
    elif not readable:
        report["unreadable"] = True  # not even its first and last rowid could be read
    if table == "task_group_events":
        # A timeline without its task group would be an orphan for doctor: drop those too.
        cursor = target.execute(
            "DELETE FROM task_group_events WHERE NOT EXISTS (SELECT 1 FROM task_groups g "
            "WHERE g.session_id = task_group_events.session_id AND g.id = task_group_events.group_id)"
        )
        report["orphans_skipped"] += cursor.rowcount
        report["salvaged"] -= cursor.rowcount
    if existing is not None:
        report["rows_before"] = len(existing)
        report["lost"] = len(existing - read)
    elif not failed:
        report["lost"] = 0
    if failed:
        report["unreadable_ranges"] = _ranges(failed)
    return report, readable


def _read_range(source: sqlite3.Connection, sql: str, low: int, high: int, failed: list[int]) -> list[tuple[Any, ...]]:
    """The rows with rowids low..high; rowids whose read fails are added to ``failed``."""
    try:
        return source.execute(sql, (low, high)).fetchall()
    except sqlite3.DatabaseError:
        if low == high:
            # A range seek may step onto a damaged neighbour page; a lookup of the one
            # rowid goes straight to the page that holds it.
            try:
                return source.execute(sql.replace("rowid BETWEEN ? AND ?", "rowid = ?"), (low,)).fetchall()
            except sqlite3.DatabaseError:
                failed.append(low)
                return []
        middle = (low + high) // 2
        return _read_range(source, sql, low, middle, failed) + _read_range(source, sql, middle + 1, high, failed)


def _rowids_from_an_index(source: sqlite3.Connection, table: str) -> set[int] | None:
    """Every rowid of ``table``, read from the first of its indexes that reads whole.

    An index is a b-tree of its own: when the damage hit the table's pages and not the
    index's, the index still says which rows existed, so the rows lost can be counted.
    """
    try:
        indexes = [row[1] for row in source.execute(f'PRAGMA index_list("{table}")').fetchall()]
    except sqlite3.DatabaseError:
        return None
    for index in indexes:
        try:
            return {row[0] for row in source.execute(f'SELECT rowid FROM "{table}" INDEXED BY "{index}"')}
        except sqlite3.DatabaseError:
            continue
    try:  # no index, or none readable: the table itself, when it reads whole
        return {row[0] for row in source.execute(f'SELECT rowid FROM "{table}"')}
    except sqlite3.DatabaseError:
        return None


def _rowid_bounds(
    source: sqlite3.Connection, table: str, existing: set[int] | None
) -> tuple[int | None, int | None, bool]:
    """The lowest and highest rowid worth reading, and whether anything about the table
    could be read at all."""
    bounds: list[int] = []
    answered = existing is not None
    if existing:
        bounds += [min(existing), max(existing)]
    for sql in (f'SELECT MIN(rowid), MAX(rowid) FROM "{table}"',
                "SELECT 1, seq FROM sqlite_sequence WHERE name = ?"):
        try:
            row = source.execute(sql, (table,) if "?" in sql else ()).fetchone()
        except sqlite3.DatabaseError:
            continue
        answered = answered or "sqlite_sequence" not in sql
        if row is not None:
            bounds += [value for value in row if isinstance(value, int)]
    if not bounds:
        return None, None, answered
    return min(bounds), max(bounds), answered


def _carry_sequences(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    """Keep the id counters past the lost rows' ids, so no id is ever given out twice."""
    try:
        sequences = source.execute("SELECT name, seq FROM sqlite_sequence").fetchall()
    except sqlite3.DatabaseError:
        return
    for name, seq in sequences:
        if name in TABLE_ORDER and isinstance(seq, int):
            target.execute("UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?", (seq, name))
            if target.execute("SELECT changes()").fetchone()[0] == 0:
                target.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (name, seq))


def _ranges(rowids: list[int]) -> list[list[int]]:
    merged: list[list[int]] = []
    for rowid in sorted(rowids):
        if merged and rowid == merged[-1][1] + 1:
            merged[-1][1] = rowid
        else:
            merged.append([rowid, rowid])
    return merged


__all__ = ["recover_db"]
