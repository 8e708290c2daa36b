"""Database backends: connections, transactions, retries and dialect gaps.

A backend offers ``read()`` and ``write()`` context managers yielding a transaction with
``execute``/``one``/``all``. SQL is written once with ``?`` placeholders; a backend that
needs another style translates it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from contextlib import AbstractContextManager


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

    def close(self) -> None: ...


def is_postgres_url(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://"))


def open_backend(target: str, *, read_only: bool = False) -> Backend:
    """Open the backend ``target`` names: a PostgreSQL URL or an SQLite file path."""
    if is_postgres_url(target):
        try:
            from .postgres import PostgresBackend
        except ImportError as exc:  # psycopg missing, or the module not built yet
            from ..errors import BackendUnavailable

            raise BackendUnavailable(
                "PostgreSQL support is not installed",
                hint="pip install 'bazinga-db[postgres]'",
            ) from exc
        return PostgresBackend(target, read_only=read_only)
    from .sqlite import SQLiteBackend

    return SQLiteBackend(target, read_only=read_only)
