"""``bazinga-db batch``: many commands over one open database, one JSON line each way.

A caller that can keep a pipe open pays the process start-up once instead of per call::

    {"op": "log-interaction", "args": {"session_id": "s1", "agent_type": "pm", "content": "hi"}, "id": 1}
    {"command": "get-state", "args": {"session_id": "s1", "state_type": "pm"}}
    {"argv": ["log-interaction", "s1", "pm", "hi"]}

Each line names an operation of the table in ``operations.py`` ("op" or "command") with
its arguments by their API / ``--json`` names (aliases accepted), or gives a CLI-style
``argv`` list. It runs through the same BazingaDB method as the CLI; a write is committed
before its answer is written. Each answer is one line, flushed at once::

    {"ok": true, "result": {...}, "id": 1}
    {"ok": false, "error": {"code": "invalid_input", "message": "..."}, "id": 1}

A bad line gets an error answer and the next line is read; end of input ends the run with
exit code 0 (1 only if stdin itself cannot be read).
"""

from __future__ import annotations

import json
import os
import sys

from .. import operations
from ..errors import BazingaError, UsageError

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, BinaryIO, TextIO

    from ..operations import Operation
    from ..store import BazingaDB
    from .argv import Invocation

_MISSING = object()


def run(arguments: dict[str, Any], invocation: Invocation, out: TextIO, err: TextIO,
        stdin: BinaryIO | None = None) -> int:
    """The tool command: serve stdin until it ends."""
    from ..store import BazingaDB

    source = stdin if stdin is not None else sys.stdin.buffer
    db = BazingaDB(invocation.db)
    try:
        serve(db, source, out)
    except BrokenPipeError:
        # The reader of our answers went away (e.g. `| head`): stop reading. Every write
        # up to here is committed; later output goes nowhere instead of failing again.
        if out is sys.stdout:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # stdin itself failed; every answered line was committed
        print(f"error: cannot read the batch input: {exc.strerror or exc}", file=err)
        return 1
    finally:
        db.close()
    return 0


def serve(db: BazingaDB, lines: Iterable[bytes], out: TextIO) -> None:
    """Answer each line of ``lines`` on ``out``; a bad line gets an error answer, never a crash."""
    for raw in lines:
        if not raw.strip():
            continue  # blank lines (e.g. a trailing newline) carry no command
        answer = handle_line(db, raw)
        out.write(json.dumps(answer, ensure_ascii=False, separators=(",", ":")) + "\n")
        out.flush()  # the caller may wait for this answer before sending the next line


def handle_line(db: BazingaDB, raw: bytes) -> dict[str, Any]:
    request_id: Any = _MISSING
    try:
        request = _decode(raw)
        request_id = request.get("id", _MISSING)
        operation, arguments = _resolve(request)
        result = getattr(db, operation.method)(**arguments)
        answer: dict[str, Any] = {"ok": True, "result": result}
        if db.notices:
            answer["notices"] = [{"kind": kind, "subject": subject} for kind, subject in db.notices]
    except BazingaError as exc:
        answer = {"ok": False, "error": exc.to_dict()}
    except Exception as exc:  # a bug: answer it like the CLI does, keep serving
        if os.environ.get("BAZINGA_DB_DEBUG"):
            raise
        answer = {"ok": False, "error": {"code": "internal_error", "message": f"internal error: {type(exc).__name__}: {exc}"}}
    if request_id is not _MISSING:
        answer["id"] = request_id
    return answer


def _decode(raw: bytes) -> dict[str, Any]:
    from ..errors import InvalidJSON

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidJSON("the line is not valid UTF-8") from None
    try:
        request = json.loads(text)
    except ValueError as exc:
        message = getattr(exc, "msg", str(exc))
        raise InvalidJSON(
            f"the line is not valid JSON: {message}",
            hint='send one object per line, e.g. {"op": "get-session", "args": {"session_id": "s1"}}',
        ) from None
    except RecursionError:
        raise InvalidJSON("the line is not valid JSON: nested too deeply") from None
    if not isinstance(request, dict):
        raise UsageError(f"each line must be a JSON object, got {type(request).__name__}")
    return request


def _resolve(request: dict[str, Any]) -> tuple[Operation, dict[str, Any]]:
    """The operation and its keyword arguments, from {"op", "args"} or {"argv"}."""
    known = {"op", "command", "args", "argv", "id"}
    unknown = sorted(set(request) - known)
    if unknown:
        raise UsageError(f"unknown field {unknown[0]!r} in the request; the fields are: op (or command), args, argv, id")
    if "argv" in request:
        if "op" in request or "command" in request or "args" in request:
            raise UsageError("give either argv, or op with args, not both")
        return _from_argv(request["argv"])
    name = request.get("op", request.get("command"))
    if not isinstance(name, str) or not name:
        raise UsageError('the request names no operation: give "op" (or "command"), e.g. {"op": "get-session"}')
    operation = operations.find(name)
    if operation is None:
        from difflib import get_close_matches

        names = [op.name for op in operations.OPERATIONS if not op.tool]
        close = get_close_matches(name.strip().lower().replace("_", "-"), names, n=1, cutoff=0.6)
        raise UsageError(
            f"unknown operation {name!r}; the operations are: {', '.join(names)}",
            hint=f"did you mean {close[0]}?" if close else None,
        )
    _check_usable(operation)
    args = request.get("args", {})
    if not isinstance(args, dict):
        raise UsageError(f"args must be a JSON object of argument names and values, got {type(args).__name__}")
    return operation, operations.bind(operation, args)


def _from_argv(argv: Any) -> tuple[Operation, dict[str, Any]]:
    if not isinstance(argv, list) or not argv or not all(isinstance(item, str) for item in argv):
        raise UsageError('argv must be a non-empty list of strings, e.g. ["get-session", "s1"]')
    from .argv import parse

    invocation = parse(argv)
    if invocation.db is not None:
        raise UsageError("--db cannot change inside a batch; give it to `bazinga-db --db PATH batch`")
    if invocation.operation is None or invocation.help or invocation.version:
        raise UsageError("argv must name an operation, e.g. [\"get-session\", \"s1\"]")
    _check_usable(invocation.operation)
    return invocation.operation, invocation.arguments


def _check_usable(operation: Operation) -> None:
    if operation.tool:
        raise UsageError(f"{operation.name} is a tool command and cannot run inside a batch")
