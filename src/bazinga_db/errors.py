"""Exceptions raised by the store. Only the CLI turns them into messages and exit codes.

Every error has a stable ``code`` (part of the JSON error contract, see README "Errors")
and an ``exit_code``: 2 for bad input, 1 for any other failure.
"""

from __future__ import annotations


class BazingaError(Exception):
    """Base class of every error this package raises on purpose."""

    code = "error"
    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def to_dict(self) -> dict[str, str]:
        data = {"code": self.code, "message": self.message}
        if self.hint:
            data["hint"] = self.hint
        return data


# --- bad input: exit 2 -------------------------------------------------------------


class InvalidInput(BazingaError):
    """An argument has a wrong value (enum, size, format)."""

    code = "invalid_input"
    exit_code = 2


class InvalidJSON(InvalidInput):
    code = "invalid_json"


class UsageError(InvalidInput):
    """The command line itself is wrong: unknown command or flag, missing argument."""

    code = "usage"


class ReadOnlyViolation(InvalidInput):
    """`query` was given SQL that would do more than read."""

    code = "not_read_only"


class AmbiguousTaskGroup(InvalidInput):
    """A task group id exists in several sessions and no --session was given."""

    code = "ambiguous_task_group"


# --- other failures: exit 1 -----------------------------------------------------------


class NotFound(BazingaError):
    code = "not_found"


class SessionNotFound(NotFound):
    code = "session_not_found"


class TaskGroupNotFound(NotFound):
    code = "task_group_not_found"


class Conflict(BazingaError):
    """The record exists already with different content."""

    code = "conflict"


class CriteriaUnmet(BazingaError):
    """A session cannot be marked completed while a required success criterion is unmet."""

    code = "criteria_unmet"


class GroupNotApproved(BazingaError):
    """Strategies are drawn only from task groups whose work was approved."""

    code = "group_not_approved"


class SchemaTooNew(BazingaError):
    """The database was written by a newer bazinga-db."""

    code = "schema_too_new"


class DatabaseBusy(BazingaError):
    """The write lock could not be had within the retry budget."""

    code = "database_busy"


class DatabaseError(BazingaError):
    """The database could not be opened, read or written (corrupt, not a database, I/O)."""

    code = "database_error"


class DatabaseUnavailable(BazingaError):
    """The database server could not be reached within the reconnect budget."""

    code = "database_unavailable"


class TransactionInterrupted(DatabaseUnavailable):
    """The connection was lost in the middle of a write transaction.

    ``outcome_known`` is True when the failure came before COMMIT was sent (nothing was
    written, the whole operation may run again), False when it came during COMMIT.
    """

    def __init__(self, message: str, *, outcome_known: bool, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.outcome_known = outcome_known


class OutcomeUnknown(DatabaseUnavailable):
    """The connection was lost during COMMIT of a write that must not be applied twice."""

    code = "outcome_unknown"


class BackendUnavailable(BazingaError):
    """An optional backend or feature is not installed."""

    code = "backend_unavailable"


__all__ = [
    "AmbiguousTaskGroup",
    "BackendUnavailable",
    "BazingaError",
    "Conflict",
    "CriteriaUnmet",
    "DatabaseBusy",
    "DatabaseError",
    "DatabaseUnavailable",
    "GroupNotApproved",
    "InvalidInput",
    "InvalidJSON",
    "NotFound",
    "OutcomeUnknown",
    "ReadOnlyViolation",
    "SchemaTooNew",
    "SessionNotFound",
    "TaskGroupNotFound",
    "TransactionInterrupted",
    "UsageError",
]
