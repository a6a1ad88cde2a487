"""Task runs: create, read, propose states."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from baton.api.deps import DatabaseDep, ReadConn, RunId
from baton.api.routers import run_common
from baton.api.schemas.runs import TaskRunCreateBody, TaskRunResponse
from baton.api.schemas.states import OrchestrationResultResponse, SetStateBody, StateResponse
from baton.core.models import OrchestrationDecision, RunKind, TaskRun
from baton.orchestrator.runs import new_task_run

router = APIRouter(prefix="/task_runs", tags=["task runs"])
KIND = RunKind.TASK_RUN


@router.post("/", status_code=status.HTTP_201_CREATED)
def create_task_run(body: TaskRunCreateBody, db: DatabaseDep) -> TaskRunResponse:
    """Create a task run; its initial state, if given, is orchestrated."""
    action = body.to_action()
    run = new_task_run(action)
    run_common.create_run(db, KIND, run, action.state)
    return TaskRunResponse.from_run(run)


@router.get("/{id}")
def read_task_run(run_id: RunId, conn: ReadConn) -> TaskRunResponse:
    run = run_common.read_run_or_404(conn, KIND, run_id)
    assert isinstance(run, TaskRun)
    return TaskRunResponse.from_run(run)


@router.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_task_run(run_id: RunId, db: DatabaseDep) -> Response:
    run_common.delete_run(db, KIND, run_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{id}/set_state", status_code=status.HTTP_201_CREATED)
def set_task_run_state(
    run_id: RunId, body: SetStateBody, db: DatabaseDep
) -> OrchestrationResultResponse:
    """Propose a state; the answer says whether it was accepted, and if not, why."""
    return run_common.set_state(db, KIND, run_id, body)


@router.get("/{id}/states")
def read_task_run_states(run_id: RunId, conn: ReadConn) -> list[StateResponse]:
    return run_common.read_states(conn, KIND, run_id)


@router.get("/{id}/decisions")
def read_task_run_decisions(run_id: RunId, conn: ReadConn) -> list[OrchestrationDecision]:
    """Every recorded non-trivial decision about the task run (Baton)."""
    return run_common.read_decisions(conn, KIND, run_id)
