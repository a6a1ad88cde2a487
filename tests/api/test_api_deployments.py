"""Deployments, work pools, queues and workers over REST: Prefect 2's paths and shapes,
Prefect's older spellings, and clear 4xx answers, through a real server on loopback."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from rest_support import (
    FLOW_RUN,
    assert_shape,
    created,
    is_bool,
    is_int,
    is_number,
    is_object,
    is_str,
    is_time,
    is_uuid,
    list_of,
    new_flow,
    new_flow_run,
    one_of,
    optional,
    shaped,
    unique,
)

SCHEDULE = {
    "id": is_uuid,
    "created": is_time,
    "updated": is_time,
    "deployment_id": is_uuid,
    "schedule": is_object,
    "active": is_bool,
    "max_active_runs": optional(is_int),
    "max_scheduled_runs": optional(is_int),
    "catchup": is_bool,
}
DEPLOYMENT = {
    "id": is_uuid,
    "created": is_time,
    "updated": is_time,
    "name": is_str,
    "flow_id": is_uuid,
    "version": optional(is_str),
    "description": optional(is_str),
    "tags": list_of(is_str),
    "parameters": is_object,
    "parameter_openapi_schema": optional(is_object),
    "enforce_parameter_schema": is_bool,
    "paused": is_bool,
    "is_schedule_active": is_bool,
    "schedules": list_of(shaped(SCHEDULE)),
    "schedule": optional(is_object),
    "entrypoint": optional(is_str),
    "path": optional(is_str),
    "pull_steps": list_of(is_object),
    "work_pool_name": optional(is_str),
    "work_queue_name": optional(is_str),
    "job_variables": is_object,
    "infra_overrides": is_object,
    "last_polled": optional(is_time),
    "status": one_of("READY", "NOT_READY"),
    "manifest_path": optional(is_str),
    "storage_document_id": optional(is_uuid),
    "infrastructure_document_id": optional(is_uuid),
}
WORK_POOL = {
    "id": is_uuid,
    "created": is_time,
    "updated": is_time,
    "name": is_str,
    "description": optional(is_str),
    "type": is_str,
    "base_job_template": is_object,
    "is_paused": is_bool,
    "concurrency_limit": optional(is_int),
    "status": one_of("READY", "NOT_READY", "PAUSED"),
    "default_queue_id": is_uuid,
}
WORK_QUEUE = {
    "id": is_uuid,
    "created": is_time,
    "updated": is_time,
    "name": is_str,
    "description": optional(is_str),
    "is_paused": is_bool,
    "concurrency_limit": optional(is_int),
    "priority": is_int,
    "work_pool_id": is_uuid,
    "work_pool_name": is_str,
    "last_polled": optional(is_time),
    "status": one_of("READY", "NOT_READY", "PAUSED"),
}
WORKER = {
    "id": is_uuid,
    "created": is_time,
    "updated": is_time,
    "name": is_str,
    "work_pool_id": is_uuid,
    "last_heartbeat_time": is_time,
    "heartbeat_interval_seconds": optional(is_number),
    "status": one_of("ONLINE", "OFFLINE"),
}
DEPLOYMENT_RUN = {
    **FLOW_RUN,
    "work_queue_id": optional(is_uuid),
    "work_queue_name": optional(is_str),
    "work_pool_name": optional(is_str),
    "job_variables": is_object,
    "infrastructure_pid": optional(is_str),
    "code_revision": optional(is_str),
    "heartbeat_time": optional(is_time),
}
SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
GIT_CLONE = "prefect.deployments.steps.git_clone"


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def refused(response: httpx.Response, status: int, *words: str) -> str:
    """The error's detail, which must name each of ``words``."""
    assert response.status_code == status, response.text
    detail = str(response.json()["detail"])
    for word in words:
        assert word in detail, detail
    return detail


def new_pool(api: httpx.Client, **body: Any) -> str:
    name = unique("pool")
    assert_shape(created(api.post("/work_pools/", json={"name": name, **body})), WORK_POOL)
    return name


def new_deployment(api: httpx.Client, **body: Any) -> dict[str, Any]:
    body.setdefault("flow_id", new_flow(api))
    body.setdefault("name", unique("deployment"))
    deployment: dict[str, Any] = ok(api.post("/deployments/", json=body))
    assert_shape(deployment, DEPLOYMENT)
    return deployment


