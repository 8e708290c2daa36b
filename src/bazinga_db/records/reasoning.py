"""Reasoning: what an agent understood, chose, feared and concluded, phase by phase.

An entry is a log entry (``log_type`` ``reasoning``) with its phase, a confidence level and
references, so it shows in the log stream, search and the dashboard with everything else.
Every agent records at least ``understanding`` at its start and ``completion`` at its end;
``check-mandatory-phases`` says whether it did.
"""

from __future__ import annotations

from ..core import append, decode_all, require_session
from ..errors import InvalidInput
from ..util import validation as v
from ..util.clock import utc_now

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any

    from ..core import Store

PHASES = ("understanding", "approach", "decisions", "risks", "blockers", "pivot", "completion")
MANDATORY_PHASES = ("understanding", "completion")
CONFIDENCE_LEVELS = ("high", "medium", "low")
FORMATS = ("json", "markdown")
SUMMARY_CHARACTERS = 300


def save_reasoning(
    db: Store,
    session_id: str,
    group_id: str,
    agent_type: str,
    reasoning_phase: str,
    content: str | None = None,
    content_file: str | None = None,
    agent_id: str | None = None,
    iteration: int | None = None,
    confidence: str | None = None,
    references: Any = None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Record one phase of an agent's reasoning (text inline, from ``content_file``, or ``-`` for stdin)."""
    text = _content(content, content_file)
    if confidence is not None:
        if isinstance(confidence, (int, float)) or v.is_whole_number(str(confidence).strip()):
            raise InvalidInput(
                f"confidence is a level, not a number (got {confidence!r}); allowed values: high, medium, low",
                hint="e.g. --confidence high",
            )
        confidence = v.choice(confidence, "confidence", CONFIDENCE_LEVELS)
    if references is not None and not (isinstance(references, list) and all(isinstance(r, str) for r in references)):
        raise InvalidInput('references must be a JSON list of text, e.g. \'["src/auth.py", "docs/adr/7.md"]\'')
    values: dict[str, Any] = {
        "session_id": v.identifier(session_id, "session_id"),
        "timestamp": utc_now(),
        "iteration": v.optional_integer(iteration, "iteration"),
        "agent_type": v.name(agent_type, "agent_type", v.KNOWN_AGENT_TYPES),
        "agent_id": v.optional_identifier(agent_id, "agent_id"),
        "content": v.text(text, "content"),
        "group_id": v.group_scope(group_id),
        "log_type": "reasoning",
        "reasoning_phase": v.choice(reasoning_phase, "reasoning_phase", PHASES),
        "confidence_level": confidence,
        "references_json": None if references is None else v.json_document(references, "references"),
        "idempotency_key": v.optional_identifier(idempotency_key, "idempotency_key"),
    }
    return append(db, "orchestration_logs", values)


def get_reasoning(
    db: Store,
    session_id: str,
    group_id: str | None = None,
    agent_type: str | None = None,
    phase: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Reasoning entries, newest first, by group, agent type and phase when given."""
    session_id = v.identifier(session_id, "session_id")
    limit = v.integer(limit, "limit", minimum=1, maximum=v.MAX_LIMIT)
    sql, params = _where(session_id, group_id, agent_type, phase)
    with db.read() as tx:
        require_session(tx, session_id)
        return decode_all(tx.all(sql + " ORDER BY id DESC LIMIT ?", (*params, limit)), "orchestration_logs")


def reasoning_timeline(
    db: Store, session_id: str, group_id: str | None = None, format: str = "json"
) -> list[dict[str, Any]] | str:
    """Every reasoning entry oldest first: JSON, or Markdown grouped by task group."""
    session_id = v.identifier(session_id, "session_id")
    form = v.choice(format, "format", FORMATS)
    sql, params = _where(session_id, group_id, None, None)
    with db.read() as tx:
        require_session(tx, session_id)
        rows = decode_all(tx.all(sql + " ORDER BY id", params), "orchestration_logs")
    return rows if form == "json" else timeline_markdown(session_id, rows)


def check_mandatory_phases(db: Store, session_id: str, group_id: str, agent_type: str) -> dict[str, Any]:
    """Whether an agent recorded the mandatory phases (understanding, completion) for a group."""
    session_id = v.identifier(session_id, "session_id")
    agent = v.name(agent_type, "agent_type", v.KNOWN_AGENT_TYPES)
    sql, params = _where(session_id, group_id, agent, None)
    with db.read() as tx:
        require_session(tx, session_id)
        rows = tx.all(sql.replace("SELECT *", "SELECT DISTINCT reasoning_phase", 1), params)
    documented = sorted({row["reasoning_phase"] for row in rows if row["reasoning_phase"]},
                        key=lambda name: PHASES.index(name) if name in PHASES else len(PHASES))
    missing = [name for name in MANDATORY_PHASES if name not in documented]
    return {"complete": not missing, "missing": missing, "documented": documented,
            "session_id": session_id, "group_id": v.group_scope(group_id), "agent_type": agent}


def timeline_markdown(session_id: str, rows: list[dict[str, Any]]) -> str:
    lines = [f"# Reasoning timeline: {session_id}", ""]
    if not rows:
        return "\n".join(lines + ["_No reasoning recorded yet._"])
    current: object = object()
    for row in rows:
        if row["group_id"] != current:
            current = row["group_id"]
            lines += [f"## Group: {current or 'session-wide'}", ""]
        who = row["agent_type"] + (f" ({row['agent_id']})" if row.get("agent_id") else "")
        confidence = f" · confidence {row['confidence_level']}" if row.get("confidence_level") else ""
        lines.append(f"### {row['timestamp']} · {who} · {row['reasoning_phase']}{confidence}")
        text = row["content"] if len(row["content"]) <= SUMMARY_CHARACTERS else row["content"][:SUMMARY_CHARACTERS - 1] + "…"
        lines += ["", text, ""]
    return "\n".join(lines).rstrip()


def latest_by_agent(tx: Any, session_id: str) -> dict[str, Any]:
    """The newest reasoning entry of each agent (agent id, else agent type) of a session."""
    rows = tx.all(
        "SELECT * FROM orchestration_logs WHERE id IN (SELECT MAX(id) FROM orchestration_logs "
        "WHERE session_id = ? AND log_type = 'reasoning' GROUP BY COALESCE(agent_id, agent_type)) ORDER BY id",
        (session_id,),
    )
    return {row["agent_id"] or row["agent_type"]: row for row in decode_all(rows, "orchestration_logs")}


def _where(session_id: str, group_id: str | None, agent_type: str | None, phase: str | None) -> tuple[str, list[Any]]:
    sql = "SELECT * FROM orchestration_logs WHERE session_id = ? AND log_type = 'reasoning'"
    params: list[Any] = [session_id]
    if group_id is not None:
        scope = v.group_scope(group_id)
        sql += " AND group_id IS NULL" if scope is None else " AND group_id = ?"
        params += [] if scope is None else [scope]
    if agent_type is not None:
        sql += " AND agent_type = ?"
        params.append(v.name(agent_type, "agent_type", v.KNOWN_AGENT_TYPES))
    if phase is not None:
        sql += " AND reasoning_phase = ?"
        params.append(v.choice(phase, "phase", PHASES))
    return sql, params


def _content(content: str | None, content_file: str | None) -> str:
    if content_file is not None:
        if content is not None:
            raise InvalidInput("give the content inline or with --content-file, not both")
        if content_file == "-":
            import sys

            return sys.stdin.read()
        try:
            with open(content_file, encoding="utf-8") as handle:
                return handle.read()
        except OSError as exc:
            raise InvalidInput(f"cannot read --content-file {content_file}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise InvalidInput(f"--content-file {content_file} is not UTF-8 text") from None
    if content is None:
        raise InvalidInput("content must be given: inline, --content-file FILE, or --content-file - for stdin")
    if content == "-":
        import sys

        return sys.stdin.read()
    return content


def recent(tx: Any, session_id: str, limit: int) -> list[dict[str, Any]]:
    """The session's newest ``limit`` reasoning entries, oldest first, read in the caller's transaction."""
    rows = tx.all("SELECT * FROM orchestration_logs WHERE session_id = ? AND log_type = 'reasoning' "
                  "ORDER BY id DESC LIMIT ?", (session_id, limit))
    return decode_all(rows, "orchestration_logs")[::-1]
