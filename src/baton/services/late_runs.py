"""Late runs: deployment runs not started a grace period after their time, and why.

A run shows *why* it is late in its ``Late`` state's message: its pool, queue
or deployment is paused, a concurrency limit is full (and which), or nothing
is polling for it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, func, select

from baton.core.deployments import POLL_FRESHNESS
from baton.core.models import FlowRun, RunKind
from baton.core.states import Late, StateType
from baton.orchestrator.transitions import set_run_state
from baton.orchestrator.work_pools import ACTIVE_TYPES, AWAITING_RETRY
from baton.storage import models as m
from baton.storage.database import Database
from baton.storage.queries.runs import run_from_row, select_runs

_BATCH = 500


def run_once(db: Database, now: dt.datetime, after: dt.timedelta | None = None) -> int:
    """Mark the overdue scheduled runs of deployments ``Late``; how many were marked."""
    if after is None:
        from baton.settings import get_settings

        after = dt.timedelta(seconds=get_settings().late_runs_after_seconds)
    run = m.flow_run
    statement = (
        select_runs(RunKind.FLOW_RUN)
        .where(
            run.c.deployment_id.is_not(None),
            run.c.state_type == StateType.SCHEDULED.value,
            run.c.state_name.not_in(("Late", AWAITING_RETRY)),
            run.c.expected_start_time < now - after,
        )
        .order_by(run.c.expected_start_time)
        .limit(_BATCH)
    )
    marked = 0
    with db.write() as conn:
        for row in conn.execute(statement).all():
            overdue = run_from_row(RunKind.FLOW_RUN, row)
            assert isinstance(overdue, FlowRun) and overdue.state is not None
            when = overdue.state.state_details.scheduled_time or overdue.expected_start_time
            assert when is not None
            if when >= now - after:  # a retry rescheduled for later is not late
                continue
            late = Late(when, message=f"Late: {late_reason(conn, overdue, now)}")
            result, _ = set_run_state(conn, RunKind.FLOW_RUN, overdue.id, late)
            marked += result.state is not None and result.state.name == "Late"
    return marked


def late_reason(conn: Connection, run: FlowRun, now: dt.datetime) -> str:
    """Why ``run`` has not started: the first obstacle found, in the order a worker meets them."""
    deployment = conn.execute(
        select(m.deployment).where(m.deployment.c.id == run.deployment_id)
    ).first()
    if deployment is not None and deployment.paused:
        return f"its deployment {deployment.name!r} is paused"
    if run.work_queue_id is None:
        polled = deployment.last_polled if deployment is not None else None
        if polled is None or now - polled > POLL_FRESHNESS:
            return "no process serving its deployment has polled for runs (start it with serve)"
        return _full_deployment_limit(conn, deployment) or "its serving process has not started it"
    queue = conn.execute(
        select(m.work_queue, m.work_pool.c.is_paused.label("pool_paused"))
        .join(m.work_pool, m.work_pool.c.id == m.work_queue.c.work_pool_id)
        .where(m.work_queue.c.id == run.work_queue_id)
    ).first()
    if queue is None:
        return "its work queue no longer exists"
    pool = f"work pool {run.work_pool_name!r}"
    if queue.pool_paused:
        return f"{pool} is paused"
    if queue.is_paused:
        return f"work queue {queue.name!r} of {pool} is paused"
    if queue.last_polled is None or now - queue.last_polled > POLL_FRESHNESS:
        return (
            f"no worker is polling {pool} (queue {queue.name!r}); "
            f"start one with `baton worker start --pool {run.work_pool_name}`"
        )
    if queue.concurrency_limit is not None:
        used = _active(conn, m.flow_run.c.work_queue_id == queue.id)
        if used >= queue.concurrency_limit:
            limit = queue.concurrency_limit
            return f"the concurrency limit of work queue {queue.name!r} is full ({used}/{limit})"
    pool_row = conn.execute(select(m.work_pool).where(m.work_pool.c.id == queue.work_pool_id)).one()
    if pool_row.concurrency_limit is not None:
        queues = select(m.work_queue.c.id).where(m.work_queue.c.work_pool_id == pool_row.id)
        used = _active(conn, m.flow_run.c.work_queue_id.in_(queues))
        if used >= pool_row.concurrency_limit:
            limit = pool_row.concurrency_limit
            return f"the concurrency limit of {pool} is full ({used}/{limit})"
    return _full_deployment_limit(conn, deployment) or "its worker has not claimed it yet"


def _full_deployment_limit(conn: Connection, deployment: Row[Any] | None) -> str | None:
    if deployment is None or deployment.concurrency_limit is None:
        return None
    limit = deployment.concurrency_limit
    used = _active(conn, m.flow_run.c.deployment_id == deployment.id)
    if used >= limit:
        return f"the concurrency limit of deployment {deployment.name!r} is full ({used}/{limit})"
    return None


def _active(conn: Connection, condition: ColumnElement[bool]) -> int:
    run = m.flow_run
    statement = select(func.count()).where(condition, run.c.state_type.in_(ACTIVE_TYPES))
    return conn.scalar(statement) or 0
