"""Filters and sort orders for reading flows, runs and logs, in Prefect 2's REST shapes.

Field names follow Prefect (``any_``, ``like_``, ``before_`` ...) so request
bodies written for Prefect's API work unchanged. A filter's criteria are
combined with its ``operator`` (``and_`` unless said otherwise); a filter with
no criteria matches everything. Unknown keys are refused, so a misspelled
criterion is an error rather than a filter silently not applied. Contradictory
criteria (``before_`` earlier than ``after_``) are valid and match nothing.

These are plain data; ``baton.storage.queries.filters`` turns them into SQL.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from baton.core.states import StateType


def _as_utc(value: dt.datetime) -> dt.datetime:
    """Naive datetimes are taken to be UTC, the time zone every stored time is in."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


UTCDatetime = Annotated[dt.datetime, AfterValidator(_as_utc)]


class Operator(str, enum.Enum):
    """How a filter combines its criteria: all must hold, or any one."""

    and_ = "and_"
    or_ = "or_"


class FilterModel(BaseModel):
    """Base of every filter: unknown keys are an error."""

    model_config = ConfigDict(extra="forbid")


class OperatorFilter(FilterModel):
    """A filter whose criteria are combined with ``operator``."""

    operator: Operator = Field(
        default=Operator.and_, description="How criteria are combined: 'and_' or 'or_'."
    )


# -- building blocks shared by several objects ------------------------------


class IdFilter(FilterModel):
    """Objects whose id is one of a list."""

    any_: list[uuid.UUID] | None = Field(default=None, description="Ids to include.")


class NameFilter(FilterModel):
    """Objects by exact name, or by a case-insensitive part of it."""

    any_: list[str] | None = Field(default=None, description="Names to include.")
    like_: str | None = Field(
        default=None,
        description="A case-insensitive substring: 'marvin' matches 'sad-Marvin-robot'.",
    )


class TagsFilter(OperatorFilter):
    """Objects by their tags."""

    all_: list[str] | None = Field(
        default=None, description="Only objects carrying every one of these tags."
    )
    is_null_: bool | None = Field(
        default=None, description="True: only objects without tags; false: only with tags."
    )


class TimeRangeFilter(FilterModel):
    """Objects by a time, bounds included."""

    before_: UTCDatetime | None = Field(default=None, description="At or before this time.")
    after_: UTCDatetime | None = Field(default=None, description="At or after this time.")


class IdOrNullFilter(OperatorFilter):
    """Objects by an optional reference to another object."""

    any_: list[uuid.UUID] | None = Field(default=None, description="Referenced ids to include.")
    is_null_: bool | None = Field(
        default=None, description="True: only objects without the reference; false: only with."
    )


class StateTypeFilter(FilterModel):
    """Runs by the type of their current state."""

    any_: list[StateType] | None = Field(default=None, description="State types to include.")
    not_any_: list[StateType] | None = Field(
        default=None, description="State types to exclude (runs with no state are kept)."
    )


class StateNameFilter(FilterModel):
    """Runs by the name of their current state ("Late", "AwaitingRetry" ...)."""

    any_: list[str] | None = Field(default=None, description="State names to include.")
    not_any_: list[str] | None = Field(
        default=None, description="State names to exclude (runs with no state are kept)."
    )


class StartTimeFilter(TimeRangeFilter):
    """Runs by when they started; runs that never started have no start time."""

    is_null_: bool | None = Field(
        default=None, description="True: only runs not started; false: only runs started."
    )


# -- flows -------------------------------------------------------------------


class FlowFilterId(IdFilter):
    """Flows by id."""


class FlowFilterName(NameFilter):
    """Flows by name."""


class FlowFilterTags(TagsFilter):
    """Flows by tags."""


class FlowFilter(OperatorFilter):
    """Which flows to read."""

    id: FlowFilterId | None = None
    name: FlowFilterName | None = None
    tags: FlowFilterTags | None = None


class FlowSort(str, enum.Enum):
    """Orders of flows."""

    CREATED_DESC = "CREATED_DESC"
    UPDATED_DESC = "UPDATED_DESC"
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"


# -- flow runs ---------------------------------------------------------------


class FlowRunFilterId(IdFilter):
    """Flow runs by id, included or excluded."""

    not_any_: list[uuid.UUID] | None = Field(default=None, description="Ids to exclude.")


class FlowRunFilterName(NameFilter):
    """Flow runs by name."""


class FlowRunFilterTags(TagsFilter):
    """Flow runs by tags."""


class FlowRunFilterStateType(StateTypeFilter):
    """Flow runs by the type of their current state."""


class FlowRunFilterStateName(StateNameFilter):
    """Flow runs by the name of their current state."""


class FlowRunFilterState(OperatorFilter):
    """Flow runs by their current state."""

    type: FlowRunFilterStateType | None = None
    name: FlowRunFilterStateName | None = None


class FlowRunFilterStartTime(StartTimeFilter):
    """Flow runs by when they started."""


class FlowRunFilterExpectedStartTime(TimeRangeFilter):
    """Flow runs by when they were scheduled to start."""


class FlowRunFilterParentTaskRunId(IdOrNullFilter):
    """Subflow runs by the task run standing for them in their parent flow run
    (``is_null_``: true for top-level runs only, false for subflow runs only)."""


class FlowRunFilterParentFlowRunId(OperatorFilter):
    """Subflow runs of the given flow runs (their parent task run belongs to one)."""

    any_: list[uuid.UUID] | None = Field(default=None, description="Parent flow run ids.")


class FlowRunFilterDeploymentId(IdOrNullFilter):
    """Flow runs by the deployment that created them."""


