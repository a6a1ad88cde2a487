"""Deployments, a work pool with workers, and deployment runs in telling states.

Everything is made through the client, as users make it; the late-runs service
marks the overdue run Late with its reason, and the worker that fell silent
gets its old heartbeat written by the orchestrator function a worker's request
would call.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Literal

from baton.client import get_client
from baton.client.embedded import EmbeddedClient
from baton.core.actions import (
    DeploymentCreate,
    DeploymentFlowRunCreate,
    DeploymentScheduleCreate,
    WorkPoolCreate,
    WorkQueueCreate,
)
from baton.core.states import Completed, Failed, Pending, Running
from baton.engine.parameters import parameter_schema
from baton.orchestrator.work_pools import worker_heartbeat
from baton.services import late_runs

POOL = "etl-pool"


def report(
    day: dt.date,
    *,
    rows: int = 10,
    ratio: float = 0.5,
    strict: bool = False,
    mode: Literal["fast", "slow"] = "fast",
    sources: list[str] = ["orders"],  # noqa: B006 - a default shown in the form
    at: dt.datetime | None = None,
) -> None:
    """The signature whose schema the Run form is made from."""


@dataclass(frozen=True)
class Fleet:
    deployment: uuid.UUID
    """``report/daily``: scheduled, on ``POOL``, with a parameter schema."""
    paused: uuid.UUID
    """``report/adhoc``: paused, no schedules, no schema, no pool."""
    late_run: uuid.UUID
    waiting_run: uuid.UUID
    running_run: uuid.UUID
    failed_run: uuid.UUID
    completed_run: uuid.UUID
    """A run of ``report/adhoc`` that completed."""


def make_fleet() -> Fleet:
    client = get_client()
    assert isinstance(client, EmbeddedClient)
    now = dt.datetime.now(dt.timezone.utc)
    client.create_work_pool(WorkPoolCreate(name=POOL, concurrency_limit=4))
    client.create_work_queue(POOL, WorkQueueCreate(name="urgent", concurrency_limit=1))
    flow_id = client.read_or_create_flow("report").id
    daily = client.create_deployment(
        DeploymentCreate(
            flow_id=flow_id,
            name="daily",
            description="The morning report.",
            entrypoint="flows/report.py:report",
            parameters={"rows": 5},
            parameter_openapi_schema=parameter_schema(report),
            schedules=[
                DeploymentScheduleCreate(schedule={"cron": "0 6 * * *"}),
                DeploymentScheduleCreate(schedule={"interval": 7200}, active=False),
            ],
            work_pool_name=POOL,
        )
    )
    adhoc = client.create_deployment(
        DeploymentCreate(flow_id=flow_id, name="adhoc", paused=True, parameters={"n": 1})
    )

    def run(deployment: uuid.UUID, day: str, **fields: object) -> uuid.UUID:
        data = DeploymentFlowRunCreate(parameters={"day": day}, **fields)
        return client.create_flow_run_from_deployment(deployment, data).id

    late = run(daily.id, "2024-05-01", scheduled_time=now - dt.timedelta(hours=1))
    late_runs.run_once(client.db, now, after=dt.timedelta(0))
    waiting = run(daily.id, "2024-05-02", scheduled_time=now + dt.timedelta(days=3))
    running = run(daily.id, "2024-05-03")
    failed = run(daily.id, "2024-05-04")
    for run_id in (running, failed):
        client.set_flow_run_state(run_id, Pending())
        client.set_flow_run_state(run_id, Running())
    client.set_flow_run_state(failed, Failed(message="the warehouse was down"))
    completed = client.create_flow_run_from_deployment(
        adhoc.id, DeploymentFlowRunCreate(parameters={"n": 2})
    ).id
    for state in (Pending(), Running(), Completed()):
        client.set_flow_run_state(completed, state)

    client.worker_heartbeat(POOL, "worker-live", heartbeat_interval_seconds=30)
    with client.db.write() as conn:
        worker_heartbeat(
            conn,
            POOL,
            "worker-gone",
            heartbeat_interval_seconds=30,
            flow_run_ids=(),
            now=now - dt.timedelta(minutes=10),
        )
    client.flush()
    return Fleet(daily.id, adhoc.id, late, waiting, running, failed, completed)
