"""Checks and normalisations of every value the store writes.

Each function returns the clean value or raises InvalidInput naming the field, the
problem and what is allowed. Agents type variants ("In Progress", "tech-lead"), so enum
values are matched case-insensitively with spaces and hyphens folded.
"""

from __future__ import annotations

from ..errors import InvalidInput, InvalidJSON

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any

MAX_ID_LENGTH = 128
MAX_TEXT_BYTES = 1024 * 1024  # content, requirements: 1 MiB of UTF-8
MAX_JSON_BYTES = 1024 * 1024  # state, skill output, decision, config documents: 1 MiB
MAX_LIMIT = 100_000

SESSION_MODES = ("simple", "parallel")
SESSION_STATUSES = ("active", "completed", "failed")
TASK_STATUSES = ("pending", "in_progress", "completed", "failed")
REVIEW_STATUSES = ("APPROVED", "CHANGES_REQUESTED")
KNOWN_AGENT_TYPES = ("orchestrator", "pm", "developer", "qa", "tech_lead", "investigator")

# Names and ids are checked with plain string operations: `re` (and `json`, which imports
# it) add about 5 ms to every CLI call, more than the whole SQLite write. Regular
# expressions are imported only by the checks that need them.
_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyz")
_NAME_CHARS = _NAME_START | frozenset("0123456789_-")  # a name is ^[a-z][a-z0-9_-]{0,63}$
_CONTROL = frozenset(chr(code) for code in range(32)) | {"\x7f"}  # tab, CR and LF included
_TIMESTAMP = (
    r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?))?(Z|[+-]00:?00)?$"
)


def _check_encoding(value: str, field: str) -> None:
    if "\x00" in value:
        raise InvalidInput(f"{field} contains a NUL byte; text must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # argv bytes that are not UTF-8 arrive as lone surrogates
        raise InvalidInput(f"{field} is not valid UTF-8 text") from None


def identifier(value: Any, field: str) -> str:
    """A session id, task group id or config key: 1-128 characters, no control characters."""
    if not isinstance(value, str) or value == "":
        raise InvalidInput(f"{field} must be provided and non-empty")
    _check_encoding(value, field)
    if len(value) > MAX_ID_LENGTH:
        raise InvalidInput(f"{field} is {len(value)} characters long; the maximum is {MAX_ID_LENGTH}")
    if value != value.strip():
        raise InvalidInput(f"{field} {value!r} has leading or trailing spaces")
    if not _CONTROL.isdisjoint(value):
        raise InvalidInput(f"{field} {value!r} contains control characters")
    return value


def optional_identifier(value: Any, field: str) -> str | None:
    return None if value is None else identifier(value, field)


def group_scope(value: Any, field: str = "group_id") -> str | None:
    """A task group id, or None for the whole session: no group, or ``global`` in any case
    (the public project's word for session-wide records)."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "global"):
        return None
    return identifier(value, field)


RESERVED_GROUP_IDS = ("global", "session", "all", "default")


def task_group_id(value: Any, field: str = "group_id") -> str:
    """A new task group's id: an identifier that is not a word meaning "every group" or
    "the whole session" (``global`` marks session-wide records everywhere else)."""
    group = identifier(value, field)
    if group.lower() in RESERVED_GROUP_IDS:
        raise InvalidInput(
            f"{field} {group!r} is reserved ({', '.join(RESERVED_GROUP_IDS)} mean the whole session or "
            "every group); name the task group itself",
            hint=f"e.g. group_{group.lower()}",
        )
    return group


def name(value: Any, field: str, known: tuple[str, ...] = ()) -> str:
    """A role or type name such as agent_type or state_type: ^[a-z][a-z0-9_-]{0,63}$."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{field} must be provided and non-empty")
    _check_encoding(value, field)
    folded = "_".join(value.lower().split())  # runs of white space become one "_"
    underscored = folded.replace("-", "_")
    if underscored in known:
        folded = underscored
    if not (len(folded) <= 64 and folded[:1] in _NAME_START and _NAME_CHARS.issuperset(folded)):
        raise InvalidInput(
            f"{field} {value!r} is not a valid name: use 1-64 characters of lower-case "
            f"letters, digits, '_' or '-', starting with a letter (e.g. {', '.join(known[:4]) or 'developer'})"
        )
    return folded


