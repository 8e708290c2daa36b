"""Skill outputs: what a skill (lint, coverage, security scan …) reported, every run kept."""

from __future__ import annotations

from ..core import append, decode, decode_all, require_session, where_group
from ..util import validation as v
from ..util.clock import utc_now

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any

    from ..core import Store
    from ..db.backends import Transaction


def save_skill_output(
    db: Store,
    session_id: str,
    skill_name: str,
    output_data: Any,
    agent_type: str | None = None,
    group_id: str | None = None,
    iteration: int | None = None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "session_id": v.identifier(session_id, "session_id"),
        "timestamp": utc_now(),
        "skill_name": v.name(skill_name, "skill_name"),
        "output_data": v.json_document(output_data, "output_data"),
        "agent_type": None if agent_type is None else v.name(agent_type, "agent_type", v.KNOWN_AGENT_TYPES),
        "group_id": v.optional_identifier(group_id, "group_id"),
        "iteration": v.optional_integer(iteration, "iteration"),
        "idempotency_key": v.optional_identifier(idempotency_key, "idempotency_key"),
    }
    return append(db, "skill_outputs", values)


def get_skill_output(db: Store, session_id: str, skill_name: str, group_id: str | None = None) -> Any:
    """The newest output of that skill (for that group, if given), or None."""
    session_id = v.identifier(session_id, "session_id")
    skill_name = v.name(skill_name, "skill_name")
    sql = "SELECT output_data FROM skill_outputs WHERE session_id = ? AND skill_name = ?"
    params: tuple[Any, ...] = (session_id, skill_name)
    if group_id is not None:
        where, extra = where_group(v.identifier(group_id, "group_id"))
        sql, params = f"{sql} AND {where}", params + extra
    with db.read() as tx:
        require_session(tx, session_id)
        row = decode(tx.one(sql + " ORDER BY id DESC LIMIT 1", params), "skill_outputs")
    return None if row is None else row["output_data"]


def latest_by_skill(tx: Transaction, session_id: str) -> dict[str, Any]:
    """The newest output of each skill of a session (the snapshot's ``skill_outputs``)."""
    rows = tx.all(
        "SELECT skill_name, output_data, timestamp FROM skill_outputs WHERE id IN ("
        "SELECT MAX(id) FROM skill_outputs WHERE session_id = ? GROUP BY skill_name) ORDER BY skill_name",
        (session_id,),
    )
    return {row["skill_name"]: decode(row, "skill_outputs")["output_data"] for row in rows}  # type: ignore[index]


def recent(tx: Transaction, session_id: str, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` outputs of a session (every skill), oldest first."""
    rows = decode_all(tx.all(
        "SELECT * FROM skill_outputs WHERE session_id = ? ORDER BY id DESC LIMIT ?", (session_id, limit)
    ), "skill_outputs")
    rows.reverse()
    return rows
