"""Requests and response-shape checks shared by the REST API tests."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import httpx


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def created(response: httpx.Response) -> Any:
    assert response.status_code == 201, response.text
    return response.json()


def new_flow(api: httpx.Client) -> str:
    return str(created(api.post("/flows/", json={"name": unique("flow"), "tags": []}))["id"])


def new_flow_run(api: httpx.Client, **body: Any) -> dict[str, Any]:
    body.setdefault("flow_id", new_flow(api))
    run: dict[str, Any] = created(api.post("/flow_runs/", json=body))
    return run


def propose(api: httpx.Client, kind: str, run_id: str, state: dict[str, Any], **extra: Any) -> Any:
    response = api.post(f"/{kind}/{run_id}/set_state", json={"state": state, **extra})
    return created(response)


def in_an_hour() -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).isoformat()


# -- the shapes of Prefect 2's OpenAPI document ---------------------------------

Check = Callable[[Any], bool]
STATE_TYPES = {
    "SCHEDULED",
    "PENDING",
    "RUNNING",
    "PAUSED",
    "CANCELLING",
    "COMPLETED",
    "FAILED",
    "CANCELLED",
    "CRASHED",
}


def is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        return False
    return True


def is_time(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return moment.tzinfo is not None


def is_str(value: Any) -> bool:
    return isinstance(value, str)


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def is_object(value: Any) -> bool:
    return isinstance(value, dict)


def is_anything(value: Any) -> bool:
    return True


def optional(check: Check) -> Check:
    return lambda value: value is None or check(value)


def one_of(*values: str) -> Check:
    return lambda value: value in values


def list_of(check: Check) -> Check:
    return lambda value: isinstance(value, list) and all(check(item) for item in value)


def shaped(spec: dict[str, Check]) -> Check:
    return lambda value: isinstance(value, dict) and not shape_problems(value, spec)


def shape_problems(body: dict[str, Any], spec: dict[str, Check]) -> list[str]:
    """The fields of ``spec`` that ``body`` lacks or holds a wrong kind of value in."""
    problems = []
    for field, check in spec.items():
        if field not in body:
            problems.append(f"{field} is missing")
        elif not check(body[field]):
            problems.append(f"{field} has the wrong kind of value: {body[field]!r}")
    return problems


FLOW = {
    "id": is_uuid,
    "created": is_time,
    "updated": is_time,
    "name": is_str,
    "tags": list_of(is_str),
}
STATE_DETAILS = {
    "flow_run_id": optional(is_uuid),
    "task_run_id": optional(is_uuid),
    "child_flow_run_id": optional(is_uuid),
    "scheduled_time": optional(is_time),
    "cache_key": optional(is_str),
    "cache_expiration": optional(is_time),
    "untrackable_result": is_bool,
    "pause_timeout": optional(is_time),
    "pause_reschedule": is_bool,
    "pause_key": optional(is_str),
    "run_input_keyset": optional(is_object),
    "refresh_cache": optional(is_bool),
    "retriable": optional(is_bool),
    "transition_id": optional(is_uuid),
    "task_parameters_id": optional(is_uuid),
}
STATE = {
    "id": is_uuid,
    "type": one_of(*STATE_TYPES),
    "name": is_str,
    "timestamp": is_time,
    "message": optional(is_str),
    "data": is_anything,
    "state_details": shaped(STATE_DETAILS),
}
RUN = {
    "id": is_uuid,
    "created": is_time,
    "updated": is_time,
    "name": is_str,
    "state_id": optional(is_uuid),
    "state_type": optional(one_of(*STATE_TYPES)),
    "state_name": optional(is_str),
    "state": optional(shaped(STATE)),
    "run_count": is_int,
    "expected_start_time": optional(is_time),
    "next_scheduled_start_time": optional(is_time),
    "start_time": optional(is_time),
    "end_time": optional(is_time),
    "total_run_time": is_number,
    "estimated_run_time": is_number,
    "estimated_start_time_delta": is_number,
    "tags": list_of(is_str),
}
FLOW_RUN_POLICY = {
    "max_retries": is_int,
    "retry_delay_seconds": is_number,
    "retries": optional(is_int),
    "retry_delay": optional(is_number),
    "pause_keys": optional(list_of(is_str)),
    "resuming": optional(is_bool),
    "retry_type": optional(one_of("in_process", "reschedule")),
}
FLOW_RUN = {
    **RUN,
    "flow_id": is_uuid,
    "deployment_id": optional(is_uuid),
    "flow_version": optional(is_str),
    "parameters": is_object,
    "idempotency_key": optional(is_str),
    "context": is_object,
    "empirical_policy": shaped(FLOW_RUN_POLICY),
    "parent_task_run_id": optional(is_uuid),
    "auto_scheduled": optional(is_bool),
}
TASK_RUN_INPUT = {"input_type": one_of("task_run", "parameter", "constant")}
TASK_RUN_POLICY = {
    "max_retries": is_int,
    "retry_delay_seconds": is_number,
    "retries": optional(is_int),
    "retry_delay": optional(lambda v: is_number(v) or list_of(is_number)(v)),
    "retry_jitter_factor": optional(is_number),
}
TASK_RUN = {
    **RUN,
    "flow_run_id": optional(is_uuid),
    "task_key": is_str,
    "dynamic_key": is_str,
    "cache_key": optional(is_str),
    "cache_expiration": optional(is_time),
    "task_version": optional(is_str),
    "empirical_policy": shaped(TASK_RUN_POLICY),
    "task_inputs": lambda v: is_object(v) and all(map(list_of(shaped(TASK_RUN_INPUT)), v.values())),
    "flow_run_run_count": is_int,
}
DETAIL_TYPES = {
    "ACCEPT": "accept_details",
    "REJECT": "reject_details",
    "WAIT": "wait_details",
    "ABORT": "abort_details",
}
ORCHESTRATION_RESULT = {
    "status": one_of(*DETAIL_TYPES),
    "state": optional(shaped(STATE)),
    "details": lambda v: is_object(v) and v.get("type") in DETAIL_TYPES.values(),
}
CONCURRENCY_LIMIT = {
    "id": is_uuid,
    "created": is_time,
    "updated": is_time,
    "tag": is_str,
    "concurrency_limit": is_int,
    "active_slots": list_of(is_uuid),
}


def assert_shape(body: Any, spec: dict[str, Check]) -> None:
    assert isinstance(body, dict), body
    assert shape_problems(body, spec) == []


def assert_result(body: Any, status: str) -> dict[str, Any]:
    """An orchestration result with ``status`` and the details Prefect's clients read."""
    assert_shape(body, ORCHESTRATION_RESULT)
    assert body["status"] == status, body
    details: dict[str, Any] = body["details"]
    assert details["type"] == DETAIL_TYPES[status]
    if status != "ACCEPT":
        assert isinstance(details["reason"], str) and details["reason"]
    if status == "WAIT":
        assert is_number(details["delay_seconds"]) and details["delay_seconds"] >= 0
    return details
