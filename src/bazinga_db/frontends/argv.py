"""Reading a command line into an ``Invocation``: the operation, its bound arguments and
the global options.

    bazinga-db [--db PATH_OR_URL] [--json] [--quiet] COMMAND ARGS...

Parsing is forgiving in the ways agents vary what they type: global options anywhere,
``--flag value`` and ``--flag=value``, ``_`` or ``-`` in names, optional positional
arguments also as flags. The CLI and batch mode's ``argv`` requests both read through here.
"""

from __future__ import annotations

import sys

from .. import operations
from ..errors import InvalidInput, UsageError
from ..operations import PROGRAM, Operation, Param

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any

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
        try:
            invocation.arguments = operations.bind(invocation.operation, named, positionals, cli=True,
                                                   convert=_convert)
        except InvalidInput as exc:
            if exc.hint is None and positionals:
                # A value of the wrong kind among positional arguments is most often an
                # argument in the wrong place: show where each one goes.
                exc.hint = f"usage: {operations.usage(invocation.operation)}"
            raise
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


def _convert(param: Param, value: Any) -> Any:
    if param.kind == "int" and isinstance(value, str):
        from ..util.validation import is_whole_number

        text = value.strip()
        if not is_whole_number(text):
            from ..errors import InvalidInput

            raise InvalidInput(f"{param.name} must be a whole number, got {value!r}")
        return int(text)
    if param.kind == "json" and isinstance(value, str):
        from ..util.validation import parse_json

        return parse_json(_read_json_source(param, value), param.name)
    return value


def _read_json_source(param: Param, value: str) -> str:
    """``-`` reads the JSON from stdin and ``@path`` from a file (no shell quoting needed)."""
    from ..errors import InvalidInput

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
