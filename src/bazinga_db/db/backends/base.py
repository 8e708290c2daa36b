"""What a backend offers, as typing Protocols (for the type checker and for readers).

Kept apart from ``backends/__init__.py`` because ``typing`` costs milliseconds at
start-up, and the CLI never needs these classes at run time.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol


class Transaction(Protocol):
    dialect: str

    def execute(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> Any: ...

    def execute_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None: ...

    def one(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> dict[str, Any] | None: ...

    def all(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[dict[str, Any]]: ...

    def rowcount(self) -> int: ...

    def columns(self, table: str) -> list[str]:
        """The table's column names, in order ([] when there is no such table)."""
        ...


class Backend(Protocol):
    dialect: str
    location: str
    created: bool

    def read(self) -> AbstractContextManager[Transaction]: ...

    def write(self, session_id: str | None = None, *, repeatable: bool = True) -> AbstractContextManager[Transaction]:
        """A write transaction; ``session_id`` its scope (None: the whole database)."""
        ...

    def schema_version(self) -> int:
        """Our schema version, or 0 for a new database or one another tool made."""
        ...

    def is_empty(self) -> bool:
        """True when the database holds no table at all (nothing in it to adopt)."""
        ...

    def migration(self) -> AbstractContextManager[Transaction]:
        """A write transaction that also keeps every other migrating process out."""
        ...

    def record_version(self, tx: Transaction, version: int) -> None: ...

    def read_only_query(self, sql: str) -> list[dict[str, Any]]: ...

    def vacuum(self) -> tuple[int, int]:
        """Give free space back (outside any transaction); the size in bytes before and after."""
        ...

    def close(self) -> None: ...
