"""Skill outputs: what a skill (lint, coverage, security scan …) reported, every run kept."""

from __future__ import annotations

from ..core import append, decode, decode_all, require_session, where_group
from ..errors import InvalidInput
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
        "group_id": v.group_scope(group_id),
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
        where, extra = where_group(v.group_scope(group_id))
        sql, params = f"{sql} AND {where}", params + extra
    with db.read() as tx:
        require_session(tx, session_id)
        row = decode(tx.one(sql + " ORDER BY id DESC LIMIT 1", params), "skill_outputs")
    return None if row is None else row["output_data"]


def get_skill_output_all(
    db: Store, session_id: str, skill_name: str | None = None, agent_type: str | None = None
) -> list[dict[str, Any]]:
    """Every saved output (of one skill, and one agent type, when given), newest first."""
    session_id = v.identifier(session_id, "session_id")
    sql, params = "SELECT * FROM skill_outputs WHERE session_id = ?", [session_id]  # type: str, list[Any]
    if skill_name is not None:
        sql += " AND skill_name = ?"
        params.append(v.name(skill_name, "skill_name"))
    if agent_type is not None:
        sql += " AND agent_type = ?"
        params.append(v.name(agent_type, "agent_type", v.KNOWN_AGENT_TYPES))
    with db.read() as tx:
        require_session(tx, session_id)
        return decode_all(tx.all(sql + " ORDER BY id DESC", params), "skill_outputs")


def check_skill_evidence(
    db: Store, session_id: str, mandatory_skills: str, agent_type: str | None = None, since_minutes: int = 30
) -> dict[str, Any]:
    """Did each mandatory skill (comma-separated names) report within the last ``since_minutes``?"""
    from ..util.clock import epoch

    session_id = v.identifier(session_id, "session_id")
    if not isinstance(mandatory_skills, str) or not mandatory_skills.strip(","):
        raise InvalidInput("mandatory_skills must name at least one skill, comma-separated, e.g. lint,coverage")
    skills = list(dict.fromkeys(v.name(name.strip(), "mandatory_skills") for name in mandatory_skills.split(",")
                                if name.strip()))
    window = v.integer(since_minutes, "since_minutes", minimum=1, maximum=60 * 24 * 365)
    agent = None if agent_type is None else v.name(agent_type, "agent_type", v.KNOWN_AGENT_TYPES)
    now = epoch(utc_now()) or 0.0
    found: dict[str, str] = {}
    with db.read() as tx:
        require_session(tx, session_id)
        marks = ", ".join("?" * len(skills))
        sql = (f"SELECT skill_name, MAX(timestamp) AS newest FROM skill_outputs WHERE session_id = ? "
               f"AND skill_name IN ({marks})")
        params: list[Any] = [session_id, *skills]
        if agent is not None:
            sql += " AND agent_type = ?"
            params.append(agent)
        for row in tx.all(sql + " GROUP BY skill_name", params):
            moment = epoch(row["newest"])
            if moment is not None and now - moment <= window * 60:
                found[row["skill_name"]] = row["newest"]
    missing = [name for name in skills if name not in found]
    return {"complete": not missing, "missing": missing, "found": found, "mandatory": skills,
            "agent_type": agent, "recency_window_minutes": window}


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
