"""The request bodies Prefect 2's client sends during a flow run, replayed in order:
every one is accepted, so Prefect 2 clients can talk to Baton."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from rest_support import (
    unique,
)

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
