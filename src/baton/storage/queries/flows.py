"""Flows: named groups of runs."""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from baton.core.ids import new_id
from baton.core.models import Flow
from baton.core.states import utcnow
from baton.storage import models as m


def read_or_create_flow(conn: Connection, name: str, tags: list[str] | None = None) -> Flow:
    """The flow called ``name``, created (with ``tags``) if it does not exist (safe under races)."""
    table = m.flow
    now = utcnow()
    dialect_insert = sqlite_insert if conn.dialect.name == "sqlite" else pg_insert
    statement = (
        dialect_insert(table)
        .values(id=new_id(), name=name, tags=list(tags or []), created=now, updated=now)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    conn.execute(statement)
    row = conn.execute(select(table).where(table.c.name == name)).one()
    return Flow.model_validate(row._mapping)


def read_flow(conn: Connection, flow_id: uuid.UUID) -> Flow | None:
    table = m.flow
    row = conn.execute(select(table).where(table.c.id == flow_id)).first()
    return Flow.model_validate(row._mapping) if row else None


def read_flows(conn: Connection, limit: int = 200, offset: int = 0) -> list[Flow]:
    table = m.flow
    statement = select(table).order_by(table.c.name).limit(limit).offset(offset)
    return [Flow.model_validate(row._mapping) for row in conn.execute(statement)]


def read_flow_by_name(conn: Connection, name: str) -> Flow | None:
    table = m.flow
    row = conn.execute(select(table).where(table.c.name == name)).first()
    return Flow.model_validate(row._mapping) if row else None
