"""Flows, flow runs and task runs on the wire (Prefect 2's shapes)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from baton.api.schemas.states import MAX_INT, StateCreate, StateResponse, WireModel
from baton.core.actions import FlowRunCreate, TaskRunCreate
from baton.core.models import Flow, FlowRun, RetryPolicy, RunInput, TaskRun
from baton.core.states import StateType


class FlowCreateBody(WireModel):
    name: str = Field(min_length=1)
    tags: list[str] = Field(default_factory=list)


class FlowResponse(BaseModel):
    id: uuid.UUID
    created: dt.datetime
    updated: dt.datetime
    name: str
    tags: list[str]

    @classmethod
    def from_flow(cls, flow: Flow) -> FlowResponse:
        return cls.model_validate(flow.model_dump())


class FlowRunPolicy(WireModel):
    """Prefect's flow-run retry settings (``max_retries``/``retry_delay_seconds`` are its
    deprecated spellings, still accepted)."""

    max_retries: int = Field(default=0, ge=0, le=MAX_INT)
    retry_delay_seconds: float = Field(default=0, ge=0, le=MAX_INT)
    retries: int | None = Field(default=None, ge=0, le=MAX_INT)
    retry_delay: float | None = Field(default=None, ge=0, le=MAX_INT)
    pause_keys: list[str] | None = None
    resuming: bool = False
    retry_type: Literal["in_process", "reschedule"] | None = None
    crash_retries: int = Field(
        default=0, ge=0, le=MAX_INT, description="Runs started again after crashes (Baton)."
    )

    def to_policy(self) -> RetryPolicy:
        retries = self.retries if self.retries is not None else self.max_retries
        crash_retries = self.crash_retries
        if self.retry_delay is not None:  # given, even if zero
            delays = [float(self.retry_delay)]
        else:
            delays = [float(self.retry_delay_seconds)] if self.retry_delay_seconds else []
        return RetryPolicy(retries=retries, retry_delay=delays, crash_retries=crash_retries)

    @classmethod
    def from_policy(cls, policy: RetryPolicy) -> FlowRunPolicy:
        """Flows have one retry delay; none given travels as ``null``."""
        delay = policy.retry_delay[0] if policy.retry_delay else None
        return cls(retries=policy.retries, retry_delay=delay, crash_retries=policy.crash_retries)


class TaskRunPolicy(WireModel):
    max_retries: int = Field(default=0, ge=0, le=MAX_INT)
    retry_delay_seconds: float = Field(default=0, ge=0, le=MAX_INT)
    retries: int | None = Field(default=None, ge=0, le=MAX_INT)
    retry_delay: float | list[float] | None = None
    retry_jitter_factor: float | None = Field(default=None, ge=0, le=MAX_INT)

    @field_validator("retry_delay")
    @classmethod
    def _not_negative(cls, value: float | list[float] | None) -> float | list[float] | None:
        values = value if isinstance(value, list) else [value] if value is not None else []
        if any(v < 0 for v in values):
            raise ValueError("retry delays must not be negative")
        return value

    def to_policy(self) -> RetryPolicy:
        retries = self.retries if self.retries is not None else self.max_retries
        delay: Any = (
            self.retry_delay if self.retry_delay is not None else (self.retry_delay_seconds or None)
        )
        delays = (
            [float(d) for d in delay]
            if isinstance(delay, list)
            else ([float(delay)] if delay else [])
        )
        return RetryPolicy(
            retries=retries, retry_delay=delays, retry_jitter_factor=self.retry_jitter_factor
        )

    @classmethod
    def from_policy(cls, policy: RetryPolicy) -> TaskRunPolicy:
        return cls(
            retries=policy.retries,
            retry_delay=list(policy.retry_delay),
            retry_jitter_factor=policy.retry_jitter_factor,
        )


class TaskRunInput(WireModel):
    """An upstream dependency: Prefect's ``task_run``, ``parameter`` or ``constant`` input."""

    input_type: Literal["task_run", "parameter", "constant"]
    id: uuid.UUID | None = None
    name: str | None = None
    type: str | None = None


