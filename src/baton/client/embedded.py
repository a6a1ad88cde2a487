"""The ephemeral API: orchestration in-process, on the local database, no server.

Task runs created by this process are driven only by this process, so their
current state is kept in memory while they are live. A transition the rules
can judge from the run alone is judged on the caller's thread and its rows are
queued for the writer; a transition that needs the database (a cache lookup,
a concurrency slot), and every flow-run transition, runs as one transaction
through the same writer, after everything queued before it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from baton.client.base import BatonClient
from baton.core.actions import (
    DeploymentCreate,
    DeploymentFlowRunCreate,
    DeploymentScheduleUpdate,
    DeploymentUpdate,
    FlowRunCreate,
    FlowRunUpdate,
    LogCreate,
    TaskRunCreate,
    WorkPoolCreate,
    WorkPoolUpdate,
    WorkQueueCreate,
    WorkQueueUpdate,
)
from baton.core.deployments import Deployment, Worker, WorkPool, WorkQueue
from baton.core.ids import new_id
from baton.core.models import (
    ConcurrencyLimit,
    Flow,
    FlowRun,
    LogRecord,
    OrchestrationDecision,
    RunKind,
    RunModel,
    TaskRun,
)
from baton.core.orchestration import OrchestrationResult
from baton.core.orchestration.judging import judge
from baton.core.orchestration.policies import TASK_POLICY
from baton.core.states import TERMINAL_TYPES, State, StateType, utcnow
from baton.exceptions import ObjectNotFound
from baton.orchestrator import deployments, transitions, work_pools
from baton.orchestrator.runs import new_flow_run, new_task_run
from baton.storage.database import Database
from baton.storage.queries import concurrency, decisions, flows, logs, runs
from baton.storage.queries.rows import run_row
from baton.storage.writer import BatchWriter


class EmbeddedClient(BatonClient):
    """``BatonClient`` on a database opened in this process."""

    def __init__(self, db: Database, gather_seconds: float = 0.02) -> None:
        self.db = db
        self.writer = BatchWriter(db, gather_seconds=gather_seconds)
        self._flows: dict[str, Flow] = {}
        self._live_task_runs: dict[uuid.UUID, TaskRun] = {}

    # -- flows and runs ----------------------------------------------------
    def read_or_create_flow(self, name: str) -> Flow:
        flow = self._flows.get(name)
        if flow is None:
            flow = self.writer.call(lambda conn: flows.read_or_create_flow(conn, name))
            self._flows[name] = flow
        return flow

    def read_flows(self, limit: int = 200, offset: int = 0) -> list[Flow]:
        with self._reading() as conn:
            return flows.read_flows(conn, limit=limit, offset=offset)

    def create_flow_run(self, data: FlowRunCreate) -> FlowRun:
        run = new_flow_run(data)
        state = data.state
        return self.writer.call(lambda conn: transitions.create_flow_run(conn, run, state))

    def create_task_run(self, data: TaskRunCreate) -> TaskRun:
        run = new_task_run(data)
        state = data.state
        if state is not None and TASK_POLICY.needs_store(run, None, state):
            self.writer.call(
                lambda conn: transitions.create_run(conn, RunKind.TASK_RUN, run, state)
            )
        elif state is not None:
            ctx = judge(run, RunKind.TASK_RUN, state, store=None)
            self._queue(transitions.outcome_ops(ctx, created=True))
        else:
            self.writer.enqueue("run", RunKind.TASK_RUN, run_row(RunKind.TASK_RUN, run))
        self._track(run)
        return run

    def set_flow_run_state(
        self, run_id: uuid.UUID, state: State, force: bool = False
    ) -> OrchestrationResult:
        result, _ = self.writer.call(
            lambda conn: transitions.set_run_state(
                conn, RunKind.FLOW_RUN, run_id, state, force=force
            )
        )
        return result

    def set_task_run_state(
        self, run_id: uuid.UUID, state: State, force: bool = False
    ) -> OrchestrationResult:
        run = self._live_task_runs.get(run_id)
        if run is None or TASK_POLICY.needs_store(run, run.state_type, state):
            result, stored = self.writer.call(
                lambda conn: transitions.set_run_state(
                    conn, RunKind.TASK_RUN, run_id, state, force=force
                )
            )
            assert isinstance(stored, TaskRun)
            self._track(stored)
            return result
        ctx = judge(run, RunKind.TASK_RUN, state, store=None, force=force)
        self._queue(transitions.outcome_ops(ctx, created=False))
        self._track(run)
        return ctx.result()

    def _track(self, run: TaskRun) -> None:
        """Keep live task runs in memory; forget finished ones, so memory stays flat."""
        if run.state_type in TERMINAL_TYPES:
            self._live_task_runs.pop(run.id, None)
        else:
            self._live_task_runs[run.id] = run

    def _queue(self, ops: list[Any]) -> None:
        self.writer.enqueue_many(ops)

    def read_flow_run(self, run_id: uuid.UUID) -> FlowRun:
        run = self._read_run(RunKind.FLOW_RUN, run_id)
        assert isinstance(run, FlowRun)
        return run

    def read_task_run(self, run_id: uuid.UUID) -> TaskRun:
        run = self._read_run(RunKind.TASK_RUN, run_id)
        assert isinstance(run, TaskRun)
        return run

    def _read_run(self, kind: RunKind, run_id: uuid.UUID) -> RunModel:
        with self._reading() as conn:
            run = runs.read_run(conn, kind, run_id)
        if run is None:
            raise ObjectNotFound(kind.value.replace("_", " "), run_id)
        return run

    def read_flow_runs(
        self,
        *,
        flow_id: uuid.UUID | None = None,
        state_types: Sequence[StateType] = (),
        limit: int = 50,
        offset: int = 0,
    ) -> list[FlowRun]:
        with self._reading() as conn:
            found = runs.read_runs(
                conn,
                RunKind.FLOW_RUN,
                flow_id=flow_id,
                state_types=state_types,
                limit=limit,
                offset=offset,
            )
        return [run for run in found if isinstance(run, FlowRun)]

    def read_task_runs(
        self, *, flow_run_id: uuid.UUID | None = None, limit: int = 200, offset: int = 0
    ) -> list[TaskRun]:
        with self._reading() as conn:
            found = runs.read_runs(
                conn,
                RunKind.TASK_RUN,
                flow_run_id=flow_run_id,
                limit=limit,
                offset=offset,
                newest_first=False,
            )
        return [run for run in found if isinstance(run, TaskRun)]

    def count_task_runs(
        self, *, flow_run_id: uuid.UUID | None = None, state_types: Sequence[StateType] = ()
    ) -> int:
        with self._reading() as conn:
            return runs.count_runs(
                conn, RunKind.TASK_RUN, flow_run_id=flow_run_id, state_types=state_types
            )

    def read_flow_run_states(self, run_id: uuid.UUID) -> list[State]:
        self._read_run(RunKind.FLOW_RUN, run_id)
        with self._reading() as conn:
            return runs.read_states(conn, RunKind.FLOW_RUN, run_id)

    def read_task_run_states(self, run_id: uuid.UUID) -> list[State]:
        self._read_run(RunKind.TASK_RUN, run_id)
        with self._reading() as conn:
            return runs.read_states(conn, RunKind.TASK_RUN, run_id)

    def read_decisions(self, run_ids: Sequence[uuid.UUID]) -> list[OrchestrationDecision]:
        with self._reading() as conn:
            return decisions.read_decisions(conn, run_ids)

    # -- logs --------------------------------------------------------------
    def create_logs(self, records: Sequence[LogCreate]) -> None:
        for record in records:
            row = record.model_dump()
            row["id"] = new_id()
            self.writer.enqueue("log", row)

    def queue_log_row(self, row: dict[str, Any]) -> None:
        """Queue an already-built log row (the run logger's fast path)."""
        self.writer.enqueue("log", row)

    def read_logs(
        self,
        *,
        flow_run_id: uuid.UUID | None = None,
        task_run_id: uuid.UUID | None = None,
        min_level: int = 0,
        limit: int = 1000,
        offset: int = 0,
    ) -> list[LogRecord]:
        with self._reading() as conn:
            return logs.read_logs(
                conn,
                flow_run_id=flow_run_id,
                task_run_id=task_run_id,
                min_level=min_level,
                limit=limit,
                offset=offset,
            )

    # -- concurrency limits ------------------------------------------------
    def create_concurrency_limit(self, tag: str, limit: int) -> ConcurrencyLimit:
        return self.writer.call(lambda conn: concurrency.upsert_concurrency_limit(conn, tag, limit))

    def read_concurrency_limits(self) -> list[ConcurrencyLimit]:
        with self._reading() as conn:
            return concurrency.read_concurrency_limits(conn)

    def delete_concurrency_limit(self, tag: str) -> None:
        if not self.writer.call(lambda conn: concurrency.delete_concurrency_limit(conn, tag)):
            raise ObjectNotFound("concurrency limit for tag", repr(tag))

    # -- deployments -------------------------------------------------------
    def create_deployment(self, data: DeploymentCreate) -> Deployment:
        return self.writer.call(lambda conn: deployments.create_deployment(conn, data, utcnow()))

    def read_deployment(self, deployment_id: uuid.UUID) -> Deployment:
        with self._reading() as conn:
            return deployments.read_deployment(conn, deployment_id)

    def read_deployment_by_name(self, name: str) -> Deployment:
        with self._reading() as conn:
            return deployments.read_deployment_by_name(conn, name)

    def read_deployments(
        self, *, flow_id: uuid.UUID | None = None, limit: int = 200, offset: int = 0
    ) -> list[Deployment]:
        with self._reading() as conn:
            return deployments.read_deployments(conn, flow_id=flow_id, limit=limit, offset=offset)

    def update_deployment(self, deployment_id: uuid.UUID, data: DeploymentUpdate) -> Deployment:
        return self.writer.call(
            lambda conn: deployments.update_deployment(conn, deployment_id, data, utcnow())
        )

    def delete_deployment(self, deployment_id: uuid.UUID) -> None:
        self.writer.call(lambda conn: deployments.delete_deployment(conn, deployment_id, utcnow()))

    def update_deployment_schedule(
        self, deployment_id: uuid.UUID, schedule_id: uuid.UUID, data: DeploymentScheduleUpdate
    ) -> None:
        self.writer.call(
            lambda conn: deployments.update_deployment_schedule(
                conn, deployment_id, schedule_id, data, utcnow()
            )
        )

    def delete_deployment_schedule(self, deployment_id: uuid.UUID, schedule_id: uuid.UUID) -> None:
        self.writer.call(
            lambda conn: deployments.delete_deployment_schedule(
                conn, deployment_id, schedule_id, utcnow()
            )
        )

    def create_flow_run_from_deployment(
        self, deployment_id: uuid.UUID, data: DeploymentFlowRunCreate
    ) -> FlowRun:
        return self.writer.call(
            lambda conn: deployments.create_flow_run_from_deployment(
                conn, deployment_id, data, utcnow()
            )
        )

    def update_flow_run(self, run_id: uuid.UUID, data: FlowRunUpdate) -> FlowRun:
        return self.writer.call(
            lambda conn: deployments.update_flow_run(conn, run_id, data, utcnow())
        )

    # -- work pools, queues and workers --------------------------------------
    def create_work_pool(self, data: WorkPoolCreate) -> WorkPool:
        return self.writer.call(lambda conn: work_pools.create_work_pool(conn, data))

    def read_work_pool(self, name: str) -> WorkPool:
        with self._reading() as conn:
            return work_pools.read_work_pool(conn, name)

    def read_work_pools(self) -> list[WorkPool]:
        with self._reading() as conn:
            return work_pools.read_work_pools(conn)

    def update_work_pool(self, name: str, data: WorkPoolUpdate) -> WorkPool:
        return self.writer.call(
            lambda conn: work_pools.update_work_pool(conn, name, data, utcnow())
        )

    def delete_work_pool(self, name: str) -> None:
        self.writer.call(lambda conn: work_pools.delete_work_pool(conn, name))

    def create_work_queue(self, pool_name: str, data: WorkQueueCreate) -> WorkQueue:
        return self.writer.call(lambda conn: work_pools.create_work_queue(conn, pool_name, data))

    def read_work_queues(self, pool_name: str) -> list[WorkQueue]:
        with self._reading() as conn:
            return work_pools.read_work_queues(conn, pool_name)

    def update_work_queue(self, pool_name: str, name: str, data: WorkQueueUpdate) -> WorkQueue:
        return self.writer.call(
            lambda conn: work_pools.update_work_queue(conn, pool_name, name, data, utcnow())
        )

    def delete_work_queue(self, pool_name: str, name: str) -> None:
        self.writer.call(lambda conn: work_pools.delete_work_queue(conn, pool_name, name))

    def get_scheduled_flow_runs(
        self,
        pool_name: str,
        *,
        queue_names: Sequence[str] = (),
        scheduled_before: dt.datetime | None = None,
        limit: int = 10,
    ) -> list[FlowRun]:
        return self.writer.call(
            lambda conn: work_pools.get_scheduled_flow_runs(
                conn,
                pool_name,
                queue_names=queue_names,
                scheduled_before=scheduled_before,
                limit=limit,
                now=utcnow(),
            )
        )

    def worker_heartbeat(
        self,
        pool_name: str,
        worker_name: str,
        *,
        heartbeat_interval_seconds: float | None = None,
        flow_run_ids: Sequence[uuid.UUID] = (),
    ) -> None:
        self.writer.call(
            lambda conn: work_pools.worker_heartbeat(
                conn,
                pool_name,
                worker_name,
                heartbeat_interval_seconds=heartbeat_interval_seconds,
                flow_run_ids=flow_run_ids,
                now=utcnow(),
            )
        )

    def read_workers(self, pool_name: str) -> list[Worker]:
        with self._reading() as conn:
            return work_pools.read_workers(conn, pool_name)

    def get_scheduled_flow_runs_for_deployments(
        self,
        deployment_ids: Sequence[uuid.UUID],
        *,
        scheduled_before: dt.datetime | None = None,
        limit: int = 10,
    ) -> list[FlowRun]:
        return self.writer.call(
            lambda conn: work_pools.get_scheduled_flow_runs_for_deployments(
                conn,
                deployment_ids,
                scheduled_before=scheduled_before,
                limit=limit,
                now=utcnow(),
            )
        )

    def heartbeat_flow_runs(self, flow_run_ids: Sequence[uuid.UUID]) -> None:
        self.writer.call(lambda conn: work_pools.heartbeat_flow_runs(conn, flow_run_ids, utcnow()))

    # -- lifecycle ---------------------------------------------------------
    def _reading(self) -> contextlib.AbstractContextManager[Connection]:
        """A read connection that sees every write this process has queued."""
        self.writer.flush()
        return self.db.read()

    def flush(self) -> None:
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
        self.db.dispose()
