"""One writer per process: writes from many threads grouped into few transactions.

Task states are queued as plain rows and committed shortly after they happen,
so a task's orchestration costs no database round trip on its own thread.
Work that must see the database (a flow run's transition, a cache lookup) is
submitted as a function and runs in order after everything queued before it:
the queue is the single, ordered path of every write this process makes.

A run created and updated within one batch is inserted once, with its latest
progress; everything else keeps its order. ``flush()`` returns when all that
was queued before it is committed, and raises if any of it could not be.
"""

from __future__ import annotations

import atexit
import collections
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection

from baton.exceptions import StorageError
from baton.storage.batch import Op, WriteBatch
from baton.storage.database import Database

T = TypeVar("T")
logger = logging.getLogger("baton.storage")

# How often a batch is tried again when the database fails, before it is given up.
WRITE_ATTEMPTS = 5
# Producers wait when this many writes are queued, so memory stays bounded.
MAX_QUEUED = 10_000


class _Call(Generic[T]):
    """A function to run in its own transaction, with its outcome for the waiting caller."""

    def __init__(self, fn: Callable[[Connection], T]) -> None:
        self.fn = fn
        self.done = threading.Event()
        self.value: T | None = None
        self.error: BaseException | None = None

    def wait(self) -> T:
        self.done.wait()
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


class BatchWriter:
    """The process's single, ordered path for writes to one database."""

    def __init__(self, db: Database, gather_seconds: float = 0.02) -> None:
        self.db = db
        self.gather_seconds = gather_seconds
        self._queue: collections.deque[Any] = collections.deque()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._failure: BaseException | None = None
        self._lost = 0

    # -- producers ---------------------------------------------------------
    def enqueue(self, *item: Any) -> None:
        """Queue one row write (see ``WriteBatch`` for the operations)."""
        self._put(item, urgent=False)

    def enqueue_many(self, items: list[Op]) -> None:
        """Queue several row writes at once, in order."""
        with self._cond:
            self._check_open()
            was_empty = not self._queue
            self._queue.extend(items)
            if was_empty:
                self._cond.notify()
            self._hold_back()

    def call(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` in a write transaction after all queued writes; return its result."""
        call = _Call(fn)
        self._put(call, urgent=True)
        return call.wait()

    def flush(self) -> None:
        """Return once everything queued so far is committed; raise if some could not be."""
        if self._thread is None and not self._queue:
            self._raise_failure()
            return
        self.call(lambda conn: None)
        self._raise_failure()

    def close(self) -> None:
        """Commit what is queued and stop the writer thread."""
        with self._cond:
            if self._closed:
                return
        try:
            self.flush()
        except StorageError as error:
            logger.error("%s", error)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=self.db.timeout)

    def _put(self, item: Any, urgent: bool) -> None:
        with self._cond:
            self._check_open()
            was_empty = not self._queue
            self._queue.append(item)
            if urgent or was_empty:
                self._cond.notify()
            self._hold_back()

    def _hold_back(self) -> None:
        """Make a producer wait while the queue is full (never the writer itself)."""
        if len(self._queue) > MAX_QUEUED and threading.current_thread() is not self._thread:
            self._cond.wait_for(lambda: len(self._queue) <= MAX_QUEUED // 2)

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError("the database writer is closed")
        if self._thread is None:
            self._start()

    def _raise_failure(self) -> None:
        with self._cond:
            failure, lost = self._failure, self._lost
            self._failure, self._lost = None, 0
        if failure is not None:
            raise StorageError(
                f"{lost} background write(s) to {self.db.describe()} could not be committed: "
                f"{failure}"
            ) from failure

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="baton-writer", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    # -- the writer thread -------------------------------------------------
    def _take(self) -> list[Any] | None:
        with self._cond:
            while not self._queue:
                if self._closed:
                    return None
                self._cond.wait()
            if self.gather_seconds and not any(isinstance(i, _Call) for i in self._queue):
                self._cond.wait(timeout=self.gather_seconds)
            items = list(self._queue)
            self._queue.clear()
            self._cond.notify_all()  # producers held back by a full queue may go on
            return items

    def _run(self) -> None:
        while (items := self._take()) is not None:
            batch = WriteBatch()
            for item in items:
                if isinstance(item, _Call):
                    self._commit(batch)
                    batch = WriteBatch()
                    self._run_call(item)
                else:
                    batch.add(item)
            self._commit(batch)

    def _commit(self, batch: WriteBatch) -> None:
        if not batch.size:
            return
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                with self.db.write() as conn:
                    batch.write(conn)
                return
            except StorageError as error:
                if attempt == WRITE_ATTEMPTS:
                    self._fail(batch, error)
                    return
                time.sleep(min(2.0, 0.05 * 2**attempt))
            except Exception as error:  # a bug, not a fault: report it, keep the writer alive
                self._fail(batch, error)
                return

    def _fail(self, batch: WriteBatch, error: BaseException) -> None:
        logger.error("could not commit %d queued write(s): %s", batch.size, error)
        with self._cond:
            self._failure = error
            self._lost += batch.size

    def _run_call(self, call: _Call[Any]) -> None:
        try:
            with self.db.write() as conn:
                call.value = call.fn(conn)
        except BaseException as error:
            call.error = error
        finally:
            call.done.set()
