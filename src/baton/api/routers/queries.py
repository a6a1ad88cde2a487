"""Filter and count endpoints (Prefect 2's ``POST /<resource>/filter`` and ``/count``).

Filters Baton does not support yet (deployments, work pools) are accepted
only when empty, so a client never gets silently unfiltered results.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field, model_validator

from baton.api.deps import ReadConn
from baton.api.schemas.runs import FlowResponse, FlowRunResponse, TaskRunResponse
from baton.api.schemas.states import MAX_INT, WireModel
from baton.core.filters import (
    FlowFilter,
    FlowRunFilter,
    FlowRunSort,
    FlowSort,
    LogFilter,
    LogSort,
    TaskRunFilter,
    TaskRunSort,
)
from baton.core.models import FlowRun, LogRecord, TaskRun
from baton.storage.queries import filters

router = APIRouter(tags=["filters"])

MAX_PAGE = 200
DEFAULTED_WHEN_NULL = frozenset({"sort", "offset"})


class RunFilters(WireModel):
    """The filters every run query accepts; each one narrows the result."""

    flows: FlowFilter | None = None
    flow_runs: FlowRunFilter | None = None
    task_runs: TaskRunFilter | None = None
    deployments: None = Field(default=None, description="Not supported yet; must be null.")
    work_pools: None = Field(default=None, description="Not supported yet; must be null.")
    work_pool_queues: None = Field(default=None, description="Not supported yet; must be null.")
    work_queues: None = Field(
        default=None, description="Not supported yet; must be null (Prefect 2 sends it)."
    )


class Page(WireModel):
    limit: int | None = Field(default=None, ge=1, le=MAX_PAGE, description=f"At most {MAX_PAGE}.")
    offset: int = Field(default=0, ge=0, le=MAX_INT)

    @model_validator(mode="before")
    @classmethod
    def null_means_default(cls, data: Any) -> Any:
        """Prefect 2's client sends ``"sort": null`` or ``"offset": null`` for "not chosen"."""
        if isinstance(data, dict):
            return {
                key: value
                for key, value in data.items()
                if not (key in DEFAULTED_WHEN_NULL and value is None)
            }
        return data

    @property
    def size(self) -> int:
        return self.limit or MAX_PAGE


class FlowFilterBody(RunFilters, Page):
    sort: FlowSort = FlowSort.NAME_ASC


class FlowRunFilterBody(RunFilters, Page):
    sort: FlowRunSort = FlowRunSort.ID_DESC


class TaskRunFilterBody(RunFilters, Page):
    sort: TaskRunSort = TaskRunSort.ID_DESC


class LogFilterBody(Page):
    logs: LogFilter | None = None
    sort: LogSort = LogSort.TIMESTAMP_ASC


@router.post("/flows/filter")
def read_flows(body: FlowFilterBody, conn: ReadConn) -> list[FlowResponse]:
    found = filters.read_flows(
        conn,
        flows=body.flows,
        flow_runs=body.flow_runs,
        task_runs=body.task_runs,
        sort=body.sort,
        limit=body.size,
        offset=body.offset,
    )
    return [FlowResponse.from_flow(flow) for flow in found]


@router.post("/flows/count")
def count_flows(body: RunFilters, conn: ReadConn) -> int:
    return filters.count_flows(
        conn, flows=body.flows, flow_runs=body.flow_runs, task_runs=body.task_runs
    )


@router.post("/flow_runs/filter")
def read_flow_runs(body: FlowRunFilterBody, conn: ReadConn) -> list[FlowRunResponse]:
    found = filters.read_flow_runs(
        conn,
        flows=body.flows,
        flow_runs=body.flow_runs,
        task_runs=body.task_runs,
        sort=body.sort,
        limit=body.size,
        offset=body.offset,
    )
    return [FlowRunResponse.from_run(run) for run in found if isinstance(run, FlowRun)]


@router.post("/flow_runs/count")
def count_flow_runs(body: RunFilters, conn: ReadConn) -> int:
    return filters.count_flow_runs(
        conn, flows=body.flows, flow_runs=body.flow_runs, task_runs=body.task_runs
    )


@router.post("/task_runs/filter")
def read_task_runs(body: TaskRunFilterBody, conn: ReadConn) -> list[TaskRunResponse]:
    found = filters.read_task_runs(
        conn,
        flows=body.flows,
        flow_runs=body.flow_runs,
        task_runs=body.task_runs,
        sort=body.sort,
        limit=body.size,
        offset=body.offset,
    )
    return [TaskRunResponse.from_run(run) for run in found if isinstance(run, TaskRun)]


@router.post("/task_runs/count")
def count_task_runs(body: RunFilters, conn: ReadConn) -> int:
    return filters.count_task_runs(
        conn, flows=body.flows, flow_runs=body.flow_runs, task_runs=body.task_runs
    )


@router.post("/logs/filter")
def read_logs(body: LogFilterBody, conn: ReadConn) -> list[LogRecord]:
    return filters.read_logs(
        conn, logs=body.logs, sort=body.sort, limit=body.size, offset=body.offset
    )
