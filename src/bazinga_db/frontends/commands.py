"""Tool commands: the operations that are not one store call (``tool=True`` in the table).

Each is ``<method>_command(arguments, invocation, out, err) -> exit code``; the CLI finds it
by the operation's name. They print for themselves because they stream (export, batch),
serve (dashboard, MCP) or report on files (doctor, backup). Each imports what it needs
inside, so a command never pays for another's modules.
"""

from __future__ import annotations

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any, TextIO

    from .argv import Invocation


def export_command(arguments: dict[str, Any], invocation: Invocation, out: TextIO, err: TextIO) -> int:
    from ..errors import InvalidInput
    from ..store import BazingaDB
    from . import render

    output = arguments.get("output")
    if invocation.json and output is None:
        raise InvalidInput("with --json, give --output FILE: stdout then carries the one JSON summary")
    with BazingaDB(invocation.db) as db:
        summary = db.export(session_id=arguments.get("session_id"), format=arguments.get("format", "jsonl"),
                            output=output if output is not None else out)
    if invocation.json:
        print(render.dumps(summary), file=out)
    elif not invocation.quiet:
        print(render.export_summary(summary), file=err if output is None else out)
    return 0


def import_command(arguments: dict[str, Any], invocation: Invocation, out: TextIO, err: TextIO) -> int:
    from ..store import BazingaDB
    from . import render

    with BazingaDB(invocation.db) as db:
        report = db.import_(arguments["file"])
        notices = render.notice_lines(db.notices)
    if notices and not invocation.quiet:
        print("\n".join(notices), file=err)
    if invocation.json:
        print(render.dumps(report), file=out)
    elif not invocation.quiet:
        print(render.import_summary(report), file=out)
    return 0


def migrate_to_command(arguments: dict[str, Any], invocation: Invocation, out: TextIO, err: TextIO) -> int:
    from ..admin.copy import copy_database
    from . import render

    report = copy_database(invocation.db, arguments["target"], append=bool(arguments.get("append")))
    if invocation.json:
        print(render.dumps(report), file=out)
    elif not invocation.quiet:
        lines = [(
            f"✓ Copied {report['rows']} rows from {report['source']} to {report['target']} "
            "(row counts verified per table)"
        )]
        width = max(len(name) for name in report["tables"])
        lines += [f"  {name:<{width}}  {count}" for name, count in report["tables"].items()]
        for table, columns in report.get("skipped_columns", {}).items():
            lines.append(f"  note: {table} columns not in the schema were not copied: {', '.join(columns)}")
        print("\n".join(lines), file=out)
    return 0


def doctor_command(arguments: dict[str, Any], invocation: Invocation, out: TextIO, err: TextIO) -> int:
    """Exit 0 when healthy, 1 when something is wrong."""
    from ..admin.health import diagnose_target
    from .render import dumps

    report = diagnose_target(invocation.db)
    if invocation.json:
        print(dumps(report), file=out)
    else:
        symbols = {"ok": "✓", "warning": "!", "error": "✗"}
        lines = [f"{symbols[item['status']]} {item['check']}: {item['detail']}" for item in report["checks"]]
        verdict = "healthy" if report["ok"] else "PROBLEMS FOUND"
        lines.append(f"{'✓' if report['ok'] else '✗'} {report['database']}: {verdict}")
        print("\n".join(lines), file=out)
    return 0 if report["ok"] else 1


def integrity_check_command(arguments: dict[str, Any], invocation: Invocation, out: TextIO, err: TextIO) -> int:
    """``integrity-check``: doctor under the public project's name."""
    return doctor_command(arguments, invocation, out, err)


