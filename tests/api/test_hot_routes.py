"""The hot routes answer exactly as FastAPI's routes do.

A body sent as ``application/json`` is served by ``api/hot_routes.py``; the same
body sent as another JSON media type (``application/x-check+json``) goes through
FastAPI's own route. Both answers must match, status and body, once the ids and
times that differ between two requests are masked.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
import pytest

HOT = {"content-type": "application/json"}
FASTAPI = {"content-type": "application/x-check+json"}
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)?")


def _masked(response: httpx.Response) -> tuple[int, str | None, Any]:
    text = _TIME.sub("<time>", _ID.sub("<id>", response.text))
    body = json.loads(text) if text else None
    if isinstance(body, dict) and "name" in body and "flow_id" in body:
        body["name"] = "<generated>"  # a flow run's name is drawn at random
    return response.status_code, response.headers.get("content-type"), body


def _both(api: httpx.Client, path: str, body: Any) -> None:
    raw = body if isinstance(body, str) else json.dumps(body)
    hot = api.post(path, content=raw, headers=HOT)
    routed = api.post(path, content=raw, headers=FASTAPI)
    assert _masked(hot) == _masked(routed)


@pytest.fixture
def flow_id(api: httpx.Client) -> str:
    return str(api.post("/flows/", json={"name": f"hot-{uuid.uuid4()}"}).json()["id"])


def test_creating_flow_runs_answers_alike(api: httpx.Client, flow_id: str) -> None:
    _both(api, "/flow_runs/", {"flow_id": flow_id, "state": {"type": "PENDING"}})
    _both(api, "/flow_runs/", {"flow_id": flow_id, "tags": ["a"], "parameters": {"x": 1}})
    _both(api, "/flow_runs/", {"flow_id": str(uuid.uuid4())})  # unknown flow: 404
    _both(api, "/flow_runs/", {"flow_id": flow_id, "bogus": 1})  # 422 from FastAPI
    _both(api, "/flow_runs/", "{not json")
    _both(api, "/flow_runs/", [1])


def test_an_idempotency_key_answers_alike(api: httpx.Client, flow_id: str) -> None:
    body = {"flow_id": flow_id, "idempotency_key": "once", "state": {"type": "PENDING"}}
    first = api.post("/flow_runs/", json=body)
    hot = api.post("/flow_runs/", content=json.dumps(body), headers=HOT)
    routed = api.post("/flow_runs/", content=json.dumps(body), headers=FASTAPI)
    assert first.status_code == 201
    assert hot.status_code == routed.status_code == 200
    assert hot.json() == routed.json() == first.json()


def test_a_duplicate_run_id_is_a_conflict_alike(api: httpx.Client, flow_id: str) -> None:
    run_id = api.post("/flow_runs/", json={"flow_id": flow_id}).json()["id"]
    _both(api, "/flow_runs/", {"flow_id": flow_id, "id": run_id})


def _new_run(api: httpx.Client, flow_id: str, kind: str) -> str:
    flow_run = str(api.post("/flow_runs/", json={"flow_id": flow_id}).json()["id"])
    if kind == "flow_runs":
        return flow_run
    body = {"task_key": "t", "dynamic_key": "0", "flow_run_id": flow_run}
    return str(api.post("/task_runs/", json=body).json()["id"])


@pytest.mark.parametrize("kind", ["flow_runs", "task_runs"])
def test_proposing_states_answers_alike(api: httpx.Client, flow_id: str, kind: str) -> None:
    """Two runs in step: one driven through the hot route, the other through FastAPI's."""
    hot_path = f"/{kind}/{_new_run(api, flow_id, kind)}/set_state"
    routed_path = f"/{kind}/{_new_run(api, flow_id, kind)}/set_state"
    proposals: list[Any] = [
        {"state": {"type": "PENDING"}},
        {"state": {"type": "RUNNING", "message": "go"}},
        {"state": {"type": "RUNNING"}},  # refused: already running
        {"state": {"type": "COMPLETED"}},
        {"state": {"type": "RUNNING"}, "force": True},
        {"state": {"type": "NOT-A-STATE"}},
        {"state": {"type": "RUNNING"}, "extra": 1},
    ]
    for proposal in proposals:
        hot = api.post(hot_path, content=json.dumps(proposal), headers=HOT)
        routed = api.post(routed_path, content=json.dumps(proposal), headers=FASTAPI)
        assert _masked(hot) == _masked(routed)
    _both(api, f"/{kind}/{uuid.uuid4()}/set_state", {"state": {"type": "RUNNING"}})


def test_creating_task_runs_answers_alike(api: httpx.Client, flow_id: str) -> None:
    flow_run = api.post("/flow_runs/", json={"flow_id": flow_id}).json()["id"]
    body = {"task_key": "t", "flow_run_id": flow_run, "state": {"type": "PENDING"}}
    _both(api, "/task_runs/", {**body, "dynamic_key": "1"})
    _both(api, "/task_runs/", {**body, "dynamic_key": "2", "flow_run_id": str(uuid.uuid4())})
    _both(api, "/task_runs/", {**body, "dynamic_key": "3", "task_key": ""})


def test_text_that_cannot_be_stored_is_refused(api: httpx.Client, flow_id: str) -> None:
    """JSON can escape half of a surrogate pair; no database stores it: 422, not 500."""
    raw = json.dumps({"flow_id": flow_id, "name": "x"}).replace('"x"', '"\\ud800"')
    response = api.post("/flow_runs/", content=raw, headers=HOT)
    assert response.status_code == 422
    assert "not valid Unicode" in response.json()["detail"]
    _both(api, "/flow_runs/", raw)
