"""Export every table to JSON Lines, and import such a file into any database.

The format (``format_version`` 1), one JSON object per line:

    {"format": "bazinga-db-export", "format_version": 1, "schema_version": 2, "exported_at": …,
     "session_id": null, "tables": ["sessions", …]}
    {"table": "sessions", "row": {"session_id": "…", "start_time": "…", …}}
    …
    {"format": "bazinga-db-export-end", "counts": {"sessions": 1, "orchestration_logs": 17, …}}

Rows hold the stored column values as they are (JSON columns stay JSON text), so an import
into an empty database stores exactly what was exported, ids included; the closing line
makes a truncated file fail instead of importing half of it.

Import merges. A row identical (every column but ``id``) to one already in the target is
skipped, so importing a file twice adds nothing. Numbered rows keep their ids unless one of
their session's ids is taken in the target; then that session's rows of that table are
renumbered after the target's, in their original order. A session, task group or
configuration key that exists with other content is kept as it is and counted as a conflict.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, TextIO

    from ..core import Store

from ..core import require_session
from ..db.migrations import LATEST_VERSION
from ..db.schema import GLOBAL_TABLES, SESSION_TABLES, TABLES_BY_NAME, references_of
from ..errors import InvalidInput
from ..util import validation as v
from ..util.clock import utc_now

FORMAT = "bazinga-db-export"
FORMAT_END = "bazinga-db-export-end"
FORMAT_VERSION = 1
FORMATS = ("jsonl",)

# Tables with a natural key (no id column) and that key; the others are numbered (id).
KEYED = {name: table.primary_key for name, table in TABLES_BY_NAME.items() if table.primary_key}
# Parents before children: sessions, then the session tables other rows are keyed by (task
# groups), then the numbered records of a session, then the global tables.
TABLE_ORDER = (
    "sessions",
    *(name for name in SESSION_TABLES if name in KEYED),
    *(name for name in SESSION_TABLES if name not in KEYED),
    *GLOBAL_TABLES,
)
ORDER_BY = {
    "sessions": "created_at, session_id",
    "task_groups": "session_id, created_at, id",
    "configuration": "key",
    **{name: ", ".join(key) for name, key in KEYED.items() if name not in ("sessions", "task_groups", "configuration")},
}


def _line(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n"


def export(
    db: Store, session_id: str | None = None, format: str = "jsonl", output: str | TextIO | None = None
) -> dict[str, Any]:
    """Write the database (or one session) as JSON Lines to ``output`` (a path or a text stream).

    A path is written whole or not at all (a temporary file renamed into place).
    Global tables (configuration, error patterns, strategies) belong to no session, so
    they are part of a whole-database export only.
    """
    v.choice(format, "format", FORMATS)
    session_id = v.optional_identifier(session_id, "session_id")
    if output is None:
        raise InvalidInput("export needs an output: a file path or a text stream")
    if isinstance(output, str):
        path = os.path.abspath(output)
        if os.path.isdir(path):
            raise InvalidInput(f"--output {output} is a directory; give a file name")
        if os.path.exists(path) and not os.path.isfile(path):
            # A device or a pipe (/dev/null, /dev/stdout, a FIFO): written to as it is. The
            # rename below would replace the device itself with a file.
            try:
                with open(path, "w", encoding="utf-8") as stream:
                    summary = _export_to(db, stream, session_id)
            except OSError as exc:
                raise InvalidInput(f"cannot write --output {output}: {exc.strerror}") from None
            summary["output"] = path
            return summary
        temporary = f"{path}.tmp-{os.getpid()}"
        try:
            try:
                handle = open(temporary, "w", encoding="utf-8")  # noqa: SIM115 (closed just below)
            except OSError as exc:
                raise InvalidInput(f"cannot write --output {output}: {exc.strerror}") from None
            with handle:
                summary = _export_to(db, handle, session_id)
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        summary["output"] = path
        return summary
    return _export_to(db, output, session_id)


def _export_to(db: Store, stream: TextIO, session_id: str | None) -> dict[str, Any]:
    # Global tables (configuration, what projects learned) belong to no session.
    tables = [table for table in TABLE_ORDER if not (session_id and table in GLOBAL_TABLES)]
    counts: dict[str, int] = {}
    with db.read() as tx:  # one snapshot: the file is consistent even while agents write
        if session_id is not None:
            require_session(tx, session_id)
        stream.write(_line({
            "format": FORMAT, "format_version": FORMAT_VERSION, "schema_version": LATEST_VERSION,
            "exported_at": utc_now(), "session_id": session_id, "tables": tables,
        }))
        for table in tables:
            where, params = ("", ()) if session_id is None else (" WHERE session_id = ?", (session_id,))
            rows = tx.all(f"SELECT * FROM {table}{where} ORDER BY {ORDER_BY.get(table, 'id')}", params)
            stream.writelines(_line({"table": table, "row": row}) for row in rows)
            counts[table] = len(rows)
    stream.write(_line({"format": FORMAT_END, "counts": counts}))
    stream.flush()
    return {"session_id": session_id, "format": "jsonl", "rows": sum(counts.values()), "counts": counts}

def import_(db: Store, file: str | Iterable[str]) -> dict[str, Any]:
    """Import an export (a path, ``-`` for stdin, or lines) in one transaction; report per table.

    (``import`` is a Python keyword, hence the underscore; the command is ``import``.)
    """
    source = "<lines>"
    if isinstance(file, str):
        source = "stdin" if file == "-" else file
        lines = _read_lines(file)
    else:
        lines = list(file)
    header, by_table = _parse(lines, source)
    report = {table: {"inserted": 0, "identical": 0, "conflicts": 0, "renumbered": 0} for table in TABLE_ORDER}
    dropped: dict[str, list[str]] = {}
    known: set[str] = set()  # sessions checked to exist
    moved: dict[str, dict[Any, Any]] = {}  # numbered table -> {id in the file: id in the target}
    with db.write() as tx:
        columns = {table: tx.columns(table) for table in TABLE_ORDER}
        for table in TABLE_ORDER:
            items = by_table.get(table, [])
            unknown = sorted({key for _, row in items for key in row} - set(columns[table]))
            if unknown:
                dropped[table] = unknown  # e.g. columns a newer or adopted schema had
            items = [(number, {k: val for k, val in row.items() if k in columns[table]}) for number, row in items]
            if table in KEYED:
                _import_keyed(tx, table, items, report[table], known)
            else:
                _import_numbered(tx, table, items, report[table], known, moved)
        if tx.dialect == "postgres":
            # Explicit ids do not advance an identity sequence; move it past them.
            for table in TABLE_ORDER:
                if table not in KEYED:
                    tx.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
                    )
    return {
        "source": source,
        "format_version": header["format_version"],
        "schema_version": header.get("schema_version"),
        "exported_at": header.get("exported_at"),
        "tables": report,
        "inserted": sum(counts["inserted"] for counts in report.values()),
        "dropped_columns": dropped,
    }

def _import_keyed(tx: Any, table: str, items: list[tuple[int, dict[str, Any]]],
                  counts: dict[str, int], known: set[str]) -> None:
    key_columns = KEYED[table]
    for number, row in items:
        missing = [column for column in key_columns if row.get(column) in (None, "")]
        if missing:
            raise InvalidInput(f"line {number}: a {table} row without {missing[0]}")
        if table in SESSION_TABLES:  # task groups, transcript read positions
            _require_parent(tx, row, number, known)
        key = tuple(row[column] for column in key_columns)
        where = " AND ".join(f"{column} = ?" for column in key_columns)
        existing = tx.one(f"SELECT * FROM {table} WHERE {where}", key)
        if existing is None:
            _insert(tx, table, row, number)
            counts["inserted"] += 1
        elif all(existing.get(column) == value for column, value in row.items()):
            counts["identical"] += 1
        else:
            counts["conflicts"] += 1  # the target's version is kept

def _import_numbered(tx: Any, table: str, items: list[tuple[int, dict[str, Any]]],
                     counts: dict[str, int], known: set[str], moved: dict[str, dict[Any, Any]]) -> None:
    """Numbered rows; ``moved`` maps each numbered table's ids in the file to the ids the
    same rows have in the target, so a row that refers to another (a consumer to its
    package) keeps referring to the same row after a renumbering."""
    references = references_of(TABLES_BY_NAME[table])
    mine = moved.setdefault(table, {})
    sessions: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for number, row in items:
        _require_parent(tx, row, number, known)
        for column, parent in references.items():
            if row.get(column) in moved.get(parent, {}):
                row[column] = moved[parent][row[column]]
        sessions.setdefault(row["session_id"], []).append((number, row))
    content = [column for column in _column_union(items) if column != "id"]
    plan: list[tuple[int, dict[str, Any], bool]] = []
    for session_id, rows in sessions.items():
        existing: dict[tuple[Any, ...], list[Any]] = {}
        for row in tx.all(f"SELECT id, {', '.join(content)} FROM {table} WHERE session_id = ? ORDER BY id",
                          (session_id,)):
            existing.setdefault(tuple(row[column] for column in content), []).append(row["id"])
        keys = {row["idempotency_key"] for row in tx.all(
            f"SELECT idempotency_key FROM {table} WHERE session_id = ? AND idempotency_key IS NOT NULL",
            (session_id,),
        )} if "idempotency_key" in content else set()
        fresh = []
        for number, row in rows:
            same = existing.get(tuple(row.get(column) for column in content))
            if same:  # a multiset: two identical rows in the file stay two
                target_id = same.pop(0)
                if row.get("id") is not None and row["id"] != target_id:
                    mine[row["id"]] = target_id
                counts["identical"] += 1
            elif row.get("idempotency_key") is not None and row["idempotency_key"] in keys:
                counts["conflicts"] += 1  # that key already names another row of the session
            else:
                if row.get("idempotency_key") is not None:
                    keys.add(row["idempotency_key"])
                fresh.append((number, row))
        ids = [row.get("id") for _, row in fresh]
        keep = all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids) and \
            len(set(ids)) == len(ids) and not _any_taken(tx, table, ids)  # type: ignore[arg-type]
        plan.extend((number, row, keep) for number, row in fresh)
    for number, row, keep in sorted(plan, key=lambda item: item[0]):  # file order: renumbered rows keep their order
        old_id = row.get("id")
        if not keep:
            row = {column: value for column, value in row.items() if column != "id"}
            counts["renumbered"] += 1
        new_id = _insert(tx, table, row, number)
        if old_id is not None and new_id != old_id:
            mine[old_id] = new_id
        counts["inserted"] += 1

def _require_parent(tx: Any, row: dict[str, Any], number: int, known: set[str]) -> None:
    session_id = row.get("session_id")
    if not isinstance(session_id, str) or not session_id:
        raise InvalidInput(f"line {number}: a row without session_id")
    if session_id in known:
        return
    if tx.one("SELECT 1 AS found FROM sessions WHERE session_id = ?", (session_id,)) is None:
        raise InvalidInput(f"line {number}: session {session_id!r} is neither in the file nor in the database")
    known.add(session_id)


def _read_lines(file: str) -> list[str]:
    if file == "-":
        return sys.stdin.read().splitlines()
    try:
        with open(file, encoding="utf-8") as handle:
            return handle.read().splitlines()
    except OSError as exc:
        raise InvalidInput(f"cannot read {file}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{file} is not UTF-8 text, so not a bazinga-db export") from None


def _parse(lines: list[str], source: str) -> tuple[dict[str, Any], dict[str, list[tuple[int, dict[str, Any]]]]]:
    """Check the whole file before anything is written: header, rows, closing counts."""
    numbered = [(number, text) for number, text in enumerate(lines, start=1) if text.strip()]
    if not numbered:
        raise InvalidInput(f"{source} is empty; expected a bazinga-db export (JSON Lines)")
    documents = []
    for number, text in numbered:
        try:
            documents.append((number, _loads(text)))
        except ValueError as exc:
            raise InvalidInput(f"{source} line {number} is not JSON ({exc}); expected a bazinga-db export") from None
    header = documents[0][1]
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise InvalidInput(f"{source} is not a bazinga-db export: its first line lacks \"format\": \"{FORMAT}\"")
    version = header.get("format_version")
    if not isinstance(version, int) or version < 1 or version > FORMAT_VERSION:
        raise InvalidInput(
            f"{source} has export format version {version!r}; this bazinga-db reads version {FORMAT_VERSION}",
            hint="upgrade bazinga-db to import files written by a newer version",
        )
    end = documents[-1][1]
    if len(documents) < 2 or not isinstance(end, dict) or end.get("format") != FORMAT_END:
        raise InvalidInput(f"{source} is truncated: its closing line is missing; nothing was imported")
    by_table: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for number, document in documents[1:-1]:
        if not isinstance(document, dict) or not isinstance(document.get("row"), dict):
            raise InvalidInput(f"{source} line {number}: expected {{\"table\": …, \"row\": {{…}}}}")
        table = document.get("table")
        if table not in TABLE_ORDER:
            raise InvalidInput(f"{source} line {number}: unknown table {table!r}; known: {', '.join(TABLE_ORDER)}")
        for column, value in document["row"].items():
            if isinstance(value, (dict, list)):
                raise InvalidInput(
                    f"{source} line {number}: column {column!r} holds a JSON {type(value).__name__}; "
                    "exported values are text, numbers or null (JSON columns are JSON text)"
                )
        by_table.setdefault(table, []).append((number, document["row"]))
    expected = end.get("counts")
    found = {table: len(rows) for table, rows in by_table.items()}
    if not isinstance(expected, dict) or {t: n for t, n in expected.items() if n} != found:
        raise InvalidInput(
            f"{source} is damaged: its closing line counts {expected} rows but the file holds {found}; "
            "nothing was imported"
        )
    return header, by_table


def _column_union(items: list[tuple[int, dict[str, Any]]]) -> list[str]:
    seen: dict[str, None] = {}
    for _, row in items:
        seen.update(dict.fromkeys(row))
    return list(seen) or ["session_id"]


def _any_taken(tx: Any, table: str, ids: list[int]) -> bool:
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ", ".join("?" * len(chunk))
        if tx.one(f"SELECT 1 AS found FROM {table} WHERE id IN ({marks}) LIMIT 1", chunk) is not None:
            return True
    return False


def _insert(tx: Any, table: str, row: dict[str, Any], number: int) -> Any:
    """Insert one row; return its id (None for a table keyed otherwise)."""
    columns = list(row)
    numbered = table not in KEYED
    # Column names come from the target's own schema (unknown ones were dropped), never from the file.
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    try:
        if numbered:
            return tx.one(sql + " RETURNING id", tuple(row[column] for column in columns))["id"]
        tx.execute(sql, tuple(row[column] for column in columns))
        return None
    except Exception as exc:
        # sqlite3 and psycopg both name their constraint failures IntegrityError.
        if not any(kind.__name__ == "IntegrityError" for kind in type(exc).__mro__):
            raise
        raise InvalidInput(f"line {number}: this {table} row does not fit the table ({exc}); nothing was imported") \
            from None


def _loads(text: str) -> Any:
    import json

    return json.loads(text)
