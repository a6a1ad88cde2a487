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


_UTC = dt.timezone.utc


def _datetime(value: Any) -> Any:
    if value is None:
        return None
    if value.tzinfo is not _UTC:
        value = value.astimezone(_UTC)
    return value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _json(value: Any) -> Any:
    if value is None:
        return None
    if not value and type(value) in _EMPTY_JSON:  # most runs' tags, parameters, details
        return _EMPTY_JSON[type(value)]
    return json.dumps(value)


_EMPTY_JSON: dict[type, str] = {dict: "{}", list: "[]"}


def _read_uuid(value: Any) -> Any:
    return None if value is None else uuid.UUID(value)


def _read_datetime(value: Any) -> Any:
    if value is None:
        return None
    return dt.datetime.fromisoformat(value).replace(tzinfo=_UTC)


def _read_json(value: Any) -> Any:
    if value is None:
        return None
    if value == "{}":
        return {}
    if value == "[]":
        return []
    return json.loads(value)


def _read_bool(value: Any) -> Any:
    return None if value is None else bool(value)


# How SQLite stores each column type: the type, its encoder and its decoder.
_CODECS: tuple[tuple[type, Encoder | None, Encoder], ...] = (
    (Uuid, _uuid, _read_uuid),
    (UTCDateTime, _datetime, _read_datetime),
    (JSON, _json, _read_json),
    (Boolean, None, _read_bool),
)


def encoder_for(column_type: Any) -> Encoder | None:
    """How values of ``column_type`` are stored; ``None`` when they are stored as they are."""
    return next((e for kind, e, _ in _CODECS if isinstance(column_type, kind)), None)


def decoder_for(column_type: Any) -> Encoder | None:
    """How stored values of ``column_type`` are read; ``None`` when they are read as they are."""
    return next((d for kind, _, d in _CODECS if isinstance(column_type, kind)), None)


def _encoded(values: Sequence[Any], encoders: Sequence[Encoder | None]) -> list[Any]:
    return [v if e is None else e(v) for v, e in zip(values, encoders, strict=True)]


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
        self._row_encoders = [self.encoders[name] for name in self.columns]
        names = ", ".join(f'"{name}"' for name in self.columns)
        marks = ", ".join("?" for _ in self.columns)
        self.insert_sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'
        self._update_sql: dict[tuple[str, ...], str] = {}

    def insert(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        columns, encoders = self.columns, self._row_encoders
        values = [_encoded([row.get(name) for name in columns], encoders) for row in rows]
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
        encoders = [self.encoders[name] for name in (*columns, "id")]
        values = [_encoded([*(row[name] for name in columns), row["id"]], encoders) for row in rows]
        execute_on_driver(conn, sql, values, many=True)


_writers: dict[str, SqliteBulkWriter] = {}


def sqlite_writer(table: Table) -> SqliteBulkWriter:
    writer = _writers.get(table.name)
    if writer is None:
        writer = _writers[table.name] = SqliteBulkWriter(table)
    return writer


class SqliteQuery:
    """A select compiled once for SQLite; a row comes back as its decoded values, in order.

    Its parameters are given by name, each with the column it is compared to,
    so that it is encoded as that column stores it.
    """

    def __init__(self, statement: Select[Any], parameters: dict[str, Any]) -> None:
        self.statement = statement
        self.parameters = {name: encoder_for(column.type) for name, column in parameters.items()}
        self.decoders = [decoder_for(c.type) for c in statement.selected_columns]
        self._compiled: tuple[str, list[str]] | None = None

    def first(self, conn: Connection, **parameters: Any) -> list[Any] | None:
        if self._compiled is None:
            compiled = self.statement.compile(dialect=conn.dialect)
            self._compiled = compiled.string, list(compiled.positiontup or ())
        sql, order = self._compiled
        values = _encoded([parameters[name] for name in order], [self.parameters[n] for n in order])
        row = execute_on_driver(conn, sql, values).fetchone()
        if row is None:
            return None
        return _encoded(row, self.decoders)
