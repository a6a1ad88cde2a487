"""``serve()``: run flows on their schedules from one long-lived process, no work pool needed.

``my_flow.serve("nightly", cron="0 3 * * *")`` registers a deployment whose code
is the directory the process runs in, then stays up: it makes the
deployment's scheduled runs as they come due (with the same idempotency keys
as the server's scheduler, so a run is made once whoever makes it) and runs
them, and any run created by hand, each in a process of its own, exactly as
a worker does. Several flows serve from one process with
``serve(a.to_deployment(...), b.to_deployment(...))``.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from baton.client.base import BatonClient
from baton.core.actions import DeploymentCreate, DeploymentFlowRunCreate, DeploymentScheduleCreate
from baton.core.deployments import Deployment, scheduled_run_key
from baton.core.models import FlowRun
from baton.core.schedules import parse_schedule, schedule_from_options
from baton.flows import Flow
from baton.runner.entrypoint import entrypoint_of
from baton.runner.loop import (
    DEFAULT_CANCEL_GRACE,
    DEFAULT_HEARTBEAT_INTERVAL,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_SHUTDOWN_GRACE,
    RunLoop,
    RunSource,
)

SCHEDULE_AHEAD = dt.timedelta(seconds=10)
"""How far ahead served schedules get their runs made: they show up as upcoming."""
MAX_RUNS_AHEAD = 10
"""At most this many runs made ahead per schedule and pass."""


@dataclass
class ServedDeployment:
    """A flow ready to be registered as a deployment whose code is a local directory."""

    flow: Flow[..., Any]
    name: str
    entrypoint: str
    path: str
    schedules: list[dict[str, Any]] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    description: str | None = None
    version: str | None = None
    paused: bool = False

    @classmethod
    def of(
        cls,
        flow: Flow[..., Any],
        name: str,
        *,
        cron: str | None = None,
        interval: float | dt.timedelta | None = None,
        rrule: str | None = None,
        timezone: str | None = None,
        parameters: dict[str, Any] | None = None,
        tags: Sequence[str] | None = None,
        description: str | None = None,
        version: str | None = None,
        paused: bool = False,
    ) -> ServedDeployment:
        """What ``Flow.to_deployment`` builds; bad schedules and parameters raise here."""
        schedules = []
        if cron is not None or interval is not None or rrule is not None:
            schedule = schedule_from_options(
                cron=cron, interval=interval, rrule=rrule, timezone=timezone
            )
            schedules.append(schedule.model_dump(mode="json", exclude_none=True))
        elif timezone is not None:
            raise ValueError("timezone needs a cron, interval or rrule schedule")
        flow.validate_parameters(parameters or {})
        directory = _code_directory(flow)
        return cls(
            flow=flow,
            name=name,
            entrypoint=entrypoint_of(flow, directory),
            path=str(directory),
            schedules=schedules,
            parameters=dict(parameters or {}),
            tags=list(tags or ()),
            description=description if description is not None else flow.description,
            version=version if version is not None else flow.version,
            paused=paused,
        )

    def to_create(self, flow_id: uuid.UUID) -> DeploymentCreate:
        """The request that registers this deployment of flow ``flow_id``."""
        from baton.engine.parameters import parameter_schema

        return DeploymentCreate(
            flow_id=flow_id,
            name=self.name,
            description=self.description,
            version=self.version,
            tags=self.tags,
            entrypoint=self.entrypoint,
            path=self.path,
            parameters=self.parameters,
            parameter_openapi_schema=parameter_schema(self.flow.fn),
            paused=self.paused,
            schedules=[DeploymentScheduleCreate(schedule=s) for s in self.schedules],
        )


def _code_directory(flow: Flow[..., Any]) -> Path:
    """The working directory, or the flow's own directory when it is defined elsewhere."""
    import inspect

    cwd = Path.cwd().resolve()
    try:
        source = Path(inspect.getsourcefile(flow.fn) or "").resolve()
    except TypeError:
        return cwd
    return cwd if source.is_relative_to(cwd) else source.parent


