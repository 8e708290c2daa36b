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
        "group_id": v.optional_identifier(group_id, "group_id"),
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


def summary(tx: Transaction, session_id: str, by: str) -> dict[str, Any]:
    """The token summary of a session inside an open transaction (``by``: one of SUMMARY_KEYS)."""
    # ``by`` is one of SUMMARY_KEYS (validated), so it is safe to place in the SQL.
    rows = tx.all(
        f"SELECT {by} AS k, SUM(tokens_estimated) AS tokens, COUNT(*) AS calls, "
        "SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens, "
        "SUM(cache_read_tokens) AS cache_read_tokens, SUM(cache_write_tokens) AS cache_write_tokens, "
        "SUM(cost_usd) AS cost_usd, COUNT(cost_usd) AS priced_calls FROM token_usage "
        f"WHERE session_id = ? GROUP BY {by} ORDER BY tokens DESC, k NULLS FIRST",
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
        }
    priced = [float(row["cost_usd"]) for row in rows if row["priced_calls"]]
    return {
        "session_id": session_id,
        "by": by,
        "total_tokens": sum(breakdown.values()),
        "calls": sum(int(row["calls"]) for row in rows),
        "breakdown": breakdown,
        **{part: sum(detail[part] for detail in details.values()) for part in TOKEN_PARTS},
        "cost_usd": round(sum(priced), 6) if priced else None,
        "priced_calls": sum(detail["priced_calls"] for detail in details.values()),
        "cost_breakdown": {key: detail["cost_usd"] for key, detail in details.items()},
        "details": details,
    }


def usage_points(tx: Transaction, session_id: str, limit: int) -> list[dict[str, Any]]:
    """Every usage record in order (id, timestamp, agent, tokens): the dashboard's chart."""
    return tx.all(
        "SELECT id, timestamp, agent_type, agent_id, tokens_estimated AS tokens FROM token_usage "
        "WHERE session_id = ? ORDER BY id LIMIT ?",
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
    return cost_usd(found[1], *parts)


# -- reads inside an open transaction (dashboard) -----------------------------------------


def totals_of_sessions(tx: Transaction, session_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Per session of ``session_ids``: ``tokens`` and ``cost_usd`` (None when nothing was priced).

    Sessions without usage are left out. One indexed lookup per session.
    """
    if not session_ids:
        return {}
    marks = ", ".join("?" * len(session_ids))
    rows = tx.all(
        "SELECT session_id, SUM(tokens_estimated) AS tokens, SUM(cost_usd) AS cost_usd, "
        f"COUNT(cost_usd) AS priced_calls FROM token_usage WHERE session_id IN ({marks}) GROUP BY session_id",
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
