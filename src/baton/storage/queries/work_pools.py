"""Work pools, their queues and the workers polling them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from baton.core.deployments import Worker, WorkPool, WorkQueue
from baton.storage import models as m


def insert_work_pool(conn: Connection, pool: WorkPool) -> None:
    conn.execute(m.work_pool.insert().values(pool.model_dump()))


def read_work_pool(conn: Connection, name: str) -> WorkPool | None:
    row = conn.execute(select(m.work_pool).where(m.work_pool.c.name == name)).first()
    return WorkPool.model_validate(row._mapping) if row else None


def read_work_pools(conn: Connection) -> list[WorkPool]:
    rows = conn.execute(select(m.work_pool).order_by(m.work_pool.c.name))
    return [WorkPool.model_validate(row._mapping) for row in rows]


def update_work_pool(conn: Connection, pool_id: uuid.UUID, values: dict[str, Any]) -> None:
    conn.execute(update(m.work_pool).where(m.work_pool.c.id == pool_id).values(values))


def delete_work_pool(conn: Connection, pool_id: uuid.UUID) -> None:
    conn.execute(delete(m.work_pool).where(m.work_pool.c.id == pool_id))


def _select_queues() -> Any:
    return select(m.work_queue, m.work_pool.c.name.label("work_pool_name")).join(
        m.work_pool, m.work_pool.c.id == m.work_queue.c.work_pool_id
    )


def insert_work_queue(conn: Connection, queue: WorkQueue) -> None:
    conn.execute(m.work_queue.insert().values(queue.model_dump(exclude={"work_pool_name"})))


def read_work_queue(conn: Connection, pool_id: uuid.UUID, name: str) -> WorkQueue | None:
    table = m.work_queue
    statement = _select_queues().where(table.c.work_pool_id == pool_id, table.c.name == name)
    row = conn.execute(statement).first()
    return WorkQueue.model_validate(row._mapping) if row else None


def read_work_queue_by_id(conn: Connection, queue_id: uuid.UUID) -> WorkQueue | None:
    row = conn.execute(_select_queues().where(m.work_queue.c.id == queue_id)).first()
    return WorkQueue.model_validate(row._mapping) if row else None


def read_work_queues(conn: Connection, pool_id: uuid.UUID) -> list[WorkQueue]:
    """The pool's queues, highest priority (lowest number) first."""
    table = m.work_queue
    statement = (
        _select_queues()
        .where(table.c.work_pool_id == pool_id)
        .order_by(table.c.priority, table.c.name)
    )
    return [WorkQueue.model_validate(row._mapping) for row in conn.execute(statement)]


def next_queue_priority(conn: Connection, pool_id: uuid.UUID) -> int:
    table = m.work_queue
    highest = conn.scalar(select(func.max(table.c.priority)).where(table.c.work_pool_id == pool_id))
    return (highest or 0) + 1


def update_work_queue(conn: Connection, queue_id: uuid.UUID, values: dict[str, Any]) -> None:
    conn.execute(update(m.work_queue).where(m.work_queue.c.id == queue_id).values(values))


def delete_work_queue(conn: Connection, queue_id: uuid.UUID) -> None:
    conn.execute(delete(m.work_queue).where(m.work_queue.c.id == queue_id))


def mark_queues_polled(conn: Connection, queue_ids: Sequence[uuid.UUID], now: dt.datetime) -> None:
    if queue_ids:
        table = m.work_queue
        conn.execute(update(table).where(table.c.id.in_(queue_ids)).values(last_polled=now))


def upsert_worker(
    conn: Connection,
    pool_id: uuid.UUID,
    name: str,
    heartbeat_interval_seconds: float | None,
    now: dt.datetime,
) -> None:
    """Record a worker's heartbeat, registering it on its first one (safe under races)."""
    dialect_insert = sqlite_insert if conn.dialect.name == "sqlite" else pg_insert
    values = {
        "last_heartbeat_time": now,
        "heartbeat_interval_seconds": heartbeat_interval_seconds,
        "updated": now,
    }
    statement = (
        dialect_insert(m.worker)
        .values(id=uuid.uuid4(), work_pool_id=pool_id, name=name, created=now, **values)
        .on_conflict_do_update(index_elements=["work_pool_id", "name"], set_=values)
    )
    conn.execute(statement)


def read_workers(conn: Connection, pool_id: uuid.UUID) -> list[Worker]:
    table = m.worker
    statement = (
        select(table)
        .where(table.c.work_pool_id == pool_id)
        .order_by(table.c.last_heartbeat_time.desc())
    )
    return [Worker.model_validate(row._mapping) for row in conn.execute(statement)]
