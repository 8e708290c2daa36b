"""bazinga-db: a concurrent-safe state store for multi-agent coding teams."""

from .errors import (
    AmbiguousTaskGroup,
    BackendUnavailable,
    BazingaError,
    Conflict,
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
from .store import BazingaDB

__version__ = "0.1.0"

__all__ = [
    "AmbiguousTaskGroup",
    "BackendUnavailable",
    "BazingaDB",
    "BazingaError",
    "Conflict",
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
