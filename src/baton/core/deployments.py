"""Deployments, work pools, work queues and workers: runs that start by themselves.

A deployment is server-side metadata saying how to run a flow without its author
at the keyboard: where the code is, which function to call, with which
parameters, on which schedules, and which work pool's workers may pick its runs
up. Work pools group queues; workers poll a pool and claim runs.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from baton.core.models import ObjectModel

DEFAULT_QUEUE = "default"
"""Every work pool has a queue of this name; runs with no queue go there."""


class GitSource(BaseModel):
    """Code that lives in a git repository, cloned or pulled before every run.

    Pushing new commits changes the next run without re-registering the
    deployment; each run records the commit it ran.
    """

    model_config = ConfigDict(extra="forbid")

    repository: str = Field(min_length=1, description="A URL or path git can clone.")
    branch: str | None = None
    commit: str | None = Field(default=None, description="Pin the code to one commit.")


class DeploymentSchedule(ObjectModel):
    """One of a deployment's schedules; each can be paused on its own."""

    deployment_id: uuid.UUID
    schedule: dict[str, Any] = Field(description="A cron, interval or RRULE schedule.")
    active: bool = True


class Deployment(ObjectModel):
    flow_id: uuid.UUID
    name: str
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
    work_queue_id: uuid.UUID | None = None
    work_pool_name: str | None = None
    work_queue_name: str | None = None
    job_variables: dict[str, Any] = Field(default_factory=dict)
    concurrency_limit: int | None = Field(default=None, ge=0)
    crash_retries: int = Field(default=0, ge=0)
    last_polled: dt.datetime | None = None
    schedules: list[DeploymentSchedule] = Field(default_factory=list)
    flow_name: str | None = None


class WorkPool(ObjectModel):
    name: str
    description: str | None = None
    type: str = "process"
    base_job_template: dict[str, Any] = Field(default_factory=dict)
    is_paused: bool = False
    concurrency_limit: int | None = Field(default=None, ge=0)
    default_queue_id: uuid.UUID | None = None


class WorkQueue(ObjectModel):
    work_pool_id: uuid.UUID
    name: str
    description: str | None = None
    is_paused: bool = False
    concurrency_limit: int | None = Field(default=None, ge=0)
    priority: int = Field(default=1, ge=1)
    last_polled: dt.datetime | None = None
    work_pool_name: str | None = None


POLL_FRESHNESS = dt.timedelta(seconds=60)
"""A queue or deployment polled this recently has a worker (or ``serve``) looking at it."""

MISSED_HEARTBEATS = 3
"""A worker is online while its heartbeats keep coming, with this many intervals' grace."""
DEFAULT_HEARTBEAT_SECONDS = 30.0


class Worker(ObjectModel):
    """A worker process as its pool knows it: by name and last heartbeat."""

    work_pool_id: uuid.UUID
    name: str
    last_heartbeat_time: dt.datetime
    heartbeat_interval_seconds: float | None = None

    def is_online(self, now: dt.datetime) -> bool:
        interval = self.heartbeat_interval_seconds or DEFAULT_HEARTBEAT_SECONDS
        silent = (now - self.last_heartbeat_time).total_seconds()
        return silent <= MISSED_HEARTBEATS * interval


def scheduled_run_key(deployment_id: uuid.UUID, schedule_id: uuid.UUID, when: dt.datetime) -> str:
    """The idempotency key of a scheduled run: one run per deployment, schedule and time,
    whichever scheduler (the server's, or a ``serve`` process) makes it first."""
    return f"scheduled {deployment_id} {schedule_id} {when.astimezone(dt.timezone.utc).isoformat()}"
