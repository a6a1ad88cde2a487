"""Logs, concurrency limits, decisions and the run graph on the wire."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, Field

from baton.api.schemas.runs import TaskRunInput
from baton.api.schemas.states import MAX_INT, StateResponse, WireModel
from baton.core.actions import LogCreate
from baton.core.models import ConcurrencyLimit


class LogCreateBody(WireModel):
    name: str
    level: int = Field(ge=0, le=100)
    message: str
    timestamp: dt.datetime
    flow_run_id: uuid.UUID | None = None
    task_run_id: uuid.UUID | None = None

    def to_action(self) -> LogCreate:
        return LogCreate(**self.model_dump())


class ConcurrencyLimitCreateBody(WireModel):
    tag: str = Field(min_length=1)
    concurrency_limit: int = Field(ge=0, le=MAX_INT)


class ConcurrencyLimitResponse(BaseModel):
    id: uuid.UUID
    created: dt.datetime
    updated: dt.datetime
    tag: str
    concurrency_limit: int
    active_slots: list[uuid.UUID]

    @classmethod
    def from_limit(cls, limit: ConcurrencyLimit) -> ConcurrencyLimitResponse:
        return cls(
            id=limit.id,
            created=limit.created,
            updated=limit.updated,
            tag=limit.tag,
            concurrency_limit=limit.limit,
            active_slots=limit.active_slots,
        )

    def to_limit(self) -> ConcurrencyLimit:
        return ConcurrencyLimit(
            id=self.id,
            created=self.created,
            updated=self.updated,
            tag=self.tag,
            limit=self.concurrency_limit,
            active_slots=self.active_slots,
        )


class GraphNode(BaseModel):
    """One task run of a flow run's graph with the runs it depends on (Prefect's graph v1)."""

    id: uuid.UUID
    name: str
    upstream_dependencies: list[TaskRunInput]
    state: StateResponse | None
    expected_start_time: dt.datetime | None
    start_time: dt.datetime | None
    end_time: dt.datetime | None
    total_run_time: float
    estimated_run_time: float
    untrackable_result: bool = False
    child_flow_run_id: uuid.UUID | None = Field(
        default=None, description="For a subflow's node, the child flow run (Baton)."
    )
