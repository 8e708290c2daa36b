"""`bazinga-db diagnose-group-ids [--fix]`: group ids the store would refuse or misread.

Databases adopted from other tools (or written by hand) can hold task-group ids that our
store never writes: reserved words (``global`` means "the whole session" to every record
command, so a task group of that name is ambiguous), ids with control characters, leading
or trailing spaces, empty or over-long ones; and records whose ``group_id`` is the literal
word ``global`` where we store NULL for session-wide records.

``--fix`` repairs them all in one write transaction: a bad task-group id becomes
``group_<cleaned id>`` (made unique within its session) in ``task_groups`` and in the
``group_id`` of every table of that session, and a literal ``global`` becomes NULL. Each
rename is one entry of the group's timeline (``task_group_events``, changes
``{"id": [old, new]}``), since an id change is a change to the group like any other. A
second run then finds nothing.
"""

from __future__ import annotations

import json
from typing import Any

from ..core import Store
from ..db.schema import TABLES, columns_of
from ..errors import InvalidInput
from ..util import validation as v
from ..util.clock import utc_now

RESERVED_GROUP_IDS = ("global", "session", "all", "default")
PREFIX = "group_"


def _group_tables() -> list[tuple[str, bool]]:
    """Every table with a ``group_id`` column, and whether that column may be NULL."""
    found = []
    for table in TABLES:
        for column in columns_of(table):
            if column.name == "group_id":
                found.append((table.name, not column.not_null))
    return found


def _problem(group_id: str) -> str | None:
    """What is wrong with ``group_id`` as a task-group id, or None."""
    if group_id.strip().lower() in RESERVED_GROUP_IDS:
        return (f"reserved word {group_id!r}: it means something else to other commands "
                f"(reserved: {', '.join(RESERVED_GROUP_IDS)})")
    try:
        v.identifier(group_id, "group_id")
    except InvalidInput as exc:
        return exc.message
    return None


def _cleaned(group_id: str) -> str:
    # Control characters become "_", outer spaces go; the prefix keeps the new id clear of
    # the reserved words and says where it came from.
    text = "".join("_" if ord(ch) < 32 or ord(ch) == 127 else ch for ch in group_id).strip()
    return (PREFIX + (text or "unnamed"))[: v.MAX_ID_LENGTH]


def _unique(candidate: str, taken: set[str]) -> str:
    name, number = candidate, 2
    while name in taken:
        suffix = f"_{number}"
        name = candidate[: v.MAX_ID_LENGTH - len(suffix)] + suffix
        number += 1
    taken.add(name)
    return name


def diagnose_group_ids(db: Store, fix: bool = False) -> dict[str, Any]:
    """List (and with ``fix``, repair) the group ids of every table; see the module's text."""
    if not isinstance(fix, bool):
        raise InvalidInput(f"fix must be true or false, got {fix!r}")
    if fix:
        # Without a session: on PostgreSQL this takes the global lock, so no agent writes
        # a row under an id while it is being renamed.
        with db.write() as tx:
            return _run(tx, fix=True)
    with db.read() as tx:
        return _run(tx, fix=False)


