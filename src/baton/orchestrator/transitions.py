"""Judge and record one proposed state, or the creation of a run with its first state."""

from __future__ import annotations

import uuid

from sqlalchemy import Connection

from baton.core.models import FlowRun, RunKind, RunModel, TaskRun
from baton.core.orchestration import OrchestrationContext, OrchestrationResult
from baton.core.orchestration.judging import judge
from baton.core.orchestration.policies import Policy
from baton.core.states import State
from baton.exceptions import ObjectNotFound
from baton.orchestrator.store import SqlOrchestrationStore
from baton.storage.batch import Op, WriteBatch
from baton.storage.queries import flows, runs
from baton.storage.queries.rows import progress_row, run_row, state_row


def outcome_ops(ctx: OrchestrationContext, *, created: bool) -> list[Op]:
    """The row writes that record what the rules decided."""
    tables = runs.TABLES[ctx.kind]
    ops: list[Op] = []
    if created:
        ops.append(("run", ctx.kind, run_row(ctx.kind, ctx.run)))
    if ctx.validated_state is not None:
        ops.append(("state", ctx.kind, state_row(ctx.validated_state, tables.state_fk, ctx.run.id)))
        if not created:  # a new run's row already carries its progress
            ops.append(("progress", ctx.kind, progress_row(ctx.run)))
    ops.extend(("decision", record) for record in ctx.records)
    return ops


def write_outcome(conn: Connection, ctx: OrchestrationContext, *, created: bool) -> None:
    """Write what the rules decided: the new state, the run's progress, the decisions."""
    batch = WriteBatch()
    for op in outcome_ops(ctx, created=created):
        batch.add(op)
    batch.write(conn)


def set_run_state(
    conn: Connection,
    kind: RunKind,
    run_id: uuid.UUID,
    proposed: State,
    *,
    force: bool = False,
    policy: Policy | None = None,
) -> tuple[OrchestrationResult, RunModel]:
    """Propose ``proposed`` for a stored run, within the caller's write transaction."""
    run = runs.read_run(conn, kind, run_id, for_update=True)
    if run is None:
        raise ObjectNotFound(kind.value.replace("_", " "), run_id)
    ctx = judge(run, kind, proposed, store=SqlOrchestrationStore(conn), force=force, policy=policy)
    write_outcome(conn, ctx, created=False)
    return ctx.result(), run


def _check_parent(
    conn: Connection, kind: RunKind, run: RunModel, known_flows: set[uuid.UUID] | None
) -> None:
    if isinstance(run, FlowRun) and (known_flows is None or run.flow_id not in known_flows):
        if flows.read_flow(conn, run.flow_id) is None:
            raise ObjectNotFound("flow", run.flow_id)
        if known_flows is not None:
            _remember(known_flows, run.flow_id)
    parent = run.flow_run_id if isinstance(run, TaskRun) else None
    if parent is not None and runs.read_run(conn, RunKind.FLOW_RUN, parent) is None:
        raise ObjectNotFound("flow run", parent)


def create_run(
    conn: Connection,
    kind: RunKind,
    run: RunModel,
    initial: State | None,
    *,
    policy: Policy | None = None,
    known_flows: set[uuid.UUID] | None = None,
) -> RunModel:
    """Insert a new run; its first state, if any, goes through the rules like any other.

    The run's flow (or a task run's flow run) must exist: an unknown one is
    ``ObjectNotFound``, not a constraint error. Flows are never deleted, so a
    flow in ``known_flows`` is not looked up again, and one found is added.
    """
    _check_parent(conn, kind, run, known_flows)
    if initial is None:
        runs.insert_runs(conn, kind, [run_row(kind, run)])
        return run
    ctx = judge(run, kind, initial, store=SqlOrchestrationStore(conn), policy=policy)
    write_outcome(conn, ctx, created=True)
    return run


def create_flow_run(
    conn: Connection,
    run: FlowRun,
    initial: State | None,
    *,
    known_flows: set[uuid.UUID] | None = None,
) -> FlowRun:
    """Insert a new flow run, unless one of its flow was made with its idempotency key:
    then that run is the answer, so a repeated request makes one run."""
    if run.idempotency_key is not None:
        existing = runs.read_flow_run_by_idempotency_key(conn, run.flow_id, run.idempotency_key)
        if existing is not None:
            return existing
    create_run(conn, RunKind.FLOW_RUN, run, initial, known_flows=known_flows)
    return run


# Flows remembered as existing, at most; past it, the set starts over.
KNOWN_FLOWS_LIMIT = 10_000


def _remember(known_flows: set[uuid.UUID], flow_id: uuid.UUID) -> None:
    if len(known_flows) >= KNOWN_FLOWS_LIMIT:
        known_flows.clear()
    known_flows.add(flow_id)
