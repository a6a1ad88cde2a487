"""Work pools, their queues and workers on the wire (Prefect 2's shapes)."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from pydantic import BaseModel, Field

from baton.api.schemas.deployment_filters import MAX_PAGE
from baton.api.schemas.runs import FlowRunResponse
from baton.api.schemas.states import MAX_INT, WireModel
from baton.core.actions import (
    WorkPoolCreate,
    WorkPoolUpdate,
    WorkQueueCreate,
    WorkQueueUpdate,
)
from baton.core.deployments import (
    POLL_FRESHNESS,
    Worker,
    WorkPool,
    WorkQueue,
)
from baton.core.models import FlowRun


class PoolStatus(str, enum.Enum):
    READY = "READY"
    NOT_READY = "NOT_READY"
    PAUSED = "PAUSED"


class WorkerStatus(str, enum.Enum):
    ONLINE = "ONLINE"
    OFFLINE = "OFFLINE"


def worker_status(worker: Worker, now: dt.datetime) -> WorkerStatus:
    return WorkerStatus.ONLINE if worker.is_online(now) else WorkerStatus.OFFLINE


class WorkPoolCreateBody(WireModel):
    name: str = Field(min_length=1)
    description: str | None = None
    type: str = Field(default="process", min_length=1)
    base_job_template: dict[str, Any] = Field(default_factory=dict)
    is_paused: bool = False
    concurrency_limit: int | None = Field(default=None, ge=0, le=MAX_INT)

    @classmethod
    def from_action(cls, action: WorkPoolCreate) -> WorkPoolCreateBody:
        return cls(**action.model_dump())

    def to_action(self) -> WorkPoolCreate:
        return WorkPoolCreate(**self.model_dump())


class WorkPoolUpdateBody(WireModel):
    description: str | None = None
    is_paused: bool = False
    concurrency_limit: int | None = Field(default=None, ge=0, le=MAX_INT)
    base_job_template: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def from_action(cls, action: WorkPoolUpdate) -> WorkPoolUpdateBody:
        return cls(**action.model_dump(exclude_unset=True))

    def to_action(self) -> WorkPoolUpdate:
        return WorkPoolUpdate(**self.model_dump(exclude_unset=True))


class WorkPoolResponse(BaseModel):
    id: uuid.UUID
    created: dt.datetime
    updated: dt.datetime
    name: str
    description: str | None
    type: str
    base_job_template: dict[str, Any]
    is_paused: bool
    concurrency_limit: int | None
    default_queue_id: uuid.UUID | None
    status: PoolStatus

    @classmethod
    def from_pool(cls, pool: WorkPool, workers: list[Worker], now: dt.datetime) -> WorkPoolResponse:
        online = any(worker_status(w, now) is WorkerStatus.ONLINE for w in workers)
        status = PoolStatus.READY if online else PoolStatus.NOT_READY
        return cls(**pool.model_dump(), status=PoolStatus.PAUSED if pool.is_paused else status)

    def to_pool(self) -> WorkPool:
        return WorkPool.model_validate(self.model_dump(exclude={"status"}))


class WorkQueueCreateBody(WireModel):
    name: str = Field(min_length=1)
    description: str | None = None
    is_paused: bool = False
    concurrency_limit: int | None = Field(default=None, ge=0, le=MAX_INT)
    priority: int | None = Field(default=None, ge=1, le=MAX_INT)
    filter: None = Field(default=None, description="Deprecated in Prefect; null.")

    @classmethod
    def from_action(cls, action: WorkQueueCreate) -> WorkQueueCreateBody:
        return cls(**action.model_dump())

    def to_action(self) -> WorkQueueCreate:
        return WorkQueueCreate(**self.model_dump(exclude={"filter"}))


class WorkQueueUpdateBody(WireModel):
    description: str | None = None
    is_paused: bool = False
    concurrency_limit: int | None = Field(default=None, ge=0, le=MAX_INT)
    priority: int = Field(default=1, ge=1, le=MAX_INT)

    @classmethod
    def from_action(cls, action: WorkQueueUpdate) -> WorkQueueUpdateBody:
        return cls(**action.model_dump(exclude_unset=True))

    def to_action(self) -> WorkQueueUpdate:
        return WorkQueueUpdate(**self.model_dump(exclude_unset=True))


class WorkQueueResponse(BaseModel):
    id: uuid.UUID
    created: dt.datetime
    updated: dt.datetime
    name: str
    description: str | None
    is_paused: bool
    concurrency_limit: int | None
    priority: int
    work_pool_id: uuid.UUID
    work_pool_name: str | None
    last_polled: dt.datetime | None
    status: PoolStatus
    filter: None = None

    @classmethod
    def from_queue(cls, queue: WorkQueue, now: dt.datetime) -> WorkQueueResponse:
        polled = queue.last_polled
        ready = polled is not None and now - polled < POLL_FRESHNESS
        status = PoolStatus.READY if ready else PoolStatus.NOT_READY
        return cls(**queue.model_dump(), status=PoolStatus.PAUSED if queue.is_paused else status)

    def to_queue(self) -> WorkQueue:
        return WorkQueue.model_validate(self.model_dump(exclude={"status", "filter"}))


class WorkerHeartbeatBody(WireModel):
    name: str = Field(min_length=1, description="The worker's name.")
    heartbeat_interval_seconds: float | None = Field(default=None, gt=0, le=MAX_INT)
    flow_run_ids: list[uuid.UUID] = Field(
        default_factory=list, description="Runs the worker is driving, alive too (Baton)."
    )


class WorkerResponse(BaseModel):
    id: uuid.UUID
    created: dt.datetime
    updated: dt.datetime
    name: str
    work_pool_id: uuid.UUID
    last_heartbeat_time: dt.datetime
    heartbeat_interval_seconds: float | None
    status: WorkerStatus

    @classmethod
    def from_worker(cls, worker: Worker, now: dt.datetime) -> WorkerResponse:
        return cls(**worker.model_dump(), status=worker_status(worker, now))

    def to_worker(self) -> Worker:
        return Worker.model_validate(self.model_dump(exclude={"status"}))


class ScheduledRunsBody(WireModel):
    """What a worker polls for: due runs of some (default: all) of the pool's queues."""

    work_queue_names: list[str] | None = None
    scheduled_before: dt.datetime | None = Field(default=None, description="Default: now.")
    scheduled_after: None = Field(default=None, description="Not supported; null.")
    limit: int = Field(default=10, ge=1, le=MAX_PAGE)


class WorkerFlowRunResponse(BaseModel):
    work_pool_id: uuid.UUID
    work_queue_id: uuid.UUID | None
    flow_run: FlowRunResponse

    @classmethod
    def from_run(cls, run: FlowRun, pool: WorkPool) -> WorkerFlowRunResponse:
        return cls(
            work_pool_id=pool.id,
            work_queue_id=run.work_queue_id,
            flow_run=FlowRunResponse.from_run(run),
        )
