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


class Backend(Protocol):
    dialect: str
    location: str
    created: bool

    def read(self) -> AbstractContextManager[Transaction]: ...

    def write(self) -> AbstractContextManager[Transaction]: ...

    def schema_version(self) -> int: ...

    def read_only_query(self, sql: str) -> list[dict[str, Any]]: ...

    def close(self) -> None: ...
