"""Work pools and queues, and what workers ask of them: runs to start, and liveness.

A worker reads the runs it may start now; it claims one by proposing
``Pending``, which the rules let exactly one proposal win. Reading is therefore
safe to repeat and to race.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, select, update

from baton.core.actions import WorkPoolCreate, WorkPoolUpdate, WorkQueueCreate, WorkQueueUpdate
from baton.core.deployments import DEFAULT_QUEUE, Worker, WorkPool, WorkQueue
from baton.core.models import FlowRun, RunKind
from baton.core.states import StateType
from baton.exceptions import ObjectNotFound, OrchestrationError
from baton.storage import models as m
from baton.storage.queries import deployments as deployment_queries
from baton.storage.queries import work_pools as queries
from baton.storage.queries.runs import run_from_row, select_runs

AWAITING_RETRY = "AwaitingRetry"

ACTIVE_TYPES = (StateType.PENDING.value, StateType.RUNNING.value, StateType.CANCELLING.value)
"""Runs in these states hold a slot of their pool's, queue's and deployment's limits."""


def create_work_pool(conn: Connection, data: WorkPoolCreate) -> WorkPool:
    """A new pool with its ``default`` queue; a pool of that name already is a conflict."""
    if queries.read_work_pool(conn, data.name) is not None:
        raise OrchestrationError(f"a work pool named {data.name!r} already exists")
    pool = WorkPool(**data.model_dump())
    queue = WorkQueue(work_pool_id=pool.id, name=DEFAULT_QUEUE, priority=1)
    pool.default_queue_id = queue.id
    queries.insert_work_pool(conn, pool)
    queries.insert_work_queue(conn, queue)
    return pool


def read_work_pool(conn: Connection, name: str) -> WorkPool:
    pool = queries.read_work_pool(conn, name)
    if pool is None:
        raise ObjectNotFound("work pool", repr(name))
    return pool


def read_work_pools(conn: Connection) -> list[WorkPool]:
    return queries.read_work_pools(conn)


def update_work_pool(
    conn: Connection, name: str, data: WorkPoolUpdate, now: dt.datetime
) -> WorkPool:
    pool = read_work_pool(conn, name)
    queries.update_work_pool(conn, pool.id, {**data.model_dump(exclude_unset=True), "updated": now})
    return read_work_pool(conn, name)


def delete_work_pool(conn: Connection, name: str) -> None:
    queries.delete_work_pool(conn, read_work_pool(conn, name).id)


def create_work_queue(conn: Connection, pool_name: str, data: WorkQueueCreate) -> WorkQueue:
    pool = read_work_pool(conn, pool_name)
    if queries.read_work_queue(conn, pool.id, data.name) is not None:
        raise OrchestrationError(f"work pool {pool_name!r} already has a queue named {data.name!r}")
    values = data.model_dump()
    values["priority"] = data.priority or queries.next_queue_priority(conn, pool.id)
    queue = WorkQueue(work_pool_id=pool.id, **values)
    queries.insert_work_queue(conn, queue)
    return read_work_queue(conn, pool_name, data.name)


def read_work_queue(conn: Connection, pool_name: str, name: str) -> WorkQueue:
    queue = queries.read_work_queue(conn, read_work_pool(conn, pool_name).id, name)
    if queue is None:
        raise ObjectNotFound(f"work queue of pool {pool_name!r}", repr(name))
    return queue


def resolve_work_queue(conn: Connection, pool_name: str, queue_name: str | None) -> WorkQueue:
    """The named queue of the pool, or its default queue."""
    return read_work_queue(conn, pool_name, queue_name or DEFAULT_QUEUE)


def read_work_queues(conn: Connection, pool_name: str) -> list[WorkQueue]:
    return queries.read_work_queues(conn, read_work_pool(conn, pool_name).id)


def update_work_queue(
    conn: Connection, pool_name: str, name: str, data: WorkQueueUpdate, now: dt.datetime
) -> WorkQueue:
    queue = read_work_queue(conn, pool_name, name)
    queries.update_work_queue(
        conn, queue.id, {**data.model_dump(exclude_unset=True), "updated": now}
    )
    return read_work_queue(conn, pool_name, name)


def delete_work_queue(conn: Connection, pool_name: str, name: str) -> None:
    pool = read_work_pool(conn, pool_name)
    queue = read_work_queue(conn, pool_name, name)
    if queue.id == pool.default_queue_id:
        raise OrchestrationError(f"the default queue of work pool {pool_name!r} cannot be deleted")
    queries.delete_work_queue(conn, queue.id)


