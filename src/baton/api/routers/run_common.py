"""What the flow-run and task-run routes share: one implementation for both kinds."""

from __future__ import annotations

import uuid

from fastapi import Response, status
from sqlalchemy import Connection

from baton.api.responses import json_answer
from baton.api.schemas.states import OrchestrationResultResponse, SetStateBody, StateResponse
from baton.core.models import OrchestrationDecision, RunKind, RunModel
from baton.core.states import State
from baton.exceptions import ObjectNotFound
from baton.orchestrator import transitions
from baton.storage.database import Database
from baton.storage.queries import decisions, runs
from baton.storage.writer import BatchWriter


def kind_name(kind: RunKind) -> str:
    return kind.value.replace("_", " ")


def read_run_or_404(conn: Connection, kind: RunKind, run_id: uuid.UUID) -> RunModel:
    run = runs.read_run(conn, kind, run_id)
    if run is None:
        raise ObjectNotFound(kind_name(kind), run_id)
    return run


async def set_state(
    writer: BatchWriter, kind: RunKind, run_id: uuid.UUID, body: SetStateBody
) -> Response:
    """Propose a state inside one write transaction; the rules decide."""
    proposed, force = body.state.to_state(), body.force
    result, _ = await writer.call_async(
        lambda conn: transitions.set_run_state(conn, kind, run_id, proposed, force=force)
    )
    return json_answer(OrchestrationResultResponse.from_result(result), status.HTTP_201_CREATED)


async def create_run(
    writer: BatchWriter, kind: RunKind, run: RunModel, initial: State | None
) -> None:
    """Store a new run; its first state goes through the rules like any other."""
    await writer.call_async(lambda conn: transitions.create_run(conn, kind, run, initial))


def read_states(conn: Connection, kind: RunKind, run_id: uuid.UUID) -> list[StateResponse]:
    read_run_or_404(conn, kind, run_id)
    return [StateResponse.from_state(s) for s in runs.read_states(conn, kind, run_id)]


def delete_run(db: Database, kind: RunKind, run_id: uuid.UUID) -> None:
    with db.write() as conn:
        if not runs.delete_run(conn, kind, run_id):
            raise ObjectNotFound(kind_name(kind), run_id)


def read_decisions(
    conn: Connection, kind: RunKind, run_id: uuid.UUID
) -> list[OrchestrationDecision]:
    """Decisions about a run; for a flow run, also those about its task runs."""
    read_run_or_404(conn, kind, run_id)
    ids = [run_id]
    if kind is RunKind.FLOW_RUN:
        task_runs = runs.read_runs(conn, RunKind.TASK_RUN, flow_run_id=run_id, limit=1_000_000)
        ids += [task_run.id for task_run in task_runs]
    return decisions.read_decisions(conn, ids)
