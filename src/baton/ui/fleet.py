"""Read queries behind the deployment and work pool pages.

Runs are found through the indexes on ``(deployment_id, expected_start_time)``
and ``(work_queue_id, state_type)``, a few rows at a time, so the pages stay
fast however many runs the database holds.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from baton.core.deployments import Deployment, DeploymentSchedule, Worker, WorkPool, WorkQueue
from baton.core.schedules import InvalidSchedule, parse_schedule
from baton.core.states import StateType
from baton.orchestrator.work_pools import ACTIVE_TYPES
from baton.storage import models as m
from baton.storage.queries import work_pools as pool_queries
from baton.ui.queries import (
    BoundedCount,
    RunRow,
    bounded_count,
    complete_rows,
    select_run_rows,
    unindexed,
)

FLOW_RUN = m.flow_run
SCHEDULED = StateType.SCHEDULED.value
WAITING_TYPES = (SCHEDULED, StateType.PAUSED.value)


# -- schedules ---------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleView:
    schedule: DeploymentSchedule
    description: str


def describe_schedule(schedule: DeploymentSchedule) -> ScheduleView:
    """The schedule as ``describe()`` puts it; one that cannot be read says so."""
    try:
        text = parse_schedule(schedule.schedule).describe()
    except InvalidSchedule as error:
        text = f"unreadable schedule: {error}"
    return ScheduleView(schedule, text)


@dataclass(frozen=True)
class ComingDate:
    when: dt.datetime
    schedule: str
    """The description of the schedule making it."""


def coming_dates(deployment: Deployment, now: dt.datetime, count: int) -> list[ComingDate]:
    """The next ``count`` dates of the deployment's active schedules, merged in order."""
    dates: list[ComingDate] = []
    for entry in deployment.schedules:
        if not entry.active:
            continue
        try:
            schedule = parse_schedule(entry.schedule)
        except InvalidSchedule:
            continue
        text = schedule.describe()
        dates += [ComingDate(when, text) for when in schedule.get_dates(count, now)]
    dates.sort(key=lambda item: item.when)
    return dates[:count]


# -- deployments ---------------------------------------------------------------------


def count_deployments(conn: Connection) -> int:
    return int(conn.scalar(select(func.count()).select_from(m.deployment)) or 0)


def next_runs(conn: Connection, deployment_id: uuid.UUID, limit: int) -> list[RunRow]:
    """The deployment's runs waiting to start (scheduled or paused), earliest first."""
    statement = (
        select_run_rows(
            FLOW_RUN.c.deployment_id == deployment_id, FLOW_RUN.c.state_type.in_(WAITING_TYPES)
        )
        .order_by(FLOW_RUN.c.expected_start_time, FLOW_RUN.c.id)
        .limit(limit)
    )
    return complete_rows(conn, statement)


def recent_runs(conn: Connection, deployment_id: uuid.UUID, limit: int) -> list[RunRow]:
    """The deployment's runs that have left the waiting states, latest expected start first."""
    statement = (
        select_run_rows(
            FLOW_RUN.c.deployment_id == deployment_id,
            FLOW_RUN.c.state_type.not_in(WAITING_TYPES),
        )
        .order_by(FLOW_RUN.c.expected_start_time.desc(), FLOW_RUN.c.id.desc())
        .limit(limit)
    )
    return complete_rows(conn, statement)


@dataclass(frozen=True)
class DeploymentRow:
    deployment: Deployment
    schedules: list[ScheduleView]
    next_run: RunRow | None
    next_date: ComingDate | None
    """When no run waits yet: the first date its schedules will make one for."""
    last_run: RunRow | None


def read_deployment_rows(
    conn: Connection, deployments: Sequence[Deployment], now: dt.datetime
) -> list[DeploymentRow]:
    rows = []
    for deployment in deployments:
        waiting = next_runs(conn, deployment.id, 1)
        last = recent_runs(conn, deployment.id, 1)
        coming = [] if waiting or deployment.paused else coming_dates(deployment, now, 1)
        rows.append(
            DeploymentRow(
                deployment=deployment,
                schedules=[describe_schedule(s) for s in deployment.schedules],
                next_run=waiting[0] if waiting else None,
                next_date=coming[0] if coming else None,
                last_run=last[0] if last else None,
            )
        )
    return rows


