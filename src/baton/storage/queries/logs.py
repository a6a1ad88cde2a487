"""Run logs, written in batches."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from baton.core.models import LogRecord
from baton.storage import models as m
from baton.storage.queries.runs import insert_rows


def insert_logs(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    insert_rows(conn, m.log, rows)


def read_logs(
    conn: Connection,
    *,
    flow_run_id: uuid.UUID | None = None,
    task_run_id: uuid.UUID | None = None,
    min_level: int = 0,
    limit: int = 1000,
    offset: int = 0,
) -> list[LogRecord]:
    """Logs oldest first; a flow run's logs include those of its task runs."""
    table = m.log
    statement = select(table).where(table.c.level >= min_level)
    if flow_run_id is not None:
        statement = statement.where(table.c.flow_run_id == flow_run_id)
    if task_run_id is not None:
        statement = statement.where(table.c.task_run_id == task_run_id)
    statement = statement.order_by(table.c.timestamp, table.c.id).limit(limit).offset(offset)
    return [LogRecord.model_validate(row._mapping) for row in conn.execute(statement)]
