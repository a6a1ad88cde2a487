"""Deployments: register, read, change and run them (Prefect 2's ``/deployments`` routes)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, HTTPException, Path, Response, status
from sqlalchemy import Connection

from baton.api.deps import DatabaseDep, ReadConn
from baton.api.schemas.deployment_filters import (
    DeploymentCountBody,
    DeploymentFilterBody,
)
from baton.api.schemas.deployments import (
    DeploymentCreateBody,
    DeploymentFlowRunCreateBody,
    DeploymentResponse,
    DeploymentScheduleCreateBody,
    DeploymentScheduledRunsBody,
    DeploymentScheduleResponse,
    DeploymentScheduleUpdateBody,
    DeploymentUpdateBody,
)
from baton.api.schemas.runs import FlowRunResponse
from baton.core.actions import DeploymentUpdate
from baton.core.deployments import Deployment
from baton.core.schedules import InvalidSchedule
from baton.core.states import utcnow
from baton.orchestrator import deployments, work_pools
from baton.storage.database import Database

router = APIRouter(prefix="/deployments", tags=["deployments"])
DeploymentId = Annotated[uuid.UUID, Path(alias="id", description="The deployment's id.")]
T = TypeVar("T")
ALL = 2**31 - 1


def _write(db: Database, change: Callable[[Connection], T]) -> T:
    """``change`` in one write transaction; a schedule that cannot work is a 422."""
    try:
        with db.write() as conn:
            return change(conn)
    except InvalidSchedule as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None


def _answer(deployment: Deployment) -> DeploymentResponse:
    return DeploymentResponse.from_deployment(deployment, utcnow())


def _change(db: Database, deployment_id: uuid.UUID, data: DeploymentUpdate) -> Deployment:
    return _write(
        db, lambda conn: deployments.update_deployment(conn, deployment_id, data, utcnow())
    )


@router.post("/")
def create_deployment(body: DeploymentCreateBody, db: DatabaseDep) -> DeploymentResponse:
    """Register a deployment; one of the same flow and name is replaced (200 either way)."""
    action = body.to_action()
    return _answer(_write(db, lambda conn: deployments.create_deployment(conn, action, utcnow())))


def _matching(conn: Connection, body: DeploymentCountBody) -> list[Deployment]:
    found = deployments.read_deployments(conn, flow_id=body.flow_id, limit=ALL)
    return body.select(found)


@router.post("/get_scheduled_flow_runs")
def get_scheduled_flow_runs_for_deployments(
    body: DeploymentScheduledRunsBody, db: DatabaseDep
) -> list[FlowRunResponse]:
    """Due scheduled runs of these deployments, earliest first (what ``serve`` polls).

    The deployments are marked as polled.
    """
    with db.write() as conn:
        runs = work_pools.get_scheduled_flow_runs_for_deployments(
            conn,
            body.deployment_ids,
            scheduled_before=body.scheduled_before,
            limit=body.limit,
            now=utcnow(),
        )
    return [FlowRunResponse.from_run(run) for run in runs]


@router.post("/filter")
def read_deployments(body: DeploymentFilterBody, conn: ReadConn) -> list[DeploymentResponse]:
    return [_answer(deployment) for deployment in _matching(conn, body)]


@router.post("/count")
def count_deployments(body: DeploymentCountBody, conn: ReadConn) -> int:
    return len(_matching(conn, body))


@router.get("/name/{flow_name}/{deployment_name}")
def read_deployment_by_name(
    flow_name: str, deployment_name: str, conn: ReadConn
) -> DeploymentResponse:
    return _answer(deployments.read_deployment_by_name(conn, f"{flow_name}/{deployment_name}"))


@router.get("/{id}")
def read_deployment(deployment_id: DeploymentId, conn: ReadConn) -> DeploymentResponse:
    return _answer(deployments.read_deployment(conn, deployment_id))


@router.patch("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def update_deployment(
    deployment_id: DeploymentId, body: DeploymentUpdateBody, db: DatabaseDep
) -> Response:
    """Change the fields given; runs made ahead that the schedules no longer want go."""
    _change(db, deployment_id, body.to_action())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_deployment(deployment_id: DeploymentId, db: DatabaseDep) -> Response:
    """Delete the deployment and its runs not started yet; past runs stay."""
    _write(db, lambda conn: deployments.delete_deployment(conn, deployment_id, utcnow()))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{id}/create_flow_run")
def create_flow_run(
    deployment_id: DeploymentId, body: DeploymentFlowRunCreateBody, db: DatabaseDep
) -> FlowRunResponse:
    """A Scheduled run of the deployment, its defaults overridden by the body.

    Parameters that do not fit the flow's schema are a 422 and make no run; a
    repeated ``idempotency_key`` answers with the run the first request made.
    """
    action = body.to_action()
    run = _write(
        db,
        lambda conn: deployments.create_flow_run_from_deployment(
            conn, deployment_id, action, utcnow()
        ),
    )
    return FlowRunResponse.from_run(run)


@router.post("/{id}/pause_deployment")
def pause_deployment(deployment_id: DeploymentId, db: DatabaseDep) -> None:
    """Stop scheduling and starting the deployment's runs."""
    _change(db, deployment_id, DeploymentUpdate(paused=True))


