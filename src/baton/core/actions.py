"""Request bodies: what a client sends to create or change an object.

Unknown fields are refused (``extra="forbid"``) so a typo is an error, not a no-op.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from baton.core.deployments import GitSource
from baton.core.models import RetryPolicy, RunInput
from baton.core.states import State


class Action(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FlowRunCreate(Action):
    flow_id: uuid.UUID
    name: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    parent_task_run_id: uuid.UUID | None = None
    deployment_id: uuid.UUID | None = None
    flow_version: str | None = None
    empirical_policy: RetryPolicy = Field(default_factory=RetryPolicy)
    state: State | None = None
    id: uuid.UUID | None = None
    idempotency_key: str | None = None
    auto_scheduled: bool = False
    work_queue_id: uuid.UUID | None = None
    work_pool_name: str | None = None
    work_queue_name: str | None = None
    job_variables: dict[str, Any] = Field(default_factory=dict)


class TaskRunCreate(Action):
    task_key: str
    name: str
    flow_run_id: uuid.UUID | None = None
    dynamic_key: str = "0"
    cache_key: str | None = None
    cache_expiration: dt.datetime | None = None
    task_version: str | None = None
    tags: list[str] = Field(default_factory=list)
    empirical_policy: RetryPolicy = Field(default_factory=RetryPolicy)
    task_inputs: dict[str, list[RunInput]] = Field(default_factory=dict)
    state: State | None = None
    id: uuid.UUID | None = None


class LogCreate(Action):
    name: str
    level: int
    message: str
    timestamp: dt.datetime
    flow_run_id: uuid.UUID | None = None
    task_run_id: uuid.UUID | None = None


class DeploymentScheduleCreate(Action):
    schedule: dict[str, Any] = Field(description="A cron, interval or RRULE schedule.")
    active: bool = True


class DeploymentScheduleUpdate(Action):
    """Pause, resume or change one schedule; fields left out keep their value."""

    active: bool | None = None
    schedule: dict[str, Any] | None = None


class DeploymentCreate(Action):
    """Register a deployment; one of the same flow and name is replaced (an upsert)."""

    flow_id: uuid.UUID
    name: str = Field(min_length=1)
    description: str | None = None
    version: str | None = None
    tags: list[str] = Field(default_factory=list)
    entrypoint: str | None = None
    path: str | None = None
    source: GitSource | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    parameter_openapi_schema: dict[str, Any] | None = None
    enforce_parameter_schema: bool = True
    paused: bool = False
    schedules: list[DeploymentScheduleCreate] = Field(default_factory=list)
    work_pool_name: str | None = None
    work_queue_name: str | None = None
    job_variables: dict[str, Any] = Field(default_factory=dict)
    concurrency_limit: int | None = Field(default=None, ge=0)
    crash_retries: int = Field(default=0, ge=0)


class DeploymentUpdate(Action):
    """Fields to change; those left out keep their value. ``schedules`` replaces them all."""

    description: str | None = None
    version: str | None = None
    tags: list[str] | None = None
    parameters: dict[str, Any] | None = None
    paused: bool | None = None
    schedules: list[DeploymentScheduleCreate] | None = None
    work_pool_name: str | None = None
    work_queue_name: str | None = None
    job_variables: dict[str, Any] | None = None
    concurrency_limit: int | None = Field(default=None, ge=0)
    crash_retries: int | None = Field(default=None, ge=0)


class DeploymentFlowRunCreate(Action):
    """A run of a deployment: its defaults, overridden by what is given here."""

    name: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    scheduled_time: dt.datetime | None = Field(
        default=None, description="When the run should start (default: now)."
    )
    tags: list[str] = Field(default_factory=list)
    idempotency_key: str | None = None
    job_variables: dict[str, Any] = Field(default_factory=dict)
    work_queue_name: str | None = None


class FlowRunUpdate(Action):
    """What a worker or a user may change on a flow run after it was made."""

    name: str | None = None
    tags: list[str] | None = None
    infrastructure_pid: str | None = None
    code_revision: str | None = None


class WorkPoolCreate(Action):
    name: str = Field(min_length=1)
    description: str | None = None
    type: str = "process"
    base_job_template: dict[str, Any] = Field(default_factory=dict)
    is_paused: bool = False
    concurrency_limit: int | None = Field(default=None, ge=0)


class WorkPoolUpdate(Action):
    description: str | None = None
    is_paused: bool | None = None
    concurrency_limit: int | None = Field(default=None, ge=0)
    base_job_template: dict[str, Any] | None = None


class WorkQueueCreate(Action):
    name: str = Field(min_length=1)
    description: str | None = None
    is_paused: bool = False
    concurrency_limit: int | None = Field(default=None, ge=0)
    priority: int | None = Field(default=None, ge=1)


class WorkQueueUpdate(Action):
    description: str | None = None
    is_paused: bool | None = None
    concurrency_limit: int | None = Field(default=None, ge=0)
    priority: int | None = Field(default=None, ge=1)