# -- work pools ----------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    queue: WorkQueue
    active: int
    """Runs holding one of its slots (Pending, Running, Cancelling)."""
    waiting: int
    """Scheduled runs, late or not."""
    late: BoundedCount


@dataclass(frozen=True)
class WorkerRow:
    worker: Worker
    online: bool


@dataclass(frozen=True)
class PoolRow:
    pool: WorkPool
    queues: list[QueueRow]
    workers: list[WorkerRow]

    @property
    def online(self) -> int:
        return sum(worker.online for worker in self.workers)

    @property
    def active(self) -> int:
        return sum(queue.active for queue in self.queues)

    @property
    def late(self) -> BoundedCount:
        return sum((queue.late for queue in self.queues), BoundedCount(0, False))

    @property
    def busy(self) -> int:
        """Runs waiting or under way in the pool."""
        return sum(queue.waiting + queue.active for queue in self.queues)

    @property
    def status(self) -> str:
        """Paused, Ready (a worker is online) or Not ready, as the API reports it."""
        if self.pool.is_paused:
            return "Paused"
        return "Ready" if self.online else "Not ready"


def _counts_by_queue(
    conn: Connection, queue_ids: Sequence[uuid.UUID], *conditions: Any
) -> dict[uuid.UUID, int]:
    if not queue_ids:
        return {}
    column = FLOW_RUN.c.work_queue_id
    statement = (
        select(column, func.count())
        .where(column.in_(list(queue_ids)), *conditions)
        .group_by(column)
    )
    return {key: int(count) for key, count in conn.execute(statement)}


def read_pool_rows(conn: Connection, pools: Sequence[WorkPool], now: dt.datetime) -> list[PoolRow]:
    """Each pool with its queues (priority order), their slots in use and late runs, and
    its workers, online when they sent a heartbeat within three of their intervals."""
    queues = {pool.id: pool_queries.read_work_queues(conn, pool.id) for pool in pools}
    queue_ids = [queue.id for found in queues.values() for queue in found]
    # Both counts ride the (work_queue_id, state_type) index without reading runs.
    active = _counts_by_queue(conn, queue_ids, FLOW_RUN.c.state_type.in_(ACTIVE_TYPES))
    waiting = _counts_by_queue(conn, queue_ids, FLOW_RUN.c.state_type == SCHEDULED)
    rows = []
    for pool in pools:
        workers = pool_queries.read_workers(conn, pool.id)
        rows.append(
            PoolRow(
                pool=pool,
                queues=[
                    QueueRow(
                        queue,
                        active.get(queue.id, 0),
                        waiting.get(queue.id, 0),
                        _late(conn, queue.id, now) if waiting.get(queue.id) else NO_RUNS,
                    )
                    for queue in queues[pool.id]
                ],
                workers=[WorkerRow(worker, worker.is_online(now)) for worker in workers],
            )
        )
    return rows


NO_RUNS = BoundedCount(0, False)


def _late(conn: Connection, queue_id: uuid.UUID, now: dt.datetime) -> BoundedCount:
    """The queue's scheduled runs whose time has passed, counted up to the cap."""
    conditions = (
        FLOW_RUN.c.work_queue_id == queue_id,
        FLOW_RUN.c.state_type == SCHEDULED,
        FLOW_RUN.c.expected_start_time < now,
    )
    return bounded_count(conn, FLOW_RUN, conditions)


POOL_RUN_TYPES = (SCHEDULED, *ACTIVE_TYPES)
MANY_RUNS = 1_000
"""With more matching runs than this, the earliest are found faster by walking the
expected-start index than by sorting every match."""


def read_pool_runs(conn: Connection, row: PoolRow, limit: int) -> list[RunRow]:
    """Runs of the pool waiting to start or under way, earliest expected start first."""
    queue_ids = [queue.queue.id for queue in row.queues]
    if not queue_ids or not row.busy:
        return []
    walk = row.busy > MANY_RUNS
    queue_column = unindexed(conn, FLOW_RUN.c.work_queue_id) if walk else FLOW_RUN.c.work_queue_id
    state_column = unindexed(conn, FLOW_RUN.c.state_type) if walk else FLOW_RUN.c.state_type
    statement = (
        select_run_rows(
            queue_column.in_(queue_ids),
            state_column.in_(POOL_RUN_TYPES),
        )
        .order_by(FLOW_RUN.c.expected_start_time, FLOW_RUN.c.id)
        .limit(limit)
    )
    return complete_rows(conn, statement)
