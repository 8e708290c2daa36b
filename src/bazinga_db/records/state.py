"""State snapshots: every saved version of an agent's state, their history and diffs."""

from __future__ import annotations

from ..core import append, decode, decode_all, require_session, where_group
from ..errors import InvalidInput, NotFound
from ..util import validation as v
from ..util.clock import utc_now

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any

    from ..core import Store
    from ..db.backends import Transaction

_ROW = "SELECT id, timestamp, group_id, state_data FROM state_snapshots "


def save_state(
    db: Store,
    session_id: str,
    state_type: str,
    state_data: Any,
    group_id: str | None = None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "session_id": v.identifier(session_id, "session_id"),
        "timestamp": utc_now(),
        "state_type": v.name(state_type, "state_type"),
        "state_data": v.json_document(state_data, "state_data"),
        "group_id": v.group_scope(group_id),
        "idempotency_key": v.optional_identifier(idempotency_key, "idempotency_key"),
    }
    return append(db, "state_snapshots", values)


def get_state(db: Store, session_id: str, state_type: str, group_id: str | None = None) -> Any:
    """The newest state of that type, or None."""
    session_id = v.identifier(session_id, "session_id")
    state_type = v.name(state_type, "state_type")
    where, params = where_group(v.group_scope(group_id))
    with db.read() as tx:
        require_session(tx, session_id)
        row = decode(tx.one(
            f"SELECT state_data FROM state_snapshots WHERE session_id = ? AND state_type = ? AND {where} "
            "ORDER BY id DESC LIMIT 1",
            (session_id, state_type, *params),
        ), "state_snapshots")
    return None if row is None else row["state_data"]


def latest_by_type(tx: Transaction, session_id: str) -> dict[str, Any]:
    """The newest session-wide state of each type (the snapshot's ``states``)."""
    rows = tx.all(
        "SELECT state_type, state_data, timestamp FROM state_snapshots WHERE id IN ("
        "SELECT MAX(id) FROM state_snapshots WHERE session_id = ? AND group_id IS NULL "
        "GROUP BY state_type) ORDER BY state_type",
        (session_id,),
    )
    return {row["state_type"]: decode(row, "state_snapshots")["state_data"] for row in rows}  # type: ignore[index]


