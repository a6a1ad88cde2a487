"""Deployments and their schedules on the wire (Prefect 2's shapes).

Prefect's older spellings are mapped here and nowhere else:

- ``is_schedule_active`` is the opposite of ``paused``;
- ``schedule`` (one schedule) is a one-item ``schedules``;
- ``infra_overrides`` is ``job_variables``;
- ``pull_steps`` with a ``git_clone`` step is Baton's ``source``, with a
  ``set_working_directory`` step its ``path``.

Fields Prefect has and Baton does not use (storage and infrastructure blocks,
manifests) are accepted only when null, so nothing is silently ignored.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator

from baton.api.schemas.deployment_filters import MAX_PAGE
from baton.api.schemas.states import MAX_INT, StateCreate, WireModel
from baton.core.actions import (
    DeploymentCreate,
    DeploymentFlowRunCreate,
    DeploymentScheduleCreate,
    DeploymentScheduleUpdate,
    DeploymentUpdate,
    FlowRunUpdate,
)
from baton.core.deployments import (
    POLL_FRESHNESS,
    Deployment,
    DeploymentSchedule,
    GitSource,
)
from baton.core.states import StateType

GIT_CLONE = "prefect.deployments.steps.git_clone"
SET_WORKING_DIRECTORY = "prefect.deployments.steps.set_working_directory"

Schedule = Annotated[
    dict[str, Any],
    Field(
        description='A cron (`{"cron": "0 * * * *"}`), interval (`{"interval": 3600}`) or '
        'RRULE (`{"rrule": "FREQ=DAILY"}`) schedule, with an optional `timezone`.'
    ),
]


def _set(model: BaseModel, names: Sequence[str]) -> dict[str, Any]:
    """The fields among ``names`` the sender gave, so updates change only those."""
    return {name: getattr(model, name) for name in names if name in model.model_fields_set}


# -- schedules --------------------------------------------------------------------


class DeploymentScheduleCreateBody(WireModel):
    schedule: Schedule
    active: bool = True
    max_active_runs: None = Field(default=None, description="Not supported; null.")
    max_scheduled_runs: None = Field(default=None, description="Not supported; null.")
    catchup: Literal[False] = Field(default=False, description="Not supported; false.")

    @classmethod
    def from_action(cls, action: DeploymentScheduleCreate) -> DeploymentScheduleCreateBody:
        return cls(schedule=action.schedule, active=action.active)

    def to_action(self) -> DeploymentScheduleCreate:
        return DeploymentScheduleCreate(schedule=self.schedule, active=self.active)


class DeploymentScheduleUpdateBody(WireModel):
    active: bool | None = None
    schedule: Schedule | None = None
    max_active_runs: None = Field(default=None, description="Not supported; null.")
    max_scheduled_runs: None = Field(default=None, description="Not supported; null.")
    catchup: Literal[False] = Field(default=False, description="Not supported; false.")

    @classmethod
    def from_action(cls, action: DeploymentScheduleUpdate) -> DeploymentScheduleUpdateBody:
        return cls.model_validate(action.model_dump(exclude_unset=True))

    def to_action(self) -> DeploymentScheduleUpdate:
        fields = self.model_dump(include={"active", "schedule"}, exclude_unset=True, mode="json")
        return DeploymentScheduleUpdate(**fields)


class DeploymentScheduleResponse(BaseModel):
    id: uuid.UUID
    created: dt.datetime
    updated: dt.datetime
    deployment_id: uuid.UUID
    schedule: Schedule
    active: bool
    max_active_runs: None = None
    max_scheduled_runs: None = None
    catchup: bool = False

    @classmethod
    def from_schedule(cls, schedule: DeploymentSchedule) -> DeploymentScheduleResponse:
        return cls.model_validate(schedule.model_dump())

    def to_schedule(self) -> DeploymentSchedule:
        return DeploymentSchedule.model_validate(self.model_dump())


# -- deployments ------------------------------------------------------------------


def _pull_steps(source: GitSource | None, path: str | None) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    if source is not None:
        clone: dict[str, Any] = {"repository": source.repository, "branch": source.branch}
        if source.commit is not None:
            clone["commit_sha"] = source.commit
        steps.append({GIT_CLONE: clone})
    if path is not None:
        steps.append({SET_WORKING_DIRECTORY: {"directory": path}})
    return steps


def _from_pull_steps(steps: list[dict[str, Any]]) -> tuple[GitSource | None, str | None]:
    """Baton's ``source`` and ``path`` from Prefect pull steps; others are refused."""
    source, path = None, None
    for step in steps:
        if len(step) != 1:
            raise ValueError("each pull step must name exactly one step")
        ((name, options),) = step.items()
        if not isinstance(options, dict):
            raise ValueError(f"pull step {name!r} needs an object of options")
        if name == GIT_CLONE:
            unknown = set(options) - {"repository", "branch", "commit_sha"}
            if unknown:
                raise ValueError(f"git_clone options not supported: {sorted(unknown)}")
            source = GitSource(
                repository=options.get("repository", ""),
                branch=options.get("branch"),
                commit=options.get("commit_sha"),
            )
        elif name == SET_WORKING_DIRECTORY and set(options) == {"directory"}:
            path = str(options["directory"])
        else:
            raise ValueError(
                f"pull step {name!r} is not supported; use {GIT_CLONE} "
                f"or {SET_WORKING_DIRECTORY} (with a directory)"
            )
    return source, path