def _active_counts(
    conn: Connection, column: ColumnElement[Any], keys: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Active runs per value of ``column`` (a queue or deployment id), for those ``keys``."""
    run = m.flow_run
    statement = (
        select(column, func.count())
        .where(column.in_(list(keys)), run.c.state_type.in_(ACTIVE_TYPES))
        .group_by(column)
    )
    return {key: count for key, count in conn.execute(statement)}


def get_scheduled_flow_runs(
    conn: Connection,
    pool_name: str,
    *,
    queue_names: Sequence[str],
    scheduled_before: dt.datetime | None,
    limit: int,
    now: dt.datetime,
) -> list[FlowRun]:
    """Scheduled runs due by ``scheduled_before`` that the pool's limits let start now.

    Queues are served in priority order; within a queue, the earliest run first.
    Paused pools, queues and deployments, and full concurrency limits of the pool,
    a queue or a deployment, hold runs back.
    """
    pool = read_work_pool(conn, pool_name)
    queues = queries.read_work_queues(conn, pool.id)
    if queue_names:
        unknown = sorted(set(queue_names) - {queue.name for queue in queues})
        if unknown:
            raise ObjectNotFound(f"work queue of pool {pool_name!r}", repr(unknown[0]))
        queues = [queue for queue in queues if queue.name in queue_names]
    queries.mark_queues_polled(conn, [queue.id for queue in queues], now)
    deployment_queries.touch_queue_deployments(conn, [queue.id for queue in queues], now)
    if pool.is_paused:
        return []
    queues = [queue for queue in queues if not queue.is_paused]
    run = m.flow_run
    in_use = _active_counts(conn, run.c.work_queue_id, [queue.id for queue in queues])
    pool_room = _room(pool.concurrency_limit, sum(in_use.values()))
    chosen: list[FlowRun] = []
    deployment_room: dict[uuid.UUID, int | None] = {}
    for queue in queues:
        room = min(_room(queue.concurrency_limit, in_use.get(queue.id, 0)), pool_room)
        if room <= 0 or len(chosen) >= limit:
            continue
        candidates = _due_runs(
            conn, run.c.work_queue_id == queue.id, scheduled_before or now, limit - len(chosen)
        )
        taken = _take(conn, candidates, min(room, limit - len(chosen)), deployment_room)
        chosen += taken
        pool_room -= len(taken)
    return chosen


def get_scheduled_flow_runs_for_deployments(
    conn: Connection,
    deployment_ids: Sequence[uuid.UUID],
    *,
    scheduled_before: dt.datetime | None,
    limit: int,
    now: dt.datetime,
) -> list[FlowRun]:
    """The due scheduled runs of these deployments, earliest first: what ``serve`` polls.

    Paused deployments and full deployment concurrency limits hold runs back.
    """
    deployment_queries.touch_deployments(conn, deployment_ids, now)
    condition = m.flow_run.c.deployment_id.in_(list(deployment_ids))
    candidates = _due_runs(conn, condition, scheduled_before or now, limit)
    return _take(conn, candidates, limit, {})


def _due_runs(
    conn: Connection, condition: ColumnElement[bool], due: dt.datetime, wanted: int
) -> list[FlowRun]:
    """Scheduled runs matching ``condition`` due by ``due``, of deployments not paused.

    A run waiting to retry in the process that ran it (``AwaitingRetry``) is not
    offered: that process starts it again itself.
    """
    run = m.flow_run
    statement = (
        select_runs(RunKind.FLOW_RUN)
        .join(m.deployment, m.deployment.c.id == run.c.deployment_id)
        .where(
            condition,
            run.c.state_type == StateType.SCHEDULED.value,
            run.c.state_name != AWAITING_RETRY,
            run.c.expected_start_time <= due,
            m.deployment.c.paused.is_(False),
        )
        .order_by(run.c.expected_start_time, run.c.id)
        .limit(wanted + 50)  # room for runs a deployment's limit holds back
    )
    found = [run_from_row(RunKind.FLOW_RUN, row) for row in conn.execute(statement)]
    return [candidate for candidate in found if isinstance(candidate, FlowRun)]


def _take(
    conn: Connection,
    candidates: Sequence[FlowRun],
    room: int,
    deployment_room: dict[uuid.UUID, int | None],
) -> list[FlowRun]:
    """Up to ``room`` of ``candidates``, in order, within their deployments' limits."""
    _fill_deployment_room(conn, candidates, deployment_room)
    taken: list[FlowRun] = []
    for candidate in candidates:
        if len(taken) >= room:
            break
        assert candidate.deployment_id is not None
        left = deployment_room[candidate.deployment_id]
        if left is not None:
            if left <= 0:
                continue
            deployment_room[candidate.deployment_id] = left - 1
        taken.append(candidate)
    return taken


def _room(limit: int | None, used: int) -> int:
    return 1 << 30 if limit is None else limit - used


def _fill_deployment_room(
    conn: Connection, runs: Sequence[FlowRun], room: dict[uuid.UUID, int | None]
) -> None:
    """Free slots of each deployment with a concurrency limit (None: no limit)."""
    missing = {run.deployment_id for run in runs if run.deployment_id} - set(room)
    if not missing:
        return
    table = m.deployment
    limits = dict(
        conn.execute(
            select(table.c.id, table.c.concurrency_limit).where(table.c.id.in_(missing))
        ).all()
    )
    used = _active_counts(conn, m.flow_run.c.deployment_id, list(missing))
    for key in missing:
        limit = limits.get(key)
        room[key] = None if limit is None else limit - used.get(key, 0)


def worker_heartbeat(
    conn: Connection,
    pool_name: str,
    worker_name: str,
    *,
    heartbeat_interval_seconds: float | None,
    flow_run_ids: Sequence[uuid.UUID],
    now: dt.datetime,
) -> None:
    pool = read_work_pool(conn, pool_name)
    queries.upsert_worker(conn, pool.id, worker_name, heartbeat_interval_seconds, now)
    heartbeat_flow_runs(conn, flow_run_ids, now)


def heartbeat_flow_runs(
    conn: Connection, flow_run_ids: Sequence[uuid.UUID], now: dt.datetime
) -> None:
    """Record that the processes driving these flow runs are alive (``services.crashed_runs``)."""
    if flow_run_ids:
        run = m.flow_run
        conn.execute(update(run).where(run.c.id.in_(list(flow_run_ids))).values(heartbeat_time=now))


def read_workers(conn: Connection, pool_name: str) -> list[Worker]:
    return queries.read_workers(conn, read_work_pool(conn, pool_name).id)