class ServedDeployments(RunSource):
    """Due runs of the deployments one ``serve()`` registered, whose schedules it keeps."""

    def __init__(self, served: Sequence[ServedDeployment]) -> None:
        self.served = list(served)
        self.deployments: list[Deployment] = []
        self._made: dict[str, dt.datetime] = {}
        self._scheduled_until: dict[uuid.UUID, dt.datetime] = {}

    def prepare(self, client: BatonClient) -> None:
        """Register (or replace) every deployment."""
        self.deployments = []
        for served in self.served:
            flow_id = client.read_or_create_flow(served.flow.name).id
            self.deployments.append(client.create_deployment(served.to_create(flow_id)))

    def due_runs(self, client: BatonClient, now: dt.datetime, limit: int) -> list[FlowRun]:
        self.deployments = [client.read_deployment(d.id) for d in self.deployments]
        for deployment in self.deployments:
            if not deployment.paused:
                self._schedule(client, deployment, now)
        return self._scheduled(client, now, limit)

    def _schedule(self, client: BatonClient, deployment: Deployment, now: dt.datetime) -> None:
        """Make the deployment's scheduled runs due before ``now + SCHEDULE_AHEAD``."""
        self._made = {key: when for key, when in self._made.items() if when >= now}
        for schedule in deployment.schedules:
            if not schedule.active:
                continue
            start = min(self._scheduled_until.get(schedule.id, now), now)
            end = now + SCHEDULE_AHEAD
            for when in parse_schedule(schedule.schedule).get_dates(MAX_RUNS_AHEAD, start, end):
                key = scheduled_run_key(deployment.id, schedule.id, when)
                if key not in self._made:
                    data = DeploymentFlowRunCreate(scheduled_time=when, idempotency_key=key)
                    client.create_flow_run_from_deployment(deployment.id, data)
                    self._made[key] = when
            self._scheduled_until[schedule.id] = end

    def _scheduled(self, client: BatonClient, now: dt.datetime, limit: int) -> list[FlowRun]:
        """Scheduled runs of the served deployments due by ``now``, earliest first."""
        ids = [deployment.id for deployment in self.deployments]
        return client.get_scheduled_flow_runs_for_deployments(
            ids, scheduled_before=now, limit=limit
        )

    def heartbeat(
        self,
        client: BatonClient,
        name: str,
        interval_seconds: float,
        flow_run_ids: Sequence[uuid.UUID],
    ) -> None:
        """Served runs have no work pool: their heartbeat goes to the runs alone."""
        client.heartbeat_flow_runs(flow_run_ids)

    def describe(self) -> str:
        names = ", ".join(f"{d.flow.name}/{d.name}" for d in self.served)
        return f"deployment(s) {names}"


def serve(
    *deployments: ServedDeployment | Flow[..., Any],
    limit: int | None = None,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    heartbeat_interval: float = DEFAULT_HEARTBEAT_INTERVAL,
    cancel_grace: float = DEFAULT_CANCEL_GRACE,
    shutdown_grace: float = DEFAULT_SHUTDOWN_GRACE,
    client: BatonClient | None = None,
    console: Console | None = None,
) -> None:
    """Register the deployments, then run their due runs until SIGTERM or SIGINT.

    A flow given as is serves as a deployment named after it, with no schedule.
    ``limit`` caps how many runs execute at once.
    """
    if not deployments:
        raise ValueError("serve() needs at least one flow or deployment")
    served = [
        item if isinstance(item, ServedDeployment) else ServedDeployment.of(item, item.name)
        for item in deployments
    ]
    RunLoop(
        ServedDeployments(served),
        name=f"serve-{socket.gethostname()}-{os.getpid()}",
        client=client,
        poll_interval=poll_interval,
        heartbeat_interval=heartbeat_interval,
        limit=limit,
        cancel_grace=cancel_grace,
        shutdown_grace=shutdown_grace,
        console=console,
    ).start()
