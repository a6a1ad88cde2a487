"""The task result cache: cache key -> result reference, with an expiry."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, delete, insert, select

from baton.core.states import utcnow
from baton.results.persistence import ResultRef
from baton.storage import models as m


def read_cache(conn: Connection, key: str, now: dt.datetime) -> ResultRef | None:
    """The result cached under ``key``, unless it has expired."""
    table = m.task_cache
    row = conn.execute(select(table).where(table.c.key == key)).first()
    if row is None:
        return None
    if row.expiration is not None and row.expiration <= now:
        return None
    return ResultRef.model_validate(row.result_ref)


def write_cache(conn: Connection, key: str, ref: ResultRef, expiration: dt.datetime | None) -> None:
    """Cache ``ref`` under ``key``, replacing an older entry."""
    table = m.task_cache
    conn.execute(delete(table).where(table.c.key == key))
    conn.execute(
        insert(table).values(
            key=key, result_ref=ref.model_dump(), expiration=expiration, created=utcnow()
        )
    )
