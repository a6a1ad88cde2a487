"""Deployments, and the runs made from them on request or on schedule.

Every way a deployment run is made (the API, the CLI, the scheduler, ``serve``)
goes through ``create_flow_run_from_deployment`` or ``schedule_flow_runs``, so
parameters are checked against the flow's schema and idempotency keys are
honoured in one place.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from baton.core.actions import (
    DeploymentCreate,
    DeploymentFlowRunCreate,
    DeploymentScheduleCreate,
    DeploymentScheduleUpdate,
    DeploymentUpdate,
    FlowRunCreate,
    FlowRunUpdate,
)
from baton.core.deployments import (
    Deployment,
    DeploymentSchedule,
    WorkQueue,
    scheduled_run_key,
)
from baton.core.models import FlowRun, RetryPolicy, RunKind
from baton.core.orchestration.judging import judge
from baton.core.parameter_schemas import validate_parameters
from baton.core.schedules import parse_schedule
from baton.core.states import Scheduled
from baton.exceptions import ObjectNotFound
from baton.orchestrator import transitions
from baton.orchestrator.runs import new_flow_run
from baton.orchestrator.store import SqlOrchestrationStore
from baton.orchestrator.work_pools import resolve_work_queue
from baton.storage import models as m
from baton.storage.batch import WriteBatch
from baton.storage.queries import deployments as queries
from baton.storage.queries import flows, runs
from baton.storage.queries import work_pools as work_pool_queries

_NAME_SEPARATOR = "/"


def create_deployment(conn: Connection, data: DeploymentCreate, now: dt.datetime) -> Deployment:
    """Register ``data``; a deployment of the same flow and name is replaced in place."""
    if flows.read_flow(conn, data.flow_id) is None:
        raise ObjectNotFound("flow", data.flow_id)
    validate_parameters(data.parameter_openapi_schema, data.parameters, partial=True)
    schedules = _checked_schedules(data.schedules)
    queue = _queue_for(conn, data.work_pool_name, data.work_queue_name)
    fields = data.model_dump(exclude={"schedules", "work_pool_name", "work_queue_name", "source"})
    existing = queries.find_deployment_id(conn, data.flow_id, data.name)
    if existing is not None:
        values = {**fields, "source": _source_json(data), "updated": now}
        values["work_queue_id"] = queue.id if queue else None
        queries.update_deployment(conn, existing, values)
        queries.delete_future_auto_scheduled_runs(conn, existing, now)
        deployment_id = existing
    else:
        deployment = Deployment(
            **fields, source=data.source, work_queue_id=queue.id if queue else None
        )
        queries.insert_deployment(conn, deployment)
        deployment_id = deployment.id
    queries.replace_schedules(conn, deployment_id, _schedule_rows(deployment_id, schedules, now))
    return read_deployment(conn, deployment_id)


def _source_json(data: DeploymentCreate) -> dict[str, Any] | None:
    return data.source.model_dump(mode="json") if data.source else None


def _checked_schedules(schedules: Sequence[DeploymentScheduleCreate]) -> list[dict[str, Any]]:
    """Each schedule validated (``InvalidSchedule`` names what is wrong), as stored JSON."""
    checked = []
    for entry in schedules:
        schedule = parse_schedule(entry.schedule)
        checked.append({"schedule": schedule.model_dump(mode="json"), "active": entry.active})
    return checked


def _schedule_rows(
    deployment_id: uuid.UUID, schedules: list[dict[str, Any]], now: dt.datetime
) -> list[DeploymentSchedule]:
    # Schedules are read back by creation time: a microsecond apart keeps the given order.
    return [
        DeploymentSchedule(
            deployment_id=deployment_id, created=now + position, updated=now, **entry
        )
        for position, entry in zip(_steps(len(schedules)), schedules, strict=True)
    ]


def _steps(count: int) -> list[dt.timedelta]:
    return [dt.timedelta(microseconds=i) for i in range(count)]


def _queue_for(conn: Connection, pool: str | None, queue: str | None) -> WorkQueue | None:
    if pool is None:
        if queue is not None:
            raise ObjectNotFound("work queue without a work pool", repr(queue))
        return None
    return resolve_work_queue(conn, pool, queue)


def read_deployment(conn: Connection, deployment_id: uuid.UUID) -> Deployment:
    deployment = queries.read_deployment(conn, deployment_id)
    if deployment is None:
        raise ObjectNotFound("deployment", deployment_id)
    return deployment


def read_deployment_by_name(conn: Connection, name: str) -> Deployment:
    """The deployment called ``"flow-name/deployment-name"``."""
    flow_name, separator, deployment_name = name.partition(_NAME_SEPARATOR)
    if not separator or not flow_name or not deployment_name:
        raise ObjectNotFound("deployment named", f"{name!r} (expected 'flow-name/deployment-name')")
    deployment = queries.read_deployment_by_name(conn, flow_name, deployment_name)
    if deployment is None:
        raise ObjectNotFound("deployment named", repr(name))
    return deployment


def read_deployments(
    conn: Connection, *, flow_id: uuid.UUID | None = None, limit: int = 200, offset: int = 0
) -> list[Deployment]:
    return queries.read_deployments(conn, flow_id=flow_id, limit=limit, offset=offset)


def update_deployment(
    conn: Connection, deployment_id: uuid.UUID, data: DeploymentUpdate, now: dt.datetime
) -> Deployment:
    """Change the fields set in ``data``.

    The runs the scheduler made ahead that have not started are removed; its next
    loop makes the ones the deployment still wants, so an edited or paused schedule
    leaves no stale runs behind.
    """
    deployment = read_deployment(conn, deployment_id)
    changes = data.model_dump(exclude_unset=True)
    schedules = changes.pop("schedules", None)
    if "parameters" in changes:
        validate_parameters(
            deployment.parameter_openapi_schema, data.parameters or {}, partial=True
        )
    if "work_pool_name" in changes or "work_queue_name" in changes:
        pool = changes.pop("work_pool_name", deployment.work_pool_name)
        queue = changes.pop("work_queue_name", None)
        found = _queue_for(conn, pool, queue)
        changes["work_queue_id"] = found.id if found else None
    for field in ("tags", "parameters", "job_variables"):
        if field in changes and changes[field] is None:
            changes[field] = [] if field == "tags" else {}
    if "crash_retries" in changes and changes["crash_retries"] is None:
        changes["crash_retries"] = 0
    if data.schedules is not None:
        rows = _schedule_rows(deployment_id, _checked_schedules(data.schedules), now)
        queries.replace_schedules(conn, deployment_id, rows)
    elif schedules is not None:  # an explicit null: no schedules
        queries.replace_schedules(conn, deployment_id, [])
    queries.update_deployment(conn, deployment_id, {**changes, "updated": now})
    queries.delete_future_auto_scheduled_runs(conn, deployment_id, now)
    return read_deployment(conn, deployment_id)


def add_deployment_schedules(
    conn: Connection,
    deployment_id: uuid.UUID,
    schedules: Sequence[DeploymentScheduleCreate],
    now: dt.datetime,
) -> list[DeploymentSchedule]:
    """Add schedules to the deployment's (theirs keep their ids); the schedules added."""
    deployment = read_deployment(conn, deployment_id)
    after = now + dt.timedelta(microseconds=len(deployment.schedules))
    added = _schedule_rows(deployment_id, _checked_schedules(schedules), after)
    queries.insert_schedules(conn, added)
    _schedules_changed(conn, deployment_id, now)
    return added


