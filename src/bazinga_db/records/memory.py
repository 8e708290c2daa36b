"""What a project learns across sessions: error patterns and strategies.

An error pattern is an error seen before with the solution that fixed it. Its signature is
the error's type and a normalised message (paths, line numbers, addresses and short quoted
values taken out), so the same error from another file or line is the same pattern, with
its occurrences counted. Its confidence starts at 0.5, rises by 0.1 each time the solution
works and falls by 0.2 each time it does not, within [0.1, 1.0]; a pattern not seen for its
time to live (90 days by default) expires and ``cleanup-error-patterns`` removes it.

A strategy is an insight about how work goes well in this project (per topic:
implementation, architecture, methodology, general), with a helpfulness count.
``extract-strategies`` draws them from the reasoning of a session's approved task groups.

Both belong to a project (``project_id``), not to a session: they outlive prune. Writes
that count (occurrences, confidence, helpfulness) are never applied twice: if the answer
to their COMMIT is lost, they fail with ``outcome_unknown`` instead of running again.
"""

from __future__ import annotations

import hashlib
import re

from ..core import decode, redact, require_session, retried
from ..errors import GroupNotApproved, InvalidInput, NotFound
from ..util import validation as v
from ..util.clock import utc_now

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..core import Store, Transaction

INITIAL_CONFIDENCE = 0.5
CONFIDENCE_STEP_UP = 0.1
CONFIDENCE_STEP_DOWN = 0.2
MIN_CONFIDENCE, MAX_CONFIDENCE = 0.1, 1.0
INJECTABLE_CONFIDENCE = 0.3  # below this a pattern's solution is no longer offered to agents
DEFAULT_TTL_DAYS = 90
MAX_PATTERN_CHARACTERS = 500
OUTCOMES = ("success", "failure")

TOPICS = ("implementation", "architecture", "methodology", "general")
MAX_INSIGHT_CHARACTERS = 500
# Which reasoning phase says what about a group's work, for extract-strategies.
TOPIC_OF_PHASE = {"completion": "implementation", "decisions": "architecture", "approach": "methodology"}
EXTRACTED_PER_GROUP = 5

# A path with at least one separator, file name included: the same error from another file
# is the same pattern.
_PATH = re.compile(r"(?<![\w.])(?:[A-Za-z]:|\.{1,2}|~)?(?:[\\/][\w.@+~-]+)+[\\/]?|\b[A-Za-z_][\w.@+~-]*(?:[\\/][\w.@+~-]+)+")
_LINE = re.compile(r"\b(line|ln|row|col|column)\s+\d+", re.IGNORECASE)
_POSITION = re.compile(r"(\w\.\w{1,5}|<path>):\d+(?::\d+)?|(<path>)\(\d+,\s*\d+\)")
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]+\b")
_QUOTED = re.compile(r"'[^'\n]{1,50}'|\"[^\"\n]{1,50}\"")
_SPACES = re.compile(r"\s+")


def normalise_message(message: str) -> str:
    """The part of an error message that stays the same when the error recurs elsewhere."""
    text = _PATH.sub("<path>", message)
    text = _LINE.sub(lambda match: f"{match.group(1)} N", text)
    text = _POSITION.sub(lambda match: f"{match.group(1)}:N" if match.group(1) else f"{match.group(2)}(N,N)", text)
    text = _ADDRESS.sub("0x...", text)
    text = _QUOTED.sub("'...'", text)
    return _SPACES.sub(" ", text).strip()[:MAX_PATTERN_CHARACTERS]


