"""One database, SQLite or PostgreSQL, with writers that queue instead of failing.

SQLite: WAL journal, ``BEGIN IMMEDIATE`` for write transactions, a generous
busy timeout, and one writer at a time per process (a lock), so concurrent
writers wait their turn rather than raise "database is locked".
PostgreSQL: a pooled engine; row locks keep concurrent transitions consistent.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import make_url

from baton.exceptions import ConfigurationError, StorageError


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
        self.engine = self._create_engine()

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

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
            write = conn.get_execution_options().get("baton_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for queries (a consistent snapshot while it is open)."""
        with self._translate_errors(), self.engine.connect() as conn:
            yield conn

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction, committed on success and rolled back on error."""
        lock = self._write_lock or contextlib.nullcontext()
        with (
            self._translate_errors(),
            lock,
            self.engine.connect().execution_options(baton_write=True) as conn,
            conn.begin(),
        ):
            yield conn

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
        self.engine.dispose()


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