def test_the_openapi_document_lists_the_routes(api: httpx.Client) -> None:
    paths = ok(api.get("/openapi.json"))["paths"]
    for path in (
        "/api/deployments/",
        "/api/deployments/{id}",
        "/api/deployments/name/{flow_name}/{deployment_name}",
        "/api/deployments/filter",
        "/api/deployments/{id}/create_flow_run",
        "/api/deployments/{id}/schedules",
        "/api/work_pools/{name}/get_scheduled_flow_runs",
        "/api/work_pools/{work_pool_name}/queues/{name}",
        "/api/work_pools/{work_pool_name}/workers/heartbeat",
    ):
        assert path in paths
    assert "patch" in paths["/api/flow_runs/{id}"]


# -- deployments ----------------------------------------------------------------


def test_a_prefect_shaped_deployment_is_understood(api: httpx.Client) -> None:
    pool = new_pool(api)
    deployment = new_deployment(
        api,
        schedule={"interval": 3600, "timezone": "UTC"},
        is_schedule_active=False,
        infra_overrides={"env": {"A": "1"}},
        pull_steps=[{GIT_CLONE: {"repository": "https://example.com/r.git", "branch": "dev"}}],
        work_pool_name=pool,
        entrypoint="flows.py:etl",
        parameter_openapi_schema=SCHEMA,
        enforce_parameter_schema=True,
        tags=["etl"],
        manifest_path=None,
        storage_document_id=None,
        infrastructure_document_id=None,
    )

    assert deployment["paused"] is True and deployment["is_schedule_active"] is False
    assert [s["schedule"]["interval"] for s in deployment["schedules"]] == [3600]
    assert deployment["schedule"] == deployment["schedules"][0]["schedule"]
    assert deployment["job_variables"] == deployment["infra_overrides"] == {"env": {"A": "1"}}
    assert deployment["source"]["repository"] == "https://example.com/r.git"
    assert deployment["pull_steps"][0][GIT_CLONE]["branch"] == "dev"
    assert (deployment["work_pool_name"], deployment["work_queue_name"]) == (pool, "default")
    assert deployment["status"] == "NOT_READY"


def test_read_by_id_and_name_then_patch_answers_204(api: httpx.Client) -> None:
    flow_name = unique("flow")
    flow_id = created(api.post("/flows/", json={"name": flow_name}))["id"]
    deployment = new_deployment(api, flow_id=flow_id, name="nightly", description="d")

    assert ok(api.get(f"/deployments/{deployment['id']}")) == deployment
    assert ok(api.get(f"/deployments/name/{flow_name}/nightly"))["id"] == deployment["id"]

    patched = api.patch(f"/deployments/{deployment['id']}", json={"tags": ["x"], "version": "2"})
    assert patched.status_code == 204 and not patched.content
    after = ok(api.get(f"/deployments/{deployment['id']}"))
    assert (after["tags"], after["version"], after["description"]) == (["x"], "2", "d")


def test_pause_and_resume_and_their_older_names(api: httpx.Client) -> None:
    deployment_id = new_deployment(api)["id"]

    def paused() -> bool:
        return bool(ok(api.get(f"/deployments/{deployment_id}"))["paused"])

    for action, expected in [
        ("pause_deployment", True),
        ("resume_deployment", False),
        ("set_schedule_inactive", True),
        ("set_schedule_active", False),
    ]:
        assert ok(api.post(f"/deployments/{deployment_id}/{action}")) is None
        assert paused() is expected