def _run(tx: Any, *, fix: bool) -> dict[str, Any]:
    issues: list[dict[str, Any]] = []
    fixes: list[dict[str, Any]] = []
    taken: dict[str, set[str]] = {}  # session -> every group id in use there
    renames: dict[tuple[str, str], str] = {}  # (session, old id) -> new id

    groups = tx.all("SELECT session_id, id FROM task_groups ORDER BY session_id, id")
    for row in groups:
        taken.setdefault(row["session_id"], set()).add(row["id"])
    records: list[tuple[str, bool, dict[str, Any]]] = []
    for table, nullable in _group_tables():
        for row in tx.all(
            f"SELECT session_id, group_id, COUNT(*) AS n FROM {table} WHERE group_id IS NOT NULL "
            "GROUP BY session_id, group_id ORDER BY session_id, group_id"
        ):
            taken.setdefault(row["session_id"], set()).add(row["group_id"])
            records.append((table, nullable, row))

    bad_groups = [(row["session_id"], row["id"], _problem(row["id"])) for row in groups]
    for session_id, group_id, problem in bad_groups:
        if problem is None:
            continue
        new = _unique(_cleaned(group_id), taken[session_id])
        renames[(session_id, group_id)] = new
        issues.append({"table": "task_groups", "column": "id", "session_id": session_id, "group_id": group_id,
                       "problem": problem, "fix": f"rename to {new!r} in every table of the session", "rows": 1})

    to_null: list[tuple[str, str, str, int]] = []
    for table, nullable, row in records:
        session_id, group_id, count = row["session_id"], row["group_id"], row["n"]
        if (session_id, group_id) in renames:
            renamed_group = any(s == session_id and g == group_id for s, g, p in bad_groups if p is not None)
            issues.append({"table": table, "column": "group_id", "session_id": session_id, "group_id": group_id,
                           "problem": "the id of a task group that is renamed" if renamed_group
                           else (_problem(group_id) or "renamed in another table"),
                           "fix": f"rename to {renames[(session_id, group_id)]!r}", "rows": count})
            continue
        if nullable and (group_id.strip().lower() == "global" or not group_id.strip()):
            issues.append({"table": table, "column": "group_id", "session_id": session_id, "group_id": group_id,
                           "problem": "session-wide records are stored with no group id (NULL), not "
                           f"{group_id!r}", "fix": "set to NULL", "rows": count})
            to_null.append((table, session_id, group_id, count))
            continue
        problem = _problem(group_id)
        if problem is None or group_id.strip().lower() in RESERVED_GROUP_IDS:
            continue  # a reserved word is a problem only as a task group's own id
        new = renames.get((session_id, group_id)) or _unique(_cleaned(group_id), taken[session_id])
        renames[(session_id, group_id)] = new
        issues.append({"table": table, "column": "group_id", "session_id": session_id, "group_id": group_id,
                       "problem": problem, "fix": f"rename to {new!r}", "rows": count})

    if fix:
        fixes = _apply(tx, renames, to_null, {(s, g) for s, g, p in bad_groups if p is not None})
    return {
        "ok": not issues or fix,
        "issues_found": len(issues),
        "fixes_applied": len(fixes),
        "issues": issues,
        "fixes": fixes,
    }


def _apply(tx: Any, renames: dict[tuple[str, str], str], to_null: list[tuple[str, str, str, int]],
           task_groups: set[tuple[str, str]]) -> list[dict[str, Any]]:
    fixes: list[dict[str, Any]] = []
    now = utc_now()
    tables = _group_tables()
    for (session_id, old), new in renames.items():
        if (session_id, old) in task_groups:
            tx.execute("UPDATE task_groups SET id = ?, updated_at = ? WHERE session_id = ? AND id = ?",
                       (new, now, session_id, old))
            fixes.append({"table": "task_groups", "column": "id", "session_id": session_id,
                          "from": old, "to": new, "rows": tx.rowcount()})
        for table, _ in tables:
            tx.execute(f"UPDATE {table} SET group_id = ? WHERE session_id = ? AND group_id = ?", (new, session_id, old))
            if tx.rowcount():
                fixes.append({"table": table, "column": "group_id", "session_id": session_id,
                              "from": old, "to": new, "rows": tx.rowcount()})
        if (session_id, old) in task_groups:
            tx.execute(
                "INSERT INTO task_group_events (session_id, group_id, timestamp, changes) VALUES (?, ?, ?, ?)",
                (session_id, new, now, json.dumps({"id": [old, new]}, ensure_ascii=False, separators=(",", ":"))),
            )
    for table, session_id, old, _ in to_null:
        tx.execute(f"UPDATE {table} SET group_id = NULL WHERE session_id = ? AND group_id = ?", (session_id, old))
        fixes.append({"table": table, "column": "group_id", "session_id": session_id,
                      "from": old, "to": None, "rows": tx.rowcount()})
    return fixes


__all__ = ["RESERVED_GROUP_IDS", "diagnose_group_ids"]
