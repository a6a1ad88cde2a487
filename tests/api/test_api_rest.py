"""The REST API as a client on the wire sees it: service endpoints and Prefect 2's shapes,
checked field by field against its OpenAPI document, through a real server on loopback
(SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import httpx
from rest_support import (
    CONCURRENCY_LIMIT,
    FLOW,
    FLOW_RUN,
    STATE,
    TASK_RUN,
    assert_result,
    assert_shape,
    created,
    in_an_hour,
    new_flow,
    new_flow_run,
    propose,
    unique,
)

import baton

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
