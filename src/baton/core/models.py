"""Flows, runs, logs and decisions as the domain sees them.

These objects are shared by the storage layer, the clients and the API: one
source of truth for every shape. API-only aliases (Prefect-compatible names)
are mapped at the API boundary, not here.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from baton.core.ids import new_id
from baton.core.states import State, StateType, utcnow


class ObjectModel(BaseModel):
    """A stored object: it has an id and creation/update times."""

    model_config = ConfigDict(extra="ignore", from_attributes=True)

    id: uuid.UUID = Field(default_factory=new_id)
    created: dt.datetime = Field(default_factory=utcnow)
    updated: dt.datetime = Field(default_factory=utcnow)


class Flow(ObjectModel):
    name: str
    tags: list[str] = Field(default_factory=list)


class RetryPolicy(BaseModel):
    """How a run is retried; evaluated by the retry rules on the orchestrator."""

    model_config = ConfigDict(extra="forbid")

    retries: int = 0
    retry_delay: list[float] = Field(default_factory=list)
    retry_jitter_factor: float | None = None
    crash_retries: int = Field(default=0, description="Retries after crashes (deployments).")
    crashes: int = Field(default=0, description="Crash retries used so far.")

    def delay_for(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        if not self.retry_delay:
            return 0.0
        return self.retry_delay[min(attempt, len(self.retry_delay)) - 1]


class RunInput(BaseModel):
    """An upstream dependency of a task run: a task run or a flow parameter."""

    model_config = ConfigDict(extra="forbid")

    input_type: Literal["task_run", "parameter", "constant"] = "task_run"
    id: uuid.UUID | None = None
    name: str | None = None


class RunModel(ObjectModel):
    """What flow runs and task runs share."""

    name: str
    state_type: StateType | None = None
    state_name: str | None = None
    state: State | None = None
    run_count: int = 0
    expected_start_time: dt.datetime | None = None
    start_time: dt.datetime | None = None
    end_time: dt.datetime | None = None
    total_run_time: float = 0.0
    tags: list[str] = Field(default_factory=list)
    empirical_policy: RetryPolicy = Field(default_factory=RetryPolicy)

    def duration(self, now: dt.datetime | None = None) -> float | None:
        """Seconds run so far (finished runs: total run time)."""
        if self.start_time is None:
            return None
        if self.end_time is not None:
            return (self.end_time - self.start_time).total_seconds()
        return ((now or utcnow()) - self.start_time).total_seconds()


class FlowRun(RunModel):
    flow_id: uuid.UUID
    flow_name: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    parent_task_run_id: uuid.UUID | None = None
    deployment_id: uuid.UUID | None = None
    flow_version: str | None = None
    idempotency_key: str | None = None
    auto_scheduled: bool = False
    work_queue_id: uuid.UUID | None = None
    work_pool_name: str | None = None
    work_queue_name: str | None = None
    job_variables: dict[str, Any] = Field(default_factory=dict)
    infrastructure_pid: str | None = None
    code_revision: str | None = None
    heartbeat_time: dt.datetime | None = None


class TaskRun(RunModel):
    flow_run_id: uuid.UUID | None = None
    task_key: str
    dynamic_key: str = "0"
    cache_key: str | None = None
    cache_expiration: dt.datetime | None = None
    task_version: str | None = None
    task_inputs: dict[str, list[RunInput]] = Field(default_factory=dict)
    flow_run_run_count: int = 0


class RunKind(str, enum.Enum):
    FLOW_RUN = "flow_run"
    TASK_RUN = "task_run"


class LogRecord(BaseModel):
    """One log line of a run, as stored."""

    model_config = ConfigDict(extra="ignore", from_attributes=True)

    id: uuid.UUID = Field(default_factory=new_id)
    name: str
    level: int
    message: str
    timestamp: dt.datetime
    flow_run_id: uuid.UUID | None = None
    task_run_id: uuid.UUID | None = None


class Decision(str, enum.Enum):
    """The orchestrator's answer to a proposed state."""

    ACCEPT = "ACCEPT"
    REJECT = "REJECT"
    WAIT = "WAIT"
    ABORT = "ABORT"


class OrchestrationDecision(BaseModel):
    """A recorded non-trivial decision: which rule said what, and why."""

    model_config = ConfigDict(extra="ignore", from_attributes=True)

    id: uuid.UUID = Field(default_factory=new_id)
    timestamp: dt.datetime = Field(default_factory=utcnow)
    run_id: uuid.UUID
    run_kind: RunKind
    rule: str
    decision: Decision
    reason: str
    initial_state_type: StateType | None = None
    proposed_state_type: StateType
    proposed_state_name: str
    resulting_state_type: StateType | None = None
    resulting_state_name: str | None = None
    delay_seconds: float | None = None


class ConcurrencyLimit(ObjectModel):
    """At most ``limit`` task runs carrying ``tag`` may be running at once."""

    tag: str
    limit: int = Field(ge=0)
    active_slots: list[uuid.UUID] = Field(default_factory=list)
