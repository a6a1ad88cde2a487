"""SQLite's WAL checkpoints, run on a thread of their own instead of inside a commit.

SQLite copies its write-ahead log back into the database file once the log
passes a thousand pages, inside whichever ``COMMIT`` crosses that line: that
commit then writes and syncs megabytes while its caller waits (on the server,
the event loop and every request behind it). Baton's write connection turns
that off, and a ``Checkpointer`` does the same work after every so many commits
on its own connection. A passive checkpoint blocks neither writers nor readers,
and the driver releases the interpreter lock while it runs.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

# Commits between checkpoints: each writes a few pages, so the log stays near the
# thousand pages at which SQLite itself would checkpoint.
CHECKPOINT_EVERY = 200


class Checkpointer:
    """Checkpoints the WAL of the database ``connect`` opens, every ``CHECKPOINT_EVERY``
    commits reported to ``committed``."""

    def __init__(self, connect: Callable[[], Any]) -> None:
        self._connect = connect
        self._commits = 0
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._done = threading.Condition()
        self.checkpoints = 0

    def committed(self) -> None:
        """Count a commit (called under the database's write lock)."""
        self._commits += 1
        if self._commits < CHECKPOINT_EVERY:
            return
        self._commits = 0
        if self._thread is None or not self._thread.is_alive():  # first, or after a fork
            self._stopping = False
            self._thread = threading.Thread(
                target=self._run, name="baton-wal-checkpoints", daemon=True
            )
            self._thread.start()
        self._wake.set()

    def wait_for(self, checkpoints: int, timeout: float) -> bool:
        """Whether ``checkpoints`` have run within ``timeout`` seconds."""
        with self._done:
            return self._done.wait_for(lambda: self.checkpoints >= checkpoints, timeout)

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stopping = True
            self._wake.set()
            thread.join(timeout=10)

    def _run(self) -> None:
        conn = self._connect()
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stopping:
                    return
                # A failed one is caught up by the next, or by SQLite when the last
                # connection closes.
                with contextlib.suppress(sqlite3.Error):
                    conn.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                with self._done:
                    self.checkpoints += 1
                    self._done.notify_all()
        finally:
            conn.close()
