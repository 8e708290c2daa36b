"""Success criteria: a session's definition of done, and the gate that ends a run.

The PM saves the criteria when it plans; agents update one as evidence comes in; marking
the session completed is refused while a required criterion is not met, unless the caller
forces it with a reason, which is then recorded as a decision.
"""

from __future__ import annotations

from ..core import decode, ensure_session, insert, require_session, retried
from ..errors import CriteriaUnmet, InvalidInput, NotFound
from ..util import validation as v
from ..util.clock import utc_now

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any

    from ..core import Store
    from ..db.backends import Transaction

CRITERION_STATUSES = ("pending", "met", "blocked", "failed")
_FIELDS = ("criterion", "status", "actual", "evidence", "required_for_completion")


@retried
def save_success_criteria(db: Store, session_id: str, criteria: Any) -> list[dict[str, Any]]:
    """Replace the session's criteria; each is text or {criterion, status, actual, evidence,
    required_for_completion}. Returns the saved criteria in order."""
    session_id = v.identifier(session_id, "session_id")
    rows = [_criterion(item, index) for index, item in enumerate(_as_list(criteria))]
    names = [row["criterion"] for row in rows]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InvalidInput(f"criteria must be distinct; given more than once: {', '.join(map(repr, repeated))}")
    now = utc_now()
    with db.write(session_id) as tx:
        ensure_session(db, tx, session_id)
        tx.execute("DELETE FROM success_criteria WHERE session_id = ?", (session_id,))
        for row in rows:
            tx.execute(
                "INSERT INTO success_criteria (session_id, criterion, status, actual, evidence, "
                "required_for_completion, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (session_id, row["criterion"], row["status"], row["actual"], row["evidence"],
                 row["required_for_completion"], now, now),
            )
        return all_of_session(tx, session_id)


def get_success_criteria(db: Store, session_id: str) -> list[dict[str, Any]]:
    """The session's criteria in the order they were saved ([] when none)."""
    session_id = v.identifier(session_id, "session_id")
    with db.read() as tx:
        require_session(tx, session_id)
        return all_of_session(tx, session_id)


@retried
def update_success_criterion(
    db: Store,
    session_id: str,
    criterion: str,
    status: str | None = None,
    actual: str | None = None,
    evidence: str | None = None,
) -> dict[str, Any]:
    """Change one criterion (found by its text): status, evidence, actual value."""
    session_id = v.identifier(session_id, "session_id")
    criterion = v.text(criterion, "criterion")
    updates: dict[str, Any] = {}
    if status is not None:
        updates["status"] = v.choice(status, "status", CRITERION_STATUSES)
    if evidence is not None:
        updates["evidence"] = v.text(evidence, "evidence", allow_empty=True)
    if actual is not None:
        updates["actual"] = v.text(actual, "actual", allow_empty=True)
    if not updates:
        raise InvalidInput("nothing to update: give a status (pending, met, blocked, failed), --evidence or --actual")
    with db.write(session_id) as tx:
        require_session(tx, session_id)
        assignments = ", ".join(f"{column} = ?" for column in updates)
        row = tx.one(
            f"UPDATE success_criteria SET {assignments}, updated_at = ? WHERE session_id = ? AND criterion = ? "
            "RETURNING *",
            (*updates.values(), utc_now(), session_id, criterion),
        )
        if row is None:
            known = [r["criterion"] for r in all_of_session(tx, session_id)]
            raise NotFound(
                f"session {session_id!r} has no criterion {criterion!r}; nothing was changed",
                hint=("its criteria: " + "; ".join(known)) if known else "save them with `bazinga-db save-success-criteria`",
            )
        return _clean(row)


def all_of_session(tx: Transaction, session_id: str) -> list[dict[str, Any]]:
    return [_clean(row) for row in tx.all("SELECT * FROM success_criteria WHERE session_id = ? ORDER BY id", (session_id,))]


def unmet_required(tx: Transaction, session_id: str) -> list[dict[str, Any]]:
    """The required criteria not yet met (empty when the session has none)."""
    return [row for row in all_of_session(tx, session_id) if row["required_for_completion"] and row["status"] != "met"]


def check_completion(db: Store, tx: Transaction, session_id: str, force: bool, reason: str | None) -> None:
    """The completion gate, inside the write that marks ``session_id`` completed."""
    unmet = unmet_required(tx, session_id)
    if not unmet:
        return
    listed = "; ".join(f"{row['criterion']} ({row['status']})" for row in unmet)
    if not force:
        raise CriteriaUnmet(
            f"session {session_id!r} has {len(unmet)} required success criteria not met: {listed}; "
            "it stays as it is",
            hint="update them with `bazinga-db update-success-criterion SESSION \"CRITERION\" met --evidence ...`, "
                 "or override with --force --reason \"why\"",
        )
    # Through insert(): the reason is redacted like any decision, and a write run again after a
    # lost connection finds this row instead of adding a second one.
    insert(db, tx, "decisions", {
        "session_id": session_id, "timestamp": utc_now(), "iteration": None, "decision_type": "completion_override",
        "decision_data": v.json_document({"reason": reason, "unmet_criteria": [row["criterion"] for row in unmet]},
                                         "decision_data"),
        "idempotency_key": None,
    })
    db.notices.append(("completion_forced", session_id))


def _as_list(criteria: Any) -> list[Any]:
    if isinstance(criteria, dict) and isinstance(criteria.get("criteria"), list):
        criteria = criteria["criteria"]  # {"criteria": [...]} as some templates write it
    if not isinstance(criteria, list) or not criteria:
        raise InvalidInput(
            "criteria must be a non-empty JSON list of criteria, e.g. "
            '\'["All tests pass", {"criterion": "Coverage >= 80%", "required_for_completion": true}]\''
        )
    return criteria


def _criterion(item: Any, index: int) -> dict[str, Any]:
    if isinstance(item, str):
        item = {"criterion": item}
    if not isinstance(item, dict):
        raise InvalidInput(f"criteria[{index}] must be text or an object with a criterion, got {type(item).__name__}")
    unknown = sorted(set(item) - set(_FIELDS))
    if unknown:
        raise InvalidInput(f"criteria[{index}] has unknown field {unknown[0]!r}; allowed fields: {', '.join(_FIELDS)}")
    required = item.get("required_for_completion", True)
    if not isinstance(required, bool):
        raise InvalidInput(f"criteria[{index}].required_for_completion must be true or false, got {required!r}")
    return {
        "criterion": v.text(item.get("criterion"), f"criteria[{index}].criterion"),
        "status": v.choice(item.get("status", "pending"), f"criteria[{index}].status", CRITERION_STATUSES),
        "actual": None if item.get("actual") is None else v.text(str(item["actual"]), f"criteria[{index}].actual"),
        "evidence": None if item.get("evidence") is None else v.text(item["evidence"], f"criteria[{index}].evidence"),
        "required_for_completion": 1 if required else 0,
    }


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    row = decode(row, "success_criteria")  # type: ignore[assignment]
    row["required_for_completion"] = bool(row["required_for_completion"])
    return row


def summary(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Counts of a session's criteria: met of all, and met of the required ones."""
    required = [row for row in rows if row["required_for_completion"]]
    return {"total": len(rows), "met": sum(1 for row in rows if row["status"] == "met"),
            "required": len(required), "required_met": sum(1 for row in required if row["status"] == "met")}
