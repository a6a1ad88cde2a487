"""One database, SQLite or PostgreSQL, with writers that queue instead of failing.

SQLite: WAL journal, ``BEGIN IMMEDIATE`` for write transactions, a generous
busy timeout, and one writer at a time per process (a lock), so concurrent
writers wait their turn rather than raise "database is locked".
SQLite's writes share one connection, kept open: taking a pooled connection
and giving it back costs ten times the ``BEGIN``/``COMMIT`` it wraps. Its
commits leave WAL checkpoints to a thread of their own (``checkpoints``).
PostgreSQL: a pooled engine; row locks keep concurrent transitions consistent.
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import make_url

from baton.exceptions import ConfigurationError, StorageError
from baton.storage.checkpoints import Checkpointer
from baton.storage.encoding import execute_on_driver

# The page cache of SQLite's write connection, at most (it fills as pages are read).
WRITE_CACHE_KIB = 64 * 1024


class WriterBusy(Exception):
    """Another thread or process is writing, and the caller asked not to wait."""


class Database:
    """A configured engine plus the read and write transaction helpers."""

    def __init__(self, url: str, timeout: float = 60.0) -> None:
        try:
            self.url = make_url(url)
        except exc.ArgumentError as error:
            raise ConfigurationError(f"invalid database URL {url!r}: {error}") from None
        self.dialect = self.url.get_backend_name()
        self.timeout = timeout
        self._write_lock = threading.RLock() if self.is_sqlite else None
        self._write_conn: Connection | None = None  # SQLite's, used under the lock
        self.engine = self._create_engine()
        self.checkpointer = Checkpointer(self.engine.raw_connection) if self._has_wal() else None

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def _has_wal(self) -> bool:
        """A SQLite database in a file (in memory, there is no write-ahead log)."""
        path = self.url.database
        in_memory = path in (None, "", ":memory:") or self.url.query.get("mode") == "memory"
        return self.is_sqlite and not in_memory

    def describe(self) -> str:
        """The URL with any password hidden, for messages."""
        return self.url.render_as_string(hide_password=True)

    def _create_engine(self) -> Engine:
        if self.is_sqlite:
            return self._create_sqlite_engine()
        if self.dialect == "postgresql":
            url = self.url
            if url.drivername == "postgresql":
                url = url.set(drivername="postgresql+psycopg")
            try:
                return create_engine(
                    url,
                    pool_pre_ping=True,
                    pool_size=10,
                    max_overflow=20,
                    # psycopg counts whole seconds and reads 0 as "wait forever".
                    connect_args={"connect_timeout": max(1, math.ceil(self.timeout))},
                )
            except ModuleNotFoundError as error:
                raise ConfigurationError(
                    f"PostgreSQL needs a driver: pip install 'baton[postgres]' ({error})"
                ) from None
        raise ConfigurationError(
            f"unsupported database {self.describe()!r}: use sqlite:/// or postgresql://"
        )

    def _create_sqlite_engine(self) -> Engine:
        path = self.url.database
        if path and path != ":memory:" and not path.startswith("file:"):
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            self.url,
            connect_args={"timeout": self.timeout, "check_same_thread": False},
        )

        @event.listens_for(engine, "connect")
        def _configure(dbapi_conn: Any, _record: Any) -> None:
            # Let us issue BEGIN ourselves, so writes can take the lock up front.
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            _enter_wal(cursor, self.timeout)
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            if _driver_in_transaction(conn):  # begun by ``write`` already
                return
            write = conn.get_execution_options().get("baton_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for queries (a consistent snapshot while it is open)."""
        with self._translate_errors(), self.engine.connect() as conn:
            yield conn

    @contextlib.contextmanager
    def write(self, *, wait: bool = True) -> Iterator[Connection]:
        """A write transaction, committed on success and rolled back on error.

        ``wait=False`` raises ``WriterBusy`` at once, instead of waiting, while
        another thread of this process or (on SQLite) another process writes.
        """
        if self._write_lock is None:  # PostgreSQL: row locks, no writer of its own
            with (
                self._translate_errors(),
                self.engine.connect() as conn,
                conn.begin(),
            ):
                yield conn
            return
        if not self._write_lock.acquire(blocking=wait):
            raise WriterBusy()
        try:
            with self._translate_errors():
                conn = self._sqlite_write_connection()
                with self._sqlite_transaction(conn, wait):
                    yield conn
        finally:
            self._write_lock.release()

    def _sqlite_write_connection(self) -> Connection:
        conn = self._write_conn
        if conn is None or conn.closed or conn.invalidated:
            conn = self._write_conn = self.engine.connect()
            # Every write reads the pages of the indexes it updates: with SQLite's
            # default 2 MB cache, a database past that size reads them again each time.
            execute_on_driver(conn, f"PRAGMA cache_size = -{WRITE_CACHE_KIB}")
            if self.checkpointer is not None:
                execute_on_driver(conn, "PRAGMA wal_autocheckpoint = 0")
        return conn

    @contextlib.contextmanager
    def _sqlite_transaction(self, conn: Connection, wait: bool) -> Iterator[None]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` issued to the driver itself.

        SQLAlchemy's transaction bookkeeping costs more than these statements. A
        statement run through SQLAlchemy inside starts SQLAlchemy's transaction
        object on top of this one (the ``begin`` hook sees the driver's transaction
        and issues nothing), and it is ended here along with the driver's.
        """
        try:
            if not wait:  # fail at once if another process holds the write lock
                execute_on_driver(conn, "PRAGMA busy_timeout = 0")
            try:
                execute_on_driver(conn, "BEGIN IMMEDIATE")
            finally:
                if not wait:
                    execute_on_driver(conn, f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
        except exc.OperationalError as error:
            if not wait and "locked" in str(error.orig):
                raise WriterBusy() from None
            self._drop_write_connection()
            raise
        try:
            yield
        except BaseException:
            self._end_sqlite_transaction(conn, commit=False)
            raise
        self._end_sqlite_transaction(conn, commit=True)

    def _end_sqlite_transaction(self, conn: Connection, commit: bool) -> None:
        try:
            if conn.in_transaction():  # SQLAlchemy's ends the driver's too
                conn.commit() if commit else conn.rollback()
            elif _driver_in_transaction(conn):  # (DDL may have ended it already)
                execute_on_driver(conn, "COMMIT" if commit else "ROLLBACK")
        except exc.DBAPIError:
            self._drop_write_connection()  # closing it rolls back what is left
            raise
        if commit and self.checkpointer is not None:
            self.checkpointer.committed()

    def _drop_write_connection(self) -> None:
        """Close the kept connection after a fault: the next write opens a fresh one."""
        conn, self._write_conn = self._write_conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    @contextlib.contextmanager
    def _translate_errors(self) -> Iterator[None]:
        """Database faults become one clear ``StorageError``; user errors pass through."""
        try:
            yield
        except (exc.OperationalError, exc.DatabaseError) as error:
            if isinstance(error, (exc.IntegrityError, exc.DataError)):
                raise  # the data's fault, not the database's
            detail = str(error.orig) if error.orig is not None else str(error)
            raise StorageError(f"database {self.describe()} failed: {detail}") from error

    def dispose(self) -> None:
        with self._write_lock or contextlib.nullcontext():
            self._drop_write_connection()
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self.engine.dispose()


def _driver_in_transaction(conn: Connection) -> bool:
    driver = conn.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    return driver.in_transaction


def _enter_wal(cursor: Any, timeout: float) -> None:
    """Switch a SQLite database to WAL, waiting for processes switching it at the same time.

    SQLite answers "database is locked" to this pragma at once, without its busy
    timeout, while another connection is busy with a new database, so several
    processes opening one new file together wait their turn here instead.
    """
    import sqlite3

    deadline = time.monotonic() + timeout
    pause = 0.01
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.25)
