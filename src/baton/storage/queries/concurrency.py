"""Concurrency limits by tag and the task runs holding their slots."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Connection, delete, insert, select, update

from baton.core.ids import new_id
from baton.core.models import ConcurrencyLimit
from baton.core.states import utcnow
from baton.storage import models as m


def upsert_concurrency_limit(conn: Connection, tag: str, limit: int) -> ConcurrencyLimit:
    """Create the limit for ``tag`` or change its size, keeping held slots."""
    table = m.concurrency_limit
    now = utcnow()
    changed = conn.execute(update(table).where(table.c.tag == tag).values(limit=limit, updated=now))
    if not changed.rowcount:
        conn.execute(
            insert(table).values(
                id=new_id(), tag=tag, limit=limit, active_slots=[], created=now, updated=now
            )
        )
    found = read_concurrency_limit(conn, tag)
    assert found is not None
    return found


def read_concurrency_limit(conn: Connection, tag: str) -> ConcurrencyLimit | None:
    table = m.concurrency_limit
    row = conn.execute(select(table).where(table.c.tag == tag)).first()
    return ConcurrencyLimit.model_validate(row._mapping) if row else None


def read_concurrency_limits(
    conn: Connection, tags: Sequence[str] | None = None, *, for_update: bool = False
) -> list[ConcurrencyLimit]:
    table = m.concurrency_limit
    statement = select(table).order_by(table.c.tag)
    if tags is not None:
        statement = statement.where(table.c.tag.in_(list(tags)))
    if for_update and conn.dialect.name != "sqlite":
        statement = statement.with_for_update()
    return [ConcurrencyLimit.model_validate(row._mapping) for row in conn.execute(statement)]


def delete_concurrency_limit(conn: Connection, tag: str) -> bool:
    table = m.concurrency_limit
    return bool(conn.execute(delete(table).where(table.c.tag == tag)).rowcount)


def _change_slots(conn: Connection, tags: Sequence[str], run_id: uuid.UUID, take: bool) -> None:
    table = m.concurrency_limit
    key = str(run_id)
    for limit in read_concurrency_limits(conn, tags, for_update=True):
        slots = [str(s) for s in limit.active_slots if str(s) != key]
        if take:
            slots.append(key)
        conn.execute(
            update(table).where(table.c.id == limit.id).values(active_slots=slots, updated=utcnow())
        )


def take_concurrency_slots(conn: Connection, tags: Sequence[str], run_id: uuid.UUID) -> None:
    _change_slots(conn, tags, run_id, take=True)


def release_concurrency_slots(conn: Connection, tags: Sequence[str], run_id: uuid.UUID) -> None:
    _change_slots(conn, tags, run_id, take=False)
