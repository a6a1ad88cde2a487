"""The one interface the engine, the CLI and users talk to the orchestrator through.

``EmbeddedClient`` calls the services in-process on the local database (no
server, no HTTP). An HTTP implementation for talking to a Baton server is to
implement the same interface and pass the same tests.
"""

from __future__ import annotations

import abc
import uuid
from collections.abc import Sequence

from baton.core.actions import FlowRunCreate, LogCreate, TaskRunCreate
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

    # -- lifecycle ---------------------------------------------------------
    @abc.abstractmethod
    def flush(self) -> None:
        """Make every write made so far durable."""

    @abc.abstractmethod
    def close(self) -> None:
        """Flush and release resources."""