@router.post("/{id}/resume_deployment")
def resume_deployment(deployment_id: DeploymentId, db: DatabaseDep) -> None:
    """Schedule and start the deployment's runs again."""
    _change(db, deployment_id, DeploymentUpdate(paused=False))


@router.post("/{id}/set_schedule_inactive")
def set_schedule_inactive(deployment_id: DeploymentId, db: DatabaseDep) -> None:
    """Prefect's older name for ``pause_deployment``."""
    pause_deployment(deployment_id, db)


@router.post("/{id}/set_schedule_active")
def set_schedule_active(deployment_id: DeploymentId, db: DatabaseDep) -> None:
    """Prefect's older name for ``resume_deployment``."""
    resume_deployment(deployment_id, db)


@router.get("/{id}/schedules")
def read_deployment_schedules(
    deployment_id: DeploymentId, conn: ReadConn
) -> list[DeploymentScheduleResponse]:
    deployment = deployments.read_deployment(conn, deployment_id)
    return [DeploymentScheduleResponse.from_schedule(s) for s in deployment.schedules]


@router.post("/{id}/schedules", status_code=status.HTTP_201_CREATED)
def create_deployment_schedules(
    deployment_id: DeploymentId, body: list[DeploymentScheduleCreateBody], db: DatabaseDep
) -> list[DeploymentScheduleResponse]:
    """Add schedules to the deployment's; the answer is the schedules added."""
    actions = [entry.to_action() for entry in body]
    added = _write(
        db,
        lambda conn: deployments.add_deployment_schedules(conn, deployment_id, actions, utcnow()),
    )
    return [DeploymentScheduleResponse.from_schedule(schedule) for schedule in added]


@router.patch("/{id}/schedules/{schedule_id}", status_code=status.HTTP_204_NO_CONTENT)
def update_deployment_schedule(
    deployment_id: DeploymentId,
    schedule_id: uuid.UUID,
    body: DeploymentScheduleUpdateBody,
    db: DatabaseDep,
) -> Response:
    """Pause, resume or change one schedule; the runs it made ahead are remade."""
    action = body.to_action()
    _write(
        db,
        lambda conn: deployments.update_deployment_schedule(
            conn, deployment_id, schedule_id, action, utcnow()
        ),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/{id}/schedules/{schedule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_deployment_schedule(
    deployment_id: DeploymentId, schedule_id: uuid.UUID, db: DatabaseDep
) -> Response:
    """Delete one schedule with the runs it made ahead."""
    _write(
        db,
        lambda conn: deployments.delete_deployment_schedule(
            conn, deployment_id, schedule_id, utcnow()
        ),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
