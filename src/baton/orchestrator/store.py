"""The rules' view of storage, on a connection inside the transition's transaction."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Connection

from baton.core.models import ConcurrencyLimit
from baton.results.persistence import ResultRef
from baton.storage.queries import cache, concurrency


class SqlOrchestrationStore:
    """``OrchestrationStore`` on one open transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def read_cache(self, key: str, now: dt.datetime) -> ResultRef | None:
        return cache.read_cache(self.conn, key, now)

    def write_cache(self, key: str, ref: ResultRef, expiration: dt.datetime | None) -> None:
        cache.write_cache(self.conn, key, ref, expiration)

    def read_concurrency_limits(self, tags: list[str]) -> list[ConcurrencyLimit]:
        return concurrency.read_concurrency_limits(self.conn, tags, for_update=True)

    def take_concurrency_slots(self, tags: list[str], run_id: uuid.UUID) -> None:
        concurrency.take_concurrency_slots(self.conn, tags, run_id)

    def release_concurrency_slots(self, tags: list[str], run_id: uuid.UUID) -> None:
        concurrency.release_concurrency_slots(self.conn, tags, run_id)
