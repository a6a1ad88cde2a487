"""State histories at Prefect 2's paths, where its client reads them."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from baton.api.deps import ReadConn
from baton.api.routers import run_common
from baton.api.schemas.states import StateResponse
from baton.core.models import RunKind

router = APIRouter(tags=["states"])


@router.get("/flow_run_states/")
def read_flow_run_states(flow_run_id: uuid.UUID, conn: ReadConn) -> list[StateResponse]:
    """The flow run's state history, oldest first (as ``/flow_runs/{id}/states``)."""
    return run_common.read_states(conn, RunKind.FLOW_RUN, flow_run_id)


@router.get("/task_run_states/")
def read_task_run_states(task_run_id: uuid.UUID, conn: ReadConn) -> list[StateResponse]:
    """The task run's state history, oldest first (as ``/task_runs/{id}/states``)."""
    return run_common.read_states(conn, RunKind.TASK_RUN, task_run_id)
