"""Decisions: what the orchestrator decided and why (spawn, escalate, approve …)."""

from __future__ import annotations

from ..core import append, decode_all, require_session
from ..util import validation as v
from ..util.clock import utc_now

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any

    from ..core import Store
    from ..db.backends import Transaction


def log_decision(
    db: Store,
    session_id: str,
    decision_type: str,
    decision_data: Any,
    iteration: int | None = None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "session_id": v.identifier(session_id, "session_id"),
        "timestamp": utc_now(),
        "iteration": v.optional_integer(iteration, "iteration"),
        "decision_type": v.name(decision_type, "decision_type"),
        "decision_data": v.json_document(decision_data, "decision_data"),
        "idempotency_key": v.optional_identifier(idempotency_key, "idempotency_key"),
    }
    return append(db, "decisions", values)


def get_decisions(
    db: Store, session_id: str, decision_type: str | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """Decisions oldest first; ``limit`` keeps the newest N."""
    session_id = v.identifier(session_id, "session_id")
    sql, params = "SELECT * FROM decisions WHERE session_id = ?", [session_id]  # type: str, list[Any]
    if decision_type is not None:
        sql += " AND decision_type = ?"
        params.append(v.name(decision_type, "decision_type"))
    sql += " ORDER BY id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(v.integer(limit, "limit", minimum=1, maximum=v.MAX_LIMIT))
    with db.read() as tx:
        require_session(tx, session_id)
        rows = decode_all(tx.all(sql, params), "decisions")
    rows.reverse()
    return rows


def recent(tx: Transaction, session_id: str, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` decisions of a session, oldest first."""
    rows = decode_all(
        tx.all("SELECT * FROM decisions WHERE session_id = ? ORDER BY id DESC LIMIT ?", (session_id, limit)),
        "decisions",
    )
    rows.reverse()
    return rows