class _DeploymentFields(WireModel):
    """What creating and updating a deployment share, with Prefect's legacy spellings."""

    description: str | None = None
    version: str | None = None
    tags: list[str] = Field(default_factory=list)
    parameters: dict[str, Any] = Field(default_factory=dict)
    paused: bool = False
    is_schedule_active: bool = Field(default=True, description="Prefect's `not paused`.")
    schedules: list[DeploymentScheduleCreateBody] = Field(default_factory=list)
    schedule: Schedule | None = Field(default=None, description="Prefect's single schedule.")
    work_pool_name: str | None = None
    work_queue_name: str | None = None
    job_variables: dict[str, Any] = Field(default_factory=dict)
    infra_overrides: dict[str, Any] | None = Field(
        default=None, description="Prefect's older name for `job_variables`."
    )
    concurrency_limit: int | None = Field(default=None, ge=0, le=MAX_INT)
    crash_retries: int = Field(default=0, ge=0, le=MAX_INT)

    @model_validator(mode="after")
    def _one_spelling_each(self) -> _DeploymentFields:
        given = self.model_fields_set
        if {"schedule", "schedules"} <= given and self.schedule is not None:
            raise ValueError("give either schedule or schedules, not both")
        if {"job_variables", "infra_overrides"} <= given and self.infra_overrides is not None:
            raise ValueError("give either job_variables or infra_overrides, not both")
        if {"paused", "is_schedule_active"} <= given and self.paused == self.is_schedule_active:
            raise ValueError("paused and is_schedule_active contradict each other")
        return self

    def _common_changes(self) -> dict[str, Any]:
        """The fields the sender gave, in Baton's spelling."""
        given = self.model_fields_set
        changes = _set(
            self,
            [
                "description",
                "version",
                "tags",
                "parameters",
                "paused",
                "work_pool_name",
                "work_queue_name",
                "job_variables",
                "concurrency_limit",
                "crash_retries",
            ],
        )
        if "is_schedule_active" in given and "paused" not in given:
            changes["paused"] = not self.is_schedule_active
        if "schedules" in given:
            changes["schedules"] = [s.to_action() for s in self.schedules]
        elif "schedule" in given:
            changes["schedules"] = (
                [] if self.schedule is None else [DeploymentScheduleCreate(schedule=self.schedule)]
            )
        if "infra_overrides" in given and self.infra_overrides is not None:
            changes["job_variables"] = self.infra_overrides
        return changes


