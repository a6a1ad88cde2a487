"""The one interface the engine, the CLI and users talk to the orchestrator through.

``EmbeddedClient`` calls the services in-process on the local database (no
server, no HTTP). An HTTP implementation for talking to a Baton server is to
implement the same interface and pass the same tests.
"""

from __future__ import annotations

import abc
import datetime as dt
import uuid
from collections.abc import Sequence

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
from baton.core.models import (
    ConcurrencyLimit,
    Flow,
    FlowRun,
    LogRecord,
    OrchestrationDecision,
    TaskRun,
)
from baton.core.orchestration.context import OrchestrationResult
from baton.core.states import State, StateType


class BatonClient(abc.ABC):
    """Create runs, propose their states, and read back what happened."""

    # -- flows and runs ----------------------------------------------------
    @abc.abstractmethod
    def read_or_create_flow(self, name: str) -> Flow: ...

    @abc.abstractmethod
    def read_flows(self, limit: int = 200, offset: int = 0) -> list[Flow]: ...

    @abc.abstractmethod
    def create_flow_run(self, data: FlowRunCreate) -> FlowRun:
        """Create a flow run; its initial state (if given) is orchestrated."""

    @abc.abstractmethod
    def create_task_run(self, data: TaskRunCreate) -> TaskRun:
        """Create a task run; its initial state (if given) is orchestrated."""

    @abc.abstractmethod
    def set_flow_run_state(
        self, run_id: uuid.UUID, state: State, force: bool = False
    ) -> OrchestrationResult: ...

    @abc.abstractmethod
    def set_task_run_state(
        self, run_id: uuid.UUID, state: State, force: bool = False
    ) -> OrchestrationResult: ...

    @abc.abstractmethod
    def read_flow_run(self, run_id: uuid.UUID) -> FlowRun:
        """The flow run; raises ``ObjectNotFound`` for an unknown id."""

    @abc.abstractmethod
    def read_task_run(self, run_id: uuid.UUID) -> TaskRun:
        """The task run; raises ``ObjectNotFound`` for an unknown id."""

    @abc.abstractmethod
    def read_flow_runs(
        self,
        *,
        flow_id: uuid.UUID | None = None,
        state_types: Sequence[StateType] = (),
        limit: int = 50,
        offset: int = 0,
    ) -> list[FlowRun]:
        """Flow runs, newest first."""

    @abc.abstractmethod
    def read_task_runs(
        self, *, flow_run_id: uuid.UUID | None = None, limit: int = 200, offset: int = 0
    ) -> list[TaskRun]:
        """Task runs, oldest first."""

    @abc.abstractmethod
    def count_task_runs(
        self, *, flow_run_id: uuid.UUID | None = None, state_types: Sequence[StateType] = ()
    ) -> int: ...

    @abc.abstractmethod
    def read_flow_run_states(self, run_id: uuid.UUID) -> list[State]: ...

    @abc.abstractmethod
    def read_task_run_states(self, run_id: uuid.UUID) -> list[State]: ...

    @abc.abstractmethod
    def read_decisions(self, run_ids: Sequence[uuid.UUID]) -> list[OrchestrationDecision]:
        """Recorded non-trivial orchestration decisions about these runs, oldest first."""

    # -- logs --------------------------------------------------------------
    @abc.abstractmethod
    def create_logs(self, logs: Sequence[LogCreate]) -> None: ...

    @abc.abstractmethod
    def read_logs(
        self,
        *,
        flow_run_id: uuid.UUID | None = None,
        task_run_id: uuid.UUID | None = None,
        min_level: int = 0,
        limit: int = 1000,
        offset: int = 0,
    ) -> list[LogRecord]: ...

    # -- concurrency limits ------------------------------------------------
    @abc.abstractmethod
    def create_concurrency_limit(self, tag: str, limit: int) -> ConcurrencyLimit: ...

    @abc.abstractmethod
    def read_concurrency_limits(self) -> list[ConcurrencyLimit]: ...

    @abc.abstractmethod
    def delete_concurrency_limit(self, tag: str) -> None: ...

    # -- deployments -------------------------------------------------------
    @abc.abstractmethod
    def create_deployment(self, data: DeploymentCreate) -> Deployment:
        """Register a deployment; one of the same flow and name is replaced."""

    @abc.abstractmethod
    def read_deployment(self, deployment_id: uuid.UUID) -> Deployment: ...

    @abc.abstractmethod
    def read_deployment_by_name(self, name: str) -> Deployment:
        """The deployment called ``"flow-name/deployment-name"``."""

    @abc.abstractmethod
    def read_deployments(
        self, *, flow_id: uuid.UUID | None = None, limit: int = 200, offset: int = 0
    ) -> list[Deployment]: ...

    @abc.abstractmethod
    def update_deployment(self, deployment_id: uuid.UUID, data: DeploymentUpdate) -> Deployment:
        """Change the fields set in ``data``; future runs its schedules no longer want go."""

    @abc.abstractmethod
    def delete_deployment(self, deployment_id: uuid.UUID) -> None: ...

    @abc.abstractmethod
    def update_deployment_schedule(
        self, deployment_id: uuid.UUID, schedule_id: uuid.UUID, data: DeploymentScheduleUpdate
    ) -> None:
        """Pause, resume or change one schedule; the runs it made ahead are remade."""

    @abc.abstractmethod
    def delete_deployment_schedule(self, deployment_id: uuid.UUID, schedule_id: uuid.UUID) -> None:
        """Delete one schedule with the runs it made ahead."""

    @abc.abstractmethod
    def create_flow_run_from_deployment(
        self, deployment_id: uuid.UUID, data: DeploymentFlowRunCreate
    ) -> FlowRun:
        """A Scheduled run of the deployment; bad parameters raise and create nothing."""

    @abc.abstractmethod
    def update_flow_run(self, run_id: uuid.UUID, data: FlowRunUpdate) -> FlowRun: ...

    # -- work pools, queues and workers --------------------------------------
    @abc.abstractmethod
    def create_work_pool(self, data: WorkPoolCreate) -> WorkPool: ...

    @abc.abstractmethod
    def read_work_pool(self, name: str) -> WorkPool: ...

    @abc.abstractmethod
    def read_work_pools(self) -> list[WorkPool]: ...

    @abc.abstractmethod
    def update_work_pool(self, name: str, data: WorkPoolUpdate) -> WorkPool: ...

    @abc.abstractmethod
    def delete_work_pool(self, name: str) -> None: ...

    @abc.abstractmethod
    def create_work_queue(self, pool_name: str, data: WorkQueueCreate) -> WorkQueue: ...

    @abc.abstractmethod
    def read_work_queues(self, pool_name: str) -> list[WorkQueue]:
        """The pool's queues in priority order."""

    @abc.abstractmethod
    def update_work_queue(self, pool_name: str, name: str, data: WorkQueueUpdate) -> WorkQueue: ...

    @abc.abstractmethod
    def delete_work_queue(self, pool_name: str, name: str) -> None: ...

    @abc.abstractmethod
    def get_scheduled_flow_runs(
        self,
        pool_name: str,
        *,
        queue_names: Sequence[str] = (),
        scheduled_before: dt.datetime | None = None,
        limit: int = 10,
    ) -> list[FlowRun]:
        """Scheduled runs due by ``scheduled_before`` that the pool's workers may start now.

        Queues in priority order; paused pools, queues and deployments and full
        concurrency limits hold runs back. Reading is not claiming: a worker
        claims a run by proposing ``Pending``, which only one proposal wins.
        Marks the queues as polled.
        """

    @abc.abstractmethod
    def worker_heartbeat(
        self,
        pool_name: str,
        worker_name: str,
        *,
        heartbeat_interval_seconds: float | None = None,
        flow_run_ids: Sequence[uuid.UUID] = (),
    ) -> None:
        """Record that the worker, and the runs it is driving, are alive."""

    @abc.abstractmethod
    def read_workers(self, pool_name: str) -> list[Worker]: ...

    @abc.abstractmethod
    def get_scheduled_flow_runs_for_deployments(
        self,
        deployment_ids: Sequence[uuid.UUID],
        *,
        scheduled_before: dt.datetime | None = None,
        limit: int = 10,
    ) -> list[FlowRun]:
        """Due scheduled runs of these deployments, earliest first: what ``serve`` polls.

        Paused deployments and full deployment concurrency limits hold runs back;
        the deployments are marked as polled.
        """

    @abc.abstractmethod
    def heartbeat_flow_runs(self, flow_run_ids: Sequence[uuid.UUID]) -> None:
        """Record that the process driving these runs is alive (for runs with no worker)."""

    # -- lifecycle ---------------------------------------------------------
    @abc.abstractmethod
    def flush(self) -> None:
        """Make every write made so far durable."""

    @abc.abstractmethod
    def close(self) -> None:
        """Flush and release resources."""
