"""Operations on token usage, skill outputs, configuration and decisions."""

from __future__ import annotations

from . import validation as v
from .errors import InvalidInput
from .store_base import StoreBase, decode, utc_now, where_group

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any


class Records(StoreBase):
    # -- token usage --------------------------------------------------------------------

    def log_tokens(
        self,
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
        with self._write() as tx:
            self._ensure_session(tx, values["session_id"])
            if values["model"] is not None:
                from . import costs

                # Priced at write time, so a later change of the price table keeps past costs.
                values["cost_usd"] = costs.cost_of_record(tx, values)
            return self._insert(tx, "token_usage", values)

    # -- skill outputs ------------------------------------------------------------------

    def save_skill_output(
        self,
        session_id: str,
        skill_name: str,
        output_data: Any,
        agent_type: str | None = None,
        group_id: str | None = None,
        iteration: int | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        values: dict[str, Any] = {
            "session_id": v.identifier(session_id, "session_id"),
            "timestamp": utc_now(),
            "skill_name": v.name(skill_name, "skill_name"),
            "output_data": v.json_document(output_data, "output_data"),
            "agent_type": None if agent_type is None else v.name(agent_type, "agent_type", v.KNOWN_AGENT_TYPES),
            "group_id": v.optional_identifier(group_id, "group_id"),
            "iteration": v.optional_integer(iteration, "iteration"),
            "idempotency_key": v.optional_identifier(idempotency_key, "idempotency_key"),
        }
        return self._append("skill_outputs", values)

    def get_skill_output(self, session_id: str, skill_name: str, group_id: str | None = None) -> Any:
        """The newest output of that skill (for that group, if given), or None."""
        session_id = v.identifier(session_id, "session_id")
        skill_name = v.name(skill_name, "skill_name")
        sql = "SELECT output_data FROM skill_outputs WHERE session_id = ? AND skill_name = ?"
        params: tuple[Any, ...] = (session_id, skill_name)
        if group_id is not None:
            where, extra = where_group(v.identifier(group_id, "group_id"))
            sql, params = f"{sql} AND {where}", params + extra
        with self._read() as tx:
            self._require_session(tx, session_id)
            row = decode(tx.one(sql + " ORDER BY id DESC LIMIT 1", params))
        return None if row is None else row["output_data"]

    # -- configuration ------------------------------------------------------------------

    def set_config(self, key: str, value: Any) -> dict[str, Any]:
        key = v.identifier(key, "key")
        if key == "prices":
            from . import costs

            costs.validate_prices(value)
        text = v.json_document(value, "value")
        with self._write() as tx:
            return decode(tx.one(  # type: ignore[return-value]
                "INSERT INTO configuration (key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at "
                "RETURNING *",
                (key, text, utc_now()),
            ))

    def get_config(self, key: str) -> Any:
        """The value stored under ``key``, or None."""
        key = v.identifier(key, "key")
        with self._read() as tx:
            row = decode(tx.one("SELECT value FROM configuration WHERE key = ?", (key,)))
        return None if row is None else row["value"]

    # -- decisions ----------------------------------------------------------------------

    def log_decision(
        self,
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
        return self._append("decisions", values)

    def get_decisions(
        self, session_id: str, decision_type: str | None = None, limit: int | None = None
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
        with self._read() as tx:
            self._require_session(tx, session_id)
            rows = [decode(row) for row in tx.all(sql, params)]
        rows.reverse()
        return rows  # type: ignore[return-value]
