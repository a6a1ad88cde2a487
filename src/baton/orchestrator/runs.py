"""New runs from their create actions: one implementation for every way in."""

from __future__ import annotations

from baton.core.actions import FlowRunCreate, TaskRunCreate
from baton.core.fast import construct
from baton.core.ids import new_id
from baton.core.models import FlowRun, TaskRun
from baton.core.names import generate_run_name
from baton.core.states import utcnow


def new_flow_run(data: FlowRunCreate) -> FlowRun:
    """The flow run ``data`` describes, not yet stored and with no state."""
    return FlowRun(
        id=data.id or new_id(),
        name=data.name or generate_run_name(),
        flow_id=data.flow_id,
        parameters=data.parameters,
        tags=data.tags,
        parent_task_run_id=data.parent_task_run_id,
        deployment_id=data.deployment_id,
        flow_version=data.flow_version,
        empirical_policy=data.empirical_policy,
        idempotency_key=data.idempotency_key,
        auto_scheduled=data.auto_scheduled,
        work_queue_id=data.work_queue_id,
        work_pool_name=data.work_pool_name,
        work_queue_name=data.work_queue_name,
        job_variables=data.job_variables,
    )


def new_task_run(data: TaskRunCreate) -> TaskRun:
    """The task run ``data`` describes, not yet stored and with no state.

    Built without re-validation: every task call goes through here, and
    ``data`` was validated when it was made.
    """
    now = utcnow()
    return construct(
        TaskRun,
        {
            "id": data.id or new_id(),
            "created": now,
            "updated": now,
            "name": data.name,
            "state_type": None,
            "state_name": None,
            "state": None,
            "run_count": 0,
            "expected_start_time": None,
            "start_time": None,
            "end_time": None,
            "total_run_time": 0.0,
            "tags": data.tags,
            "empirical_policy": data.empirical_policy,
            "flow_run_id": data.flow_run_id,
            "task_key": data.task_key,
            "dynamic_key": data.dynamic_key,
            "cache_key": data.cache_key,
            "cache_expiration": data.cache_expiration,
            "task_version": data.task_version,
            "task_inputs": data.task_inputs,
            "flow_run_run_count": 0,
        },
    )