def test_filter_and_count_deployments(api: httpx.Client) -> None:
    flow_name = unique("flow")
    flow_id = created(api.post("/flows/", json={"name": flow_name}))["id"]
    tagged = new_deployment(api, flow_id=flow_id, name="b", tags=["etl", "daily"], paused=True)
    plain = new_deployment(api, flow_id=flow_id, name="a")
    of_flow = {"flows": {"name": {"any_": [flow_name]}}}

    def names(body: dict[str, Any]) -> list[str]:
        return [d["name"] for d in ok(api.post("/deployments/filter", json=body))]

    assert names(of_flow) == ["a", "b"]
    assert names({**of_flow, "sort": "NAME_DESC"}) == ["b", "a"]
    assert names({**of_flow, "limit": 1, "offset": 1}) == ["b"]
    assert names({**of_flow, "deployments": {"tags": {"all_": ["etl"]}}}) == ["b"]
    assert names({**of_flow, "deployments": {"paused": {"eq_": False}}}) == ["a"]
    assert names({**of_flow, "deployments": {"is_schedule_active": {"eq_": False}}}) == ["b"]
    assert names({"deployments": {"id": {"any_": [plain["id"], tagged["id"]]}}}) == ["a", "b"]
    assert ok(api.post("/deployments/count", json=of_flow)) == 2
    refused(api.post("/deployments/filter", json={"flow_runs": {}}), 422, "flow_runs")
    refused(api.post("/deployments/filter", json={"limit": 0}), 422, "limit")


def test_schedules_are_listed_and_added(api: httpx.Client) -> None:
    deployment = new_deployment(api, schedules=[{"schedule": {"cron": "0 * * * *"}}])
    path = f"/deployments/{deployment['id']}/schedules"

    added = ok(api.post(path, json=[{"schedule": {"interval": 60}, "active": False}]), 201)

    assert len(added) == 1
    assert_shape(added[0], SCHEDULE)
    assert (added[0]["schedule"]["interval"], added[0]["active"]) == (60, False)
    listed = ok(api.get(path))
    assert sorted("cron" in s["schedule"] for s in listed) == [False, True]


def test_bad_schedules_are_422_with_the_schedules_reason(api: httpx.Client) -> None:
    deployment = new_deployment(api)
    bad = {"cron": "every day"}
    refused(api.post("/deployments/", json={**_named(api), "schedule": bad}), 422, "cron")
    refused(api.patch(f"/deployments/{deployment['id']}", json={"schedule": bad}), 422, "cron")
    refused(
        api.post(f"/deployments/{deployment['id']}/schedules", json=[{"schedule": bad}]),
        422,
        "cron",
    )
    assert ok(api.get(f"/deployments/{deployment['id']}"))["schedules"] == []


def _named(api: httpx.Client) -> dict[str, Any]:
    return {"flow_id": new_flow(api), "name": unique("deployment")}


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"schedule": {"interval": 60}, "schedules": []}, ("schedule",)),
        ({"paused": True, "is_schedule_active": True}, ("paused", "is_schedule_active")),
        ({"pull_steps": [{"prefect.deployments.steps.run_shell_script": {}}]}, ("pull step",)),
        ({"storage_document_id": "0b7e4d52-8f0f-4f43-9a4e-3b1c0f9e2d11"}, ("storage_document",)),
        ({"concurrency_limit": -1}, ("concurrency_limit",)),
        ({"name": ""}, ("name",)),
    ],
)
def test_a_deployment_body_that_cannot_work_is_422_naming_the_field(
    api: httpx.Client, body: dict[str, Any], words: tuple[str, ...]
) -> None:
    refused(api.post("/deployments/", json={**_named(api), **body}), 422, *words)


def test_unknown_deployments_flows_and_pools_are_404(api: httpx.Client) -> None:
    missing = "0b7e4d52-8f0f-4f43-9a4e-3b1c0f9e2d11"
    refused(api.get(f"/deployments/{missing}"), 404, missing)
    refused(api.patch(f"/deployments/{missing}", json={"paused": True}), 404, missing)
    refused(api.delete(f"/deployments/{missing}"), 404, missing)
    refused(api.post(f"/deployments/{missing}/create_flow_run", json={}), 404, missing)
    refused(api.post(f"/deployments/{missing}/pause_deployment"), 404, missing)
    refused(api.get(f"/deployments/{missing}/schedules"), 404, missing)
    refused(api.get("/deployments/name/nobody/nothing"), 404, "nobody/nothing")
    refused(api.post("/deployments/", json={"flow_id": missing, "name": "x"}), 404, missing)
    body = {**_named(api), "work_pool_name": "no-such-pool"}
    refused(api.post("/deployments/", json=body), 404, "no-such-pool")


