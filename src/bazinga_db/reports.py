"""Reads that summarise a session: token summaries, the dashboard snapshot, SQL queries."""

from __future__ import annotations

from . import validation as v
from .store_base import StoreBase, decode, utc_now

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any

SUMMARY_KEYS = ("agent_type", "agent_id", "model", "group_id")
SUMMARY_ALIASES = {"agent": "agent_type", "group": "group_id"}
TOKEN_PARTS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")
RECENT_LOGS = 10


class Reports(StoreBase):
    def token_summary(self, session_id: str, by: str = "agent_type") -> dict[str, Any]:
        """Total tokens of a session and their breakdown by agent type, agent id, model or group.

        ``breakdown`` maps each key to its tokens; ``cost_breakdown`` to its cost in USD
        (null when nothing of it was priced) and ``details`` to tokens, calls, the
        input/output/cache sums and cost. The same sums and ``cost_usd`` exist in total.
        """
        session_id = v.identifier(session_id, "session_id")
        by = v.choice(SUMMARY_ALIASES.get(str(by).strip().lower(), by), "by", SUMMARY_KEYS)
        with self._read() as tx:
            self._require_session(tx, session_id)
            return _token_summary(tx, session_id, by)

    def dashboard_snapshot(self, session_id: str) -> dict[str, Any]:
        """Everything a dashboard shows about a session, read in one consistent transaction."""
        session_id = v.identifier(session_id, "session_id")
        with self._read() as tx:
            session = self._require_session(tx, session_id)
            # NULLS FIRST/LAST spell out SQLite's order; PostgreSQL's default is the opposite.
            groups = tx.all(
                "SELECT * FROM task_groups WHERE session_id = ? ORDER BY created_at NULLS FIRST, id", (session_id,)
            )
            counts = {status: 0 for status in v.TASK_STATUSES}
            for group in groups:
                counts[group["status"]] = counts.get(group["status"], 0) + 1
            log_count = tx.one("SELECT COUNT(*) AS n FROM orchestration_logs WHERE session_id = ?", (session_id,))
            recent = tx.all(
                "SELECT * FROM orchestration_logs WHERE session_id = ? ORDER BY id DESC LIMIT ?",
                (session_id, RECENT_LOGS),
            )
            recent.reverse()
            states = tx.all(
                "SELECT state_type, state_data, timestamp FROM state_snapshots WHERE id IN ("
                "SELECT MAX(id) FROM state_snapshots WHERE session_id = ? AND group_id IS NULL "
                "GROUP BY state_type) ORDER BY state_type",
                (session_id,),
            )
            skills = tx.all(
                "SELECT skill_name, output_data, timestamp FROM skill_outputs WHERE id IN ("
                "SELECT MAX(id) FROM skill_outputs WHERE session_id = ? GROUP BY skill_name) ORDER BY skill_name",
                (session_id,),
            )
            decisions = tx.all(
                "SELECT * FROM decisions WHERE session_id = ? ORDER BY id DESC LIMIT ?", (session_id, RECENT_LOGS)
            )
            decisions.reverse()
            tokens = _token_summary(tx, session_id, "agent_type")
        return {
            "session": session,
            "task_groups": groups,
            "task_group_counts": {"total": len(groups), **counts},
            "token_usage": {"total_tokens": tokens["total_tokens"], "by_agent_type": tokens["breakdown"],
                            "cost_usd": tokens["cost_usd"]},
            "log_count": log_count["n"] if log_count else 0,
            "recent_logs": recent,
            "states": {row["state_type"]: decode(row)["state_data"] for row in states},  # type: ignore[index]
            "skill_outputs": {row["skill_name"]: decode(row)["output_data"] for row in skills},  # type: ignore[index]
            "recent_decisions": [decode(row) for row in decisions],
            "generated_at": utc_now(),
        }

    def query(self, sql: str) -> list[dict[str, Any]]:
        """Run one read-only SQL statement; anything that would write is rejected."""
        sql = v.text(sql, "sql")
        self.notices = []
        self._ensure_schema(for_write=False)
        return self._backend.read_only_query(sql)


def _token_summary(tx: Any, session_id: str, by: str) -> dict[str, Any]:
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
