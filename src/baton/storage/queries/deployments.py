"""Deployments and their schedules."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Select, delete, select, update

from baton.core.deployments import Deployment, DeploymentSchedule
from baton.core.states import StateType
from baton.storage import models as m

_SCHEDULE_ORDER = (m.deployment_schedule.c.created, m.deployment_schedule.c.id)


def _select_deployments() -> Select[Any]:
    """Deployments with their flow's name and their queue's and pool's names."""
    d, q, p = m.deployment, m.work_queue, m.work_pool
    return (
        select(
            d,
            m.flow.c.name.label("flow_name"),
            q.c.name.label("work_queue_name"),
            p.c.name.label("work_pool_name"),
        )
        .join(m.flow, m.flow.c.id == d.c.flow_id)
        .outerjoin(q, q.c.id == d.c.work_queue_id)
        .outerjoin(p, p.c.id == q.c.work_pool_id)
    )


def _with_schedules(conn: Connection, rows: Sequence[Any]) -> list[Deployment]:
    deployments = [Deployment.model_validate(row._mapping) for row in rows]
    if not deployments:
        return deployments
    by_id = {deployment.id: deployment for deployment in deployments}
    table = m.deployment_schedule
    statement = (
        select(table).where(table.c.deployment_id.in_(list(by_id))).order_by(*_SCHEDULE_ORDER)
    )
    for row in conn.execute(statement):
        schedule = DeploymentSchedule.model_validate(row._mapping)
        by_id[schedule.deployment_id].schedules.append(schedule)
    return deployments


def insert_deployment(conn: Connection, deployment: Deployment) -> None:
    values = deployment.model_dump(
        mode="json",
        exclude={"schedules", "flow_name", "work_pool_name", "work_queue_name"},
    )
    values.update(
        id=deployment.id,
        flow_id=deployment.flow_id,
        work_queue_id=deployment.work_queue_id,
        created=deployment.created,
        updated=deployment.updated,
        last_polled=deployment.last_polled,
    )
    conn.execute(m.deployment.insert().values(values))


def read_deployment(conn: Connection, deployment_id: uuid.UUID) -> Deployment | None:
    statement = _select_deployments().where(m.deployment.c.id == deployment_id)
    found = _with_schedules(conn, conn.execute(statement).all())
    return found[0] if found else None


def read_deployment_by_name(conn: Connection, flow_name: str, name: str) -> Deployment | None:
    statement = _select_deployments().where(m.flow.c.name == flow_name, m.deployment.c.name == name)
    found = _with_schedules(conn, conn.execute(statement).all())
    return found[0] if found else None


def find_deployment_id(conn: Connection, flow_id: uuid.UUID, name: str) -> uuid.UUID | None:
    table = m.deployment
    statement = select(table.c.id).where(table.c.flow_id == flow_id, table.c.name == name)
    found: uuid.UUID | None = conn.scalar(statement)
    return found


def read_deployments(
    conn: Connection,
    *,
    flow_id: uuid.UUID | None = None,
    ids: Sequence[uuid.UUID] | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[Deployment]:
    """Deployments by flow name, then name."""
    statement = _select_deployments()
    if flow_id is not None:
        statement = statement.where(m.deployment.c.flow_id == flow_id)
    if ids is not None:
        statement = statement.where(m.deployment.c.id.in_(list(ids)))
    statement = statement.order_by(m.flow.c.name, m.deployment.c.name).limit(limit).offset(offset)
    return _with_schedules(conn, conn.execute(statement).all())


def update_deployment(conn: Connection, deployment_id: uuid.UUID, values: dict[str, Any]) -> None:
    table = m.deployment
    conn.execute(update(table).where(table.c.id == deployment_id).values(values))


def delete_deployment(conn: Connection, deployment_id: uuid.UUID) -> bool:
    table = m.deployment
    return conn.execute(delete(table).where(table.c.id == deployment_id)).rowcount > 0


def replace_schedules(
    conn: Connection, deployment_id: uuid.UUID, schedules: Sequence[DeploymentSchedule]
) -> None:
    table = m.deployment_schedule
    conn.execute(delete(table).where(table.c.deployment_id == deployment_id))
    insert_schedules(conn, schedules)


def insert_schedules(conn: Connection, schedules: Sequence[DeploymentSchedule]) -> None:
    if schedules:
        conn.execute(m.deployment_schedule.insert(), [s.model_dump() for s in schedules])


def update_schedule(
    conn: Connection, deployment_id: uuid.UUID, schedule_id: uuid.UUID, values: dict[str, Any]
) -> bool:
    table = m.deployment_schedule
    statement = update(table).where(
        table.c.id == schedule_id, table.c.deployment_id == deployment_id
    )
    return conn.execute(statement.values(values)).rowcount > 0


def delete_schedule(conn: Connection, deployment_id: uuid.UUID, schedule_id: uuid.UUID) -> bool:
    table = m.deployment_schedule
    statement = delete(table).where(
        table.c.id == schedule_id, table.c.deployment_id == deployment_id
    )
    return conn.execute(statement).rowcount > 0


def read_active_schedules(conn: Connection) -> list[tuple[DeploymentSchedule, Deployment]]:
    """Every active schedule of a deployment that is not paused, with its deployment."""
    table = m.deployment_schedule
    statement = (
        select(table.c.deployment_id)
        .join(m.deployment, m.deployment.c.id == table.c.deployment_id)
        .where(table.c.active.is_(True), m.deployment.c.paused.is_(False))
        .distinct()
    )
    ids = list(conn.scalars(statement))
    pairs: list[tuple[DeploymentSchedule, Deployment]] = []
    for start in range(0, len(ids), 500):
        for deployment in read_deployments(conn, ids=ids[start : start + 500], limit=500):
            pairs.extend((s, deployment) for s in deployment.schedules if s.active)
    return pairs


def read_used_idempotency_keys(
    conn: Connection, flow_id: uuid.UUID, keys: Sequence[str]
) -> set[str]:
    """Which of ``keys`` a run of the flow already has."""
    run = m.flow_run
    used: set[str] = set()
    for start in range(0, len(keys), 500):
        statement = select(run.c.idempotency_key).where(
            run.c.flow_id == flow_id, run.c.idempotency_key.in_(keys[start : start + 500])
        )
        used.update(conn.scalars(statement))
    return used


def delete_future_auto_scheduled_runs(
    conn: Connection, deployment_id: uuid.UUID, now: dt.datetime
) -> int:
    """Remove the runs the scheduler made that have not started yet (they are remade)."""
    run = m.flow_run
    statement = delete(run).where(
        run.c.deployment_id == deployment_id,
        run.c.auto_scheduled.is_(True),
        run.c.state_type == StateType.SCHEDULED.value,
        run.c.expected_start_time >= now,
    )
    return conn.execute(statement).rowcount


def touch_queue_deployments(
    conn: Connection, queue_ids: Sequence[uuid.UUID], now: dt.datetime
) -> None:
    """Record that a worker asked for the runs of the deployments of these queues."""
    if queue_ids:
        table = m.deployment
        statement = update(table).where(table.c.work_queue_id.in_(list(queue_ids)))
        conn.execute(statement.values(last_polled=now))


def touch_deployments(conn: Connection, ids: Sequence[uuid.UUID], now: dt.datetime) -> None:
    """Record that a ``serve`` process asked for these deployments' runs."""
    if ids:
        table = m.deployment
        conn.execute(update(table).where(table.c.id.in_(list(ids))).values(last_polled=now))