def backup_command(arguments: dict[str, Any], invocation: Invocation, out: TextIO, err: TextIO) -> int:
    from ..admin.health import backup, sqlite_path
    from ..errors import DatabaseError, InvalidInput
    from .render import dumps

    destination = arguments["destination"]
    if not isinstance(destination, str) or not destination.strip():
        raise InvalidInput("backup needs a destination file name")
    try:
        result = backup(sqlite_path(invocation.db, "backup"), destination, force=bool(arguments.get("force")))
    except OSError as exc:
        raise DatabaseError(f"cannot write backup {destination}: {exc.strerror}") from None
    if invocation.json:
        print(dumps(result), file=out)
    elif not invocation.quiet:
        total = sum(result["rows"].values())
        print(f"✓ Backup written: {result['destination']} ({result['bytes']:,} bytes, {total:,} rows, "
              f"schema version {result['schema_version']}, integrity ok)", file=out)
    return 0


def recover_db_command(arguments: dict[str, Any], invocation: Invocation, out: TextIO, err: TextIO) -> int:
    """Exit 0 when the file is healthy or a new file was written, 1 when nothing could be read."""
    from ..admin.recovery import recover_db
    from ..errors import DatabaseError
    from .render import dumps

    output = arguments.get("output")
    try:
        report = recover_db(invocation.db, output)
    except OSError as exc:
        raise DatabaseError(f"cannot write the recovered database {output or ''}: {exc.strerror}") from None
    if invocation.json:
        print(dumps(report), file=out)
    elif not invocation.quiet:
        if report["healthy"]:
            print(f"✓ {report['message']}", file=out)
        else:
            lines = [f"✓ Recovered into {report['recovered_database']}: {report['message']}"]
            width = max((len(name) for name in report["tables"]), default=0)
            for name, table in report["tables"].items():
                lost = "unknown" if table["lost"] is None else table["lost"]
                lines.append(f"  {name:<{width}}  {table['salvaged']} salvaged, {lost} lost, "
                             f"{table['orphans_skipped']} orphans skipped")
            lines.append(f"next step: {report['next_step']}")
            print("\n".join(lines), file=out)
    return 0


def install_skill_command(arguments: dict[str, Any], invocation: Invocation, out: TextIO, err: TextIO) -> int:
    from ..skill import confirmation, install_skill
    from .render import dumps

    result = install_skill(**arguments)
    if invocation.json:
        print(dumps(result), file=out)
    elif not invocation.quiet:
        print(confirmation(result), file=out)
    return 0


def batch_command(arguments: dict[str, Any], invocation: Invocation, out: TextIO, err: TextIO) -> int:
    from .batch import run

    return run(arguments, invocation, out, err)


def dashboard_command(arguments: dict[str, Any], invocation: Invocation, out: TextIO, err: TextIO) -> int:
    from ..dashboard.server import run_command

    return run_command(arguments, invocation, out, err)


def mcp_command(arguments: dict[str, Any], invocation: Invocation, out: TextIO, err: TextIO) -> int:
    from .mcp import serve_command

    return serve_command(arguments, invocation, out, err)


def hook_command(arguments: dict[str, Any], invocation: Invocation, out: TextIO, err: TextIO) -> int:
    """One Claude Code hook event from stdin. Never exit 2: Claude Code would keep the agent
    working. Success prints ``{}``; a failure prints one stderr line, writes nothing, exits 1."""
    import os
    import sys

    from ..skill.hooks import handle_event, read_event

    try:
        problem = handle_event(read_event(sys.stdin.buffer.read()), invocation.db)
    except Exception as exc:  # any failure: one line, exit 1, the agent carries on
        if os.environ.get("BAZINGA_DB_DEBUG"):
            raise  # a traceback and exit 1, still never 2
        message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        print(f"bazinga-db hook: {' '.join(str(message).split())}", file=err)
        return 1
    if problem:
        print(f"bazinga-db hook: {problem}", file=err)
    print("{}", file=out)
    return 0


def install_hooks_command(arguments: dict[str, Any], invocation: Invocation, out: TextIO, err: TextIO) -> int:
    from ..skill.hooks import confirmation, install_hooks
    from .render import dumps

    result = install_hooks(arguments.get("settings"))
    if invocation.json:
        print(dumps(result), file=out)
    elif not invocation.quiet:
        print(confirmation(result), file=out)
    return 0
