"""Token usage: what each agent spent, its cost from the price table, and summaries.

A record with a model and a split into input/output/cache tokens is priced when it is
written, so a later change of the price table keeps past costs.
"""

from __future__ import annotations

from ..core import ensure_session, insert, require_session, retried
from ..errors import InvalidInput
from ..util import validation as v
from ..util.clock import utc_now

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any

    from ..core import Store
    from ..db.backends import Transaction

SUMMARY_KEYS = ("agent_type", "agent_id", "model", "group_id")
SUMMARY_ALIASES = {"agent": "agent_type", "group": "group_id"}
TOKEN_PARTS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")


@retried
def log_tokens(
    db: Store,
    session_id: str,
    agent_type: str,
    tokens: int | None = None,
    agent_id: str | None = None,
    group_id: str | None = None,
    model: str | None = None,
    input_tokens: int | None = None,
    output_tokens: int | None = None,
    cache_read_tokens: int | None = None,
    cache_write_tokens: int | None = None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    parts = {
        "input_tokens": v.optional_integer(input_tokens, "input_tokens"),
        "output_tokens": v.optional_integer(output_tokens, "output_tokens"),
        "cache_read_tokens": v.optional_integer(cache_read_tokens, "cache_read_tokens"),
        "cache_write_tokens": v.optional_integer(cache_write_tokens, "cache_write_tokens"),
    }
    if tokens is None:
        if all(value is None for value in parts.values()):
            raise InvalidInput("tokens must be provided (a whole number), or --input/--output token counts")
        tokens = sum(value or 0 for value in parts.values())
    values: dict[str, Any] = {
        "session_id": v.identifier(session_id, "session_id"),
        "timestamp": utc_now(),
        "agent_type": v.name(agent_type, "agent_type", v.KNOWN_AGENT_TYPES),
        "agent_id": v.optional_identifier(agent_id, "agent_id"),
        "tokens_estimated": v.integer(tokens, "tokens", maximum=10**12),
        **parts,
        "model": v.optional_identifier(model, "model"),
        "group_id": v.group_scope(group_id),
        "idempotency_key": v.optional_identifier(idempotency_key, "idempotency_key"),
    }
    with db.write(values["session_id"]) as tx:
        ensure_session(db, tx, values["session_id"])
        if values["model"] is not None:
            values["cost_usd"] = cost_of_record(tx, values)
        return insert(db, tx, "token_usage", values)


# -- summaries ----------------------------------------------------------------------------


def token_summary(db: Store, session_id: str, by: str = "agent_type") -> dict[str, Any]:
    """Total tokens of a session and their breakdown by agent type, agent id, model or group.

    ``breakdown`` maps each key to its tokens; ``cost_breakdown`` to its cost in USD
    (null when nothing of it was priced) and ``details`` to tokens, calls, the
    input/output/cache sums and cost. The same sums and ``cost_usd`` exist in total.
    """
    session_id = v.identifier(session_id, "session_id")
    by = v.choice(SUMMARY_ALIASES.get(str(by).strip().lower(), by), "by", SUMMARY_KEYS)
    with db.read() as tx:
        require_session(tx, session_id)
        return summary(tx, session_id, by)


# A record counts unless it is a reported estimate of an agent whose usage was measured in
# the same session (same type and id, or same type where either has no id): measured
# figures replace the estimates instead of being added to them. ``t`` is the record.
COUNTED = (
    "(t.source = 'measured' OR NOT EXISTS (SELECT 1 FROM token_usage m WHERE m.session_id = t.session_id "
    "AND m.source = 'measured' AND m.agent_type = t.agent_type "
    "AND (m.agent_id IS NULL OR t.agent_id IS NULL OR m.agent_id = t.agent_id)))"
)
KIND_SUMS = (
    "SUM(t.tokens_estimated) AS tokens, COUNT(*) AS calls, SUM(t.input_tokens) AS input_tokens, "
    "SUM(t.output_tokens) AS output_tokens, SUM(t.cache_read_tokens) AS cache_read_tokens, "
    "SUM(t.cache_write_tokens) AS cache_write_tokens, SUM(t.cache_write_1h_tokens) AS cache_write_1h_tokens, "
    "SUM(t.cost_usd) AS cost_usd, COUNT(t.cost_usd) AS priced_calls"
)
KINDS = (*TOKEN_PARTS, "cache_write_1h_tokens")


def summary(tx: Transaction, session_id: str, by: str) -> dict[str, Any]:
    """The token summary of a session inside an open transaction (``by``: one of SUMMARY_KEYS).

    Totals count measured usage (from transcripts) and the reported estimates of agents
    without measured usage; ``measured`` and ``reported`` show each source whole, with
    the estimates left out of the totals under ``reported.superseded_*``.
    """
    # ``by`` is one of SUMMARY_KEYS (validated), so it is safe to place in the SQL.
    rows = tx.all(
        f"SELECT t.{by} AS k, {KIND_SUMS}, SUM(CASE WHEN t.source = 'measured' THEN 1 ELSE 0 END) AS measured_calls "
        f"FROM token_usage t WHERE t.session_id = ? AND {COUNTED} GROUP BY t.{by} ORDER BY tokens DESC, k NULLS FIRST",
        (session_id,),
    )
    breakdown: dict[str, int] = {}
    details: dict[str, dict[str, Any]] = {}
    for row in rows:
        key = "unknown" if row["k"] is None else row["k"]
        breakdown[key] = int(row["tokens"] or 0)
        details[key] = {
            "tokens": breakdown[key],
            "calls": int(row["calls"]),
            **{part: int(row[part] or 0) for part in TOKEN_PARTS},
            # null when no record of this key could be priced (no model, or no price for it)
            "cost_usd": round(float(row["cost_usd"]), 6) if row["priced_calls"] else None,
            "priced_calls": int(row["priced_calls"]),
            "cache_write_1h_tokens": int(row["cache_write_1h_tokens"] or 0),
            "source": _source(int(row["measured_calls"]), int(row["calls"]) - int(row["measured_calls"])),
        }
    priced = [float(row["cost_usd"]) for row in rows if row["priced_calls"]]
    sources = source_totals(tx, session_id)
    measured_calls = sum(int(row["measured_calls"]) for row in rows)
    calls = sum(int(row["calls"]) for row in rows)
    result = {
        "session_id": session_id,
        "by": by,
        "total_tokens": sum(breakdown.values()),
        "calls": calls,
        "breakdown": breakdown,
        **{part: sum(detail[part] for detail in details.values()) for part in TOKEN_PARTS},
        "cost_usd": round(sum(priced), 6) if priced else None,
        "priced_calls": sum(detail["priced_calls"] for detail in details.values()),
        "cost_breakdown": {key: detail["cost_usd"] for key, detail in details.items()},
        "details": details,
        "cache_write_1h_tokens": sum(detail["cache_write_1h_tokens"] for detail in details.values()),
        "source": _source(measured_calls, calls - measured_calls),
        **sources,
    }
    if sources["reported"]["superseded_calls"]:
        result["note"] = (
            f"{sources['reported']['superseded_calls']} reported estimates "
            f"({sources['reported']['superseded_tokens']:,} tokens) of agents with measured usage are not "
            "added to the totals: the measured figures replace them"
        )
    return result


def _source(measured: int, reported: int) -> str:
    if measured and reported:
        return "mixed"
    return "measured" if measured else "reported"


def source_totals(tx: Transaction, session_id: str) -> dict[str, dict[str, Any]]:
    """``measured`` and ``reported`` usage of a session, each whole, by token kind and cost."""
    rows = tx.all(
        f"SELECT CASE WHEN t.source = 'measured' THEN 'measured' ELSE 'reported' END AS source, "
        f"CASE WHEN {COUNTED} THEN 1 ELSE 0 END AS counted, {KIND_SUMS} "
        "FROM token_usage t WHERE t.session_id = ? GROUP BY 1, 2",
        (session_id,),
    )
    totals: dict[str, dict[str, Any]] = {}
    for source in ("measured", "reported"):
        mine = [row for row in rows if row["source"] == source]
        priced = [float(row["cost_usd"]) for row in mine if row["priced_calls"]]
        totals[source] = {
            "tokens": sum(int(row["tokens"] or 0) for row in mine),
            "calls": sum(int(row["calls"]) for row in mine),
            **{kind: sum(int(row[kind] or 0) for row in mine) for kind in KINDS},
            "cost_usd": round(sum(priced), 6) if priced else None,
        }
    superseded = [row for row in rows if row["source"] == "reported" and not row["counted"]]
    totals["reported"]["superseded_calls"] = sum(int(row["calls"]) for row in superseded)
    totals["reported"]["superseded_tokens"] = sum(int(row["tokens"] or 0) for row in superseded)
    return totals


def usage_points(tx: Transaction, session_id: str, limit: int) -> list[dict[str, Any]]:
    """Every counted usage record in order (id, timestamp, agent, tokens, source): the
    dashboard's chart. Estimates that measured usage replaces are left out, as in ``summary``."""
    return tx.all(
        "SELECT t.id, t.timestamp, t.agent_type, t.agent_id, t.tokens_estimated AS tokens, t.source "
        f"FROM token_usage t WHERE t.session_id = ? AND {COUNTED} ORDER BY t.id LIMIT ?",
        (session_id, limit),
    )


# -- prices -------------------------------------------------------------------------------


def prices(db: Store) -> dict[str, Any]:
    """The price table in effect: the defaults with `set-config prices` laid over them."""
    from ..util.prices import PRICES_KEY, effective_prices
    from .config import value_of

    with db.read() as tx:
        configured = value_of(tx, PRICES_KEY)
    table = effective_prices(configured)
    return {
        "unit": "USD per million tokens",
        "note": "defaults are vendor list prices when this version was released and may be out of date; "
                "override them with `bazinga-db set-config prices '{\"model\": {\"input\": 3, \"output\": 15}}'`",
        "configured": sorted(configured) if isinstance(configured, dict) else [],
        "prices": dict(sorted(table.items())),
    }


def price_table(tx: Transaction) -> dict[str, dict[str, float]]:
    from ..util.prices import PRICES_KEY, effective_prices

    row = tx.one("SELECT value FROM configuration WHERE key = ?", (PRICES_KEY,))
    return effective_prices(None if row is None else row["value"])


def cost_of_record(tx: Transaction, values: dict[str, Any]) -> float | None:
    """The cost of a token-usage row about to be written, or None when it cannot be priced.

    Only records with a model and a split into input/output/cache tokens have a cost: the
    seed's single ``tokens`` number is an estimate with no split, so it stays unpriced.
    """
    from ..util.prices import cost_usd, match_price

    model = values.get("model")
    parts = [values.get(part) for part in TOKEN_PARTS]
    if not model or all(part is None for part in parts):
        return None
    found = match_price(model, price_table(tx))
    if found is None:
        return None
    return cost_usd(found[1], parts[0], parts[1], parts[2], parts[3], values.get("cache_write_1h_tokens"))


# == measured usage: Claude Code transcripts ==============================================
# Reading the files is util/transcripts.py; here is where their messages become records.

MEASURED_COLUMNS = (
    "session_id", "timestamp", "agent_type", "agent_id", "tokens_estimated", "input_tokens", "output_tokens",
    "cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens", "model", "cost_usd", "source",
    "message_id", "request_id", "stop_reason", "transcript_path",
)
_LOOKUP_CHUNK = 400  # message ids per IN (…) list: well under every driver's parameter limit
MAX_MODEL_LENGTH = 128


def ingest_transcript(
    db: Store,
    path: str,
    session_id: str | None = None,
    agent_type: str | None = None,
    agent_id: str | None = None,
) -> dict[str, Any]:
    """Record the usage of every API message of a transcript (and of its subagents' files).

    One record per message, de-duplicated by message and request id across every file of
    the session; a file is read from where the last read stopped. The session is
    ``session_id``, else ``$BAZINGA_SESSION``, else the newest active session.
    """
    import os

    from ..util import transcripts

    if not isinstance(path, str) or not path.strip():
        raise InvalidInput("path must name a transcript file (a Claude Code .jsonl)")
    path = os.path.abspath(os.path.expanduser(path))
    if not os.path.isfile(path):
        raise InvalidInput(f"no transcript file at {path}")
    if agent_type is not None:
        agent_type = v.name(agent_type, "agent_type", v.KNOWN_AGENT_TYPES)
    agent_id = v.optional_identifier(agent_id, "agent_id")
    files = transcripts.files_to_read(path, agent_type, agent_id)
    for item in files:
        item.agent_type = v.name(item.agent_type, "agent_type", v.KNOWN_AGENT_TYPES)
        item.agent_id = _clean_agent_id(item.agent_id)
    explicit = session_id if session_id is not None else (os.environ.get("BAZINGA_SESSION") or None)
    with db.read() as tx:
        session_id = _session_for_ingest(tx, explicit)
        positions = {
            row["path"]: int(row["read_to"])
            for row in tx.all("SELECT path, read_to FROM _transcript_offsets WHERE session_id = ?", (session_id,))
        }
    report: dict[str, Any] = {"session_id": session_id, "path": path, "files": []}
    for item in files:
        report["files"].append(_ingest_file(db, session_id, item, positions.get(item.path, 0), explicit is not None))
    return _totals(report)


def newest_active_session(tx: Transaction) -> str | None:
    row = tx.one(
        "SELECT session_id FROM sessions WHERE status = 'active' ORDER BY created_at DESC, session_id DESC LIMIT 1"
    )
    return None if row is None else str(row["session_id"])


def _session_for_ingest(tx: Transaction, explicit: str | None) -> str:
    from ..errors import SessionNotFound

    if explicit is not None:
        return v.identifier(explicit, "session_id")
    newest = newest_active_session(tx)
    if newest is None:
        raise SessionNotFound(
            "no active session to record the transcript's usage in",
            hint="give --session SESSION_ID (or set BAZINGA_SESSION), or create a session first",
        )
    return newest


def _clean_agent_id(agent_id: str | None) -> str | None:
    if agent_id is None:
        return None
    try:
        return v.identifier(agent_id, "agent_id")
    except InvalidInput:
        return None  # a file name we cannot store as an id: the type still attributes it


def _ingest_file(db: Store, session_id: str, item: Any, start: int, explicit_session: bool) -> dict[str, Any]:
    import os

    from ..util.transcripts import read_messages

    stat = os.stat(item.path)
    if stat.st_size < start:
        start = 0  # the file was replaced or cut short: read it again (records are de-duplicated)
    found = read_messages(item.path, start) if stat.st_size > start else None
    counts = {"path": item.path, "agent_type": item.agent_type, "agent_id": item.agent_id, "read_from": start,
              "read_to": start, "lines": 0, "messages": 0, "updated": 0, "duplicates": 0, "synthetic": 0,
              "without_usage": 0, "malformed_lines": 0, "pending_bytes": 0,
              "tokens": dict.fromkeys((*KINDS, "total_tokens"), 0), "cost_usd": 0.0}
    if found is None:
        return counts
    with db.write() as tx:
        if explicit_session:
            ensure_session(db, tx, session_id)
        row = tx.one("SELECT read_to FROM _transcript_offsets WHERE session_id = ? AND path = ?",
                     (session_id, item.path))
        current = int(row["read_to"]) if row else 0
        if current > stat.st_size:
            current = 0
        if current != start:  # another process read this file meanwhile: continue from where it stopped
            found = read_messages(item.path, current)
            counts["read_from"] = current
        _record_messages(tx, session_id, item, found, counts)
        tx.execute(
            "INSERT INTO _transcript_offsets (session_id, path, read_to, size_bytes, mtime, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (session_id, path) DO UPDATE SET read_to = excluded.read_to, "
            "size_bytes = excluded.size_bytes, mtime = excluded.mtime, updated_at = excluded.updated_at",
            (session_id, item.path, found.end, stat.st_size, stat.st_mtime, utc_now()),
        )
    counts.update(read_to=found.end, lines=found.lines, synthetic=found.synthetic, without_usage=found.no_usage,
                  malformed_lines=found.malformed, pending_bytes=found.pending_bytes)
    counts["duplicates"] += found.streamed
    return counts


def _record_messages(tx: Transaction, session_id: str, item: Any, found: Any, counts: dict[str, Any]) -> None:
    """Insert new messages; replace a record when this copy is more final (``more_final``)."""
    from ..util.prices import match_price
    from ..util.transcripts import more_final

    messages = list(found.messages.values())
    existing: dict[tuple[str, str], dict[str, Any]] = {}
    ids = sorted({message.message_id for message in messages})
    for begin in range(0, len(ids), _LOOKUP_CHUNK):
        chunk = ids[begin:begin + _LOOKUP_CHUNK]
        for row in tx.all(
            "SELECT id, message_id, request_id, agent_type, agent_id, model, stop_reason, transcript_path, "
            f"cost_usd, {', '.join(KINDS)} FROM token_usage "
            f"WHERE session_id = ? AND message_id IN ({', '.join('?' * len(chunk))})",
            (session_id, *chunk),
        ):
            existing[(row["message_id"], row["request_id"] or "")] = row
    table = price_table(tx) if messages else {}
    priced: dict[str | None, dict[str, float] | None] = {None: None}
    inserts = []
    for message in messages:
        if message.model not in priced:
            match = match_price(message.model, table)  # type: ignore[arg-type]
            priced[message.model] = None if match is None else match[1]
        values = _measured_values(session_id, item, message, priced[message.model])
        old = existing.get(message.key)
        if old is None:
            inserts.append(tuple(values[column] for column in MEASURED_COLUMNS))
            counts["messages"] += 1
            _add(counts, values, None)
            continue
        old_rank = (old["stop_reason"] is not None, int(old["output_tokens"] or 0))
        same_file = old["transcript_path"] == item.path
        changed = any(old[column] != values[column] for column in (*KINDS, "model", "stop_reason", "transcript_path"))
        if changed and more_final(message.rank, old_rank, same_file):
            # The figures follow the most final copy; the message stays with whom it was first recorded for.
            columns = [column for column in MEASURED_COLUMNS
                       if column not in ("session_id", "source", "message_id", "agent_type", "agent_id")]
            tx.execute(
                f"UPDATE token_usage SET {', '.join(f'{column} = ?' for column in columns)} WHERE id = ?",
                (*(values[column] for column in columns), old["id"]),
            )
            counts["updated"] += 1
            _add(counts, values, old)
        else:
            counts["duplicates"] += 1
    if inserts:
        tx.execute_many(
            f"INSERT INTO token_usage ({', '.join(MEASURED_COLUMNS)}) VALUES ({', '.join('?' * len(MEASURED_COLUMNS))})",
            inserts,
        )


def _measured_values(session_id: str, item: Any, message: Any, prices: dict[str, float] | None) -> dict[str, Any]:
    from ..util.prices import cost_usd

    stamp = message.timestamp
    if not (isinstance(stamp, str) and len(stamp) == 24 and stamp.endswith("Z") and stamp[10] == "T"):
        stamp = utc_now()  # not in our form (2025-11-13T14:35:30.123Z): keep text order = time order
    tokens = message.tokens()
    return {
        "session_id": session_id, "timestamp": stamp, "agent_type": item.agent_type, "agent_id": item.agent_id,
        "tokens_estimated": message.total_tokens, **tokens,
        "model": message.model[:MAX_MODEL_LENGTH] if message.model else None,
        "cost_usd": None if prices is None else cost_usd(prices, *(tokens[kind] for kind in KINDS)),
        "source": "measured", "message_id": message.message_id, "request_id": message.request_id,
        "stop_reason": message.stop_reason, "transcript_path": item.path,
    }


def _add(counts: dict[str, Any], values: dict[str, Any], old: dict[str, Any] | None) -> None:
    for kind in KINDS:
        counts["tokens"][kind] += int(values[kind] or 0) - (int(old[kind] or 0) if old else 0)
    counts["tokens"]["total_tokens"] = sum(counts["tokens"][kind] for kind in TOKEN_PARTS)
    counts["cost_usd"] += float(values["cost_usd"] or 0) - (float(old["cost_usd"] or 0) if old else 0)


def _totals(report: dict[str, Any]) -> dict[str, Any]:
    files = report["files"]
    for key in ("messages", "updated", "duplicates", "synthetic", "without_usage", "malformed_lines"):
        report[key] = sum(item[key] for item in files)
    report["tokens"] = {kind: sum(item["tokens"][kind] for item in files) for kind in (*KINDS, "total_tokens")}
    report["total_tokens"] = report["tokens"]["total_tokens"]
    report["cost_usd"] = round(sum(item["cost_usd"] for item in files), 6)
    for item in files:
        item["cost_usd"] = round(item["cost_usd"], 6)
    report["file_count"] = len(files)
    return report


# -- reads inside an open transaction (dashboard) -----------------------------------------


def totals_of_sessions(tx: Transaction, session_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Per session of ``session_ids``: ``tokens`` and ``cost_usd`` (None when nothing was priced),
    counted as ``summary`` counts them (measured usage replaces an agent's estimates).

    Sessions without usage are left out. One indexed lookup per session.
    """
    if not session_ids:
        return {}
    marks = ", ".join("?" * len(session_ids))
    rows = tx.all(
        "SELECT t.session_id, SUM(t.tokens_estimated) AS tokens, SUM(t.cost_usd) AS cost_usd, "
        f"COUNT(t.cost_usd) AS priced_calls FROM token_usage t WHERE t.session_id IN ({marks}) AND {COUNTED} "
        "GROUP BY t.session_id",
        session_ids,
    )
    return {
        row["session_id"]: {
            "tokens": int(row["tokens"] or 0),
            "cost_usd": round(float(row["cost_usd"]), 6) if row["priced_calls"] else None,
        }
        for row in rows
    }


def agent_types_of_agents(tx: Transaction, session_id: str) -> dict[str, str]:
    """The agent type of each agent id of a session's usage ("unknown" for records without
    an id, as in ``summary``): what a per-agent chart colours its bars by."""
    rows = tx.all(
        "SELECT agent_id, MIN(agent_type) AS agent_type FROM token_usage WHERE session_id = ? GROUP BY agent_id",
        (session_id,),
    )
    return {"unknown" if row["agent_id"] is None else row["agent_id"]: row["agent_type"] for row in rows}