def test_deleting_a_deployment_is_204(api: httpx.Client) -> None:
    deployment_id = new_deployment(api)["id"]
    assert api.delete(f"/deployments/{deployment_id}").status_code == 204
    refused(api.get(f"/deployments/{deployment_id}"), 404, deployment_id)


# -- runs of a deployment ---------------------------------------------------------


def test_create_flow_run_from_a_deployment(api: httpx.Client) -> None:
    pool = new_pool(api)
    deployment = new_deployment(
        api, work_pool_name=pool, parameters={"n": 1}, parameter_openapi_schema=SCHEMA
    )
    when = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).isoformat()
    path = f"/deployments/{deployment['id']}/create_flow_run"

    run = ok(
        api.post(
            path,
            json={
                "state": {"type": "SCHEDULED", "state_details": {"scheduled_time": when}},
                "parameters": {"n": 2},
                "job_variables": {"cpu": 2},
                "idempotency_key": "once",
                "context": {},
            },
        )
    )

    assert_shape(run, DEPLOYMENT_RUN)
    assert run["state_type"] == "SCHEDULED" and run["deployment_id"] == deployment["id"]
    assert run["state"]["state_details"]["scheduled_time"].startswith(when[:19])
    assert run["parameters"] == {"n": 2} and run["job_variables"] == {"cpu": 2}
    assert (run["work_pool_name"], run["work_queue_name"]) == (pool, "default")
    assert run["idempotency_key"] == "once" and run["auto_scheduled"] is False
    assert ok(api.post(path, json={"idempotency_key": "once"}))["id"] == run["id"]


def test_a_run_request_that_cannot_work_is_422_and_makes_no_run(api: httpx.Client) -> None:
    deployment = new_deployment(api, parameter_openapi_schema=SCHEMA)
    path = f"/deployments/{deployment['id']}/create_flow_run"

    refused(api.post(path, json={"parameters": {"n": "x"}}), 422, "'n'")
    refused(api.post(path, json={}), 422, "'n'")
    refused(api.post(path, json={"state": {"type": "RUNNING"}}), 422, "SCHEDULED")
    refused(api.post(path, json={"parameters": {"n": 1}, "colour": "red"}), 422, "colour")
    flows = {"flows": {"id": {"any_": [deployment["flow_id"]]}}}
    assert ok(api.post("/flow_runs/filter", json=flows)) == []


def test_patch_flow_run_records_the_workers_facts(api: httpx.Client) -> None:
    run = new_flow_run(api)
    patched = api.patch(
        f"/flow_runs/{run['id']}",
        json={"infrastructure_pid": "host:42", "code_revision": "abc", "name": "renamed"},
    )
    assert patched.status_code == 204 and not patched.content

    after = ok(api.get(f"/flow_runs/{run['id']}"))
    assert_shape(after, DEPLOYMENT_RUN)
    assert (after["infrastructure_pid"], after["code_revision"]) == ("host:42", "abc")
    assert after["name"] == "renamed" and after["tags"] == run["tags"]
    missing = "0b7e4d52-8f0f-4f43-9a4e-3b1c0f9e2d11"
    refused(api.patch(f"/flow_runs/{missing}", json={"name": "x"}), 404, missing)
    refused(api.patch(f"/flow_runs/{run['id']}", json={"parameters": {}}), 422, "parameters")


def test_create_flow_run_with_an_idempotency_key_answers_the_first_run(api: httpx.Client) -> None:
    flow_id = new_flow(api)
    first = new_flow_run(api, flow_id=flow_id, idempotency_key="k")
    again = api.post("/flow_runs/", json={"flow_id": flow_id, "idempotency_key": "k"})

    assert again.status_code == 200
    assert again.json()["id"] == first["id"] and first["idempotency_key"] == "k"


# -- work pools, queues and workers -----------------------------------------------


