"""bazinga-db: a concurrent-safe state store for multi-agent coding teams."""

from .errors import (
    AmbiguousTaskGroup,
    BackendUnavailable,
    BazingaError,
    Conflict,
    CriteriaUnmet,
    DatabaseBusy,
    DatabaseError,
    InvalidInput,
    InvalidJSON,
    NotFound,
    ReadOnlyViolation,
    SchemaTooNew,
    SessionNotFound,
    TaskGroupNotFound,
    UsageError,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .store import BazingaDB

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # `python -m bazinga_db --help` and tool commands need no store: it is imported on
    # first use of ``bazinga_db.BazingaDB`` (``from bazinga_db import BazingaDB`` works).
    if name == "BazingaDB":
        from .store import BazingaDB

        return BazingaDB
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AmbiguousTaskGroup",
    "BackendUnavailable",
    "BazingaDB",
    "BazingaError",
    "Conflict",
    "CriteriaUnmet",
    "DatabaseBusy",
    "DatabaseError",
    "InvalidInput",
    "InvalidJSON",
    "NotFound",
    "ReadOnlyViolation",
    "SchemaTooNew",
    "SessionNotFound",
    "TaskGroupNotFound",
    "UsageError",
    "__version__",
]