def _text_list(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise InvalidInput(f"{field} must be a JSON list of text, e.g. '[\"pytest\", \"fixtures\"]'; got {value!r}")
    return [item.strip() for item in value]


def _label(value: Any, field: str) -> str | None:
    """A language or framework name (python, c++, next.js …), compared in lower case."""
    if value is None:
        return None
    label = v.identifier(value, field).lower()
    if len(label) > 64 or " " in label:
        raise InvalidInput(f"{field} {value!r} must be one word of at most 64 characters, e.g. python, next.js")
    return label


def _confidence(value: Any, field: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field} must be a number from 0 to 1, got {value!r}") from None
    if not 0 <= number <= 1:
        raise InvalidInput(f"{field} must be a number from 0 to 1, got {value!r}")
    return number


def _days_after(moment: str, days: int) -> str:
    from datetime import datetime, timedelta

    start = datetime.strptime(moment[:19], "%Y-%m-%dT%H:%M:%S")
    return (start + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@retried
def save_error_pattern(
    db: Store,
    project_id: str,
    error_type: str,
    error_message: str,
    solution: str,
    lang: str | None = None,
    context_hints: Any = None,
    stack_pattern: Any = None,
    ttl_days: int | None = None,
) -> dict[str, Any]:
    """Remember an error and its solution; the same error again counts one more occurrence."""
    project = v.identifier(project_id, "project_id")
    kind = v.text(error_type, "error_type").strip()
    message = v.text(error_message, "error_message")
    solution = v.text(solution, "solution").strip()
    language = _label(lang, "lang")
    hints = sorted(set(_text_list(context_hints, "context_hints")))
    stack = _text_list(stack_pattern, "stack_pattern")
    ttl = v.integer(ttl_days if ttl_days is not None else DEFAULT_TTL_DAYS, "ttl_days", minimum=1, maximum=3650)
    with db.write(repeatable=False) as tx:  # a counter: never applied twice
        # Secrets are taken out before the signature is made: a token in a message must
        # neither be stored nor make two occurrences of one error look different.
        cleaned = redact(tx, {"message": message, "solution": solution})
        pattern = normalise_message(cleaned["message"])
        digest = hashlib.sha256(f"{kind}:{pattern}:{','.join(hints)}".encode()).hexdigest()[:16]
        signature = {"error_type": kind, "message_pattern": pattern, "context_hints": hints, "stack_pattern": stack}
        now = utc_now()
        expires = _days_after(now, ttl)
        row = tx.one("SELECT * FROM error_patterns WHERE project_id = ? AND pattern_hash = ?", (project, digest))
        if row is None:
            row = tx.one(
                "INSERT INTO error_patterns (pattern_hash, project_id, error_type, signature_json, solution, "
                "confidence, occurrences, lang, last_seen, created_at, ttl_days, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?) RETURNING *",
                (digest, project, kind, v.json_document(signature, "signature"), cleaned["solution"],
                 INITIAL_CONFIDENCE, language, now, now, ttl, expires),
            )
            operation = "created"
        else:
            # The longer solution is kept: a later, shorter note ("same fix") must not
            # replace the explanation an agent needs.
            kept = cleaned["solution"] if len(cleaned["solution"]) > len(row["solution"]) else row["solution"]
            row = tx.one(
                "UPDATE error_patterns SET occurrences = occurrences + 1, last_seen = ?, solution = ?, "
                "lang = COALESCE(?, lang), ttl_days = ?, expires_at = ? "
                "WHERE project_id = ? AND pattern_hash = ? RETURNING *",
                (now, kept, language, ttl, expires, project, digest),
            )
            operation = "updated"
    return {"operation": operation, **_pattern(row)}  # type: ignore[arg-type]


def get_error_patterns(
    db: Store,
    project_id: str,
    lang: str | None = None,
    min_confidence: float | str = 0.7,
    limit: int = 5,
    error_type: str | None = None,
) -> list[dict[str, Any]]:
    """A project's unexpired patterns at or above a confidence, most trusted first."""
    project = v.identifier(project_id, "project_id")
    sql = "SELECT * FROM error_patterns WHERE project_id = ? AND confidence >= ? AND (expires_at IS NULL OR expires_at > ?)"
    params: list[Any] = [project, _confidence(min_confidence, "min_confidence"), utc_now()]
    if lang is not None:
        sql += " AND lang = ?"
        params.append(_label(lang, "lang"))
    if error_type is not None:
        sql += " AND error_type = ?"
        params.append(v.text(error_type, "error_type").strip())
    params.append(v.integer(limit, "limit", minimum=1, maximum=100))
    with db.read() as tx:
        rows = tx.all(sql + " ORDER BY confidence DESC, occurrences DESC, pattern_hash LIMIT ?", params)
    return [_pattern(row) for row in rows]


@retried
def update_error_confidence(db: Store, pattern_hash: str, project_id: str, outcome: str | bool) -> dict[str, Any]:
    """The pattern's solution worked (``success``: +0.1) or did not (``failure``: -0.2)."""
    digest = v.identifier(pattern_hash, "pattern_hash")
    project = v.identifier(project_id, "project_id")
    if isinstance(outcome, bool):
        worked = outcome
    else:
        worked = v.choice(outcome, "outcome", OUTCOMES) == "success"
    with db.write(repeatable=False) as tx:  # a counter: never applied twice
        row = tx.one("SELECT confidence FROM error_patterns WHERE project_id = ? AND pattern_hash = ?",
                     (project, digest))
        if row is None:
            raise NotFound(f"no error pattern {digest!r} in project {project!r}",
                           hint=f"list them with `bazinga-db get-error-patterns {project} --min-confidence 0`")
        previous = float(row["confidence"])
        if worked:
            new = min(MAX_CONFIDENCE, previous + CONFIDENCE_STEP_UP)
        else:
            new = max(MIN_CONFIDENCE, previous - CONFIDENCE_STEP_DOWN)
        new = round(new, 2)
        tx.execute("UPDATE error_patterns SET confidence = ? WHERE project_id = ? AND pattern_hash = ?",
                   (new, project, digest))
    return {"pattern_hash": digest, "project_id": project, "outcome": "success" if worked else "failure",
            "previous_confidence": previous, "new_confidence": new, "injectable": new >= INJECTABLE_CONFIDENCE}


def update_error_pattern_confidence(
    db: Store, pattern_hash: str, project_id: str, success: Any
) -> dict[str, Any]:
    """The public project's name and argument for ``update_error_confidence``."""
    return update_error_confidence(db, pattern_hash, project_id, success)


@retried
def cleanup_error_patterns(
    db: Store, project_id: str | None = None, max_age_days: int | None = None,
    min_confidence: float | str | None = None,
) -> dict[str, Any]:
    """Delete expired patterns; also those unseen for ``max_age_days`` or below ``min_confidence``."""
    project = v.optional_identifier(project_id, "project_id")
    now = utc_now()
    conditions, params = ["(expires_at IS NOT NULL AND expires_at <= ?)"], [now]  # type: list[str], list[Any]
    if max_age_days is not None:
        conditions.append("last_seen < ?")
        params.append(_days_after(now, -v.integer(max_age_days, "max_age_days", minimum=1)))
    if min_confidence is not None:
        conditions.append("confidence < ?")
        params.append(_confidence(min_confidence, "min_confidence"))
    where = "(" + " OR ".join(conditions) + ")"
    if project is not None:
        where += " AND project_id = ?"
        params.append(project)
    with db.write() as tx:
        deleted = tx.all(f"DELETE FROM error_patterns WHERE {where} RETURNING project_id, pattern_hash", params)
    return {"deleted_count": len(deleted), "project_id": project,
            "deleted": sorted(f"{row['project_id']}:{row['pattern_hash']}" for row in deleted)}


def cleanup_expired_patterns(db: Store, project_id: str | None = None) -> dict[str, Any]:
    """The public project's name for ``cleanup_error_patterns`` (expired patterns only)."""
    return cleanup_error_patterns(db, project_id)


@retried
def save_strategy(
    db: Store,
    project_id: str,
    topic: str,
    insight: str,
    lang: str | None = None,
    framework: str | None = None,
    strategy_id: str | None = None,
) -> dict[str, Any]:
    """Remember an insight; saving the same one again counts it helpful once more."""
    values = _strategy_values(project_id, topic, insight, lang, framework, strategy_id)
    with db.write(repeatable=False) as tx:  # a counter: never applied twice
        return _upsert_strategy(tx, values)


def get_strategies(
    db: Store,
    project_id: str,
    lang: str | None = None,
    framework: str | None = None,
    topic: str | None = None,
    limit: int = 5,
) -> list[dict[str, Any]]:
    """A project's strategies, most helpful first; a language or framework keeps the general ones too."""
    project = v.identifier(project_id, "project_id")
    sql, params = "SELECT * FROM strategies WHERE project_id = ?", [project]  # type: str, list[Any]
    if lang is not None:
        sql += " AND (lang = ? OR lang IS NULL)"
        params.append(_label(lang, "lang"))
    if framework is not None:
        sql += " AND (framework = ? OR framework IS NULL)"
        params.append(_label(framework, "framework"))
    if topic is not None:
        sql += " AND topic = ?"
        params.append(v.choice(topic, "topic", TOPICS))
    params.append(v.integer(limit, "limit", minimum=1, maximum=100))
    with db.read() as tx:
        return tx.all(sql + " ORDER BY helpfulness DESC, last_seen DESC, strategy_id LIMIT ?", params)


@retried
def update_strategy_helpfulness(db: Store, strategy_id: str, increment: int = 1) -> dict[str, Any]:
    """Count a strategy helpful ``increment`` more times (0-100)."""
    key = v.identifier(strategy_id, "strategy_id")
    step = v.integer(increment, "increment", maximum=100)
    with db.write(repeatable=False) as tx:  # a counter: never applied twice
        row = tx.one("SELECT helpfulness FROM strategies WHERE strategy_id = ?", (key,))
        if row is None:
            raise NotFound(f"no strategy {key!r}", hint="list them with `bazinga-db get-strategies PROJECT`")
        tx.execute("UPDATE strategies SET helpfulness = helpfulness + ?, last_seen = ? WHERE strategy_id = ?",
                   (step, utc_now(), key))
    previous = int(row["helpfulness"])
    return {"strategy_id": key, "previous_helpfulness": previous, "new_helpfulness": previous + step}


@retried
def extract_strategies(
    db: Store,
    session_id: str,
    group_id: str,
    project_id: str,
    lang: str | None = None,
    framework: str | None = None,
) -> dict[str, Any]:
    """Strategies from the reasoning of approved task groups (one group, or ``all``).

    From each group, its newest completion, decisions and approach entries (five at
    most) become strategies of topic implementation, architecture and methodology.
    A group counts as approved when its review said APPROVED or it is completed.
    """
    session_id = v.identifier(session_id, "session_id")
    wanted = None if str(group_id).strip().lower() in ("all", "global") else v.identifier(group_id, "group_id")
    project = v.identifier(project_id, "project_id")
    phases = tuple(TOPIC_OF_PHASE)
    marks = ", ".join("?" * len(phases))
    with db.write(repeatable=False) as tx:  # a counter: never applied twice
        require_session(tx, session_id)
        groups = tx.all("SELECT id, status, last_review_status FROM task_groups WHERE session_id = ? ORDER BY id",
                        (session_id,))
        if wanted is not None:
            groups = [group for group in groups if group["id"] == wanted]
            if not groups:
                raise NotFound(f"task group {wanted!r} not found in session {session_id!r}")
        approved = [g["id"] for g in groups if g["last_review_status"] == "APPROVED" or g["status"] == "completed"]
        if wanted is not None and not approved:
            group = groups[0]
            raise GroupNotApproved(
                f"task group {wanted!r} is not approved (status {group['status']}, review "
                f"{group['last_review_status'] or 'none'}); strategies come from approved work",
                hint="extract them after the tech lead approves the group",
            )
        saved = []
        for group in approved:
            entries = tx.all(
                f"SELECT reasoning_phase, content FROM orchestration_logs WHERE session_id = ? AND group_id = ? "
                f"AND log_type = 'reasoning' AND reasoning_phase IN ({marks}) ORDER BY id DESC LIMIT ?",
                (session_id, group, *phases, EXTRACTED_PER_GROUP),
            )
            for entry in entries:
                insight = _insight(entry["content"])
                if insight:
                    values = _strategy_values(project, TOPIC_OF_PHASE[entry["reasoning_phase"]], insight, lang,
                                              framework, None)
                    saved.append(_upsert_strategy(tx, values))
    return {"session_id": session_id, "project_id": project, "groups": approved, "extracted": len(saved),
            "strategies": saved}


def _insight(content: str) -> str:
    """A reasoning entry as one insight: its text on one line, cut at a word within 500 characters."""
    text = " ".join(content.split())
    if len(text) <= MAX_INSIGHT_CHARACTERS:
        return text
    cut = text[: MAX_INSIGHT_CHARACTERS - 1].rsplit(" ", 1)[0]
    return cut + "…"


def _strategy_values(project_id: Any, topic: Any, insight: Any, lang: Any, framework: Any,
                     strategy_id: Any) -> dict[str, Any]:
    project = v.identifier(project_id, "project_id")
    topic = v.choice(topic, "topic", TOPICS)
    text = " ".join(v.text(insight, "insight").split())
    if len(text) > MAX_INSIGHT_CHARACTERS:
        raise InvalidInput(f"insight is {len(text)} characters long; a strategy is at most "
                           f"{MAX_INSIGHT_CHARACTERS}: one insight, in a sentence or two")
    key = strategy_id
    if key is None:
        key = f"{project}_{topic}_{hashlib.sha256(text.encode()).hexdigest()[:16]}"
    return {"strategy_id": v.identifier(key, "strategy_id"), "project_id": project, "topic": topic,
            "insight": text, "lang": _label(lang, "lang"), "framework": _label(framework, "framework")}


def _upsert_strategy(tx: Transaction, values: dict[str, Any]) -> dict[str, Any]:
    now = utc_now()
    existing = tx.one("SELECT * FROM strategies WHERE strategy_id = ?", (values["strategy_id"],))
    if existing is not None:
        if existing["project_id"] != values["project_id"]:
            raise InvalidInput(f"strategy id {values['strategy_id']!r} belongs to project {existing['project_id']!r}")
        row = tx.one("UPDATE strategies SET helpfulness = helpfulness + 1, last_seen = ? WHERE strategy_id = ? "
                     "RETURNING *", (now, values["strategy_id"]))
        return {"operation": "updated", **row}  # type: ignore[dict-item]
    values = redact(tx, values)
    row = tx.one(
        "INSERT INTO strategies (strategy_id, project_id, topic, insight, helpfulness, lang, framework, last_seen, "
        "created_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?) RETURNING *",
        (values["strategy_id"], values["project_id"], values["topic"], values["insight"], values["lang"],
         values["framework"], now, now),
    )
    return {"operation": "created", **row}  # type: ignore[dict-item]


def _pattern(row: dict[str, Any]) -> dict[str, Any]:
    row = decode(row, "error_patterns")  # type: ignore[assignment]
    row["signature"] = row.pop("signature_json")
    return row


def project_memory(tx: Transaction, project_id: str | None = None, limit: int = 200) -> dict[str, Any]:
    """Every pattern and strategy (of one project, or all), for the dashboard's project page."""
    where, params = ("", ()) if project_id is None else (" WHERE project_id = ?", (project_id,))
    patterns = tx.all(f"SELECT * FROM error_patterns{where} ORDER BY project_id, confidence DESC, "
                      f"occurrences DESC LIMIT ?", (*params, limit))
    strategies = tx.all(f"SELECT * FROM strategies{where} ORDER BY project_id, helpfulness DESC, "
                        f"last_seen DESC LIMIT ?", (*params, limit))
    return {"error_patterns": [_pattern(row) for row in patterns], "strategies": strategies}


def projects_overview(tx: Transaction, project_id: str | None = None) -> list[dict[str, Any]]:
    """Every project that has learned something (or the one asked for): how many error
    patterns (and unexpired ones) and strategies it has, and when it last saw either."""
    # A GROUP BY per table, joined here: a project may have patterns and no strategies, or
    # the reverse.
    where, params = ("", ()) if project_id is None else (" WHERE project_id = ?", (project_id,))
    projects: dict[str, dict[str, Any]] = {}

    def entry(name: str) -> dict[str, Any]:
        return projects.setdefault(name, {"project_id": name, "error_patterns": 0, "active_error_patterns": 0,
                                          "strategies": 0, "last_seen": None})

    for row in tx.all(
        "SELECT project_id, COUNT(*) AS total, SUM(CASE WHEN expires_at IS NULL OR expires_at > ? THEN 1 ELSE 0 END) "
        f"AS active, MAX(last_seen) AS last_seen FROM error_patterns{where} GROUP BY project_id",
        (utc_now(), *params),
    ):
        found = entry(row["project_id"])
        found.update(error_patterns=int(row["total"]), active_error_patterns=int(row["active"] or 0),
                     last_seen=row["last_seen"])
    for row in tx.all(f"SELECT project_id, COUNT(*) AS total, MAX(last_seen) AS last_seen FROM strategies{where} "
                      "GROUP BY project_id", params):
        found = entry(row["project_id"])
        found["strategies"] = int(row["total"])
        if row["last_seen"] and (found["last_seen"] is None or row["last_seen"] > found["last_seen"]):
            found["last_seen"] = row["last_seen"]
    return [projects[name] for name in sorted(projects)]