def test_work_pools_are_created_read_filtered_patched_and_deleted(api: httpx.Client) -> None:
    name = new_pool(api, description="d", concurrency_limit=2)
    pool = ok(api.get(f"/work_pools/{name}"))
    assert (pool["description"], pool["concurrency_limit"], pool["type"]) == ("d", 2, "process")
    assert pool["status"] == "NOT_READY"

    found = ok(api.post("/work_pools/filter", json={"work_pools": {"name": {"any_": [name]}}}))
    assert [p["id"] for p in found] == [pool["id"]]
    assert ok(api.post("/work_pools/count", json={"work_pools": {"name": {"any_": [name]}}})) == 1

    assert api.patch(f"/work_pools/{name}", json={"is_paused": True}).status_code == 204
    assert ok(api.get(f"/work_pools/{name}"))["status"] == "PAUSED"
    refused(api.post("/work_pools/", json={"name": name}), 409, name)
    assert api.delete(f"/work_pools/{name}").status_code == 204
    refused(api.get(f"/work_pools/{name}"), 404, name)
    refused(api.patch(f"/work_pools/{name}", json={}), 404, name)


def test_queues_of_a_pool(api: httpx.Client) -> None:
    pool = new_pool(api)
    queue = created(api.post(f"/work_pools/{pool}/queues", json={"name": "fast"}))
    assert_shape(queue, WORK_QUEUE)
    assert (queue["work_pool_name"], queue["priority"]) == (pool, 2)

    listed = ok(api.post(f"/work_pools/{pool}/queues/filter", json={}))
    assert [q["name"] for q in listed] == ["default", "fast"]
    assert api.patch(f"/work_pools/{pool}/queues/fast", json={"is_paused": True}).status_code == 204
    assert ok(api.get(f"/work_pools/{pool}/queues/fast"))["status"] == "PAUSED"

    refused(api.post(f"/work_pools/{pool}/queues", json={"name": "fast"}), 409, "fast")
    refused(api.delete(f"/work_pools/{pool}/queues/default"), 409, "default")
    assert api.delete(f"/work_pools/{pool}/queues/fast").status_code == 204
    refused(api.get(f"/work_pools/{pool}/queues/fast"), 404, "fast")
    refused(
        api.post(f"/work_pools/{pool}/queues", json={"name": "q", "priority": 0}), 422, "priority"
    )
    refused(api.post("/work_pools/nowhere/queues", json={"name": "q"}), 404, "nowhere")


def test_a_worker_polls_for_runs_and_sends_heartbeats(api: httpx.Client) -> None:
    pool = new_pool(api)
    deployment = new_deployment(api, work_pool_name=pool)
    run = ok(api.post(f"/deployments/{deployment['id']}/create_flow_run", json={}))

    offered = ok(api.post(f"/work_pools/{pool}/get_scheduled_flow_runs", json={}))
    assert len(offered) == 1
    assert offered[0]["flow_run"]["id"] == run["id"]
    assert_shape(offered[0]["flow_run"], DEPLOYMENT_RUN)
    pool_id = ok(api.get(f"/work_pools/{pool}"))["id"]
    assert offered[0]["work_pool_id"] == pool_id
    assert offered[0]["work_queue_id"] == run["work_queue_id"]
    queues = ok(api.post(f"/work_pools/{pool}/queues/filter", json={}))
    assert queues[0]["last_polled"] is not None and queues[0]["status"] == "READY"

    body = {"name": "worker-1", "heartbeat_interval_seconds": 30, "flow_run_ids": [run["id"]]}
    assert api.post(f"/work_pools/{pool}/workers/heartbeat", json=body).status_code == 204
    workers = ok(api.post(f"/work_pools/{pool}/workers/filter", json={}))
    assert [w["name"] for w in workers] == ["worker-1"]
    assert_shape(workers[0], WORKER)
    assert workers[0]["status"] == "ONLINE"
    assert ok(api.get(f"/work_pools/{pool}"))["status"] == "READY"
    assert ok(api.get(f"/flow_runs/{run['id']}"))["heartbeat_time"] is not None

    path = f"/work_pools/{pool}/get_scheduled_flow_runs"
    refused(api.post(path, json={"work_queue_names": ["nope"]}), 404, "nope")
    refused(api.post(path, json={"limit": 0}), 422, "limit")
    refused(api.post("/work_pools/nowhere/workers/heartbeat", json={"name": "w"}), 404, "nowhere")
    refused(api.post(f"/work_pools/{pool}/workers/heartbeat", json={}), 422, "name")
