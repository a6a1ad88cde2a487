"""The REST API as a client on the wire sees it, through a real server on loopback.

Bodies follow Prefect 2's REST API, so Prefect 2 clients can talk to Baton: the
request bodies its client sends are replayed here, and responses are checked
field by field against the shapes Prefect 2's OpenAPI document describes.
Mistakes in a request are a 4xx whose body names the problem, never a 500.
Every test runs against a server on SQLite and on PostgreSQL (when configured).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

import baton
from baton.client.http import HttpClient
from baton.testing import baton_test_harness


@pytest.fixture(scope="module")
def api_url(module_database_url: str | None) -> Iterator[str]:
    """One server per database for the module; every test makes objects of its own."""
    with baton_test_harness(module_database_url, server=True) as client:
        assert isinstance(client, HttpClient)
        yield client.api_url


@pytest.fixture
def api(api_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_url, timeout=30) as http:
        yield http


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


# -- service endpoints ----------------------------------------------------------


def test_health_answers_true(api: httpx.Client) -> None:
    response = api.get("/health")
    assert response.status_code == 200
    assert response.json() is True


def test_version_is_the_package_version(api: httpx.Client) -> None:
    response = api.get("/admin/version")
    assert response.status_code == 200
    assert response.json() == baton.__version__


def test_the_openapi_document_and_its_docs_page_are_served(api: httpx.Client) -> None:
    document = api.get("/openapi.json")
    assert document.status_code == 200
    paths = document.json()["paths"]
    for path in ("/api/flows/", "/api/flow_runs/", "/api/flow_runs/{id}/set_state", "/api/logs/"):
        assert path in paths
    docs = api.get("/docs")
    assert docs.status_code == 200
    assert docs.headers["content-type"].startswith("text/html")
    assert "/api/openapi.json" in docs.text


# -- Prefect 2's shapes ---------------------------------------------------------


def test_create_flow_is_201_with_prefects_shape_and_idempotent(api: httpx.Client) -> None:
    name = unique("etl")
    flow = created(api.post("/flows/", json={"name": name, "tags": []}))
    assert_shape(flow, FLOW)
    assert flow["name"] == name

    again = api.post("/flows/", json={"name": name})
    assert again.status_code in (200, 201)
    assert again.json()["id"] == flow["id"]
    assert api.get(f"/flows/{flow['id']}").json() == flow
    assert api.get(f"/flows/name/{name}").json() == flow


def test_create_flow_run_is_201_with_prefects_shape(api: httpx.Client) -> None:
    flow_id = new_flow(api)
    run = new_flow_run(
        api,
        flow_id=flow_id,
        name="nightly",
        parameters={"day": "2024-05-01", "limit": 10},
        tags=["etl"],
        flow_version="abc",
        empirical_policy={"retries": 2, "retry_delay": 5},
        state={"type": "PENDING", "name": "Pending"},
    )

    assert_shape(run, FLOW_RUN)
    assert run["flow_id"] == flow_id
    assert run["name"] == "nightly"
    assert run["parameters"] == {"day": "2024-05-01", "limit": 10}
    assert run["tags"] == ["etl"]
    assert run["flow_version"] == "abc"
    assert (run["empirical_policy"]["retries"], run["empirical_policy"]["retry_delay"]) == (2, 5)
    assert (run["state_type"], run["state_name"]) == ("PENDING", "Pending")
    state = run["state"]
    assert (state["type"], state["name"], state["data"]) == ("PENDING", "Pending", None)
    assert state["state_details"]["flow_run_id"] == run["id"]
    assert run["state_id"] == state["id"]
    assert run["run_count"] == 0
    assert api.get(f"/flow_runs/{run['id']}").json()["state"] == state


def test_create_flow_run_without_a_state(api: httpx.Client) -> None:
    run = new_flow_run(api)
    assert_shape(run, FLOW_RUN)
    assert run["name"]
    assert run["state"] is None and run["state_type"] is None and run["state_id"] is None
    assert api.get(f"/flow_runs/{run['id']}/states").json() == []


def test_create_task_run_is_201_with_prefects_shape(api: httpx.Client) -> None:
    flow_run = new_flow_run(api, state={"type": "RUNNING"})
    upstream = created(
        api.post(
            "/task_runs/",
            json={"flow_run_id": flow_run["id"], "task_key": "extract", "dynamic_key": "0"},
        )
    )
    task_run = created(
        api.post(
            "/task_runs/",
            json={
                "flow_run_id": flow_run["id"],
                "task_key": "load",
                "dynamic_key": "2",
                "tags": ["db"],
                "empirical_policy": {"retries": 3, "retry_delay": [1, 2, 4]},
                "task_inputs": {
                    "rows": [{"input_type": "task_run", "id": upstream["id"]}],
                    "day": [{"input_type": "parameter", "name": "day"}],
                },
                "state": {"type": "PENDING"},
            },
        )
    )

    assert_shape(upstream, TASK_RUN)
    assert_shape(task_run, TASK_RUN)
    assert task_run["name"] == "load-2"
    assert task_run["flow_run_id"] == flow_run["id"]
    assert task_run["empirical_policy"]["retries"] == 3
    assert task_run["empirical_policy"]["retry_delay"] == [1, 2, 4]
    assert task_run["task_inputs"]["rows"][0]["id"] == upstream["id"]
    assert task_run["task_inputs"]["day"][0]["name"] == "day"
    assert task_run["state"]["state_details"]["task_run_id"] == task_run["id"]
    assert api.get(f"/task_runs/{task_run['id']}").json()["task_inputs"] == task_run["task_inputs"]


def test_set_state_accept(api: httpx.Client) -> None:
    run = new_flow_run(api, state={"type": "PENDING"})
    result = propose(api, "flow_runs", run["id"], {"type": "RUNNING", "name": "Running"})

    assert_result(result, "ACCEPT")
    assert (result["state"]["type"], result["state"]["name"]) == ("RUNNING", "Running")
    assert result["state"]["state_details"]["flow_run_id"] == run["id"]
    stored = api.get(f"/flow_runs/{run['id']}").json()
    assert stored["state_id"] == result["state"]["id"]
    assert stored["run_count"] == 1
    assert stored["start_time"] is not None


def test_set_state_reject_into_awaiting_retry(api: httpx.Client) -> None:
    run = new_flow_run(
        api, state={"type": "RUNNING"}, empirical_policy={"retries": 1, "retry_delay": 0}
    )
    result = propose(api, "flow_runs", run["id"], {"type": "FAILED", "message": "disk full"})

    details = assert_result(result, "REJECT")
    assert "disk full" in details["reason"]
    assert (result["state"]["type"], result["state"]["name"]) == ("SCHEDULED", "AwaitingRetry")
    assert result["state"]["state_details"]["scheduled_time"] is not None
    [decision] = api.get(f"/flow_runs/{run['id']}/decisions").json()
    assert (decision["decision"], decision["rule"]) == ("REJECT", "RetryFailedFlows")


def test_set_state_wait_for_a_scheduled_time(api: httpx.Client) -> None:
    when = in_an_hour()
    run = new_flow_run(api, state={"type": "SCHEDULED", "state_details": {"scheduled_time": when}})
    assert run["expected_start_time"] is not None
    result = propose(api, "flow_runs", run["id"], {"type": "RUNNING"})

    details = assert_result(result, "WAIT")
    assert 3500 < details["delay_seconds"] <= 3600
    assert api.get(f"/flow_runs/{run['id']}").json()["state_type"] == "SCHEDULED"


def test_set_state_abort_a_duplicate(api: httpx.Client) -> None:
    run = new_flow_run(api, state={"type": "RUNNING"})
    result = propose(api, "flow_runs", run["id"], {"type": "RUNNING"})

    details = assert_result(result, "ABORT")
    assert "already RUNNING" in details["reason"]
    states = api.get(f"/flow_runs/{run['id']}/states").json()
    assert [state["type"] for state in states] == ["RUNNING"]


def test_set_state_force_skips_the_rules(api: httpx.Client) -> None:
    run = new_flow_run(api, state={"type": "COMPLETED"})
    refused = propose(api, "flow_runs", run["id"], {"type": "RUNNING"})
    assert_result(refused, "ABORT")
    forced = propose(api, "flow_runs", run["id"], {"type": "RUNNING"}, force=True)
    assert_result(forced, "ACCEPT")
    assert api.get(f"/flow_runs/{run['id']}").json()["state_type"] == "RUNNING"


def test_task_run_states_and_their_decisions(api: httpx.Client) -> None:
    flow_run = new_flow_run(api, state={"type": "RUNNING"})
    task_run = created(
        api.post(
            "/task_runs/",
            json={
                "flow_run_id": flow_run["id"],
                "task_key": "flaky",
                "dynamic_key": "0",
                "empirical_policy": {"retries": 1},
                "state": {"type": "PENDING"},
            },
        )
    )
    tid = task_run["id"]
    assert_result(propose(api, "task_runs", tid, {"type": "RUNNING"}), "ACCEPT")
    assert_result(propose(api, "task_runs", tid, {"type": "FAILED"}), "REJECT")
    rerun = propose(api, "task_runs", tid, {"type": "RUNNING"})
    assert_result(rerun, "ACCEPT")
    assert rerun["state"]["name"] == "Retrying"
    assert_result(propose(api, "task_runs", tid, {"type": "RUNNING"}), "ABORT")
    assert_result(propose(api, "task_runs", tid, {"type": "COMPLETED"}), "ACCEPT")

    states = api.get(f"/task_runs/{tid}/states").json()
    for state in states:
        assert_shape(state, STATE)
    assert [s["name"] for s in states] == [
        "Pending",
        "Running",
        "AwaitingRetry",
        "Retrying",
        "Completed",
    ]
    decisions = api.get(f"/task_runs/{tid}/decisions").json()
    assert [(d["decision"], d["rule"]) for d in decisions] == [
        ("REJECT", "RetryFailedTasks"),
        ("ABORT", "PreventDuplicateTransitions"),
    ]
    assert api.get(f"/flow_runs/{flow_run['id']}/decisions").json() == decisions
    by_filter = api.post("/decisions/filter", json={"run_ids": [tid]})
    assert by_filter.status_code == 200
    assert by_filter.json() == decisions
    [node] = api.get(f"/flow_runs/{flow_run['id']}/graph").json()
    assert (node["id"], node["state"]["type"]) == (tid, "COMPLETED")


def test_concurrency_limits_on_the_wire(api: httpx.Client) -> None:
    tag = unique("tag")
    response = api.post("/concurrency_limits/", json={"tag": tag, "concurrency_limit": 2})
    assert response.status_code in (200, 201)
    limit = response.json()
    assert_shape(limit, CONCURRENCY_LIMIT)
    assert (limit["tag"], limit["concurrency_limit"], limit["active_slots"]) == (tag, 2, [])
    assert api.get(f"/concurrency_limits/tag/{tag}").json() == limit
    assert limit in api.post("/concurrency_limits/filter", json={}).json()
    assert api.delete(f"/concurrency_limits/tag/{tag}").status_code == 204
    assert api.get(f"/concurrency_limits/tag/{tag}").status_code == 404


def test_logs_are_stored_and_filtered(api: httpx.Client) -> None:
    run = new_flow_run(api, state={"type": "RUNNING"})
    records = [
        {
            "name": "prefect.flow_runs",
            "level": level,
            "message": f"message at {level}",
            "timestamp": f"2024-05-01T10:00:0{i}+00:00",
            "flow_run_id": run["id"],
            "task_run_id": None,
        }
        for i, level in enumerate([10, 20, 30, 40])
    ]
    response = api.post("/logs/", json=records)
    assert response.status_code == 201

    query = {"logs": {"flow_run_id": {"any_": [run["id"]]}, "level": {"ge_": 30}}}
    found = api.post("/logs/filter", json=query)
    assert found.status_code == 200
    assert [r["message"] for r in found.json()] == ["message at 30", "message at 40"]
    assert found.json()[0]["flow_run_id"] == run["id"]


def test_filter_and_count_endpoints(api: httpx.Client) -> None:
    flow_id = new_flow(api)
    runs = [new_flow_run(api, flow_id=flow_id, state={"type": "PENDING"}) for _ in range(3)]
    propose(api, "flow_runs", runs[1]["id"], {"type": "RUNNING"})
    mine = {"flows": {"id": {"any_": [flow_id]}}}

    listed = api.post("/flow_runs/filter", json={**mine, "sort": "ID_DESC"})
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()] == [r["id"] for r in reversed(runs)]
    for run in listed.json():
        assert_shape(run, FLOW_RUN)
    running = {**mine, "flow_runs": {"state": {"type": {"any_": ["RUNNING"]}}}}
    assert [r["id"] for r in api.post("/flow_runs/filter", json=running).json()] == [runs[1]["id"]]
    assert api.post("/flow_runs/count", json=mine).json() == 3
    assert api.post("/flow_runs/count", json=running).json() == 1
    page = api.post("/flow_runs/filter", json={**mine, "limit": 1, "offset": 1}).json()
    assert [r["id"] for r in page] == [runs[1]["id"]]


# -- replaying a Prefect 2 client ------------------------------------------------

PREFECT_DETAIL_FIELDS = (
    "flow_run_id",
    "task_run_id",
    "child_flow_run_id",
    "scheduled_time",
    "cache_key",
    "cache_expiration",
    "untrackable_result",
    "pause_timeout",
    "pause_reschedule",
    "pause_key",
    "run_input_keyset",
    "refresh_cache",
    "retriable",
    "transition_id",
    "task_parameters_id",
)


def prefect_state(
    type_: str, message: str | None = None, data: Any = None, **details: Any
) -> dict[str, Any]:
    """A state as the Prefect 2.20 client serialises it: every detail field, in its order."""
    defaults: dict[str, Any] = {"untrackable_result": False, "pause_reschedule": False}
    return {
        "type": type_,
        "name": type_.title(),
        "message": message,
        "state_details": {f: details.get(f, defaults.get(f)) for f in PREFECT_DETAIL_FIELDS},
        "data": data,
    }


def prefect_set_state(state: dict[str, Any]) -> dict[str, Any]:
    return {"state": state, "force": False}


def unpersisted(type_name: str) -> dict[str, str]:
    """The ``data`` of a state whose result Prefect 2 did not persist."""
    return {
        "type": "unpersisted",
        "artifact_type": "result",
        "artifact_description": f"Unpersisted result of type `{type_name}`",
    }


def prefect_flow_run(flow_id: str, state: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "state": state,
        "name": None,
        "flow_id": flow_id,
        "deployment_id": None,
        "flow_version": "1e5b2c1f0b6d4c2a9e8f7d6c5b4a3f2e",
        "parameters": {},
        "context": {},
        "parent_task_run_id": None,
        "infrastructure_document_id": None,
        "empirical_policy": {
            "max_retries": 0,
            "retry_delay_seconds": 0.0,
            "retries": 0,
            "retry_delay": 0,
            "pause_keys": [],
            "resuming": False,
            "retry_type": None,
        },
        "tags": [],
        "idempotency_key": None,
        **fields,
    }


def prefect_task_run(
    flow_run_id: str, task_key: str, name: str | None, retries: int = 0, **inputs: Any
) -> dict[str, Any]:
    return {
        "state": prefect_state("PENDING"),
        "name": name,
        "flow_run_id": flow_run_id,
        "task_key": task_key,
        "dynamic_key": "0",
        "cache_key": None,
        "cache_expiration": None,
        "task_version": None,
        "empirical_policy": {
            "max_retries": 0,
            "retry_delay_seconds": 0.0,
            "retries": retries,
            "retry_delay": 0,
            "retry_jitter_factor": None,
        },
        "tags": [],
        "task_inputs": inputs,
    }


class Replay:
    """Sends requests in order and remembers every answer that was not the one expected."""

    def __init__(self, api: httpx.Client) -> None:
        self.api = api
        self.surprises: list[tuple[str, int, str]] = []

    def send(self, step: str, method: str, path: str, body: Any = None, expect: int = 201) -> Any:
        response = self.api.request(method, path, json=body)
        if response.status_code != expect:
            self.surprises.append((step, response.status_code, response.text[:500]))
            return None
        return response.json() if response.content else None

    def propose(self, step: str, kind: str, run_id: str, state: dict[str, Any]) -> Any:
        return self.send(step, "POST", f"/{kind}/{run_id}/set_state", prefect_set_state(state))


def test_a_prefect_2_clients_requests_are_all_accepted(api: httpx.Client) -> None:
    """The requests of one flow run of the Prefect 2.20 client (two tasks, a retry, a subflow,
    logs), in their order, with the bodies it sent."""
    replay = Replay(api)
    assert replay.send("health", "GET", "/health", expect=200) is True
    parent_flow = replay.send(
        "flow", "POST", "/flows/", {"name": unique("parent-flow"), "tags": []}
    )
    parent = replay.send(
        "flow run",
        "POST",
        "/flow_runs/",
        prefect_flow_run(parent_flow["id"], prefect_state("PENDING")),
    )
    pid = parent["id"]
    replay.propose(
        "flow run running",
        "flow_runs",
        pid,
        prefect_state("RUNNING", flow_run_id=pid, transition_id=str(uuid.uuid4())),
    )
    replay.send("read flow run", "GET", f"/flow_runs/{pid}", expect=200)

    first = replay.send(
        "first task",
        "POST",
        "/task_runs/",
        prefect_task_run(pid, "first_task-3c9d1e7a", "first_task-0", x=[]),
    )
    fid = first["id"]
    replay.propose(
        "first running",
        "task_runs",
        fid,
        prefect_state("RUNNING", task_run_id=fid, refresh_cache=False),
    )
    replay.send("read first", "GET", f"/task_runs/{fid}", expect=200)
    done = prefect_state(
        "COMPLETED", data=unpersisted("int"), task_run_id=fid, untrackable_result=True
    )
    first_done = replay.propose("first completed", "task_runs", fid, done)

    flaky = replay.send(
        "flaky task",
        "POST",
        "/task_runs/",
        prefect_task_run(pid, "flaky_task-8b1f0a2c", "flaky_task-0", retries=1, x=[]),
    )
    kid = flaky["id"]
    replay.propose(
        "flaky running",
        "task_runs",
        kid,
        prefect_state("RUNNING", task_run_id=kid, refresh_cache=False),
    )
    replay.send("read flaky", "GET", f"/task_runs/{kid}", expect=200)
    failure = prefect_state(
        "FAILED",
        message="Task run encountered an exception ValueError: planned failure (attempt 1)",
        data=unpersisted("ValueError"),
        task_run_id=kid,
        retriable=True,
    )
    retry = replay.propose("flaky failed", "task_runs", kid, failure)
    rerun = replay.propose(
        "flaky rerun", "task_runs", kid, prefect_state("RUNNING", task_run_id=kid)
    )
    replay.send("read flaky again", "GET", f"/task_runs/{kid}", expect=200)
    flaky_done = prefect_state(
        "COMPLETED", data=unpersisted("int"), task_run_id=kid, untrackable_result=True
    )
    replay.propose("flaky completed", "task_runs", kid, flaky_done)

    stand_in = replay.send(
        "subflow task",
        "POST",
        "/task_runs/",
        prefect_task_run(
            pid, "child_flow-5d0e9b3f", None, y=[{"input_type": "task_run", "id": kid}]
        ),
    )
    sid = stand_in["id"]
    child_flow = replay.send(
        "child flow", "POST", "/flows/", {"name": unique("child-flow"), "tags": []}
    )
    child = replay.send(
        "child flow run",
        "POST",
        "/flow_runs/",
        prefect_flow_run(
            child_flow["id"],
            prefect_state("PENDING", flow_run_id=pid, task_run_id=sid),
            parameters={"y": 4},
            parent_task_run_id=sid,
        ),
    )
    cid = child["id"]
    replay.propose(
        "child running",
        "flow_runs",
        cid,
        prefect_state("RUNNING", flow_run_id=cid, transition_id=str(uuid.uuid4())),
    )
    replay.send("read child", "GET", f"/flow_runs/{cid}", expect=200)
    child_done = prefect_state(
        "COMPLETED",
        data=unpersisted("int"),
        flow_run_id=cid,
        untrackable_result=True,
        transition_id=str(uuid.uuid4()),
    )
    replay.propose("child completed", "flow_runs", cid, child_done)
    parent_done = prefect_state(
        "COMPLETED", data=unpersisted("tuple"), flow_run_id=pid, transition_id=str(uuid.uuid4())
    )
    replay.propose("parent completed", "flow_runs", pid, parent_done)
    logs = [
        {
            "name": "prefect.flow_runs",
            "level": 20,
            "message": message,
            "timestamp": f"2026-11-21T05:34:37.{425697 + i:06d}+00:00",
            "flow_run_id": pid,
            "task_run_id": task_run_id,
        }
        for i, (message, task_run_id) in enumerate(
            [
                ("hello from get_run_logger", None),
                ("hello from print (log_prints=True)", None),
                ("Created task run 'first_task-0' for task 'first_task'", None),
                ("Finished in state Completed()", fid),
                ("Task run encountered an exception ValueError", kid),
                ("Finished in state Completed()", kid),
            ]
        )
    ]
    replay.send("logs", "POST", "/logs/", logs)

    assert replay.surprises == [], "refused: " + ", ".join(step for step, *_ in replay.surprises)
    assert first_done["status"] == "ACCEPT"
    assert (retry["status"], retry["state"]["name"]) == ("REJECT", "AwaitingRetry")
    assert (rerun["status"], rerun["state"]["name"]) == ("ACCEPT", "Retrying")
    assert api.get(f"/flow_runs/{pid}").json()["state_type"] == "COMPLETED"
    assert api.get(f"/flow_runs/{cid}").json()["parent_task_run_id"] == sid
    assert api.get(f"/task_runs/{sid}").json()["name"]
    flaky_states = api.get(f"/task_runs/{kid}/states").json()
    assert [s["name"] for s in flaky_states] == [
        "Pending",
        "Running",
        "AwaitingRetry",
        "Retrying",
        "Completed",
    ]
    stored_logs = api.post("/logs/filter", json={"logs": {"flow_run_id": {"any_": [pid]}}})
    assert len(stored_logs.json()) == len(logs)


def test_a_prefect_clients_csrf_probe_is_answered_as_unsupported(api: httpx.Client) -> None:
    """Prefect 2 clients ask for a CSRF token first and carry on after a 404 or a 422."""
    response = api.get("/csrf-token", params={"client": str(uuid.uuid4())})
    assert response.status_code in (404, 422)


# -- mistakes in requests ----------------------------------------------------------

SOME_ID = "0b7e4d52-8f0f-4f43-9a4e-3b1c0f9e2d11"
BAD_REQUESTS: list[tuple[str, str, str, dict[str, Any], str]] = [
    ("malformed-json", "POST", "/flows/", {"content": b'{"name": '}, "json_invalid"),
    ("unknown-field", "POST", "/flows/", {"json": {"name": "x", "colour": "red"}}, "colour"),
    (
        "unknown-filter-field",
        "POST",
        "/flow_runs/filter",
        {"json": {"flow_runs": {"nmae": {"any_": ["x"]}}}},
        "nmae",
    ),
    (
        "unknown-state-field",
        "POST",
        f"/flow_runs/{SOME_ID}/set_state",
        {"json": {"state": {"type": "RUNNING", "colour": "red"}}},
        "colour",
    ),
    ("empty-name", "POST", "/flows/", {"json": {"name": ""}}, "name"),
    ("name-of-wrong-type", "POST", "/flows/", {"json": {"name": 5}}, "name"),
    ("missing-field", "POST", "/task_runs/", {"json": {"task_key": "k"}}, "dynamic_key"),
    ("bad-uuid-in-path", "GET", "/flow_runs/not-a-uuid", {}, "id"),
    ("bad-uuid-in-task-path", "GET", "/task_runs/1234/states", {}, "id"),
    (
        "bad-uuid-in-set-state-path",
        "POST",
        "/task_runs/xyz/set_state",
        {"json": {"state": {"type": "RUNNING"}}},
        "id",
    ),
    ("bad-uuid-in-body", "POST", "/flow_runs/", {"json": {"flow_id": "nope"}}, "flow_id"),
    (
        "bad-state-type",
        "POST",
        f"/flow_runs/{SOME_ID}/set_state",
        {"json": {"state": {"type": "SLEEPING"}}},
        "type",
    ),
    ("bad-sort", "POST", "/flow_runs/filter", {"json": {"sort": "SIDEWAYS"}}, "sort"),
    (
        "bad-state-filter",
        "POST",
        "/task_runs/filter",
        {"json": {"task_runs": {"state": {"type": {"any_": ["DONE"]}}}}},
        "any_",
    ),
    ("negative-limit", "POST", "/flow_runs/filter", {"json": {"limit": -1}}, "limit"),
    ("zero-limit", "POST", "/task_runs/filter", {"json": {"limit": 0}}, "limit"),
    ("negative-offset", "POST", "/flows/filter", {"json": {"offset": -5}}, "offset"),
    ("limit-over-200", "POST", "/flow_runs/filter", {"json": {"limit": 201}}, "limit"),
    ("log-limit-over-200", "POST", "/logs/filter", {"json": {"limit": 1000}}, "limit"),
    (
        "negative-concurrency-limit",
        "POST",
        "/concurrency_limits/",
        {"json": {"tag": "t", "concurrency_limit": -1}},
        "concurrency_limit",
    ),
    (
        "negative-retries",
        "POST",
        "/flow_runs/",
        {"json": {"flow_id": SOME_ID, "empirical_policy": {"retries": -1}}},
        "retries",
    ),
    (
        "log-without-timestamp",
        "POST",
        "/logs/",
        {"json": [{"name": "n", "level": 20, "message": "m"}]},
        "timestamp",
    ),
    ("body-of-wrong-type", "POST", "/logs/", {"json": {"name": "n"}}, "body"),
    ("offset-beyond-64-bits", "POST", "/flows/filter", {"json": {"offset": 2**64}}, "offset"),
    (
        "run-offset-beyond-64-bits",
        "POST",
        "/task_runs/filter",
        {"json": {"offset": 2**63}},
        "offset",
    ),
    (
        "concurrency-limit-beyond-64-bits",
        "POST",
        "/concurrency_limits/",
        {"json": {"tag": "t", "concurrency_limit": 2**64}},
        "concurrency_limit",
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "request_kwargs", "named"),
    [case[1:] for case in BAD_REQUESTS],
    ids=[case[0] for case in BAD_REQUESTS],
)
def test_a_bad_request_is_422_naming_the_problem(
    api: httpx.Client, method: str, path: str, request_kwargs: dict[str, Any], named: str
) -> None:
    headers = {"content-type": "application/json"} if "content" in request_kwargs else None
    response = api.request(method, path, headers=headers, **request_kwargs)

    assert response.status_code == 422, response.text
    problems = response.json()["detail"]
    assert isinstance(problems, list) and problems
    for problem in problems:
        assert problem["msg"]
    named_in = [
        p for p in problems if named in [str(part) for part in p["loc"]] or named == p["type"]
    ]
    assert named_in, f"no problem names {named!r}: {problems}"


@pytest.mark.parametrize("bound", ["ge_", "le_"])
@pytest.mark.parametrize("level", [2**31, 2**64])
def test_a_log_level_beyond_any_stored_one_is_no_server_error(
    api: httpx.Client, bound: str, level: int
) -> None:
    """Refused as out of range, or answered: either way the client learns something true."""
    response = api.post("/logs/filter", json={"logs": {"level": {bound: level}}})
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        assert bound in str(response.json()["detail"])


def test_a_page_larger_than_200_is_refused_with_the_bound(api: httpx.Client) -> None:
    response = api.post("/task_runs/filter", json={"limit": 201})
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert "200" in problem["msg"]


MISSING = "6f1c2a9e-3d4b-4c5a-8e7f-9a0b1c2d3e4f"
UNKNOWN_IDS: list[tuple[str, str, str, Any]] = [
    ("flow", "GET", f"/flows/{MISSING}", None),
    ("flow-by-name", "GET", "/flows/name/no-such-flow", None),
    ("flow-run", "GET", f"/flow_runs/{MISSING}", None),
    ("task-run", "GET", f"/task_runs/{MISSING}", None),
    ("flow-run-states", "GET", f"/flow_runs/{MISSING}/states", None),
    ("task-run-states", "GET", f"/task_runs/{MISSING}/states", None),
    ("flow-run-decisions", "GET", f"/flow_runs/{MISSING}/decisions", None),
    ("task-run-decisions", "GET", f"/task_runs/{MISSING}/decisions", None),
    ("flow-run-graph", "GET", f"/flow_runs/{MISSING}/graph", None),
    (
        "flow-run-set-state",
        "POST",
        f"/flow_runs/{MISSING}/set_state",
        {"state": {"type": "RUNNING"}},
    ),
    (
        "task-run-set-state",
        "POST",
        f"/task_runs/{MISSING}/set_state",
        {"state": {"type": "RUNNING"}},
    ),
    ("delete-flow-run", "DELETE", f"/flow_runs/{MISSING}", None),
    ("delete-task-run", "DELETE", f"/task_runs/{MISSING}", None),
    ("concurrency-limit", "GET", "/concurrency_limits/tag/no-such-tag", None),
    ("delete-concurrency-limit", "DELETE", "/concurrency_limits/tag/no-such-tag", None),
    ("flow-run-of-unknown-flow", "POST", "/flow_runs/", {"flow_id": MISSING}),
    (
        "task-run-of-unknown-flow-run",
        "POST",
        "/task_runs/",
        {"flow_run_id": MISSING, "task_key": "k", "dynamic_key": "0"},
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "body"), [case[1:] for case in UNKNOWN_IDS], ids=[c[0] for c in UNKNOWN_IDS]
)
def test_an_unknown_id_is_404_not_found(
    api: httpx.Client, method: str, path: str, body: Any
) -> None:
    response = api.request(method, path, json=body)

    assert response.status_code == 404, response.text
    detail = response.json()["detail"]
    assert "not found" in detail
    assert MISSING in detail or "no-such" in detail


def test_an_unknown_route_is_404(api: httpx.Client) -> None:
    assert api.get("/no_such_resource/").status_code == 404
