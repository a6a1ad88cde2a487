"""Small builders and checks shared by the client contract tests."""

from __future__ import annotations

import uuid
from typing import Any

from baton.client.base import BatonClient
from baton.core.actions import FlowRunCreate, TaskRunCreate
from baton.core.models import Decision, FlowRun, TaskRun
from baton.core.orchestration.context import OrchestrationResult
from baton.core.states import State, StateType
from baton.states import Pending, Running


def new_flow_run(client: BatonClient, flow: str = "contract", **fields: Any) -> FlowRun:
    flow_id = client.read_or_create_flow(flow).id
    return client.create_flow_run(FlowRunCreate(flow_id=flow_id, **fields))


def running_flow_run(client: BatonClient, **fields: Any) -> FlowRun:
    run = new_flow_run(client, state=Pending(), **fields)
    assert client.set_flow_run_state(run.id, Running()).status is Decision.ACCEPT
    return run


def new_task_run(
    client: BatonClient,
    flow_run_id: uuid.UUID | None,
    key: str = "work",
    index: int = 0,
    **fields: Any,
) -> TaskRun:
    return client.create_task_run(
        TaskRunCreate(
            task_key=key,
            name=f"{key}-{index}",
            dynamic_key=str(index),
            flow_run_id=flow_run_id,
            **fields,
        )
    )


def assert_accepted(result: OrchestrationResult, state_type: StateType) -> State:
    assert result.status is Decision.ACCEPT, result
    assert result.state is not None
    assert result.state.type is state_type
    return result.state


def history(states: list[State]) -> list[tuple[str, str]]:
    return [(state.type.value, state.name) for state in states]
