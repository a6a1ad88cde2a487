"""Task-run transitions a Baton client judged itself, shipped in one batch (Baton)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from baton.api.schemas.runs import TaskRunResponse
from baton.api.schemas.states import StateResponse, WireModel
from baton.core.models import OrchestrationDecision


class TaskRunIngestBody(WireModel):
    """What happened to some task runs, in order: the runs as they stand now, their new
    states oldest first, and the decisions the rules recorded."""

    created: list[TaskRunResponse] = Field(
        default_factory=list, description="Task runs new to the server, as they stand now."
    )
    updated: list[TaskRunResponse] = Field(
        default_factory=list,
        description="Stored task runs whose state changed, as they stand now.",
    )
    states: list[StateResponse] = Field(
        default_factory=list,
        description="The new states, oldest first; each names its task run in "
        "state_details.task_run_id.",
    )
    decisions: list[OrchestrationDecision] = Field(default_factory=list)


class TaskRunIngestResult(BaseModel):
    created: int
    updated: int
    states: int
    decisions: int
