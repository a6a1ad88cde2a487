"""Request bodies: what a client sends to create or change an object.

Unknown fields are refused (``extra="forbid"``) so a typo is an error, not a no-op.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

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