class FlowRunCreateBody(WireModel):
    flow_id: uuid.UUID
    name: str | None = None
    state: StateCreate | None = None
    flow_version: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict, description="Informational; not stored.")
    parent_task_run_id: uuid.UUID | None = None
    infrastructure_document_id: None = Field(default=None, description="Not supported; null.")
    empirical_policy: FlowRunPolicy = Field(default_factory=FlowRunPolicy)
    tags: list[str] = Field(default_factory=list)
    idempotency_key: str | None = Field(
        default=None, description="A repeat with the flow's key answers with the first run."
    )
    deployment_id: uuid.UUID | None = None
    id: uuid.UUID | None = Field(default=None, description="Chosen by the client (Baton).")

    @classmethod
    def from_action(cls, action: FlowRunCreate) -> FlowRunCreateBody:
        return cls(
            id=action.id,
            flow_id=action.flow_id,
            name=action.name,
            parameters=action.parameters,
            tags=action.tags,
            parent_task_run_id=action.parent_task_run_id,
            deployment_id=action.deployment_id,
            flow_version=action.flow_version,
            empirical_policy=FlowRunPolicy.from_policy(action.empirical_policy),
            state=StateCreate.from_state(action.state) if action.state else None,
            idempotency_key=action.idempotency_key,
        )

    def to_action(self) -> FlowRunCreate:
        return FlowRunCreate(
            id=self.id,
            flow_id=self.flow_id,
            name=self.name,
            parameters=self.parameters,
            tags=self.tags,
            parent_task_run_id=self.parent_task_run_id,
            deployment_id=self.deployment_id,
            flow_version=self.flow_version,
            empirical_policy=self.empirical_policy.to_policy(),
            state=self.state.to_state() if self.state else None,
            idempotency_key=self.idempotency_key,
        )


class TaskRunCreateBody(WireModel):
    task_key: str = Field(min_length=1)
    dynamic_key: str
    id: uuid.UUID | None = None
    name: str | None = None
    state: StateCreate | None = None
    flow_run_id: uuid.UUID | None = None
    cache_key: str | None = None
    cache_expiration: dt.datetime | None = None
    task_version: str | None = None
    empirical_policy: TaskRunPolicy = Field(default_factory=TaskRunPolicy)
    tags: list[str] = Field(default_factory=list)
    task_inputs: dict[str, list[TaskRunInput]] = Field(default_factory=dict)

    @classmethod
    def from_action(cls, action: TaskRunCreate) -> TaskRunCreateBody:
        return cls(
            id=action.id,
            name=action.name,
            task_key=action.task_key,
            dynamic_key=action.dynamic_key,
            flow_run_id=action.flow_run_id,
            cache_key=action.cache_key,
            cache_expiration=action.cache_expiration,
            task_version=action.task_version,
            tags=action.tags,
            empirical_policy=TaskRunPolicy.from_policy(action.empirical_policy),
            task_inputs={
                name: [TaskRunInput(input_type=i.input_type, id=i.id, name=i.name) for i in inputs]
                for name, inputs in action.task_inputs.items()
            },
            state=StateCreate.from_state(action.state) if action.state else None,
        )

    def to_action(self) -> TaskRunCreate:
        return TaskRunCreate(
            id=self.id,
            name=self.name or f"{self.task_key}-{self.dynamic_key}",
            task_key=self.task_key,
            dynamic_key=self.dynamic_key,
            flow_run_id=self.flow_run_id,
            cache_key=self.cache_key,
            cache_expiration=self.cache_expiration,
            task_version=self.task_version,
            tags=self.tags,
            empirical_policy=self.empirical_policy.to_policy(),
            task_inputs={
                name: [RunInput(input_type=i.input_type, id=i.id, name=i.name) for i in inputs]
                for name, inputs in self.task_inputs.items()
            },
            state=self.state.to_state() if self.state else None,
        )


class RunResponseFields(BaseModel):
    id: uuid.UUID
    created: dt.datetime
    updated: dt.datetime
    name: str
    state_id: uuid.UUID | None
    state_type: StateType | None
    state_name: str | None
    state: StateResponse | None
    run_count: int
    expected_start_time: dt.datetime | None
    next_scheduled_start_time: dt.datetime | None = None
    start_time: dt.datetime | None
    end_time: dt.datetime | None
    total_run_time: float
    estimated_run_time: float
    estimated_start_time_delta: float = 0.0
    tags: list[str]


