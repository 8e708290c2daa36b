"""`bazinga-db doctor` and `bazinga-db backup DEST`: checking and copying a live database.

Both are tool commands (``frontends/commands.py``): the CLI imports this module only when
one of them runs. Neither creates, migrates nor writes the source. ``doctor`` also checks a
PostgreSQL database (connection, server version, schema version, orphan rows) through a
read-only connection; backups of PostgreSQL are the server's business (``pg_dump``).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..core import Store

from ..db.backends import is_postgres_url
from ..db.backends.sqlite import APPLICATION_ID, BUSY_TIMEOUT_MS, quote_path, translate_error
from ..db.migrations import LATEST_VERSION
from ..db.paths import resolve_target
from ..db.schema import SESSION_TABLES
from ..errors import BackendUnavailable, BazingaError, DatabaseError, InvalidInput

# A WAL this large means checkpoints are being starved (a reader that never lets go).
WAL_WARNING_BYTES = 64 * 1024 * 1024


def sqlite_path(db: str | None, command: str) -> str:
    """The existing SQLite file ``db`` names (--db, else the default); ``command`` names the caller."""
    target = resolve_target(db)
    if is_postgres_url(target):
        raise BackendUnavailable(
            f"{command} works on SQLite files; for PostgreSQL use the server's own tools",
            hint="pg_dump --format=custom --file=bazinga.dump URL (restore with pg_restore)",
        )
    if os.path.isdir(target):
        raise DatabaseError(f"--db {target} is a directory, not a database file")
    if not os.path.exists(target):
        raise DatabaseError(f"no database at {target}", hint="check --db or $BAZINGA_DB")
    return target


def _connect_existing(path: str) -> sqlite3.Connection:
    """Open without ever creating the file (mode=rw), with a busy timeout for live files."""
    try:
        connection = sqlite3.connect(
            "file:" + quote_path(os.path.abspath(path)) + "?mode=rw", uri=True,
            timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
        )
    except sqlite3.Error as exc:
        raise translate_error(exc, path) from exc
    connection.row_factory = sqlite3.Row
    return connection


# -- doctor ----------------------------------------------------------------------------


def diagnose_target(db: str | None) -> dict[str, Any]:
    """``doctor`` on what ``db`` names (--db, else the default): a file or a PostgreSQL URL."""
    target = resolve_target(db)
    if is_postgres_url(target):
        return diagnose_postgres(target)
    return diagnose(sqlite_path(target, "doctor"))


def check_integrity(db: Store) -> dict[str, Any]:
    """``doctor``'s checks of the database ``db`` is open on (the public project's name)."""
    return diagnose_target(getattr(db.backend, "url", db.location))  # a URL with its password


def diagnose_postgres(url: str) -> dict[str, Any]:
    """Check a PostgreSQL database through a read-only connection; never writes to it.

    An unreachable server is a failed check (exit 1), not an exception, so a monitoring
    job reads one report whatever happened.
    """
    from ..db.backends.postgres import PostgresBackend

    checks: list[dict[str, Any]] = []

    def check(name: str, ok: bool, detail: str, *, severity: str = "error") -> None:
        checks.append({"check": name, "status": "ok" if ok else severity, "detail": detail})

    backend = PostgresBackend(url, read_only=True)
    report: dict[str, Any] = {"database": backend.location, "backend": "postgres", "checks": checks}
    try:
        try:
            with backend.read() as tx:
                about = tx.one(
                    "SELECT current_setting('server_version') AS server_version, current_user AS user_name, "
                    "current_database() AS database_name, pg_database_size(current_database()) AS bytes"
                )
        except BazingaError as exc:
            check("connection", False, exc.message)
            return _finish(report)
        assert about is not None
        report["server_version"] = about["server_version"]
        report["database_bytes"] = about["bytes"]
        check("connection", True, f"{backend.server}, database {about['database_name']}, user {about['user_name']}")
        major = int(str(about["server_version"]).split(".")[0].split()[0] or 0)
        check("server_version", major >= 12, f"PostgreSQL {about['server_version']}"
              + ("" if major >= 12 else ": bazinga-db needs 12 or newer"))

        version = backend.schema_version()
        report["schema_version"] = version
        report["latest_schema_version"] = LATEST_VERSION
        with backend.read() as tx:
            tables = {row["table_name"] for row in tx.all(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            )}
            recorded = None
            if "_migrations" in tables:
                recorded = tx.one("SELECT MAX(id) AS version FROM _migrations")["version"]  # type: ignore[index]
            if version == 0:
                check("schema_version", False, "no bazinga-db schema yet: the first write creates it",
                      severity="warning")
            elif version > LATEST_VERSION:
                check("schema_version", False,
                      f"version {version} is newer than this bazinga-db ({LATEST_VERSION}): upgrade before writing")
            elif version < LATEST_VERSION:
                check("schema_version", False,
                      f"version {version}, latest {LATEST_VERSION}: the next write migrates it "
                      "(or run `bazinga-db migrate`)", severity="warning")
            else:
                check("schema_version", recorded == version,
                      f"version {version} (latest)" if recorded == version
                      else f"the table comment says version {version} but _migrations records {recorded}")
            orphans: dict[str, int] = {}
            if "sessions" in tables:
                for table in SESSION_TABLES:
                    if table in tables:
                        count = tx.one(
                            f"SELECT COUNT(*) AS n FROM {table} t WHERE NOT EXISTS "
                            "(SELECT 1 FROM sessions s WHERE s.session_id = t.session_id)"
                        )["n"]  # type: ignore[index]
                        if count:
                            orphans[table] = count
                if {"task_group_events", "task_groups"} <= tables:
                    count = tx.one(
                        "SELECT COUNT(*) AS n FROM task_group_events e WHERE NOT EXISTS ("
                        "SELECT 1 FROM task_groups g WHERE g.session_id = e.session_id AND g.id = e.group_id)"
                    )["n"]  # type: ignore[index]
                    if count:
                        orphans["task_group_events (no task group)"] = count
            report["orphans"] = orphans
            check("orphan_rows", not orphans,
                  "none" if not orphans else ", ".join(f"{table}: {count}" for table, count in orphans.items()))
            # A transaction left open blocks its session's writers (and every global write).
            stuck = tx.one(
                "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() "
                "AND state = 'idle in transaction' AND now() - state_change > interval '60 seconds'"
            )["n"]  # type: ignore[index]
            check("idle_transactions", not stuck,
                  "none" if not stuck else f"{stuck} connection(s) idle in a transaction for over a minute "
                  "(they may hold write locks)", severity="warning")
    except BazingaError as exc:
        check("read", False, exc.message)
    finally:
        backend.close()
    return _finish(report)


def diagnose(path: str) -> dict[str, Any]:
    """Run every check on the SQLite file at ``path``; never writes to it."""
    checks: list[dict[str, Any]] = []

    def check(name: str, ok: bool, detail: str, *, severity: str = "error") -> None:
        checks.append({"check": name, "status": "ok" if ok else severity, "detail": detail})

    report: dict[str, Any] = {"database": path, "checks": checks}
    wal = path + "-wal"
    wal_bytes = os.path.getsize(wal) if os.path.exists(wal) else 0
    report["file_bytes"] = os.path.getsize(path)
    report["wal_bytes"] = wal_bytes
    connection = _connect_existing(path)
    try:
        try:
            header = connection.execute(
                "SELECT application_id, user_version FROM pragma_application_id, pragma_user_version"
            ).fetchone()
            rows = connection.execute("PRAGMA integrity_check").fetchall()
        except sqlite3.DatabaseError as exc:
            check("integrity", False, f"cannot read the file: {exc}")
            return _finish(report)
        problems = [row[0] for row in rows]
        check("integrity", problems == ["ok"],
              "ok" if problems == ["ok"] else f"{len(problems)} problem(s): " + "; ".join(problems[:5]))

        version = int(header["user_version"]) if header["application_id"] == APPLICATION_ID else 0
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        report["schema_version"] = version
        report["latest_schema_version"] = LATEST_VERSION
        if header["application_id"] != APPLICATION_ID and tables:
            check("schema_version", False,
                  "not yet a bazinga-db file (another tool's schema); the next write migrates it",
                  severity="warning")
        elif version > LATEST_VERSION:
            check("schema_version", False,
                  f"version {version} is newer than this bazinga-db ({LATEST_VERSION}): upgrade before writing")
        elif version < LATEST_VERSION:
            check("schema_version", False,
                  f"version {version}, latest {LATEST_VERSION}: the next write migrates it "
                  "(or run `bazinga-db migrate`)", severity="warning")
        else:
            recorded = None
            if "_migrations" in tables:
                recorded = connection.execute("SELECT MAX(id) FROM _migrations").fetchone()[0]
            check("schema_version", recorded == version,
                  f"version {version} (latest)" if recorded == version
                  else f"header says version {version} but _migrations records {recorded}")

        check("wal_size", wal_bytes < WAL_WARNING_BYTES,
              f"{wal_bytes:,} bytes" + ("" if wal_bytes < WAL_WARNING_BYTES else
                                        ": a long-running reader may be blocking checkpoints"),
              severity="warning")

        violations = connection.execute("PRAGMA foreign_key_check").fetchall()
        check("foreign_keys", not violations,
              "no violations" if not violations else
              f"{len(violations)} row(s) point at missing parents, e.g. "
              + ", ".join(f"{row[0]} rowid {row[1]} → {row[2]}" for row in violations[:5]))

        orphans: dict[str, int] = {}
        if "sessions" in tables:
            for table in SESSION_TABLES:
                if table in tables:
                    count = connection.execute(
                        f"SELECT COUNT(*) FROM {table} WHERE session_id NOT IN (SELECT session_id FROM sessions)"
                    ).fetchone()[0]
                    if count:
                        orphans[table] = count
            if {"task_group_events", "task_groups"} <= tables:
                count = connection.execute(
                    "SELECT COUNT(*) FROM task_group_events e WHERE NOT EXISTS ("
                    "SELECT 1 FROM task_groups g WHERE g.session_id = e.session_id AND g.id = e.group_id)"
                ).fetchone()[0]
                if count:
                    orphans["task_group_events (no task group)"] = count
        report["orphans"] = orphans
        check("orphan_rows", not orphans,
              "none" if not orphans else ", ".join(f"{table}: {count}" for table, count in orphans.items()))
    finally:
        connection.close()
    return _finish(report)


def _finish(report: dict[str, Any]) -> dict[str, Any]:
    report["ok"] = all(item["status"] != "error" for item in report["checks"])
    return report


# -- backup ----------------------------------------------------------------------------


def backup(source: str, destination: str, *, force: bool = False) -> dict[str, Any]:
    """Copy the live database at ``source`` to ``destination``; return what was written.

    The copy is one read transaction of SQLite's online backup API, so it is a consistent
    snapshot even while agents write (in WAL mode they are not blocked). It is written to
    a temporary file beside ``destination``, checked, and only then renamed into place:
    an interrupted backup never leaves a half-written file under the destination's name.
    """
    destination = os.path.abspath(os.path.expanduser(destination))
    if os.path.isdir(destination):
        destination = os.path.join(destination, os.path.basename(source))
    if os.path.exists(destination):
        if os.path.samefile(destination, source):
            raise InvalidInput(f"backup destination {destination} is the database itself")
        if not force:
            raise InvalidInput(
                f"backup destination {destination} already exists; nothing was written",
                hint="add --force to overwrite it, or choose another file name",
            )
    folder = os.path.dirname(destination)
    if not os.path.isdir(folder):
        raise InvalidInput(f"backup destination folder {folder} does not exist")
    handle, temporary = tempfile.mkstemp(prefix=".bazinga-backup-", suffix=".db", dir=folder)
    os.close(handle)
    try:
        source_connection = _connect_existing(source)
        try:
            target = sqlite3.connect(temporary, isolation_level=None)
            try:
                # pages=-1: the whole file in one step, i.e. one consistent snapshot.
                source_connection.backup(target, pages=-1)
                integrity = target.execute("PRAGMA integrity_check").fetchone()[0]
                version = target.execute("PRAGMA user_version").fetchone()[0]
                counts = {
                    name: target.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]
                    for (name,) in target.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                        "ORDER BY name"
                    ).fetchall()
                }
            finally:
                target.close()
        finally:
            source_connection.close()
        if integrity != "ok":
            raise DatabaseError(f"the backup copy failed its integrity check ({integrity}); nothing was kept")
        os.replace(temporary, destination)
    except sqlite3.Error as exc:
        raise translate_error(exc, source) from exc
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return {
        "source": source,
        "destination": destination,
        "bytes": os.path.getsize(destination),
        "schema_version": version,
        "integrity": integrity,
        "rows": counts,
    }


__all__ = ["backup", "diagnose", "diagnose_postgres", "diagnose_target", "sqlite_path"]
