"""The command line: read the arguments (``argv.py``), call the store, print.

    bazinga-db [--db PATH_OR_URL] [--json] [--quiet] COMMAND ARGS...

No SQL here; no traceback ever reaches the user: every error is one line on stderr (and,
with --json, one JSON document on stdout) and an exit code of 0, 1 or 2.
"""

from __future__ import annotations

import os
import sys

from .. import operations
from ..errors import BazingaError
from ..operations import PROGRAM, Operation, usage
from .argv import Invocation, parse

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from typing import TextIO

# -- help ------------------------------------------------------------------------------


def operation_help(operation: Operation) -> str:
    lines = [f"usage: {usage(operation)}", "", operation.summary, ""]
    if operation.params:
        lines.append("arguments (positional ones may also be given as --flags):")
        for param in operation.params:
            label = f"{param.metavar} / {param.flag}" if param.positional else param.flag
            lines.append(f"  {label:<34} {param.help}")
        lines.append("")
    lines.append(f"example:\n  {PROGRAM} {operation.example}")
    lines.append("\nglobal options: --db PATH_OR_URL, --json (one JSON document on stdout), --quiet")
    return "\n".join(lines)


def general_help() -> str:
    lines = [
        f"usage: {PROGRAM} [--db PATH_OR_URL] [--json] [--quiet] COMMAND ARGS...",
        "",
        "A concurrent-safe state store for multi-agent coding teams.",
        "",
        "commands:",
    ]
    for operation in operations.OPERATIONS:
        lines.append(f"  {operation.name:<24} {operation.summary}")
    lines += [
        "",
        "options:",
        "  --db PATH_OR_URL   database file or postgresql:// URL (default: $BAZINGA_DB, else",
        "                     bazinga/bazinga.db under the project root)",
        "  --json             print exactly one JSON document on stdout, errors included",
        "  --quiet            no ✓ confirmations",
        "",
        f"`{PROGRAM} COMMAND --help` shows a command's arguments and an example.",
        "Exit codes: 0 done (and committed), 2 bad input, 1 any other failure.",
    ]
    return "\n".join(lines)


# -- running ---------------------------------------------------------------------------


def main(argv: list[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    args = sys.argv[1:] if argv is None else argv
    json_mode = "--json" in args
    try:
        invocation = parse(args)
        json_mode = invocation.json
        if invocation.version:
            from .. import __version__

            print(f"{PROGRAM} {__version__}", file=out)
            return 0
        if invocation.operation is None and not invocation.help and invocation.json:
            # A script asked for JSON: the help text would break its parser, so say what is
            # missing as the usual error document. An explicit --help still prints the help
            # text: only a person asks for it, and it is text by nature.
            from ..errors import UsageError

            raise UsageError(f"no command given; run `{PROGRAM} --help` for the list of commands")
        if invocation.help or invocation.operation is None:
            operation = invocation.operation
            print(operation_help(operation) if operation else general_help(), file=out)
            return 0
        return _execute(invocation, out, err)
    except BazingaError as exc:
        return _fail(exc.to_dict(), exc.exit_code, json_mode, out, err)
    except KeyboardInterrupt:
        return _fail({"code": "interrupted", "message": "interrupted"}, 130, json_mode, out, err)
    except BrokenPipeError:
        raise  # the reader closed stdout (e.g. `| head`): not an error, see run()
    except Exception as exc:  # a bug: still one clear line, never a traceback
        if os.environ.get("BAZINGA_DB_DEBUG"):
            raise
        message = f"internal error: {type(exc).__name__}: {exc}"
        return _fail({"code": "internal_error", "message": message}, 1, json_mode, out, err)


def _execute(invocation: Invocation, out: TextIO, err: TextIO) -> int:
    from ..store import BazingaDB
    from . import render

    operation = invocation.operation
    assert operation is not None
    if operation.tool:
        from . import commands

        return int(getattr(commands, operation.method + "_command")(invocation.arguments, invocation, out, err))
    db = BazingaDB(invocation.db)
    try:
        result = getattr(db, operation.method)(**invocation.arguments)
        notices = db.notices
    finally:
        db.close()
    extra = render.notice_lines(notices)
    if invocation.json:
        print(render.dumps(result), file=out)
        if extra and not invocation.quiet:
            print("\n".join(extra), file=err)
    elif operation.write:
        if invocation.quiet:
            if extra:
                print("\n".join(extra), file=err)
        else:
            print("\n".join(extra + [render.confirmation(operation, invocation.arguments, result, notices)]), file=out)
    else:
        if extra and not invocation.quiet:
            print("\n".join(extra), file=err)
        if isinstance(result, str) and invocation.arguments.get("format", "json") != "json":
            print(result, file=out)  # a text format asked for (e.g. reasoning-timeline --format markdown)
        elif operation.name == "stream-logs":
            print(render.logs_markdown(invocation.arguments["session_id"], result), file=out)
        elif operation.name in render.TEXT_READS:
            print(render.TEXT_READS[operation.name](result), file=out)
        else:
            print(render.dumps(result), file=out)
    if operation.exit_1_unless and isinstance(result, dict) and not result.get(operation.exit_1_unless):
        return 1
    return 0


def _fail(error: dict[str, str], code: int, json_mode: bool, out: TextIO, err: TextIO) -> int:
    if json_mode:
        from .render import dumps

        print(dumps({"ok": False, "error": error}), file=out)
    print(f"error: {error['message']}", file=err)
    if error.get("hint"):
        print(f"hint: {error['hint']}", file=err)
    return code


def run() -> None:
    """Console-script entry point."""
    try:
        sys.stdout.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); the write itself already committed.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code)
