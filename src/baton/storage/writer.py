"""One writer per process: writes from many threads grouped into few transactions.

Task states are queued as plain rows and committed shortly after they happen,
so a task's orchestration costs no database round trip on its own thread.
Work that must see the database (a flow run's transition, a cache lookup) is
submitted as a function and runs in order after everything queued before it:
the queue is the single, ordered path of every write this process makes.
Functions submitted while the writer was busy run together in one transaction,
each in a savepoint of its own (group commit): one commit serves many callers,
and one caller's error undoes only its own work. Callers on an event loop
await ``call_async`` instead of blocking a thread; on SQLite their calls run on
the loop's own thread while the writer thread has nothing queued.

A run created and updated within one batch is inserted once, with its latest
progress; everything else keeps its order. ``flush()`` returns when all that
was queued before it is committed, and raises if any of it could not be.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, exc

from baton.exceptions import StorageError
from baton.storage.batch import Op, WriteBatch
from baton.storage.database import Database, WriterBusy

T = TypeVar("T")
logger = logging.getLogger("baton.storage")

# How often a batch is tried again when the database fails, before it is given up.
WRITE_ATTEMPTS = 5
# Producers wait when this many writes are queued, so memory stays bounded.
MAX_QUEUED = 10_000
# The writer thread ends after this long with nothing to do; the next write starts it again.
IDLE_SECONDS = 10.0


class _Call(Generic[T]):
    """A function to run in a write transaction, with its outcome for the waiting caller.

    A caller on an event loop passes a future of that loop; any other caller
    waits on an event.
    """

    def __init__(
        self, fn: Callable[[Connection], T], future: asyncio.Future[T] | None = None
    ) -> None:
        self.fn = fn
        self.future = future
        self.done = threading.Event() if future is None else None
        self.value: T | None = None
        self.error: BaseException | None = None

    def wait(self) -> T:
        assert self.done is not None
        self.done.wait()
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]

    def resolve_future(self) -> None:
        """Hand the outcome to the awaiting coroutine (on its loop's thread)."""
        assert self.future is not None
        if self.future.cancelled():
            return
        if self.error is not None:
            self.future.set_exception(self.error)
        else:
            self.future.set_result(self.value)  # type: ignore[arg-type]


def _resolve_futures(calls: list[_Call[Any]]) -> None:
    for call in calls:
        call.resolve_future()


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
        self._busy = False  # the writer thread holds items it has not finished writing
        # Calls to run on their event loop's thread when its turn ends, by loop.
        self._on_loop: dict[asyncio.AbstractEventLoop, list[_Call[Any]]] = {}
        self._exit_registered = False

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

    async def call_async(self, fn: Callable[[Connection], T]) -> T:
        """``call`` for a coroutine: the event loop goes on serving while ``fn`` runs.

        On SQLite, while nothing is queued for the writer thread, calls run on the
        loop's own thread instead: those made in one turn of the loop share one
        transaction, run as soon as the turn ends. A transaction there costs less
        than handing it to the writer thread and back. Should another thread or
        process hold the database, they are queued for the writer thread as usual,
        so the loop never waits for a lock.
        """
        loop = asyncio.get_running_loop()
        call: _Call[T] = _Call(fn, loop.create_future())
        assert call.future is not None
        if self.db.is_sqlite and self._idle():
            turn = self._on_loop.setdefault(loop, [])
            turn.append(call)
            if len(turn) == 1:
                loop.call_soon(self._run_on_loop, loop)
        else:
            self._put(call, urgent=True)
        return await call.future

    def _run_on_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        calls = self._on_loop.pop(loop)
        try:
            self._write_group(calls, wait=False)
        except WriterBusy:
            try:
                for call in calls:
                    self._put(call, urgent=True)
                return
            except StorageError as error:  # the writer is closed
                for call in calls:
                    call.error = error
        _resolve_futures(calls)

    def flush(self) -> None:
        """Return once everything queued so far is committed; raise if some could not be."""
        with self._cond:
            idle = not self._queue and not self._busy
        if idle:
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

    def _idle(self) -> bool:
        with self._cond:
            return not self._queue and not self._busy and not self._closed

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
        if not self._exit_registered:
            self._exit_registered = True
            atexit.register(self.close)

    # -- the writer thread -------------------------------------------------
    def _take(self) -> list[Any] | None:
        """The next items to write; ``None`` when closed, or idle for ``IDLE_SECONDS``."""
        with self._cond:
            while not self._queue:
                if self._closed:
                    return None
                if not self._cond.wait(timeout=IDLE_SECONDS) and not self._queue:
                    self._thread = None  # the next producer starts a new one
                    return None
            if self.gather_seconds and not any(isinstance(i, _Call) for i in self._queue):
                self._cond.wait(timeout=self.gather_seconds)
            items = list(self._queue)
            self._busy = True
            self._queue.clear()
            self._cond.notify_all()  # producers held back by a full queue may go on
            return items

    def _run(self) -> None:
        while (items := self._take()) is not None:
            batch = WriteBatch()
            calls: list[_Call[Any]] = []
            for item in items:
                if isinstance(item, _Call):
                    self._commit(batch)
                    batch = WriteBatch()
                    calls.append(item)
                else:
                    self._run_calls(calls)
                    calls = []
                    batch.add(item)
            self._commit(batch)
            self._run_calls(calls)
            with self._cond:
                self._busy = False

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

    def _run_calls(self, calls: list[_Call[Any]]) -> None:
        """Run ``calls`` in one transaction; each learns its outcome once it is committed."""
        if not calls:
            return
        try:
            self._write_group(calls, wait=True)
        finally:
            self._settle(calls)

    def _write_group(self, calls: list[_Call[Any]], *, wait: bool) -> None:
        """Run ``calls`` in one write transaction, recording each one's outcome.

        If the transaction itself fails, nothing was committed and every caller
        hears why; ``WriterBusy`` (with ``wait=False``) means nothing was run.
        """
        try:
            with self.db.write(wait=wait) as conn:
                self._run_group(conn, calls)
        except WriterBusy:
            raise
        except BaseException as error:
            for call in calls:
                if call.error is None:
                    call.error = error

    def _run_group(self, conn: Connection, calls: list[_Call[Any]]) -> None:
        """Run ``calls`` in ``conn``'s transaction, each in a savepoint if there are several."""
        if len(calls) == 1:
            calls[0].value = calls[0].fn(conn)
            return
        with contextlib.closing(_Savepoints(self.db, conn)) as savepoints:
            for call in calls:
                savepoints.run(call)

    @staticmethod
    def _settle(calls: list[_Call[Any]]) -> None:
        waiting: dict[asyncio.AbstractEventLoop, list[_Call[Any]]] = {}
        for call in calls:
            if call.done is not None:
                call.done.set()
            elif call.future is not None:
                waiting.setdefault(call.future.get_loop(), []).append(call)
        for loop, settled in waiting.items():
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting
                loop.call_soon_threadsafe(_resolve_futures, settled)


class _Savepoints:
    """Runs the calls of a group one by one; one call's error undoes its work alone.

    The savepoint statements go straight to the driver: SQLAlchemy's nested
    transactions cost several times more than the statements themselves, once
    per proposal. A fault of the database itself is not the caller's: it ends
    the whole group.
    """

    def __init__(self, db: Database, conn: Connection) -> None:
        self.db = db
        self.conn = conn
        self.cursor = conn.connection.cursor()

    def run(self, call: _Call[Any]) -> None:
        self._execute("SAVEPOINT baton_call")
        try:
            call.value = call.fn(self.conn)
        except exc.DBAPIError as error:
            if not isinstance(error, (exc.IntegrityError, exc.DataError)):
                raise
            call.error = error
        except Exception as error:
            call.error = error
        if call.error is not None:
            self._execute("ROLLBACK TO SAVEPOINT baton_call")
        self._execute("RELEASE SAVEPOINT baton_call")

    def close(self) -> None:
        self.cursor.close()

    def _execute(self, statement: str) -> None:
        try:
            self.cursor.execute(statement)
        except Exception as error:  # the driver's own error: the database failed
            raise StorageError(f"database {self.db.describe()} failed: {error}") from error