class DeploymentCreateBody(_DeploymentFields):
    """Prefect's ``DeploymentCreate``; one of the same flow and name is replaced."""

    name: str = Field(min_length=1)
    flow_id: uuid.UUID
    entrypoint: str | None = None
    path: str | None = None
    source: GitSource | None = Field(default=None, description="Where the code is (Baton).")
    pull_steps: list[dict[str, Any]] | None = Field(
        default=None, description=f"Only `{GIT_CLONE}` and `{SET_WORKING_DIRECTORY}`."
    )
    parameter_openapi_schema: dict[str, Any] | None = None
    enforce_parameter_schema: bool = True
    manifest_path: None = Field(default=None, description="Not supported; null.")
    storage_document_id: None = Field(default=None, description="Not supported; null.")
    infrastructure_document_id: None = Field(default=None, description="Not supported; null.")

    @model_validator(mode="after")
    def _source_once(self) -> DeploymentCreateBody:
        if self.pull_steps:
            source, path = _from_pull_steps(self.pull_steps)
            if (source and self.source) or (path and self.path):
                raise ValueError("pull_steps repeat source or path; give one of them")
        return self

    @classmethod
    def from_action(cls, action: DeploymentCreate) -> DeploymentCreateBody:
        return cls(
            **action.model_dump(exclude={"schedules", "source"}),
            source=action.source,
            schedules=[DeploymentScheduleCreateBody.from_action(s) for s in action.schedules],
        )

    def to_action(self) -> DeploymentCreate:
        source, path = _from_pull_steps(self.pull_steps or [])
        return DeploymentCreate(
            flow_id=self.flow_id,
            name=self.name,
            entrypoint=self.entrypoint,
            path=self.path or path,
            source=self.source or source,
            parameter_openapi_schema=self.parameter_openapi_schema,
            enforce_parameter_schema=self.enforce_parameter_schema,
            **self._common_changes(),
        )


_EMPTY_UPDATES: dict[str, Any] = {
    "tags": [],
    "parameters": {},
    "job_variables": {},
    "crash_retries": 0,
}


class DeploymentUpdateBody(_DeploymentFields):
    """Prefect's ``DeploymentUpdate``: only the fields given change."""

    @classmethod
    def from_action(cls, action: DeploymentUpdate) -> DeploymentUpdateBody:
        """A null in ``action`` clears the field; on the wire that is its empty value."""
        changes = action.model_dump(exclude_unset=True, exclude={"schedules"})
        for name, empty in _EMPTY_UPDATES.items():
            if name in changes and changes[name] is None:
                changes[name] = empty
        if changes.get("paused", False) is None:
            del changes["paused"]
        if "schedules" in action.model_fields_set:
            changes["schedules"] = [
                DeploymentScheduleCreateBody.from_action(s) for s in action.schedules or []
            ]
        return cls(**changes)

    def to_action(self) -> DeploymentUpdate:
        return DeploymentUpdate(**self._common_changes())


class DeploymentStatus(str, enum.Enum):
    READY = "READY"
    NOT_READY = "NOT_READY"


class DeploymentResponse(BaseModel):
    id: uuid.UUID
    created: dt.datetime
    updated: dt.datetime
    name: str
    flow_id: uuid.UUID
    flow_name: str | None = Field(default=None, description="Baton: the flow's name.")
    version: str | None
    description: str | None
    tags: list[str]
    parameters: dict[str, Any]
    parameter_openapi_schema: dict[str, Any] | None
    enforce_parameter_schema: bool
    paused: bool
    is_schedule_active: bool
    schedules: list[DeploymentScheduleResponse]
    schedule: Schedule | None = Field(description="The first schedule (Prefect's legacy field).")
    entrypoint: str | None
    path: str | None
    source: GitSource | None = Field(description="Where the code is (Baton).")
    pull_steps: list[dict[str, Any]]
    work_pool_name: str | None
    work_queue_name: str | None
    work_queue_id: uuid.UUID | None = Field(description="Baton: the queue's id.")
    job_variables: dict[str, Any]
    infra_overrides: dict[str, Any]
    concurrency_limit: int | None
    crash_retries: int = Field(description="Baton: how often a crashed run is started again.")
    last_polled: dt.datetime | None
    status: DeploymentStatus
    manifest_path: None = None
    storage_document_id: None = None
    infrastructure_document_id: None = None
    created_by: None = None
    updated_by: None = None

    @classmethod
    def from_deployment(cls, deployment: Deployment, now: dt.datetime) -> DeploymentResponse:
        polled = deployment.last_polled
        ready = polled is not None and now - polled < POLL_FRESHNESS
        schedules = [DeploymentScheduleResponse.from_schedule(s) for s in deployment.schedules]
        return cls(
            **deployment.model_dump(exclude={"schedules", "source"}),
            source=deployment.source,
            schedules=schedules,
            schedule=schedules[0].schedule if schedules else None,
            is_schedule_active=not deployment.paused,
            pull_steps=_pull_steps(deployment.source, deployment.path),
            infra_overrides=deployment.job_variables,
            status=DeploymentStatus.READY if ready else DeploymentStatus.NOT_READY,
        )

    def to_deployment(self) -> Deployment:
        return Deployment(
            **self.model_dump(include=set(Deployment.model_fields) - {"schedules", "source"}),
            source=self.source,
            schedules=[s.to_schedule() for s in self.schedules],
        )


