"""Checking and storing task-run transitions that a client judged in its own process.

A Baton client judges the task-run transitions whose rules need nothing but the
run itself, with the very same policy the server uses, and ships the outcome in
batches. The server checks that the batch is whole and that none of its
transitions needed the database (a cache lookup, a concurrency slot: those must
be proposed through ``set_state``), then writes it in one transaction.
"""

from __future__ import annotations

import uuid

from fastapi import HTTPException, status
from sqlalchemy import Connection

from baton.api.schemas.ingest import TaskRunIngestBody, TaskRunIngestResult
from baton.core.models import RunKind, TaskRun
from baton.core.orchestration.policies import TASK_POLICY
from baton.core.states import State, StateType
from baton.exceptions import ObjectNotFound
from baton.storage.batch import WriteBatch
from baton.storage.queries import runs
from baton.storage.queries.rows import progress_row, run_row, state_row

KIND = RunKind.TASK_RUN


def _unprocessable(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)


def ingest_task_runs(conn: Connection, body: TaskRunIngestBody) -> TaskRunIngestResult:
    """Check ``body`` against the stored runs and write it; raises before writing anything."""
    created = {wire.id: wire.to_run() for wire in body.created}
    updated = {wire.id: wire.to_run() for wire in body.updated}
    if len(created) + len(updated) != len(body.created) + len(body.updated):
        raise _unprocessable("a task run is listed more than once")
    previous: dict[uuid.UUID, StateType | None] = dict.fromkeys(created)
    last_state: dict[uuid.UUID, uuid.UUID | None] = dict.fromkeys(created)
    for flow_run_id in {run.flow_run_id for run in created.values()} - {None}:
        assert flow_run_id is not None
        if runs.read_run(conn, RunKind.FLOW_RUN, flow_run_id) is None:
            raise ObjectNotFound("flow run", flow_run_id)
    for run_id in updated:
        stored = runs.read_run(conn, KIND, run_id)
        if stored is None:
            raise ObjectNotFound("task run", run_id)
        previous[run_id] = stored.state_type
        last_state[run_id] = stored.state.id if stored.state else None
    batch = WriteBatch()
    for run in created.values():
        batch.add(("run", KIND, run_row(KIND, run)))
    runs_by_id = {**created, **updated}
    for wire in body.states:
        state = wire.to_state()
        run = _run_of(state, runs_by_id)
        if TASK_POLICY.needs_store(run, previous[run.id], state):
            raise _unprocessable(
                f"the {state.type.value} state of task run {run.id} needs the server's "
                "judgement (a cache key or a concurrency limit): propose it with set_state"
            )
        previous[run.id], last_state[run.id] = state.type, state.id
        batch.add(("state", KIND, state_row(state, "task_run_id", run.id)))
    for run in updated.values():
        batch.add(("progress", KIND, progress_row(run)))
    for run in runs_by_id.values():
        if (run.state.id if run.state else None) != last_state[run.id]:
            raise _unprocessable(f"task run {run.id} is not in the last state sent for it")
    for decision in body.decisions:
        if decision.run_id not in runs_by_id:
            raise _unprocessable(f"a decision names task run {decision.run_id}, not in the batch")
        batch.add(("decision", decision))
    batch.write(conn)
    return TaskRunIngestResult(
        created=len(created),
        updated=len(updated),
        states=len(body.states),
        decisions=len(body.decisions),
    )


def _run_of(state: State, runs_by_id: dict[uuid.UUID, TaskRun]) -> TaskRun:
    run_id = state.state_details.task_run_id
    run = runs_by_id.get(run_id) if run_id is not None else None
    if run is None:
        raise _unprocessable(
            f"state {state.id} names task run {run_id}, which is not in the batch's runs"
        )
    return run
