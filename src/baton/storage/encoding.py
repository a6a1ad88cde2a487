"""The statements on every transition's path, run on SQLite's driver directly.

SQLAlchemy's per-value type processing and its execution layer (events,
execution contexts, result objects) cost several times what SQLite itself
spends on a one-row statement, and these statements run thousands of times a
second. They are still SQLAlchemy's tables and selects, compiled once for
SQLite; values are encoded and decoded here exactly as the column types store
and read them (UUIDs as 32 hex digits, UTC datetimes as naive ISO strings, JSON
as text), and driver errors are raised as SQLAlchemy's exceptions, so callers
handle one kind. Tests check both paths store and read identical values.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import JSON, Boolean, Connection, Select, Table, Uuid, exc

from baton.storage.types import UTCDateTime

Encoder = Callable[[Any], Any]


def _uuid(value: Any) -> Any:
    if value is None:
        return None
    return value.hex if isinstance(value, uuid.UUID) else uuid.UUID(str(value)).hex


def _datetime(value: Any) -> Any:
    if value is None:
        return None
    utc = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return utc.isoformat(sep=" ", timespec="microseconds")


def _json(value: Any) -> Any:
    return None if value is None else json.dumps(value)


def _identity(value: Any) -> Any:
    return value


def _read_uuid(value: Any) -> Any:
    return None if value is None else uuid.UUID(value)


def _read_datetime(value: Any) -> Any:
    if value is None:
        return None
    return dt.datetime.fromisoformat(value).replace(tzinfo=dt.timezone.utc)


def _read_json(value: Any) -> Any:
    return None if value is None else json.loads(value)


def _read_bool(value: Any) -> Any:
    return None if value is None else bool(value)


# How SQLite stores each column type: the type, its encoder and its decoder.
_CODECS: tuple[tuple[type, Encoder, Encoder], ...] = (
    (Uuid, _uuid, _read_uuid),
    (UTCDateTime, _datetime, _read_datetime),
    (JSON, _json, _read_json),
    (Boolean, _identity, _read_bool),
)


def encoder_for(column_type: Any) -> Encoder:
    return next((e for kind, e, _ in _CODECS if isinstance(column_type, kind)), _identity)


def decoder_for(column_type: Any) -> Encoder:
    return next((d for kind, _, d in _CODECS if isinstance(column_type, kind)), _identity)


def _driver(conn: Connection) -> sqlite3.Connection:
    driver = conn.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    return driver


def execute_on_driver(
    conn: Connection, sql: str, values: Sequence[Any] = (), many: bool = False
) -> sqlite3.Cursor:
    """``sql`` run by SQLite's driver itself; its errors raised as SQLAlchemy's."""
    driver = _driver(conn)
    try:
        return driver.executemany(sql, values) if many else driver.execute(sql, values)
    except sqlite3.Error as error:
        raise exc.DBAPIError.instance(sql, values, error, sqlite3.Error) from error


class SqliteBulkWriter:
    """Pre-encoded ``INSERT`` and ``UPDATE ... WHERE id = ?`` for one table."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.columns = [column.name for column in table.c]
        self.encoders = {column.name: encoder_for(column.type) for column in table.c}
        names = ", ".join(f'"{name}"' for name in self.columns)
        marks = ", ".join("?" for _ in self.columns)
        self.insert_sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'
        self._update_sql: dict[tuple[str, ...], str] = {}

    def insert(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        encoders = [(name, self.encoders[name]) for name in self.columns]
        values = [tuple(encode(row.get(name)) for name, encode in encoders) for row in rows]
        execute_on_driver(conn, self.insert_sql, values, many=True)

    def update(
        self, conn: Connection, rows: Sequence[dict[str, Any]], columns: Sequence[str]
    ) -> None:
        key = tuple(columns)
        sql = self._update_sql.get(key)
        if sql is None:
            assignments = ", ".join(f'"{name}" = ?' for name in columns)
            sql = f'UPDATE "{self.table.name}" SET {assignments} WHERE id = ?'
            self._update_sql[key] = sql
        encoders = [self.encoders[name] for name in columns]
        id_encoder = self.encoders["id"]
        values = [
            (
                *(encode(row[name]) for name, encode in zip(columns, encoders, strict=True)),
                id_encoder(row["id"]),
            )
            for row in rows
        ]
        execute_on_driver(conn, sql, values, many=True)


_writers: dict[str, SqliteBulkWriter] = {}


def sqlite_writer(table: Table) -> SqliteBulkWriter:
    writer = _writers.get(table.name)
    if writer is None:
        writer = _writers[table.name] = SqliteBulkWriter(table)
    return writer


class SqliteQuery:
    """A select compiled once for SQLite; its rows come back as dicts of decoded values.

    Its parameters are given by name, each with the column it is compared to,
    so that it is encoded as that column stores it.
    """

    def __init__(self, statement: Select[Any], parameters: dict[str, Any]) -> None:
        self.statement = statement
        self.parameters = {name: encoder_for(column.type) for name, column in parameters.items()}
        self.columns = [(c.name, decoder_for(c.type)) for c in statement.selected_columns]
        self._compiled: tuple[str, list[str]] | None = None

    def first(self, conn: Connection, **parameters: Any) -> dict[str, Any] | None:
        if self._compiled is None:
            compiled = self.statement.compile(dialect=conn.dialect)
            self._compiled = compiled.string, list(compiled.positiontup or ())
        sql, order = self._compiled
        values = [self.parameters[name](parameters[name]) for name in order]
        row = execute_on_driver(conn, sql, values).fetchone()
        if row is None:
            return None
        return {
            name: decode(value) for (name, decode), value in zip(self.columns, row, strict=True)
        }
