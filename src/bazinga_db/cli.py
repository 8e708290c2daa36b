"""The command line: parse arguments against the operation table, call the store, print.

    bazinga-db [--db PATH_OR_URL] [--json] [--quiet] COMMAND ARGS...

Parsing is forgiving in the ways agents vary what they type: global options anywhere,
``--flag value`` and ``--flag=value``, ``_`` or ``-`` in names, optional positional
arguments also as flags. No SQL here; no traceback ever reaches the user.
"""

from __future__ import annotations

import os
import sys

from . import operations
from .errors import BazingaError, UsageError
from .operations import Operation, Param

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any, TextIO

PROGRAM = "bazinga-db"
GLOBAL_OPTIONS = ("db", "json", "quiet", "help", "version")
# What an option looks like: --?[A-Za-z][A-Za-z0-9_-]*(=anything)?. Checked without `re`,
# whose import alone costs more than an SQLite write (see README "Performance").
_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_NAME_CHARACTERS = _LETTERS | frozenset("0123456789_-")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class Invocation:
    def __init__(self) -> None:
        self.db: str | None = None
        self.json = False
        self.quiet = False
        self.help = False
        self.version = False
        self.operation: Operation | None = None
        self.arguments: dict[str, Any] = {}


def _normalise(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def _suggest(word: str, options: list[str]) -> str | None:
    from difflib import get_close_matches

    close = get_close_matches(word, options, n=1, cutoff=0.6)
    return f"did you mean {close[0]}?" if close else None


def _is_option(token: str) -> bool:
    if not token.startswith("-"):
        return False
    name = token[2:] if token.startswith("--") else token[1:]
    name = name.partition("=")[0]
    return name[:1] in _LETTERS and _NAME_CHARACTERS.issuperset(name)


def parse(argv: list[str]) -> Invocation:
    invocation = Invocation()
    positionals: list[str] = []
    named: dict[str, Any] = {}
    only_positionals = False
    index = 0
    while index < len(argv):
        token = argv[index]
        index += 1
        if not only_positionals and token == "--":
            only_positionals = True
            continue
        if only_positionals or not _is_option(token):
            if invocation.operation is None:
                if token == "help":
                    invocation.help = True
                    continue
                invocation.operation = _find_operation(token)
            else:
                positionals.append(token)
            continue
        name, has_value, inline = token.lstrip("-").partition("=")
        key = {"h": "help", "q": "quiet"}.get(name, _normalise(name))
        if key in GLOBAL_OPTIONS:
            if key == "db":
                if not has_value:
                    if index >= len(argv):
                        raise UsageError("--db needs a value: a file path or a postgresql:// URL")
                    inline, index = argv[index], index + 1
                if not inline.strip():
                    # An empty --db would silently fall back to the default database.
                    raise UsageError("--db needs a value: a file path or a postgresql:// URL, got ''")
                invocation.db = inline
            else:
                if has_value:
                    raise UsageError(f"--{key} takes no value")
                setattr(invocation, key, True)
            continue
        operation = invocation.operation
        if operation is None:
            raise UsageError(
                f"unknown option {token} before the command",
                hint="global options are --db, --json, --quiet; command options go after the command",
            )
        param = operation.param(key)
        if param is None:
            flags = [p.flag for p in operation.params] + ["--db", "--json", "--quiet", "--help"]
            typed = token.partition("=")[0]
            raise UsageError(
                f"unknown option {typed} for {operation.name}; its options are: {', '.join(flags)}",
                hint=_suggest("--" + key.replace("_", "-"), flags)
                or f"if {typed} is a value, not an option, put -- before it: -- {token}",
            )
        if param.kind == "flag":
            value: Any = True
            if has_value:
                if inline.lower() not in _TRUE | _FALSE:
                    raise UsageError(f"{param.flag} is a switch: give it alone, or =true / =false")
                value = inline.lower() in _TRUE
        elif has_value:
            value = inline
        elif index < len(argv):
            value, index = argv[index], index + 1
        else:
            raise UsageError(f"{param.flag} needs a value ({param.help})")
        if param.name in named:
            raise UsageError(f"{param.flag} is given twice")
        named[param.name] = value
    if invocation.operation is not None and not invocation.help:
        invocation.arguments = _bind(invocation.operation, positionals, named)
    elif invocation.operation is None and positionals:
        raise UsageError(f"unexpected argument {positionals[0]!r}")
    return invocation


def _find_operation(name: str) -> Operation:
    operation = operations.find(name)
    if operation is None:
        names = [op.name for op in operations.OPERATIONS]
        raise UsageError(
            f"unknown command {name!r}; run `{PROGRAM} --help` for the list of commands",
            hint=_suggest(name.lower().replace("_", "-"), names),
        )
    return operation


def _bind(operation: Operation, positionals: list[str], named: dict[str, Any]) -> dict[str, Any]:
    """Fill positional parameters in order, skipping those given as flags; convert types."""
    open_slots = [p for p in operation.params if p.positional and p.name not in named]
    if len(positionals) > len(open_slots):
        extra = positionals[len(open_slots)]
        raise UsageError(
            f"unexpected extra argument {extra!r} for {operation.name}",
            hint=f"usage: {usage(operation)}",
        )
    for param, value in zip(open_slots, positionals):
        named[param.name] = value
    missing = [p for p in operation.params if p.required and p.name not in named]
    if missing:
        described = ", ".join(f"{p.metavar} ({p.help})" for p in missing)
        raise UsageError(f"{operation.name} is missing {described}", hint=f"usage: {usage(operation)}")
    return {p.name: _convert(p, named[p.name]) for p in operation.params if p.name in named}


def _convert(param: Param, value: Any) -> Any:
    if param.kind == "int" and isinstance(value, str):
        from .validation import is_whole_number

        text = value.strip()
        if not is_whole_number(text):
            from .errors import InvalidInput

            raise InvalidInput(f"{param.name} must be a whole number, got {value!r}")
        return int(text)
    if param.kind == "json" and isinstance(value, str):
        from .validation import parse_json

        return parse_json(_read_json_source(param, value), param.name)
    return value


def _read_json_source(param: Param, value: str) -> str:
    """``-`` reads the JSON from stdin and ``@path`` from a file (no shell quoting needed)."""
    from .errors import InvalidInput

    if value == "-":
        try:
            # Bytes decoded here, so invalid UTF-8 is a clear error whatever the locale.
            return sys.stdin.buffer.read().decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(f"{param.name} read from stdin is not valid UTF-8") from None
    if value.startswith("@"):
        try:
            with open(value[1:], encoding="utf-8") as handle:
                return handle.read()
        except OSError as exc:
            raise InvalidInput(f"cannot read {param.name} from {value[1:]}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise InvalidInput(f"{param.name} file {value[1:]} is not valid UTF-8") from None
    return value


# -- help ------------------------------------------------------------------------------


def usage(operation: Operation) -> str:
    parts = [PROGRAM, operation.name]
    for param in operation.params:
        if param.positional:
            parts.append(param.metavar if param.required else f"[{param.metavar}]")
    for param in operation.params:
        if not param.positional:
            parts.append(f"[{param.flag}]" if param.kind == "flag" else f"[{param.flag} {param.metavar}]")
    return " ".join(parts)


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
            from . import __version__

            print(f"{PROGRAM} {__version__}", file=out)
            return 0
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
    from . import render
    from .store import BazingaDB

    operation = invocation.operation
    assert operation is not None
    if operation.handler is not None:
        from importlib import import_module

        module_name, _, function = operation.handler.partition(":")
        handler = getattr(import_module(module_name, __package__), function)
        return int(handler(invocation.arguments, invocation, out, err))
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
            print("\n".join(extra + [render.confirmation(operation.name, invocation.arguments, result, notices)]), file=out)
    else:
        if extra and not invocation.quiet:
            print("\n".join(extra), file=err)
        if operation.name == "stream-logs":
            print(render.logs_markdown(invocation.arguments["session_id"], result), file=out)
        elif operation.name in render.TEXT_READS:
            print(render.TEXT_READS[operation.name](result), file=out)
        else:
            print(render.dumps(result), file=out)
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
