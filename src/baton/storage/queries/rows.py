"""Conversions between domain objects and table rows (plain dicts), kept cheap.

These run on the hot path of every task, so they build dicts by hand rather
than through generic serialisation.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Row

from baton.core.models import FlowRun, RunKind, RunModel, TaskRun
from baton.core.states import State, StateDetails, StateType, trusted_state
from baton.results.persistence import ResultRef

_SHARED_PROGRESS_FIELDS = (
    "state_id",
    "state_type",
    "state_name",
    "run_count",
    "expected_start_time",
    "start_time",
    "end_time",
    "total_run_time",
    "updated",
)
PROGRESS_FIELDS = {
    RunKind.TASK_RUN: _SHARED_PROGRESS_FIELDS,
    # A flow run's policy counts the crash retries it has used.
    RunKind.FLOW_RUN: (*_SHARED_PROGRESS_FIELDS, "empirical_policy"),
}
"""The columns a new state changes, by kind of run."""


def state_row(state: State, fk: str, run_id: uuid.UUID) -> dict[str, Any]:
    """A state row; ``fk`` names the run column (``flow_run_id`` or ``task_run_id``)."""
    return {
        "id": state.id,
        fk: run_id,
        "type": state.type.value,
        "name": state.name,
        "timestamp": state.timestamp,
        "message": state.message,
        "result_ref": state.result_ref.model_dump() if state.result_ref else None,
        "state_details": details_json(state.state_details),
    }


def details_json(details: StateDetails) -> dict[str, Any]:
    """The fields of ``details`` that differ from their defaults, as JSON-ready values
    (hand-built: this is hot)."""
    out: dict[str, Any] = {}
    for name, value in details.__dict__.items():
        if value is _DETAIL_DEFAULTS[name]:
            continue
        if isinstance(value, uuid.UUID):
            out[name] = str(value)
        elif isinstance(value, dt.datetime):
            out[name] = value.isoformat()
        else:
            out[name] = value
    return out


_DETAIL_DEFAULTS = {name: field.default for name, field in StateDetails.model_fields.items()}


def state_from_row(row: Row[Any] | dict[str, Any]) -> State:
    """A state as stored: its columns hold the types they were written with, and only
    the JSON ones are validated back into models."""
    get = row._mapping.get if isinstance(row, Row) else row.get
    ref, details = get("result_ref"), get("state_details")
    return trusted_state(
        StateType(get("type")),
        name=get("name"),
        message=get("message"),
        details=StateDetails.model_validate(details) if details else None,
        result_ref=ResultRef.model_validate(ref) if ref else None,
        id=get("id"),
        timestamp=get("timestamp"),
    )


def progress_row(run: RunModel) -> dict[str, Any]:
    """The columns that change when a run enters a new state."""
    row: dict[str, Any] = {
        "id": run.id,
        "state_id": run.state.id if run.state else None,
        "state_type": run.state_type.value if run.state_type else None,
        "state_name": run.state_name,
        "run_count": run.run_count,
        "expected_start_time": run.expected_start_time,
        "start_time": run.start_time,
        "end_time": run.end_time,
        "total_run_time": run.total_run_time,
        "updated": run.updated,
    }
    if isinstance(run, FlowRun):
        row["empirical_policy"] = run.empirical_policy.model_dump()
    return row


def run_row(kind: RunKind, run: RunModel) -> dict[str, Any]:
    row = progress_row(run)
    row.update(
        created=run.created,
        name=run.name,
        tags=list(run.tags),
        empirical_policy=run.empirical_policy.model_dump(),
    )
    if kind is RunKind.FLOW_RUN:
        assert isinstance(run, FlowRun)
        row.update(
            flow_id=run.flow_id,
            parameters=run.parameters,
            parent_task_run_id=run.parent_task_run_id,
            deployment_id=run.deployment_id,
            flow_version=run.flow_version,
            idempotency_key=run.idempotency_key,
            auto_scheduled=run.auto_scheduled,
            work_queue_id=run.work_queue_id,
            work_pool_name=run.work_pool_name,
            work_queue_name=run.work_queue_name,
            job_variables=run.job_variables,
            infrastructure_pid=run.infrastructure_pid,
            code_revision=run.code_revision,
            heartbeat_time=run.heartbeat_time,
        )
    else:
        assert isinstance(run, TaskRun)
        row.update(
            flow_run_id=run.flow_run_id,
            task_key=run.task_key,
            dynamic_key=run.dynamic_key,
            cache_key=run.cache_key,
            cache_expiration=run.cache_expiration,
            task_version=run.task_version,
            task_inputs={
                name: [i.model_dump(mode="json", exclude_none=True) for i in inputs]
                for name, inputs in run.task_inputs.items()
            },
            flow_run_run_count=run.flow_run_run_count,
        )
    return row
