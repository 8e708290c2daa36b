"""Typed events: what the tech lead, the validator, the investigator or the PM announce to
the others (``tl_verdicts``, ``validator_verdict``, ``scope_change``, ``pm_bazinga``,
``investigation_iteration`` …), each with a JSON payload, per session and group.

Events are read newest first by id, so the order holds within the same millisecond.
"""

from __future__ import annotations

from ..core import append, decode_all, ensure_session, insert, require_session, retried
from ..errors import InvalidInput
from ..util import validation as v
from ..util.clock import utc_now

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any

    from ..core import Store

INVESTIGATION_STATUSES = (
    "under_investigation", "root_cause_found", "hypothesis_eliminated", "fix_proposed", "fix_verified",
    "escalated", "blocked", "completed",
)
MAX_INVESTIGATION_ITERATIONS = 20


def save_event(
    db: Store,
    session_id: str,
    event_subtype: str,
    event_payload: Any = None,
    idempotency_key: str | None = None,
    group_id: str | None = None,
    agent_type: str | None = None,
    iteration: int | None = None,
    payload_file: str | None = None,
) -> dict[str, Any]:
    """Record one event; the payload is any JSON value (inline, or read from ``payload_file``)."""
    payload = _document(event_payload, payload_file, "event_payload", "payload_file")
    return append(db, "events", _values(session_id, event_subtype, payload, group_id, agent_type, iteration,
                                        idempotency_key))


def get_events(
    db: Store, session_id: str, event_subtype: str | None = None, limit: int = 50, group_id: str | None = None
) -> list[dict[str, Any]]:
    """Events of a session, newest first; only one subtype and one group when given."""
    session_id = v.identifier(session_id, "session_id")
    sql, params = "SELECT * FROM events WHERE session_id = ?", [session_id]  # type: str, list[Any]
    if event_subtype is not None:
        sql += " AND event_subtype = ?"
        params.append(v.name(event_subtype, "event_subtype"))
    if group_id is not None:
        scope = v.group_scope(group_id)
        sql += " AND group_id IS NULL" if scope is None else " AND group_id = ?"
        params += [] if scope is None else [scope]
    params.append(v.integer(limit, "limit", minimum=1, maximum=v.MAX_LIMIT))
    with db.read() as tx:
        require_session(tx, session_id)
        return decode_all(tx.all(sql + " ORDER BY id DESC LIMIT ?", params), "events")


@retried
def save_investigation_iteration(
    db: Store,
    session_id: str,
    group_id: str,
    iteration: int,
    status: str,
    state_data: Any = None,
    event_payload: Any = None,
    state_file: str | None = None,
    event_file: str | None = None,
) -> dict[str, Any]:
    """One step of the investigation loop, in one transaction: the group's ``investigation``
    state and an ``investigation_iteration`` event (saving the same iteration twice stores
    nothing new)."""
    group = v.group_scope(group_id)
    if group is None:
        raise InvalidInput("an investigation belongs to a task group: give its group id, not 'global'")
    number = v.integer(iteration, "iteration", minimum=1, maximum=MAX_INVESTIGATION_ITERATIONS)
    status = v.choice(status, "status", INVESTIGATION_STATUSES)
    state = _document(state_data, state_file, "state_data", "state_file")
    payload = _document(event_payload, event_file, "event_payload", "event_file")
    if not isinstance(payload, dict):
        payload = {"details": payload}
    payload = {**payload, "iteration": number, "status": status}
    event = _values(session_id, "investigation_iteration", payload, group, "investigator", number,
                    f"investigation_iteration:{group}:{number}")
    with db.write(event["session_id"]) as tx:
        ensure_session(db, tx, event["session_id"])
        recorded = insert(db, tx, "events", event)
        replay = any(kind == "idempotent_replay" for kind, _ in db.notices)
        state_row = None
        if not replay:
            state_row = insert(db, tx, "state_snapshots", {
                "session_id": event["session_id"], "timestamp": event["timestamp"], "state_type": "investigation",
                "state_data": v.json_document(state, "state_data"), "group_id": group, "idempotency_key": None,
            })
    return {"event": recorded, "state": state_row, "iteration": number, "status": status, "idempotent": replay}


def _values(session_id: str, subtype: str, payload: Any, group_id: str | None, agent_type: str | None,
            iteration: int | None, idempotency_key: str | None) -> dict[str, Any]:
    return {
        "session_id": v.identifier(session_id, "session_id"),
        "timestamp": utc_now(),
        "event_subtype": v.name(subtype, "event_subtype"),
        "event_payload": v.json_document(payload, "event_payload"),
        "group_id": v.group_scope(group_id),
        "agent_type": None if agent_type is None else v.name(agent_type, "agent_type", v.KNOWN_AGENT_TYPES),
        "iteration": v.optional_integer(iteration, "iteration"),
        "idempotency_key": v.optional_identifier(idempotency_key, "idempotency_key"),
    }


def _document(value: Any, path: str | None, field: str, file_field: str) -> Any:
    if path is not None:
        if value is not None:
            raise InvalidInput(f"give either {field} or --{file_field.replace('_', '-')}, not both")
        return read_json_file(path, file_field)
    if value is None:
        raise InvalidInput(f"{field} must be given (a JSON value), or --{file_field.replace('_', '-')} FILE")
    return value


def read_json_file(path: Any, field: str) -> Any:
    if not isinstance(path, str) or not path.strip():
        raise InvalidInput(f"{field} must be a file path")
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise InvalidInput(f"cannot read {field} {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{field} {path} is not UTF-8 text") from None
    return v.parse_json(text, field)


def recent(tx: Any, session_id: str, limit: int) -> list[dict[str, Any]]:
    """The session's newest ``limit`` events, newest first, read in the caller's transaction."""
    return decode_all(tx.all("SELECT * FROM events WHERE session_id = ? ORDER BY id DESC LIMIT ?",
                             (session_id, limit)), "events")
