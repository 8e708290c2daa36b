"""A private, throwaway PostgreSQL server for the tests: initdb + pg_ctl on 127.0.0.1.

Started once per test run (about two seconds) in a temporary folder, as the ``postgres``
user when the tests run as root (PostgreSQL refuses to run as root), and removed at the
end. Each test gets a database of its own, created from template0 in a few milliseconds.
``BAZINGA_TEST_PG_BIN`` names the folder of initdb and pg_ctl; ``BAZINGA_TEST_POSTGRES_URL``
(a superuser URL) uses an existing server instead.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from typing import Any

import pytest

# Durability is pointless for a throwaway server, and fsync dominates its run time.
SERVER_SETTINGS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"


def unavailable(reason: str) -> None:
    """Skip, with one line saying why; under CI a missing PostgreSQL is a failure."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"PostgreSQL tests cannot run under CI: {reason}", pytrace=False)
    pytest.skip(reason)


def find_bin_dir() -> str | None:
    """The folder holding initdb and pg_ctl (Debian keeps them off PATH)."""
    chosen = os.environ.get("BAZINGA_TEST_PG_BIN")
    candidates = [chosen] if chosen else []  # when given, the only place looked at
    initdb = None if chosen else shutil.which("initdb")
    if initdb:
        candidates.append(os.path.dirname(initdb))
    if not chosen:
        candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
        candidates += glob.glob("/usr/local/pgsql/bin") + sorted(glob.glob("/opt/homebrew/opt/postgresql*/bin"))
    for folder in candidates:
        if folder and os.path.exists(os.path.join(folder, "initdb")) and os.path.exists(os.path.join(folder, "pg_ctl")):
            return folder
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    def __init__(self, admin_url: str, *, folder: str | None = None, stop_command: list[str] | None = None) -> None:
        import psycopg

        self.admin_url = admin_url
        self.folder = folder
        self._stop_command = stop_command
        self._admin = psycopg.connect(admin_url, autocommit=True)
        self._counter = itertools.count(1)
        self._icu = True

    def url(self, database: str) -> str:
        base, _, _ = self.admin_url.rpartition("/")
        return f"{base}/{database}"

    def create_database(self) -> str:
        """A new empty database. Its default collation is ICU en-US when available, so the
        tests would see it if our text columns sorted by the locale instead of by bytes."""
        import psycopg

        name = f"bazinga_test_{os.getpid()}_{next(self._counter)}"
        plain = f'CREATE DATABASE "{name}" TEMPLATE template0 STRATEGY FILE_COPY'
        if self._icu:
            try:
                self._admin.execute(plain + " LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'")
                return name
            except psycopg.Error:  # a server built without ICU
                self._icu = False
        self._admin.execute(plain)
        return name

    def drop_database(self, name: str) -> None:
        self._admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def execute(self, sql: str, database: str | None = None) -> list[tuple[Any, ...]]:
        """Run SQL as the superuser (in ``database``, else the admin database)."""
        import psycopg

        if database is None:
            cursor = self._admin.execute(sql)
            return cursor.fetchall() if cursor.description else []
        with psycopg.connect(self.url(database), autocommit=True) as connection:
            cursor = connection.execute(sql)
            return cursor.fetchall() if cursor.description else []

    def stop(self) -> None:
        self._admin.close()
        if self._stop_command:
            subprocess.run(self._stop_command, capture_output=True, timeout=60, cwd=self.folder, check=False)
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)


def start_postgres_server() -> PostgresServer:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("psycopg is not installed: pip install '.[postgres]'")
    existing = os.environ.get("BAZINGA_TEST_POSTGRES_URL")
    if existing:
        return PostgresServer(existing)
    bin_dir = find_bin_dir()
    if bin_dir is None:
        unavailable("PostgreSQL binaries (initdb, pg_ctl) not found: apt-get install postgresql")
    assert bin_dir is not None
    folder = tempfile.mkdtemp(prefix="bazinga-pg-")
    run_as: list[str] = []
    if os.geteuid() == 0:
        import pwd

        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(folder)
            unavailable("running as root, and there is no postgres user to run the test server as")
        os.chown(folder, account.pw_uid, account.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data = os.path.join(folder, "data")
    log = os.path.join(folder, "server.log")
    initdb = subprocess.run(
        run_as + [os.path.join(bin_dir, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync"],
        capture_output=True, text=True, cwd=folder, timeout=120, check=False,
    )
    if initdb.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"initdb failed: {initdb.stderr.strip()}", pytrace=False)
    pg_ctl = run_as + [os.path.join(bin_dir, "pg_ctl"), "-D", data]
    for _attempt in range(3):  # the free port may be taken between probing and binding
        port = free_port()
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} {SERVER_SETTINGS}"
        started = subprocess.run(
            pg_ctl + ["-l", log, "-w", "-t", "60", "-o", options, "start"],
            capture_output=True, text=True, cwd=folder, timeout=120, check=False,
        )
        if started.returncode == 0:
            return PostgresServer(
                f"postgresql://postgres@127.0.0.1:{port}/postgres",
                folder=folder, stop_command=pg_ctl + ["-m", "immediate", "stop"],
            )
    with open(log, encoding="utf-8", errors="replace") as handle:
        tail = handle.read()[-2000:]
    shutil.rmtree(folder, ignore_errors=True)
    pytest.fail(f"the PostgreSQL test server did not start: {tail}", pytrace=False)
    raise AssertionError("unreachable")