def state_history(
    db: Store, session_id: str, state_type: str, group_id: str | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """Every saved state of that type, newest first: id, timestamp, group_id, state_data."""
    session_id = v.identifier(session_id, "session_id")
    state_type = v.name(state_type, "state_type")
    where, params = where_group(v.group_scope(group_id))
    sql = _ROW + f"WHERE session_id = ? AND state_type = ? AND {where} ORDER BY id DESC"
    all_params: list[Any] = [session_id, state_type, *params]
    if limit is not None:
        sql += " LIMIT ?"
        all_params.append(v.integer(limit, "limit", minimum=1, maximum=v.MAX_LIMIT))
    with db.read() as tx:
        require_session(tx, session_id)
        return decode_all(tx.all(sql, all_params), "state_snapshots")


def state_diff(
    db: Store,
    session_id: str,
    state_type: str,
    from_id: int | None = None,
    to_id: int | None = None,
    group_id: str | None = None,
) -> dict[str, Any]:
    """What changed between two saved states (default: the one before the newest, and the newest)."""
    from ..util import jsondiff

    session_id = v.identifier(session_id, "session_id")
    state_type = v.name(state_type, "state_type")
    group_id = v.group_scope(group_id)
    from_id = v.optional_integer(from_id, "from_id", minimum=1)
    to_id = v.optional_integer(to_id, "to_id", minimum=1)
    where, params = where_group(group_id)
    with db.read() as tx:
        require_session(tx, session_id)
        newest = tx.all(
            _ROW + f"WHERE session_id = ? AND state_type = ? AND {where} ORDER BY id DESC LIMIT 2",
            (session_id, state_type, *params),
        )
        if to_id is None and not newest:
            scope = f" of group {group_id}" if group_id else ""
            raise NotFound(f"no {state_type} state{scope} saved in session {session_id!r}")
        to_row = _state_row(tx, session_id, state_type, group_id, to_id) if to_id else newest[0]
        from_row: dict[str, Any] | None
        if from_id is not None:
            from_row = _state_row(tx, session_id, state_type, group_id, from_id)
        elif to_id is None:
            from_row = newest[1] if len(newest) > 1 else None
        else:
            same_group = "group_id IS NOT DISTINCT FROM ?" if tx.dialect == "postgres" else "group_id IS ?"
            from_row = tx.one(
                _ROW + f"WHERE session_id = ? AND state_type = ? AND id < ? AND {same_group} ORDER BY id DESC LIMIT 1",
                (session_id, state_type, to_row["id"], to_row["group_id"]),
            )
    new = decode(to_row, "state_snapshots")["state_data"]  # type: ignore[index]
    if from_row is None:
        old: Any = {} if isinstance(new, dict) else [] if isinstance(new, list) else None
        changes = jsondiff.diff(old, new) if old is not None else [
            {"path": jsondiff.ROOT, "op": "add", "old": None, "new": new}
        ]
    else:
        changes = jsondiff.diff(decode(from_row, "state_snapshots")["state_data"], new)  # type: ignore[index]
    return {
        "session_id": session_id,
        "state_type": state_type,
        "group_id": to_row["group_id"],
        "from": None if from_row is None else {"id": from_row["id"], "timestamp": from_row["timestamp"]},
        "to": {"id": to_row["id"], "timestamp": to_row["timestamp"]},
        "changes": changes,
    }


def _state_row(tx: Transaction, session_id: str, state_type: str, group_id: str | None, state_id: int) -> dict[str, Any]:
    row = tx.one(
        "SELECT id, timestamp, group_id, state_data, session_id, state_type FROM state_snapshots WHERE id = ?",
        (state_id,),
    )
    if row is None or row["session_id"] != session_id or row["state_type"] != state_type or (
        group_id is not None and row["group_id"] != group_id
    ):
        scope = f" of group {group_id!r}" if group_id else ""
        ids = [r["id"] for r in tx.all(
            "SELECT id FROM state_snapshots WHERE session_id = ? AND state_type = ? ORDER BY id DESC LIMIT 10",
            (session_id, state_type),
        )]
        known = f"; its newest ids are {', '.join(map(str, ids))}" if ids else "; it has none"
        raise InvalidInput(
            f"state id {state_id} is not a {state_type} state{scope} of session {session_id!r}{known}",
            hint=f"list them with `bazinga-db state-history {session_id} {state_type}`",
        )
    return row  # type: ignore[no-any-return]


# -- reads inside an open transaction (dashboard) -----------------------------------------


def history_summary(tx: Transaction, session_id: str, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` snapshots of a session, every type, newest first, without their
    data: id, timestamp, state_type, group_id and ``size`` (characters of the JSON text)."""
    return tx.all(
        "SELECT id, timestamp, state_type, group_id, LENGTH(state_data) AS size FROM state_snapshots "
        "WHERE session_id = ? ORDER BY id DESC LIMIT ?",
        (session_id, limit),
    )


def snapshot(tx: Transaction, session_id: str, snapshot_id: int) -> dict[str, Any]:
    """One snapshot of the session, data decoded; InvalidInput when the id is not one of it."""
    row = decode(tx.one(
        "SELECT * FROM state_snapshots WHERE session_id = ? AND id = ?", (session_id, snapshot_id)
    ), "state_snapshots")
    if row is None:
        raise InvalidInput(f"state snapshot {snapshot_id} is not in session {session_id!r}")
    return row


def latest_pair(tx: Transaction, session_id: str, state_type: str | None = None) -> tuple[int, int] | None:
    """The ids of the two newest snapshots of one state type and group (the newest such
    pair; of ``state_type`` when given), older first, or None when nothing was saved twice."""
    sql = "SELECT id, state_type, group_id FROM state_snapshots WHERE session_id = ?"
    params: list[Any] = [session_id]
    if state_type:
        sql += " AND state_type = ?"
        params.append(state_type)
    seen: dict[tuple[str, str | None], int] = {}
    for row in tx.all(sql + " ORDER BY id DESC", params):
        key = (row["state_type"], row["group_id"])
        if key in seen:
            return int(row["id"]), seen[key]
        seen[key] = int(row["id"])
    return None


def compare(tx: Transaction, session_id: str, old_id: int, new_id: int) -> dict[str, Any]:
    """Two snapshots of a session and the changes from the first to the second
    (``util.jsondiff``: ``{path, op, old, new}``, op add/remove/change, as ``state-diff``)."""
    from ..util import jsondiff

    old = snapshot(tx, session_id, old_id)
    new = snapshot(tx, session_id, new_id)
    return {"old": old, "new": new, "changes": jsondiff.diff(old["state_data"], new["state_data"])}
