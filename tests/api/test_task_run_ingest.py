"""``POST /task_runs/ingest``: task-run transitions judged by a client, stored in one go."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from baton.client.http import HttpClient
from baton.client.task_pipeline import TaskPipeline
from baton.core.actions import FlowRunCreate, TaskRunCreate
from baton.core.states import Completed, Pending, Running, State, StateType


def _flow_run_id(api: httpx.Client) -> str:
    flow_id = api.post("/flows/", json={"name": "ingested"}).json()["id"]
    body = {"flow_id": flow_id, "state": {"type": "RUNNING"}}
    return str(api.post("/flow_runs/", json=body).json()["id"])


def _batch(flow_run_id: str, *states: State) -> dict[str, Any]:
    """The body a client would ship for one task run created and moved through ``states``."""
    bodies: list[dict[str, Any]] = []
    pipeline = TaskPipeline(bodies.append)
    first, *rest = states
    run = pipeline.create(
        TaskRunCreate(task_key="t", name="t-0", flow_run_id=uuid.UUID(flow_run_id), state=first)
    )
    assert run is not None
    for state in rest:
        assert pipeline.propose(run.id, state, force=False) is not None
    pipeline.flush()
    [body] = bodies
    return body


def test_a_batch_is_stored_in_order_and_reads_back(api: httpx.Client) -> None:
    body = _batch(_flow_run_id(api), Pending(), Running(), Completed())
    answer = api.post("/task_runs/ingest", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"created": 1, "updated": 0, "states": 3, "decisions": 0}
    run_id = body["created"][0]["id"]
    states = api.get(f"/task_runs/{run_id}/states").json()
    assert [s["id"] for s in states] == [s["id"] for s in body["states"]]
    stored = api.get(f"/task_runs/{run_id}").json()
    assert stored["state_type"] == "COMPLETED"
    assert stored["run_count"] == 1


def test_an_unknown_flow_run_is_404_and_nothing_is_stored(api: httpx.Client) -> None:
    body = _batch(str(uuid.uuid4()), Pending())
    answer = api.post("/task_runs/ingest", json=body)
    assert answer.status_code == 404
    assert "flow run" in answer.json()["detail"]
    assert api.get(f"/task_runs/{body['created'][0]['id']}").status_code == 404


def test_a_state_that_needs_the_server_is_refused(api: httpx.Client) -> None:
    body = _batch(_flow_run_id(api), Pending(), Running())
    body["states"][1]["state_details"]["cache_key"] = "shared-key"
    answer = api.post("/task_runs/ingest", json=body)
    assert answer.status_code == 422
    assert "set_state" in answer.json()["detail"]


def test_a_state_of_a_run_not_in_the_batch_is_refused(api: httpx.Client) -> None:
    body = _batch(_flow_run_id(api), Pending())
    body["states"][0]["state_details"]["task_run_id"] = str(uuid.uuid4())
    answer = api.post("/task_runs/ingest", json=body)
    assert answer.status_code == 422
    assert "not in the batch" in answer.json()["detail"]


def test_a_second_client_reads_what_the_first_judged_after_flush(api_url: str) -> None:
    writer, reader = HttpClient(api_url), HttpClient(api_url)
    try:
        flow = writer.read_or_create_flow("read-after-write")
        flow_run = writer.create_flow_run(FlowRunCreate(flow_id=flow.id, state=Running()))
        task_run = writer.create_task_run(
            TaskRunCreate(task_key="t", name="t-0", flow_run_id=flow_run.id, state=Pending())
        )
        assert writer.set_task_run_state(task_run.id, Running()).state is not None
        writer.flush()
        stored = reader.read_task_run(task_run.id)
        assert stored.state_type is StateType.RUNNING
        assert [s.type for s in reader.read_task_run_states(task_run.id)] == [
            StateType.PENDING,
            StateType.RUNNING,
        ]
    finally:
        writer.close()
        reader.close()