def _common(run: FlowRun | TaskRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "created": run.created,
        "updated": run.updated,
        "name": run.name,
        "state_id": run.state.id if run.state else None,
        "state_type": run.state_type,
        "state_name": run.state_name,
        "state": StateResponse.from_state(run.state) if run.state else None,
        "run_count": run.run_count,
        "expected_start_time": run.expected_start_time,
        "start_time": run.start_time,
        "end_time": run.end_time,
        "total_run_time": run.total_run_time,
        "estimated_run_time": run.duration() or 0.0,
        "tags": run.tags,
    }


class FlowRunResponse(RunResponseFields):
    flow_id: uuid.UUID
    flow_version: str | None
    parameters: dict[str, Any]
    parent_task_run_id: uuid.UUID | None
    deployment_id: uuid.UUID | None
    empirical_policy: FlowRunPolicy
    idempotency_key: str | None = None
    context: dict[str, Any] = Field(default_factory=dict)
    auto_scheduled: bool = False
    work_queue_id: uuid.UUID | None = None
    work_queue_name: str | None = None
    work_pool_name: str | None = None
    job_variables: dict[str, Any] = Field(default_factory=dict)
    infrastructure_pid: str | None = None
    code_revision: str | None = Field(default=None, description="The git commit run (Baton).")
    heartbeat_time: dt.datetime | None = Field(
        default=None, description="When its worker last said it is alive (Baton)."
    )

    @classmethod
    def from_run(cls, run: FlowRun) -> FlowRunResponse:
        return cls(
            **_common(run),
            flow_id=run.flow_id,
            flow_version=run.flow_version,
            parameters=run.parameters,
            parent_task_run_id=run.parent_task_run_id,
            deployment_id=run.deployment_id,
            empirical_policy=FlowRunPolicy.from_policy(run.empirical_policy),
            idempotency_key=run.idempotency_key,
            auto_scheduled=run.auto_scheduled,
            work_queue_id=run.work_queue_id,
            work_queue_name=run.work_queue_name,
            work_pool_name=run.work_pool_name,
            job_variables=run.job_variables,
            infrastructure_pid=run.infrastructure_pid,
            code_revision=run.code_revision,
            heartbeat_time=run.heartbeat_time,
        )

    def to_run(self) -> FlowRun:
        return FlowRun(
            **self.model_dump(include=_shared_fields(FlowRun)),
            state=self.state.to_state() if self.state else None,
            empirical_policy=self.empirical_policy.to_policy(),
        )


class TaskRunResponse(RunResponseFields):
    flow_run_id: uuid.UUID | None
    task_key: str
    dynamic_key: str
    cache_key: str | None
    cache_expiration: dt.datetime | None
    task_version: str | None
    empirical_policy: TaskRunPolicy
    task_inputs: dict[str, list[TaskRunInput]]
    flow_run_run_count: int

    @classmethod
    def from_run(cls, run: TaskRun) -> TaskRunResponse:
        return cls(
            **_common(run),
            flow_run_id=run.flow_run_id,
            task_key=run.task_key,
            dynamic_key=run.dynamic_key,
            cache_key=run.cache_key,
            cache_expiration=run.cache_expiration,
            task_version=run.task_version,
            empirical_policy=TaskRunPolicy.from_policy(run.empirical_policy),
            task_inputs={
                name: [TaskRunInput(input_type=i.input_type, id=i.id, name=i.name) for i in inputs]
                for name, inputs in run.task_inputs.items()
            },
            flow_run_run_count=run.flow_run_run_count,
        )

    def to_run(self) -> TaskRun:
        return TaskRun(
            **self.model_dump(include=_shared_fields(TaskRun) - {"task_inputs"}),
            state=self.state.to_state() if self.state else None,
            empirical_policy=self.empirical_policy.to_policy(),
            task_inputs={
                name: [RunInput(input_type=i.input_type, id=i.id, name=i.name) for i in inputs]
                for name, inputs in self.task_inputs.items()
            },
        )


def _shared_fields(model: type[BaseModel]) -> set[str]:
    return set(model.model_fields) - {"state", "empirical_policy"}
