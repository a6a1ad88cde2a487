"""Subflows: a flow called inside a flow is a child run linked to a node in its parent."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from baton import flow, task
from baton.client.base import BatonClient
from baton.core.models import FlowRun
from baton.core.states import StateType


def flow_runs_by_name(client: BatonClient) -> dict[str, FlowRun]:
    """Flow runs keyed by their flow's name (each test runs each flow once)."""
    names = {f.id: f.name for f in client.read_flows()}
    runs = client.read_flow_runs()
    by_name = {names[r.flow_id]: r for r in runs}
    assert len(by_name) == len(runs)
    return by_name


def assert_linked(client: BatonClient, parent: FlowRun, child: FlowRun) -> None:
    """``child`` hangs off a task run of ``parent`` that mirrors the child's final state."""
    assert child.parent_task_run_id is not None
    node = client.read_task_run(child.parent_task_run_id)
    assert node.flow_run_id == parent.id
    assert node.state_type is child.state_type
    assert node.state is not None
    assert node.state.state_details.child_flow_run_id == child.id


@task
def increment(x: int) -> int:
    return x + 1


@flow
def child(x: int) -> int:
    return increment(x) * 2


def test_a_subflow_is_a_child_run_linked_to_a_task_run_of_its_parent(
    client: BatonClient,
) -> None:
    @flow
    def parent() -> int:
        return child(1) + child(10)

    assert parent() == 4 + 22

    names = {f.id: f.name for f in client.read_flows()}
    runs = client.read_flow_runs()
    assert sorted(names[r.flow_id] for r in runs) == ["child", "child", "parent"]
    [parent_run] = [r for r in runs if names[r.flow_id] == "parent"]
    children = [r for r in runs if names[r.flow_id] == "child"]
    assert parent_run.parent_task_run_id is None
    for child_run in children:
        assert child_run.state_type is StateType.COMPLETED
        assert_linked(client, parent_run, child_run)

    nodes = client.read_task_runs(flow_run_id=parent_run.id)
    assert sorted(n.name for n in nodes) == ["child-0", "child-1"]
    assert {n.id for n in nodes} == {c.parent_task_run_id for c in children}
    assert sorted(c.parameters["x"] for c in children) == [1, 10]
    for child_run in children:
        [inner] = client.read_task_runs(flow_run_id=child_run.id)
        assert inner.name == "increment-0"


def test_subflows_nest_three_levels_deep(client: BatonClient) -> None:
    @flow
    def leaf() -> str:
        return "leaf"

    @flow
    def middle() -> str:
        return f"middle/{leaf()}"

    @flow
    def top() -> str:
        return f"top/{middle()}"

    assert top() == "top/middle/leaf"
    runs = flow_runs_by_name(client)
    assert runs["top"].parent_task_run_id is None
    assert_linked(client, runs["top"], runs["middle"])
    assert_linked(client, runs["middle"], runs["leaf"])
    assert all(r.state_type is StateType.COMPLETED for r in runs.values())


def test_a_failing_subflow_raises_in_its_parent(client: BatonClient) -> None:
    class ChildError(Exception):
        pass

    @flow
    def fragile_child() -> None:
        raise ChildError("child broke")

    @flow
    def parent() -> None:
        fragile_child()

    with pytest.raises(ChildError, match="child broke"):
        parent()

    runs = flow_runs_by_name(client)
    assert runs["fragile-child"].state_type is StateType.FAILED
    assert runs["parent"].state_type is StateType.FAILED
    assert_linked(client, runs["parent"], runs["fragile-child"])
    node = client.read_task_run(runs["fragile-child"].parent_task_run_id or uuid.uuid4())
    assert node.state is not None and node.state.message is not None
    assert "child broke" in node.state.message


def test_a_parent_can_handle_a_failed_subflow_state(client: BatonClient) -> None:
    @flow
    def fragile_child() -> None:
        raise ValueError("child broke")

    @flow
    def parent() -> str:
        state = fragile_child(return_state=True)
        assert state.is_failed()
        return "handled"

    assert parent() == "handled"
    runs = flow_runs_by_name(client)
    assert runs["parent"].state_type is StateType.COMPLETED
    assert runs["fragile-child"].state_type is StateType.FAILED
    assert_linked(client, runs["parent"], runs["fragile-child"])


def test_a_subflow_with_invalid_parameters_fails_in_its_parent(client: BatonClient) -> None:
    @flow
    def parent() -> int:
        return child("not a number")  # type: ignore[arg-type]

    with pytest.raises(ValueError, match="'x'"):
        parent()
    runs = flow_runs_by_name(client)
    assert runs["child"].state_type is StateType.FAILED
    assert_linked(client, runs["parent"], runs["child"])


def test_async_subflows_in_an_async_parent(client: BatonClient) -> None:
    @flow
    async def async_child(x: int) -> int:
        await asyncio.sleep(0)
        return x * 3

    @flow
    async def parent() -> list[int]:
        return list(await asyncio.gather(async_child(1), async_child(2)))

    assert asyncio.run(parent()) == [3, 6]
    names = {f.id: f.name for f in client.read_flows()}
    runs = client.read_flow_runs()
    [parent_run] = [r for r in runs if names[r.flow_id] == "parent"]
    children = [r for r in runs if names[r.flow_id] == "async-child"]
    assert len(children) == 2
    for child_run in children:
        assert_linked(client, parent_run, child_run)
