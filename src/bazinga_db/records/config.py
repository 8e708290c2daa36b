"""Configuration: JSON values under keys, global to the database (not per session)."""

from __future__ import annotations

from ..core import decode, retried
from ..util import validation as v
from ..util.clock import utc_now

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any

    from ..core import Store
    from ..db.backends import Transaction


@retried
def set_config(db: Store, key: str, value: Any) -> dict[str, Any]:
    key = v.identifier(key, "key")
    if key == "prices":
        from ..util.prices import validate_prices

        validate_prices(value)
    text = v.json_document(value, "value")
    with db.write() as tx:
        return decode(tx.one(  # type: ignore[return-value]
            "INSERT INTO configuration (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at "
            "RETURNING *",
            (key, text, utc_now()),
        ), "configuration")


def get_config(db: Store, key: str) -> Any:
    """The value stored under ``key``, or None."""
    key = v.identifier(key, "key")
    with db.read() as tx:
        return value_of(tx, key)


def value_of(tx: Transaction, key: str) -> Any:
    """The decoded value under ``key`` inside an open transaction, or None."""
    row = decode(tx.one("SELECT value FROM configuration WHERE key = ?", (key,)), "configuration")
    return None if row is None else row["value"]
