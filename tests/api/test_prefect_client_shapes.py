"""The read requests of Prefect 2.20's client, with the bodies it sends: ``null`` where the
caller chose nothing, keys Baton does not filter on, and its paths for state histories."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from rest_support import created, new_flow, new_flow_run, propose, unique

RUNNING = {"type": "RUNNING", "name": "Running"}
COMPLETED = {"type": "COMPLETED", "name": "Completed"}


def unset_run_filters(**chosen: Any) -> dict[str, Any]:
    """A ``read_flow_runs`` body as the Prefect client sends it when most filters are unset."""
    body: dict[str, Any] = {
        "flows": None,
        "flow_runs": None,
        "task_runs": None,
        "deployments": None,
        "work_pools": None,
        "work_pool_queues": None,
        "sort": None,
        "limit": None,
        "offset": 0,
    }
    return {**body, **chosen}


def new_task_run(api: httpx.Client, flow_run_id: str) -> dict[str, Any]:
    body = {"flow_run_id": flow_run_id, "task_key": unique("task"), "dynamic_key": "0"}
    task_run: dict[str, Any] = created(api.post("/task_runs/", json=body))
    return task_run


def test_flow_runs_filter_takes_a_null_sort_as_the_default_order(api: httpx.Client) -> None:
    run = new_flow_run(api, name=unique("run"))
    by_name = {"name": {"any_": [run["name"]]}}
    response = api.post("/flow_runs/filter", json=unset_run_filters(flow_runs=by_name))
    assert response.status_code == 200, response.text
    assert [found["id"] for found in response.json()] == [run["id"]]


def test_flow_runs_filter_still_refuses_an_unknown_sort(api: httpx.Client) -> None:
    response = api.post("/flow_runs/filter", json=unset_run_filters(sort="SIDEWAYS"))
    assert response.status_code == 422
    assert "sort" in response.text


def test_task_runs_filter_takes_a_null_sort(api: httpx.Client) -> None:
    flow_run = new_flow_run(api)
    task_run = new_task_run(api, flow_run["id"])
    body = {
        "flows": None,
        "flow_runs": {"id": {"any_": [flow_run["id"]]}},
        "task_runs": None,
        "deployments": None,
        "sort": None,
        "limit": 1,
        "offset": 0,
    }
    response = api.post("/task_runs/filter", json=body)
    assert response.status_code == 200, response.text
    assert [found["id"] for found in response.json()] == [task_run["id"]]


def test_flows_filter_accepts_the_null_work_queues_prefect_sends(api: httpx.Client) -> None:
    flow_id = new_flow(api)
    body = {
        "flows": {"id": {"any_": [flow_id]}},
        "flow_runs": None,
        "task_runs": None,
        "deployments": None,
        "work_pools": None,
        "work_queues": None,
        "sort": None,
        "limit": None,
        "offset": 0,
    }
    response = api.post("/flows/filter", json=body)
    assert response.status_code == 200, response.text
    assert [found["id"] for found in response.json()] == [flow_id]


def test_a_work_queue_filter_is_refused_rather_than_ignored(api: httpx.Client) -> None:
    body = {"work_queues": {"name": {"any_": ["default"]}}}
    response = api.post("/flows/filter", json=body)
    assert response.status_code == 422
    assert "work_queues" in response.text


def test_logs_filter_takes_a_null_offset(api: httpx.Client) -> None:
    run = new_flow_run(api)
    now = dt.datetime.now(dt.timezone.utc)
    records = [
        {
            "name": "prefect.flow_runs",
            "level": 20,
            "message": f"line {n}",
            "timestamp": (now + dt.timedelta(milliseconds=n)).isoformat(),
            "flow_run_id": run["id"],
            "task_run_id": None,
        }
        for n in range(2)
    ]
    assert api.post("/logs/", json=records).status_code == 201
    body = {
        "logs": {
            "level": None,
            "timestamp": None,
            "flow_run_id": {"any_": [run["id"]]},
            "task_run_id": None,
        },
        "limit": None,
        "offset": None,
        "sort": "TIMESTAMP_ASC",
    }
    response = api.post("/logs/filter", json=body)
    assert response.status_code == 200, response.text
    assert [log["message"] for log in response.json()] == ["line 0", "line 1"]


def test_flow_run_states_are_read_at_prefects_path(api: httpx.Client) -> None:
    run = new_flow_run(api)
    propose(api, "flow_runs", run["id"], RUNNING)
    propose(api, "flow_runs", run["id"], COMPLETED)
    response = api.get("/flow_run_states/", params={"flow_run_id": run["id"]})
    assert response.status_code == 200, response.text
    assert [state["type"] for state in response.json()] == ["RUNNING", "COMPLETED"]
    assert response.json() == api.get(f"/flow_runs/{run['id']}/states").json()


def test_task_run_states_are_read_at_prefects_path(api: httpx.Client) -> None:
    task_run = new_task_run(api, new_flow_run(api)["id"])
    propose(api, "task_runs", task_run["id"], RUNNING)
    response = api.get("/task_run_states/", params={"task_run_id": task_run["id"]})
    assert response.status_code == 200, response.text
    assert [state["type"] for state in response.json()] == ["RUNNING"]


def test_states_of_an_unknown_run_are_404(api: httpx.Client) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    response = api.get("/flow_run_states/", params={"flow_run_id": missing})
    assert response.status_code == 404
    assert missing in response.text


def test_states_without_a_run_id_are_422(api: httpx.Client) -> None:
    response = api.get("/task_run_states/")
    assert response.status_code == 422
    assert "task_run_id" in response.text
