"""The engine running a flow for a run made elsewhere, as a deployment run's process does."""

from __future__ import annotations

import asyncio

import pytest

from baton import flow, get_run_logger
from baton.client.base import BatonClient
from baton.core.actions import FlowRunCreate
from baton.core.models import FlowRun
from baton.core.states import Cancelled, Pending, StateType
from baton.engine.flow_engine import run_existing_flow_run
from baton.exceptions import RunAborted


@flow
def add(x: int, y: int = 10) -> int:
    get_run_logger().info("adding %s and %s", x, y)
    return x + y


@flow
async def add_later(x: int) -> int:
    await asyncio.sleep(0)
    return x + 1


def pending_run(client: BatonClient, name: str, parameters: dict[str, object]) -> FlowRun:
    flow_id = client.read_or_create_flow(name).id
    return client.create_flow_run(
        FlowRunCreate(flow_id=flow_id, parameters=parameters, state=Pending())
    )


def test_the_flow_runs_for_the_existing_run_with_its_parameters(client: BatonClient) -> None:
    run = pending_run(client, "add", {"x": "1"})
    state = run_existing_flow_run(add, run)
    assert state.is_completed()
    assert state.result() == 11  # "1" coerced by the type hint, y from the signature
    assert [r.id for r in client.read_flow_runs()] == [run.id]  # no second run made
    types = [s.type for s in client.read_flow_run_states(run.id)]
    assert types == [StateType.PENDING, StateType.RUNNING, StateType.COMPLETED]
    client.flush()
    assert "adding 1 and 10" in [log.message for log in client.read_logs(flow_run_id=run.id)]


def test_an_async_flow_gets_its_own_event_loop(client: BatonClient) -> None:
    run = pending_run(client, "add-later", {"x": 1})
    assert run_existing_flow_run(add_later, run).result() == 2


def test_bad_parameters_fail_the_run_before_it_starts(client: BatonClient) -> None:
    run = pending_run(client, "add", {"x": "one"})
    state = run_existing_flow_run(add, run)
    assert state.is_failed()
    assert "parameter 'x'" in (state.message or "")
    assert client.read_flow_run(run.id).state_type is StateType.FAILED


def test_a_run_cancelled_before_it_started_stays_cancelled(client: BatonClient) -> None:
    run = pending_run(client, "add", {"x": 1})
    client.set_flow_run_state(run.id, Cancelled(), force=True)
    with pytest.raises(RunAborted, match="already"):
        run_existing_flow_run(add, run)
    assert client.read_flow_run(run.id).state_type is StateType.CANCELLED