class FlowRunFilterFlowVersion(FilterModel):
    """Flow runs by the version of their flow's code."""

    any_: list[str] | None = Field(default=None, description="Flow versions to include.")


class FlowRunFilter(OperatorFilter):
    """Which flow runs to read."""

    id: FlowRunFilterId | None = None
    name: FlowRunFilterName | None = None
    tags: FlowRunFilterTags | None = None
    deployment_id: FlowRunFilterDeploymentId | None = None
    state: FlowRunFilterState | None = None
    flow_version: FlowRunFilterFlowVersion | None = None
    start_time: FlowRunFilterStartTime | None = None
    expected_start_time: FlowRunFilterExpectedStartTime | None = None
    parent_flow_run_id: FlowRunFilterParentFlowRunId | None = None
    parent_task_run_id: FlowRunFilterParentTaskRunId | None = None


class FlowRunSort(str, enum.Enum):
    """Orders of flow runs; ties are broken by id, in the same direction.

    START_TIME falls back to the expected start for runs not yet started;
    NEXT_SCHEDULED_START_TIME puts runs waiting in a Scheduled state first, soonest first.
    ID_ASC, not in Prefect, is oldest first: ids are time-ordered to the millisecond.
    CREATED_DESC/CREATED_ASC (Baton) order by creation time, whoever chose the ids.
    """

    ID_DESC = "ID_DESC"
    ID_ASC = "ID_ASC"
    CREATED_DESC = "CREATED_DESC"
    CREATED_ASC = "CREATED_ASC"
    START_TIME_ASC = "START_TIME_ASC"
    START_TIME_DESC = "START_TIME_DESC"
    EXPECTED_START_TIME_ASC = "EXPECTED_START_TIME_ASC"
    EXPECTED_START_TIME_DESC = "EXPECTED_START_TIME_DESC"
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"
    NEXT_SCHEDULED_START_TIME_ASC = "NEXT_SCHEDULED_START_TIME_ASC"
    END_TIME_DESC = "END_TIME_DESC"


# -- task runs ---------------------------------------------------------------


class TaskRunFilterId(IdFilter):
    """Task runs by id."""


class TaskRunFilterName(NameFilter):
    """Task runs by name."""


class TaskRunFilterTags(TagsFilter):
    """Task runs by tags."""


class TaskRunFilterStateType(StateTypeFilter):
    """Task runs by the type of their current state."""


class TaskRunFilterStateName(StateNameFilter):
    """Task runs by the name of their current state."""


class TaskRunFilterState(OperatorFilter):
    """Task runs by their current state."""

    type: TaskRunFilterStateType | None = None
    name: TaskRunFilterStateName | None = None


class TaskRunFilterStartTime(StartTimeFilter):
    """Task runs by when they started."""


class TaskRunFilterFlowRunId(OperatorFilter):
    """Task runs by the flow run they belong to."""

    any_: list[uuid.UUID] | None = Field(default=None, description="Flow run ids.")
    is_null_: bool = Field(
        default=False,
        description="True: only task runs called outside any flow run. False adds no criterion.",
    )


class TaskRunFilterSubFlowRuns(FilterModel):
    """Task runs by whether they stand for a subflow run."""

    exists_: bool | None = Field(
        default=None,
        description="True: only task runs that are subflow parents; false: only the others.",
    )


class TaskRunFilter(OperatorFilter):
    """Which task runs to read."""

    id: TaskRunFilterId | None = None
    name: TaskRunFilterName | None = None
    tags: TaskRunFilterTags | None = None
    state: TaskRunFilterState | None = None
    start_time: TaskRunFilterStartTime | None = None
    subflow_runs: TaskRunFilterSubFlowRuns | None = None
    flow_run_id: TaskRunFilterFlowRunId | None = None


class TaskRunSort(str, enum.Enum):
    """Orders of task runs; ties, NEXT_SCHEDULED_START_TIME, ID_ASC and CREATED_* as for
    flow runs."""

    ID_DESC = "ID_DESC"
    ID_ASC = "ID_ASC"
    CREATED_DESC = "CREATED_DESC"
    CREATED_ASC = "CREATED_ASC"
    EXPECTED_START_TIME_ASC = "EXPECTED_START_TIME_ASC"
    EXPECTED_START_TIME_DESC = "EXPECTED_START_TIME_DESC"
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"
    NEXT_SCHEDULED_START_TIME_ASC = "NEXT_SCHEDULED_START_TIME_ASC"
    END_TIME_DESC = "END_TIME_DESC"


# -- logs --------------------------------------------------------------------


# Log levels are stored as 32-bit integers; anything larger cannot match.
MAX_LEVEL = 2**31 - 1


class LogFilterLevel(FilterModel):
    """Logs by level (the ``logging`` numbers: 10 DEBUG ... 50 CRITICAL), bounds included."""

    ge_: int | None = Field(default=None, ge=0, le=MAX_LEVEL, description="At least this level.")
    le_: int | None = Field(default=None, ge=0, le=MAX_LEVEL, description="At most this level.")


class LogFilterTimestamp(TimeRangeFilter):
    """Logs by when they were emitted."""


class LogFilterFlowRunId(IdFilter):
    """Logs of the given flow runs, their task runs' logs included."""


class LogFilterTaskRunId(IdFilter):
    """Logs of the given task runs."""


class LogFilter(OperatorFilter):
    """Which logs to read."""

    level: LogFilterLevel | None = None
    timestamp: LogFilterTimestamp | None = None
    flow_run_id: LogFilterFlowRunId | None = None
    task_run_id: LogFilterTaskRunId | None = None


class LogSort(str, enum.Enum):
    """Orders of logs."""

    TIMESTAMP_ASC = "TIMESTAMP_ASC"
    TIMESTAMP_DESC = "TIMESTAMP_DESC"