class DeploymentFlowRunCreateBody(WireModel):
    """Prefect's ``DeploymentFlowRunCreate``: a Scheduled run of the deployment."""

    name: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    idempotency_key: str | None = None
    work_queue_name: str | None = None
    job_variables: dict[str, Any] = Field(default_factory=dict)
    scheduled_time: dt.datetime | None = Field(
        default=None, description="When the run should start (Baton; default: now)."
    )
    state: StateCreate | None = Field(
        default=None,
        description="Only a SCHEDULED state, whose scheduled_time says when to start.",
    )
    context: dict[str, Any] = Field(default_factory=dict, description="Informational; not stored.")
    enforce_parameter_schema: None = Field(default=None, description="Set on the deployment.")
    parent_task_run_id: None = Field(default=None, description="Not supported; null.")
    infrastructure_document_id: None = Field(default=None, description="Not supported; null.")

    @model_validator(mode="after")
    def _scheduled_only(self) -> DeploymentFlowRunCreateBody:
        if self.state is not None and self.state.type is not StateType.SCHEDULED:
            raise ValueError("a deployment's run starts SCHEDULED; state must be SCHEDULED")
        if self.state is not None and self.scheduled_time is not None:
            raise ValueError("give either state or scheduled_time, not both")
        return self

    @classmethod
    def from_action(cls, action: DeploymentFlowRunCreate) -> DeploymentFlowRunCreateBody:
        return cls(**action.model_dump())

    def to_action(self) -> DeploymentFlowRunCreate:
        scheduled_time = self.scheduled_time
        if self.state is not None:
            scheduled_time = self.state.state_details.scheduled_time
        return DeploymentFlowRunCreate(
            **self.model_dump(
                include={
                    "name",
                    "parameters",
                    "tags",
                    "idempotency_key",
                    "work_queue_name",
                    "job_variables",
                }
            ),
            scheduled_time=scheduled_time,
        )


class FlowRunUpdateBody(WireModel):
    """Prefect's ``FlowRunUpdate``, limited to what may change after a run was made."""

    name: str | None = Field(default=None, min_length=1)
    tags: list[str] | None = None
    infrastructure_pid: str | None = None
    code_revision: str | None = Field(default=None, description="The git commit run (Baton).")

    @classmethod
    def from_action(cls, action: FlowRunUpdate) -> FlowRunUpdateBody:
        return cls(**action.model_dump(exclude_unset=True))

    def to_action(self) -> FlowRunUpdate:
        return FlowRunUpdate(**self.model_dump(exclude_unset=True))


class DeploymentScheduledRunsBody(WireModel):
    """What ``serve`` polls for: due runs of its deployments."""

    deployment_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_PAGE)
    scheduled_before: dt.datetime | None = Field(default=None, description="Default: now.")
    limit: int = Field(default=10, ge=1, le=MAX_PAGE)


class FlowRunHeartbeatBody(WireModel):
    """Runs whose process is alive (Baton): what ``serve`` sends, having no work pool."""

    flow_run_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_PAGE)
