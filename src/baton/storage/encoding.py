"""Bulk writes on SQLite with values encoded once, by column type.

SQLAlchemy's per-value type processing costs more than SQLite itself when
thousands of small rows are written each second. For the tables the writer
fills in bulk, rows are encoded here exactly as the column types would store
them (UUIDs as 32 hex digits, UTC datetimes as naive ISO strings, JSON as
text) and handed to the driver's ``executemany``. Reads go through the normal
types, and a test checks that both paths store identical values.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import JSON, Connection, Table, Uuid

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


def encoder_for(column_type: Any) -> Encoder:
    if isinstance(column_type, Uuid):
        return _uuid
    if isinstance(column_type, UTCDateTime):
        return _datetime
    if isinstance(column_type, JSON):
        return _json
    return _identity


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
        conn.exec_driver_sql(self.insert_sql, values)

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
        conn.exec_driver_sql(sql, values)


_writers: dict[str, SqliteBulkWriter] = {}


def sqlite_writer(table: Table) -> SqliteBulkWriter:
    writer = _writers.get(table.name)
    if writer is None:
        writer = _writers[table.name] = SqliteBulkWriter(table)
    return writer
