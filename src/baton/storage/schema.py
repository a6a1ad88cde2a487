"""Creating and upgrading the database schema.

Every process calls ``ensure_schema`` on first use, so when the schema is
already current it costs one small read and never imports Alembic. An empty
database is created straight from the models and stamped, which is quicker than
replaying every migration; an older one is upgraded by Alembic. Changes happen
in one write transaction that a single process at a time can hold, so processes
starting together on the same database do not trip over each other.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    func,
    inspect,
    select,
)

from baton.exceptions import StorageError
from baton.storage.database import Database
from baton.storage.models import metadata

if TYPE_CHECKING:
    from alembic.config import Config

HEAD_REVISION = "0003"
"""The newest revision in ``migrations/versions``: change it with every new migration."""

# A package resource rather than a path, so it works wherever Baton is installed.
_SCRIPT_LOCATION = "baton.storage:migrations"

# Alembic's bookkeeping table, spelled the way Alembic creates it, so that a
# database stamped here upgrades later like any other.
_VERSION_TABLE = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)

# Key of the PostgreSQL advisory lock held while the schema changes: "baton" in ASCII.
_PG_LOCK_KEY = int.from_bytes(b"baton", "big")

_SQLITE_HEADER = b"SQLite format 3\x00"


def ensure_schema(db: Database) -> None:
    """Make the database fit for this version of Baton, cheaply when it already is."""
    with _diagnosed(db), db.read() as conn:
        if _revision(conn) == HEAD_REVISION:
            return
    with _diagnosed(db), _schema_transaction(db) as conn:
        # Another process may have done the work while this one waited for the lock.
        revision = _revision(conn)
        if revision == HEAD_REVISION:
            return
        if revision is None and not _baton_tables(conn):
            _create(conn)
        else:
            _upgrade(db, conn, revision)


def upgrade(db: Database) -> None:
    """Apply every migration the database lacks (``alembic upgrade head``)."""
    with _diagnosed(db), _schema_transaction(db) as conn:
        _upgrade(db, conn, _revision(conn))


def reset(db: Database) -> None:
    """Delete every Baton table, data included, and create the current schema afresh."""
    with _diagnosed(db), _schema_transaction(db) as conn:
        metadata.drop_all(conn)
        _VERSION_TABLE.drop(conn, checkfirst=True)
        _create(conn)


def current_revision(db: Database) -> str | None:
    """The schema revision of the database; None if Baton has not set it up."""
    with _diagnosed(db), db.read() as conn:
        return _revision(conn)


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic settings for Baton's migrations, to run on ``connection``.

    The migrations run inside the connection's transaction; the caller commits.
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", _SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def _revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table(_VERSION_TABLE.name):
        return None
    return conn.scalar(select(_VERSION_TABLE.c.version_num))


def _baton_tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names()) & set(metadata.tables)


def _create(conn: Connection) -> None:
    metadata.create_all(conn)
    _VERSION_TABLE.create(conn, checkfirst=True)
    conn.execute(_VERSION_TABLE.insert().values(version_num=HEAD_REVISION))


def _upgrade(db: Database, conn: Connection, revision: str | None) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory

    if revision is None and _baton_tables(conn):
        raise StorageError(
            f"database {db.describe()} has Baton tables but no schema revision, so it cannot "
            "be upgraded safely; reset it (this deletes its data) or use another database"
        )
    config = alembic_config(conn)
    known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    if revision is not None and revision not in known:
        raise StorageError(
            f"database {db.describe()} is at schema revision {revision!r}, which this Baton "
            f"(schema {HEAD_REVISION}) does not know: it was created by a newer Baton; "
            "upgrade Baton to use it"
        )
    command.upgrade(config, "head")


@contextlib.contextmanager
def _schema_transaction(db: Database) -> Iterator[Connection]:
    """A write transaction for changing the schema, held by one process at a time."""
    if not db.is_sqlite:
        with db.write() as conn:
            conn.execute(select(func.pg_advisory_xact_lock(_PG_LOCK_KEY)))
            yield conn
        return
    # BEGIN IMMEDIATE serialises SQLite writers. Foreign keys must be off while
    # batch migrations rebuild tables (dropping the old copy of a table would
    # cascade deletes into its children), and SQLite ignores that pragma inside
    # a transaction, so it is switched before the transaction begins.
    with db.read() as conn:
        _sqlite_pragma(conn, "foreign_keys = OFF")
        try:
            # The option Database.write sets: its begin hook then issues BEGIN IMMEDIATE.
            with conn.execution_options(baton_write=True).begin():
                yield conn
                if conn.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                    raise StorageError(
                        f"schema change left dangling references in {db.describe()}; rolled back"
                    )
        finally:
            _sqlite_pragma(conn, "foreign_keys = ON")


def _sqlite_pragma(conn: Connection, setting: str) -> None:
    """Set a pragma on the driver's connection: through SQLAlchemy it would open a transaction."""
    cursor = conn.connection.cursor()
    try:
        cursor.execute(f"PRAGMA {setting}")
    finally:
        cursor.close()


@contextlib.contextmanager
def _diagnosed(db: Database) -> Iterator[None]:
    """Name the cause when a SQLite database file turns out to be something else."""
    try:
        yield
    except StorageError as error:
        path = Path(db.url.database or "") if db.is_sqlite else None
        if path is None or not path.is_file():
            raise
        with path.open("rb") as file:
            header = file.read(len(_SQLITE_HEADER))
        if not header or header == _SQLITE_HEADER:
            raise
        raise StorageError(
            f"{path} is not a SQLite database (or its header is damaged); move it aside or "
            "point Baton at another database"
        ) from error
