"""Database backends: connections, transactions, retries and dialect gaps.

A backend offers ``read()`` and ``write()`` context managers yielding a transaction with
``execute``/``one``/``all``. SQL is written once with ``?`` placeholders; a backend that
needs another style translates it.
"""

from __future__ import annotations

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from .base import Backend as Backend
    from .base import Transaction as Transaction


def __getattr__(name: str) -> object:
    # ``from bazinga_db.backends import Transaction`` keeps working at run time, but only
    # code that asks for the Protocols pays for importing ``typing``.
    if name in ("Backend", "Transaction"):
        from . import base

        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def is_postgres_url(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://"))


def open_backend(target: str, *, read_only: bool = False) -> Backend:
    """Open the backend ``target`` names: a PostgreSQL URL or an SQLite file path."""
    if is_postgres_url(target):
        try:
            from .postgres import PostgresBackend
        except ImportError as exc:  # psycopg missing, or the module not built yet
            from ...errors import BackendUnavailable

            raise BackendUnavailable(
                "PostgreSQL support is not installed",
                hint="pip install '.[postgres]' in a bazinga-db checkout, or pip install 'psycopg[binary]>=3.1' "
                "into the same environment",
            ) from exc
        return PostgresBackend(target, read_only=read_only)
    from .sqlite import SQLiteBackend

    return SQLiteBackend(target, read_only=read_only)
