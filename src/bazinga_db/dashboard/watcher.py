"""Noticing that agents wrote something, cheaply, without reading any table.

SQLite (``ChangeWatcher``): one read-only connection is held open and asked ``PRAGMA
data_version`` a few times a second: SQLite changes that number whenever another
connection commits, and answering it takes no lock an agent could wait for. The file's
inode is watched too, so a database deleted and created anew (``make demo`` does that) is
picked up.

PostgreSQL (``ListenWatcher``): every write transaction sends ``NOTIFY bazinga_db_changes``
with its COMMIT, and one autocommit connection of our own LISTENs: the server pushes each
commit to us, so nothing is polled. LISTEN needs no privilege, so a read-only role works.

Both offer the same interface: ``version``, ``wait_for_change``, ``start``/``stop``,
``stopping``.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from typing import Any

from ..db.backends.sqlite import quote_path

POLL_SECONDS = 0.1
# ListenWatcher: how often the wait for a notification looks up to see whether to stop,
# and after how many quiet seconds it checks that the connection is still alive (a
# silently dropped network would otherwise leave it listening to nothing).
LISTEN_SLICE_SECONDS = 0.5
LISTEN_PING_SECONDS = 10.0
LISTEN_RETRY_MAX_SECONDS = 2.0


class _Watcher(threading.Thread):
    """The part every watcher shares: a version that listeners wait on."""

    def __init__(self) -> None:
        super().__init__(name="bazinga-dashboard-watcher", daemon=True)
        #: Grows by one for every change noticed; listeners wait for it to move.
        self.version = 0
        self._condition = threading.Condition()
        self._stopping = threading.Event()

    def _bump(self) -> None:
        with self._condition:
            self.version += 1
            self._condition.notify_all()

    def stop(self) -> None:
        self._stopping.set()
        with self._condition:
            self._condition.notify_all()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def wait_for_change(self, seen: int, timeout: float) -> int:
        """Block until the version moves past ``seen`` (or ``timeout``); return the version."""
        with self._condition:
            self._condition.wait_for(lambda: self.version != seen or self._stopping.is_set(), timeout)
            return self.version


class ChangeWatcher(_Watcher):
    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = os.path.abspath(path)
        self._connection: sqlite3.Connection | None = None
        self._inode: tuple[int, int] | None = None
        self._data_version: int | None = None

    def run(self) -> None:
        while not self._stopping.wait(POLL_SECONDS):
            try:
                changed = self._poll()
            except sqlite3.Error:
                # The file may be mid-creation or replaced; start afresh on the next tick.
                self._close()
                self._inode = None
                changed = True
            if changed:
                self._bump()
        self._close()

    def _poll(self) -> bool:
        try:
            stat = os.stat(self.path)
        except OSError:
            stat = None
        inode = None if stat is None else (stat.st_dev, stat.st_ino)
        if inode != self._inode:
            self._close()
            self._inode = inode
            if inode is not None:
                self._open()
            return True
        if self._connection is None:
            return False
        value = int(self._connection.execute("PRAGMA data_version").fetchone()[0])
        changed = self._data_version is not None and value != self._data_version
        self._data_version = value
        return changed

    def _open(self) -> None:
        uri = "file:" + quote_path(self.path) + "?mode=ro"
        self._connection = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        self._data_version = int(self._connection.execute("PRAGMA data_version").fetchone()[0])

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection = None
        self._data_version = None


class ListenWatcher(_Watcher):
    """LISTEN on the channel every PostgreSQL write notifies; reconnects by itself."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        #: Connections opened so far (more than one: the watcher reconnected).
        self.connects = 0
        #: True while a connection is open and listening.
        self.listening = False

    def run(self) -> None:
        import psycopg

        from ..db.backends.postgres import NOTIFY_CHANNEL

        failures = 0
        while not self._stopping.is_set():
            try:
                connection = psycopg.connect(self.url, autocommit=True, connect_timeout=10,
                                             application_name="bazinga-db-dashboard")
            except psycopg.Error:
                # Server down or restarting (or not reachable yet): try again, quietly;
                # the pages themselves report what is wrong.
                failures += 1
                self._stopping.wait(min(LISTEN_RETRY_MAX_SECONDS, 0.05 * 2 ** min(failures, 6)))
                continue
            failures = 0
            try:
                connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
                self.listening = True
                self.connects += 1
                if self.connects > 1:
                    self._bump()  # commits made while we were not listening went unheard
                self._listen(connection)
            except psycopg.Error:
                pass  # the connection died (server restart, network): connect again
            finally:
                self.listening = False
                try:
                    connection.close()
                except psycopg.Error:
                    pass

    def _listen(self, connection: Any) -> None:
        quiet = 0.0
        while not self._stopping.is_set():
            # Returns at the first notification, or after the slice with none.
            heard = list(connection.notifies(timeout=LISTEN_SLICE_SECONDS, stop_after=1))
            if heard:
                # One bump for a burst: drain what has already arrived.
                heard += list(connection.notifies(timeout=0))
                self._bump()
                quiet = 0.0
                continue
            quiet += LISTEN_SLICE_SECONDS
            if quiet >= LISTEN_PING_SECONDS:
                connection.execute("SELECT 1")
                quiet = 0.0