def update_deployment_schedule(
    conn: Connection,
    deployment_id: uuid.UUID,
    schedule_id: uuid.UUID,
    data: DeploymentScheduleUpdate,
    now: dt.datetime,
) -> DeploymentSchedule:
    """Pause, resume or change one schedule; the runs it made ahead are remade."""
    read_deployment(conn, deployment_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("schedule") is not None:
        changes["schedule"] = parse_schedule(changes["schedule"]).model_dump(mode="json")
    changes = {key: value for key, value in changes.items() if value is not None}
    if not queries.update_schedule(conn, deployment_id, schedule_id, {**changes, "updated": now}):
        raise ObjectNotFound(f"schedule of deployment {deployment_id}", schedule_id)
    _schedules_changed(conn, deployment_id, now)
    found = [s for s in read_deployment(conn, deployment_id).schedules if s.id == schedule_id]
    return found[0]


def delete_deployment_schedule(
    conn: Connection, deployment_id: uuid.UUID, schedule_id: uuid.UUID, now: dt.datetime
) -> None:
    read_deployment(conn, deployment_id)
    if not queries.delete_schedule(conn, deployment_id, schedule_id):
        raise ObjectNotFound(f"schedule of deployment {deployment_id}", schedule_id)
    _schedules_changed(conn, deployment_id, now)


def _schedules_changed(conn: Connection, deployment_id: uuid.UUID, now: dt.datetime) -> None:
    """Mark the deployment changed (a scheduler pass reading it before makes no runs) and
    remove the runs made ahead; the scheduler makes those still wanted."""
    queries.update_deployment(conn, deployment_id, {"updated": now})
    queries.delete_future_auto_scheduled_runs(conn, deployment_id, now)


def delete_deployment(conn: Connection, deployment_id: uuid.UUID, now: dt.datetime) -> None:
    """Delete the deployment and the runs its schedules made ahead; past runs stay."""
    read_deployment(conn, deployment_id)
    queries.delete_future_auto_scheduled_runs(conn, deployment_id, now)
    queries.delete_deployment(conn, deployment_id)


def create_flow_run_from_deployment(
    conn: Connection, deployment_id: uuid.UUID, data: DeploymentFlowRunCreate, now: dt.datetime
) -> FlowRun:
    """A ``Scheduled`` run of the deployment; bad parameters raise and create nothing.

    With an ``idempotency_key`` already used for this flow, the existing run is
    returned instead of a new one.
    """
    deployment = read_deployment(conn, deployment_id)
    if data.idempotency_key is not None:
        existing = runs.read_flow_run_by_idempotency_key(
            conn, deployment.flow_id, data.idempotency_key
        )
        if existing is not None:
            return existing
    return _make_run(conn, deployment, data, now, auto_scheduled=False)


def _make_run(
    conn: Connection,
    deployment: Deployment,
    data: DeploymentFlowRunCreate,
    now: dt.datetime,
    *,
    auto_scheduled: bool,
) -> FlowRun:
    parameters = _run_parameters(deployment, data.parameters)
    queue = _run_queue(conn, deployment, data.work_queue_name)
    run = new_flow_run(_run_action(deployment, data, parameters, queue, auto_scheduled))
    initial = Scheduled(scheduled_time=data.scheduled_time or now)
    created = transitions.create_run(conn, RunKind.FLOW_RUN, run, initial)
    assert isinstance(created, FlowRun)
    return created


def _run_parameters(deployment: Deployment, requested: dict[str, Any]) -> dict[str, Any]:
    """The deployment's defaults overridden by ``requested``, checked against its schema."""
    parameters = {**deployment.parameters, **requested}
    if deployment.enforce_parameter_schema:
        validate_parameters(deployment.parameter_openapi_schema, parameters)
    return parameters


def _run_action(
    deployment: Deployment,
    data: DeploymentFlowRunCreate,
    parameters: dict[str, Any],
    queue: WorkQueue | None,
    auto_scheduled: bool,
) -> FlowRunCreate:
    return FlowRunCreate(
        flow_id=deployment.flow_id,
        name=data.name,
        parameters=parameters,
        tags=sorted({*deployment.tags, *data.tags}),
        deployment_id=deployment.id,
        flow_version=deployment.version,
        idempotency_key=data.idempotency_key,
        auto_scheduled=auto_scheduled,
        work_queue_id=queue.id if queue else None,
        work_pool_name=queue.work_pool_name if queue else None,
        work_queue_name=queue.name if queue else None,
        job_variables={**deployment.job_variables, **data.job_variables},
        empirical_policy=RetryPolicy(crash_retries=deployment.crash_retries),
    )


def _run_queue(
    conn: Connection, deployment: Deployment, queue_name: str | None
) -> WorkQueue | None:
    if queue_name is not None:
        if deployment.work_pool_name is None:
            raise ObjectNotFound("work queue without a work pool", repr(queue_name))
        return resolve_work_queue(conn, deployment.work_pool_name, queue_name)
    if deployment.work_queue_id is None:
        return None
    return work_pool_queries.read_work_queue_by_id(conn, deployment.work_queue_id)


def schedule_flow_runs(
    conn: Connection,
    deployment: Deployment,
    schedule: DeploymentSchedule,
    dates: Sequence[dt.datetime],
    now: dt.datetime,
) -> int:
    """Make the scheduled runs of ``dates`` that do not exist yet; how many were made.

    Each run's idempotency key names its deployment, schedule and time, and the
    database holds keys unique per flow, so a date is never run twice, whichever
    scheduler gets there first. The runs share their parameters and queue, so
    those are checked once; each run's first state is judged by the rules, and
    all the rows are written in one batch.
    """
    keys = {scheduled_run_key(deployment.id, schedule.id, when): when for when in dates}
    taken = queries.read_used_idempotency_keys(conn, deployment.flow_id, list(keys))
    wanted = [(key, when) for key, when in keys.items() if key not in taken]
    if not wanted:
        return 0
    parameters = _run_parameters(deployment, {})
    queue = _run_queue(conn, deployment, None)
    store = SqlOrchestrationStore(conn)
    batch = WriteBatch()
    for key, when in wanted:
        data = DeploymentFlowRunCreate(scheduled_time=when, idempotency_key=key)
        run = new_flow_run(_run_action(deployment, data, parameters, queue, True))
        ctx = judge(run, RunKind.FLOW_RUN, Scheduled(scheduled_time=when), store=store)
        for op in transitions.outcome_ops(ctx, created=True):
            batch.add(op)
    batch.write(conn)
    return len(wanted)


def update_flow_run(
    conn: Connection, run_id: uuid.UUID, data: FlowRunUpdate, now: dt.datetime
) -> FlowRun:
    if runs.read_run(conn, RunKind.FLOW_RUN, run_id) is None:
        raise ObjectNotFound("flow run", run_id)
    changes = data.model_dump(exclude_unset=True)
    if "tags" in changes and changes["tags"] is None:
        changes["tags"] = []
    if "name" in changes and not changes["name"]:
        changes.pop("name")
    run = m.flow_run
    conn.execute(run.update().where(run.c.id == run_id).values({**changes, "updated": now}))
    found = runs.read_run(conn, RunKind.FLOW_RUN, run_id)
    assert isinstance(found, FlowRun)
    return found
