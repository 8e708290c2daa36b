"""Development plans: one per session, with phases and their progress.

The PM saves the plan when it starts and reads it back first thing when a session is
resumed; agents move a phase forward by its number or its name.
"""

from __future__ import annotations

from ..core import decode, ensure_session, require_session, retried
from ..errors import InvalidInput, NotFound
from ..util import validation as v
from ..util.clock import utc_now

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any

    from ..core import Store

PHASE_STATUSES = ("pending", "in_progress", "completed", "blocked")


@retried
def save_development_plan(
    db: Store,
    session_id: str,
    original_prompt: str,
    plan_text: str,
    phases: Any,
    current_phase: int | None = None,
    total_phases: int | None = None,
    metadata: Any = None,
) -> dict[str, Any]:
    """Save (or replace) the session's plan; phases are a list of {phase, name, status, …}."""
    session_id = v.identifier(session_id, "session_id")
    original_prompt = v.text(original_prompt, "original_prompt")
    plan_text = v.text(plan_text, "plan_text")
    phases = _phases(phases)
    total = v.integer(total_phases if total_phases is not None else len(phases), "total_phases", minimum=1)
    current = v.optional_integer(current_phase, "current_phase")
    if metadata is not None and not isinstance(metadata, dict):
        raise InvalidInput("metadata must be a JSON object")
    values = (original_prompt, plan_text, v.json_document(phases, "phases"), current, total,
              None if metadata is None else v.json_document(metadata, "metadata"))
    now = utc_now()
    with db.write(session_id) as tx:
        ensure_session(db, tx, session_id)
        row = tx.one(
            "UPDATE development_plans SET original_prompt = ?, plan_text = ?, phases = ?, current_phase = ?, "
            "total_phases = ?, metadata = ?, updated_at = ? WHERE session_id = ? RETURNING *",
            (*values, now, session_id),
        )
        if row is None:
            row = tx.one(
                "INSERT INTO development_plans (original_prompt, plan_text, phases, current_phase, total_phases, "
                "metadata, created_at, updated_at, session_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                (*values, now, now, session_id),
            )
        return decode(row, "development_plans")  # type: ignore[return-value]


def get_development_plan(db: Store, session_id: str) -> dict[str, Any] | None:
    """The session's plan with its phases, or None."""
    session_id = v.identifier(session_id, "session_id")
    with db.read() as tx:
        require_session(tx, session_id)
        return decode(tx.one("SELECT * FROM development_plans WHERE session_id = ?", (session_id,)),
                      "development_plans")


@retried
def update_plan_progress(
    db: Store, session_id: str, phase: str, status: str, progress_percent: int | None = None
) -> dict[str, Any]:
    """Set one phase's status (and percent), found by its number or its name."""
    session_id = v.identifier(session_id, "session_id")
    status = v.choice(status, "status", PHASE_STATUSES)
    percent = v.optional_integer(progress_percent, "progress_percent", maximum=100)
    wanted = str(phase).strip()
    if not wanted:
        raise InvalidInput("phase must be a phase number or name")
    now = utc_now()
    with db.write(session_id) as tx:
        require_session(tx, session_id)
        plan = decode(tx.one("SELECT * FROM development_plans WHERE session_id = ?", (session_id,)),
                      "development_plans")
        if plan is None:
            raise NotFound(f"session {session_id!r} has no development plan",
                           hint="save one with `bazinga-db save-development-plan`")
        phases = plan["phases"] if isinstance(plan["phases"], list) else []
        index = _find_phase(phases, wanted)
        if index is None:
            known = ", ".join(f"{p.get('phase')} {p.get('name') or ''}".strip() for p in phases if isinstance(p, dict))
            raise NotFound(f"the plan of session {session_id!r} has no phase {wanted!r}; its phases: {known or 'none'}")
        entry = dict(phases[index])
        entry["status"] = status
        if status == "completed":
            entry["progress_percent"] = 100
            entry["completed_at"] = now
        elif percent is not None:
            entry["progress_percent"] = percent
        phases = [*phases[:index], entry, *phases[index + 1:]]
        number = entry.get("phase") if isinstance(entry.get("phase"), int) else plan["current_phase"]
        row = tx.one(
            "UPDATE development_plans SET phases = ?, current_phase = ?, updated_at = ? WHERE session_id = ? RETURNING *",
            (v.json_document(phases, "phases"), number, now, session_id),
        )
        return decode(row, "development_plans")  # type: ignore[return-value]


def progress(plan: dict[str, Any] | None) -> dict[str, Any] | None:
    """A plan's progress in brief: current phase, phases completed of total."""
    if plan is None:
        return None
    phases = [p for p in plan["phases"] if isinstance(p, dict)] if isinstance(plan["phases"], list) else []
    done = sum(1 for p in phases if p.get("status") == "completed")
    return {"current_phase": plan["current_phase"], "total_phases": plan["total_phases"],
            "phases_completed": done, "phases": [{k: p.get(k) for k in ("phase", "name", "status")} for p in phases]}


def _phases(phases: Any) -> list[dict[str, Any]]:
    if not isinstance(phases, list) or not phases:
        raise InvalidInput('phases must be a non-empty JSON list, e.g. \'[{"phase": 1, "name": "Auth", "status": "pending"}]\'')
    clean = []
    for index, item in enumerate(phases):
        if isinstance(item, str):
            item = {"phase": index + 1, "name": item, "status": "pending"}
        if not isinstance(item, dict):
            raise InvalidInput(f"phases[{index}] must be an object such as {{\"phase\": 1, \"name\": \"Auth\"}}")
        item = dict(item)
        item.setdefault("phase", index + 1)
        item["status"] = v.choice(item.get("status", "pending"), f"phases[{index}].status", PHASE_STATUSES)
        clean.append(item)
    return clean


def _find_phase(phases: list[Any], wanted: str) -> int | None:
    for index, item in enumerate(phases):
        if not isinstance(item, dict):
            continue
        if v.is_whole_number(wanted) and item.get("phase") == int(wanted):
            return index
        if str(item.get("name", "")).strip().lower() == wanted.lower():
            return index
    return None


def of_session(tx: Any, session_id: str) -> dict[str, Any] | None:
    """The session's plan (phases decoded), or None, read in the caller's transaction."""
    return decode(tx.one("SELECT * FROM development_plans WHERE session_id = ?", (session_id,)),
                  "development_plans")