def choice(value: Any, field: str, allowed: tuple[str, ...]) -> str:
    """One of ``allowed``, matched ignoring case, spaces and hyphens."""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be one of: {', '.join(allowed)}")
    key = "_".join(value.replace("-", " ").split()).lower()
    for option in allowed:
        if option.lower() == key:
            return option
    message = f"invalid {field} {value!r}; allowed values: {', '.join(allowed)}"
    from difflib import get_close_matches

    lowered = [option.lower() for option in allowed]
    close = get_close_matches(key, lowered, n=1)
    if close:
        suggestion: str | None = allowed[lowered.index(close[0])]
    else:
        # Words agents use for a status that has another name here: suggested, not
        # guessed, so that a wrong word never changes a record.
        suggestion = _SYNONYMS.get(key)
        suggestion = suggestion if suggestion in allowed else None
    raise InvalidInput(message, hint=f"did you mean {suggestion!r}?" if suggestion else None)


_SYNONYMS = {
    "done": "completed", "complete": "completed", "finished": "completed", "success": "completed",
    "todo": "pending", "not_started": "pending", "queued": "pending",
    "started": "in_progress", "wip": "in_progress", "working": "in_progress", "running": "in_progress",
    "error": "failed", "failure": "failed", "fail": "failed",
    "approve": "APPROVED", "approved": "APPROVED", "lgtm": "APPROVED",
    "changes": "CHANGES_REQUESTED", "request_changes": "CHANGES_REQUESTED", "rejected": "CHANGES_REQUESTED",
}


def text(value: Any, field: str, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text")
    if not allow_empty and not value.strip():
        raise InvalidInput(f"{field} must be provided and non-empty")
    _check_encoding(value, field)
    size = len(value.encode("utf-8"))
    if size > MAX_TEXT_BYTES:
        raise InvalidInput(f"{field} is {size:,} bytes; the maximum is {MAX_TEXT_BYTES:,} bytes (1 MiB)")
    return value


def integer(value: Any, field: str, *, minimum: int = 0, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and is_whole_number(value.strip()):
            value = int(value)
        else:
            raise InvalidInput(f"{field} must be a whole number, got {value!r}")
    if value < minimum:
        raise InvalidInput(f"{field} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise InvalidInput(f"{field} must be at most {maximum:,}, got {value:,}")
    return int(value)


def is_whole_number(text: str) -> bool:
    """``[+-]?\\d+`` without `re`: digits (any script's decimal digits, as int() reads them)."""
    digits = text[1:] if text[:1] in ("+", "-") else text
    return digits.isdecimal()


def optional_integer(value: Any, field: str, **bounds: int) -> int | None:
    return None if value is None else integer(value, field, **bounds)


def parse_json(value: str, field: str) -> Any:
    """Parse JSON text given on the command line."""
    _check_encoding(value, field)
    size = len(value.encode("utf-8"))
    if size > MAX_JSON_BYTES:
        raise InvalidInput(f"{field} is {size:,} bytes of JSON; the maximum is {MAX_JSON_BYTES:,} bytes (1 MiB)")
    import json

    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise InvalidJSON(
            f"invalid JSON in {field}: {exc.msg} at line {exc.lineno} column {exc.colno}",
            hint="quote the whole document in single quotes, e.g. '{\"iteration\": 1}'",
        ) from None
    except RecursionError:
        raise InvalidJSON(f"invalid JSON in {field}: nested too deeply") from None


def json_document(value: Any, field: str) -> str:
    """Serialise a JSON value for storage, enforcing the size limit."""
    import json

    try:
        encoded = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidJSON(f"{field} is not JSON-serialisable: {exc}") from None
    except RecursionError:
        raise InvalidJSON(f"{field} is nested too deeply") from None
    _check_encoding(encoded, field)
    size = len(encoded.encode("utf-8"))
    if size > MAX_JSON_BYTES:
        raise InvalidInput(f"{field} is {size:,} bytes of JSON; the maximum is {MAX_JSON_BYTES:,} bytes (1 MiB)")
    return encoded


def timestamp(value: Any, field: str) -> str:
    """An ISO-8601 UTC time, normalised to our stored form for correct text comparison."""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be an ISO-8601 time such as 2025-11-12T14:30:00Z")
    import re

    match = re.match(_TIMESTAMP, value.strip())
    if not match:
        raise InvalidInput(
            f"invalid {field} {value!r}; use an ISO-8601 UTC time such as 2025-11-12T14:30:00Z"
        )
    date, clock, _zone = match.groups()
    clock = clock or "00:00"
    if len(clock) == 5:
        clock += ":00"
    seconds, _, fraction = clock.partition(".")
    return f"{date}T{seconds}.{(fraction + '000')[:3]}Z"
