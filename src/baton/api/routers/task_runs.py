"""Task runs: create, read, propose states."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from baton.api import ingest
from baton.api.deps import DatabaseDep, ReadConn, RunId, WriterDep
from baton.api.responses import json_answer
from baton.api.routers import run_common
from baton.api.schemas.ingest import TaskRunIngestBody, TaskRunIngestResult
from baton.api.schemas.runs import TaskRunCreateBody, TaskRunResponse
from baton.api.schemas.states import OrchestrationResultResponse, SetStateBody, StateResponse
from baton.core.models import OrchestrationDecision, RunKind, TaskRun
from baton.orchestrator.runs import new_task_run

router = APIRouter(prefix="/task_runs", tags=["task runs"])
KIND = RunKind.TASK_RUN


@router.post("/", status_code=status.HTTP_201_CREATED, response_model=TaskRunResponse)
async def create_task_run(body: TaskRunCreateBody, writer: WriterDep) -> Response:
    """Create a task run; its initial state, if given, is orchestrated."""
    action = body.to_action()
    run = new_task_run(action)
    await run_common.create_run(writer, KIND, run, action.state)
    return json_answer(TaskRunResponse.from_run(run), status.HTTP_201_CREATED)


@router.post("/ingest", response_model=TaskRunIngestResult)
async def ingest_task_runs(body: TaskRunIngestBody, writer: WriterDep) -> Response:
    """Store task-run transitions a Baton client judged itself, in one transaction (Baton).

    Only transitions whose rules need nothing but the run are accepted: one that
    needs a cache lookup or a concurrency slot is refused with 422, and must be
    proposed through ``set_state``. An unknown flow run or task run is 404.
    """
    result = await writer.call_async(lambda conn: ingest.ingest_task_runs(conn, body))
    return json_answer(result)


@router.get("/{id}")
def read_task_run(run_id: RunId, conn: ReadConn) -> TaskRunResponse:
    run = run_common.read_run_or_404(conn, KIND, run_id)
    assert isinstance(run, TaskRun)
    return TaskRunResponse.from_run(run)


@router.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_task_run(run_id: RunId, db: DatabaseDep) -> Response:
    run_common.delete_run(db, KIND, run_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{id}/set_state",
    status_code=status.HTTP_201_CREATED,
    response_model=OrchestrationResultResponse,
)
async def set_task_run_state(run_id: RunId, body: SetStateBody, writer: WriterDep) -> Response:
    """Propose a state; the answer says whether it was accepted, and if not, why."""
    return await run_common.set_state(writer, KIND, run_id, body)


@router.get("/{id}/states")
def read_task_run_states(run_id: RunId, conn: ReadConn) -> list[StateResponse]:
    return run_common.read_states(conn, KIND, run_id)


@router.get("/{id}/decisions")
def read_task_run_decisions(run_id: RunId, conn: ReadConn) -> list[OrchestrationDecision]:
    """Every recorded non-trivial decision about the task run (Baton)."""
    return run_common.read_decisions(conn, KIND, run_id)
