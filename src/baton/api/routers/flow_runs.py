"""Flow runs: create, read, propose states, and see why things happened."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from baton.api.deps import DatabaseDep, KnownFlows, ReadConn, RunId, WriterDep
from baton.api.responses import json_answer
from baton.api.routers import run_common
from baton.api.schemas.deployments import (
    FlowRunHeartbeatBody,
    FlowRunUpdateBody,
)
from baton.api.schemas.other import GraphNode
from baton.api.schemas.runs import FlowRunCreateBody, FlowRunResponse, TaskRunInput
from baton.api.schemas.states import OrchestrationResultResponse, SetStateBody, StateResponse
from baton.core.models import FlowRun, OrchestrationDecision, RunKind, TaskRun
from baton.core.states import utcnow
from baton.orchestrator import deployments, transitions, work_pools
from baton.orchestrator.runs import new_flow_run
from baton.storage.queries import runs

router = APIRouter(prefix="/flow_runs", tags=["flow runs"])
KIND = RunKind.FLOW_RUN


@router.post("/", status_code=status.HTTP_201_CREATED, response_model=FlowRunResponse)
async def create_flow_run(
    body: FlowRunCreateBody, writer: WriterDep, known_flows: KnownFlows
) -> Response:
    """Create a flow run; its initial state, if given, is orchestrated.

    A repeat of the flow's ``idempotency_key`` answers 200 with the run made first.
    """
    action = body.to_action()
    run, initial = new_flow_run(action), action.state
    stored = await writer.call_async(
        lambda conn: transitions.create_flow_run(conn, run, initial, known_flows=known_flows)
    )
    made = status.HTTP_201_CREATED if stored is run else status.HTTP_200_OK
    return json_answer(FlowRunResponse.from_run(stored), made)


@router.get("/{id}")
def read_flow_run(run_id: RunId, conn: ReadConn) -> FlowRunResponse:
    run = run_common.read_run_or_404(conn, KIND, run_id)
    assert isinstance(run, FlowRun)
    return FlowRunResponse.from_run(run)


@router.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_flow_run(run_id: RunId, db: DatabaseDep) -> Response:
    run_common.delete_run(db, KIND, run_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.patch("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def update_flow_run(run_id: RunId, body: FlowRunUpdateBody, db: DatabaseDep) -> Response:
    """Rename or retag the run, or record where it runs and which code (workers)."""
    with db.write() as conn:
        deployments.update_flow_run(conn, run_id, body.to_action(), utcnow())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/heartbeat", status_code=status.HTTP_204_NO_CONTENT)
def heartbeat_flow_runs(body: FlowRunHeartbeatBody, db: DatabaseDep) -> Response:
    """Record that the processes driving these runs are alive (Baton; workers send theirs
    with their own heartbeat). A run silent for too long is marked ``Crashed``."""
    with db.write() as conn:
        work_pools.heartbeat_flow_runs(conn, body.flow_run_ids, utcnow())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{id}/set_state",
    status_code=status.HTTP_201_CREATED,
    response_model=OrchestrationResultResponse,
)
async def set_flow_run_state(run_id: RunId, body: SetStateBody, writer: WriterDep) -> Response:
    """Propose a state; the answer says whether it was accepted, and if not, why."""
    return await run_common.set_state(writer, KIND, run_id, body)


@router.get("/{id}/states")
def read_flow_run_states(run_id: RunId, conn: ReadConn) -> list[StateResponse]:
    """The run's full state history, oldest first."""
    return run_common.read_states(conn, KIND, run_id)


@router.get("/{id}/decisions")
def read_flow_run_decisions(run_id: RunId, conn: ReadConn) -> list[OrchestrationDecision]:
    """Every recorded non-trivial decision about the run and its task runs (Baton)."""
    return run_common.read_decisions(conn, KIND, run_id)


@router.get("/{id}/graph")
def read_flow_run_graph(run_id: RunId, conn: ReadConn) -> list[GraphNode]:
    """The run's task runs with their upstream dependencies, for drawing the run."""
    run_common.read_run_or_404(conn, KIND, run_id)
    task_runs = runs.read_runs(
        conn, RunKind.TASK_RUN, flow_run_id=run_id, limit=1_000_000, newest_first=False
    )
    nodes = []
    for task_run in task_runs:
        assert isinstance(task_run, TaskRun)
        upstream = [
            TaskRunInput(input_type=item.input_type, id=item.id, name=item.name)
            for inputs in task_run.task_inputs.values()
            for item in inputs
        ]
        state = task_run.state
        nodes.append(
            GraphNode(
                id=task_run.id,
                name=task_run.name,
                upstream_dependencies=upstream,
                state=StateResponse.from_state(state) if state else None,
                expected_start_time=task_run.expected_start_time,
                start_time=task_run.start_time,
                end_time=task_run.end_time,
                total_run_time=task_run.total_run_time,
                estimated_run_time=task_run.duration() or 0.0,
                child_flow_run_id=state.state_details.child_flow_run_id if state else None,
            )
        )
    return nodes
