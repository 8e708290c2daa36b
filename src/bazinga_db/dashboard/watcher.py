"""Noticing that agents wrote something, cheaply, without reading any table.

One read-only connection is held open and asked ``PRAGMA data_version`` a few times a
second: SQLite changes that number whenever another connection commits, and answering it
takes no lock an agent could wait for. The file's inode is watched too, so a database
deleted and created anew (``make demo`` does that) is picked up.
"""

from __future__ import annotations

import os
import sqlite3
import threading

from ..db.backends.sqlite import quote_path

POLL_SECONDS = 0.1


class ChangeWatcher(threading.Thread):
    def __init__(self, path: str) -> None:
        super().__init__(name="bazinga-dashboard-watcher", daemon=True)
        self.path = os.path.abspath(path)
        #: Grows by one for every change noticed; listeners wait for it to move.
        self.version = 0
        self._condition = threading.Condition()
        self._stopping = threading.Event()
        self._connection: sqlite3.Connection | None = None
        self._inode: tuple[int, int] | None = None
        self._data_version: int | None = None

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
                with self._condition:
                    self.version += 1
                    self._condition.notify_all()
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
