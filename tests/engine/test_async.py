"""Asynchronous flows and tasks, alone and mixed with synchronous ones."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from baton import flow, task
from baton.client.base import BatonClient
from baton.core.states import State, StateType


@task
async def fetch(x: int) -> int:
    await asyncio.sleep(0)
    return x * 10


@task
def parse(x: int) -> str:
    return f"<{x}>"


def test_an_async_flow_awaits_async_tasks_and_is_recorded(client: BatonClient) -> None:
    @flow
    async def pipeline(n: int) -> int:
        first = await fetch(n)
        return await fetch(first)

    assert asyncio.run(pipeline(2)) == 200

    [run] = client.read_flow_runs()
    assert run.state_type is StateType.COMPLETED
    assert run.parameters == {"n": 2}
    tasks = client.read_task_runs(flow_run_id=run.id)
    assert [t.name for t in tasks] == ["fetch-0", "fetch-1"]
    assert all(t.state_type is StateType.COMPLETED for t in tasks)


def test_an_async_flow_coerces_parameters_and_reraises_errors(client: BatonClient) -> None:
    @flow
    async def strict(n: int) -> int:
        if n > 3:
            raise OverflowError(f"{n} is too big")
        return n

    assert asyncio.run(strict("3")) == 3  # type: ignore[arg-type]
    with pytest.raises(OverflowError, match="4 is too big"):
        asyncio.run(strict(4))
    state = asyncio.run(strict(5, return_state=True))  # type: ignore[call-arg]
    assert isinstance(state, State) and state.is_failed()

    runs = sorted(client.read_flow_runs(), key=lambda r: r.created)
    assert [r.state_type for r in runs] == [
        StateType.COMPLETED,
        StateType.FAILED,
        StateType.FAILED,
    ]
    assert runs[0].parameters == {"n": 3}


def test_gather_runs_async_tasks_concurrently(client: BatonClient) -> None:
    events: dict[str, asyncio.Event] = {}

    @task
    async def handshake(mine: str, theirs: str) -> str:
        events[mine].set()
        await asyncio.wait_for(events[theirs].wait(), 10)
        return mine

    @flow
    async def pipeline() -> list[str]:
        events.update(a=asyncio.Event(), b=asyncio.Event())
        return list(await asyncio.gather(handshake("a", "b"), handshake("b", "a")))

    assert asyncio.run(pipeline()) == ["a", "b"]
    tasks = client.read_task_runs()
    assert sorted(t.name for t in tasks) == ["handshake-0", "handshake-1"]
    assert all(t.state_type is StateType.COMPLETED for t in tasks)


def test_a_failing_async_task_in_gather_fails_its_run(client: BatonClient) -> None:
    @task
    async def maybe(x: int) -> int:
        if x == 1:
            raise ValueError("one is bad")
        return x

    @flow
    async def pipeline() -> list[Any]:
        return list(await asyncio.gather(maybe(0), maybe(1), return_exceptions=True))

    results = asyncio.run(pipeline())
    assert results[0] == 0
    assert isinstance(results[1], ValueError)
    by_name = {t.name: t for t in client.read_task_runs()}
    assert by_name["maybe-0"].state_type is StateType.COMPLETED
    assert by_name["maybe-1"].state_type is StateType.FAILED


def test_sync_and_async_tasks_mix_in_an_async_flow(client: BatonClient) -> None:
    @flow
    async def pipeline() -> list[str]:
        values = [await fetch(1), await fetch(2)]
        submitted = parse.submit(values[1])
        return [parse(values[0]), submitted.result()]

    assert asyncio.run(pipeline()) == ["<10>", "<20>"]
    names = sorted(t.name for t in client.read_task_runs())
    assert names == ["fetch-0", "fetch-1", "parse-0", "parse-1"]
    assert all(t.state_type is StateType.COMPLETED for t in client.read_task_runs())


def test_an_async_task_submitted_from_a_sync_flow(client: BatonClient) -> None:
    ids: list[Any] = []

    @flow
    def pipeline() -> list[int]:
        futures = [fetch.submit(1), *fetch.map([2, 3])]
        ids.extend(f.task_run_id for f in futures)
        return [f.result() for f in futures]

    assert pipeline() == [10, 20, 30]
    for run_id in ids:
        assert client.read_task_run(run_id).state_type is StateType.COMPLETED


def test_an_async_task_called_outside_a_flow(client: BatonClient) -> None:
    assert asyncio.run(fetch(4)) == 40
    [run] = client.read_task_runs()
    assert run.flow_run_id is None
    assert run.state_type is StateType.COMPLETED


def test_an_async_task_past_its_timeout_fails_timed_out(client: BatonClient) -> None:
    cancelled = threading.Event()

    @task(timeout_seconds=0.1)
    async def stuck() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    @flow
    async def pipeline() -> str:
        state = await stuck(return_state=True)
        assert state.is_failed() and state.name == "TimedOut"
        with pytest.raises(TimeoutError, match=r"timeout of 0\.1 s"):
            state.result()
        return "survived"

    assert asyncio.run(pipeline()) == "survived"
    assert cancelled.is_set()
    [run] = client.read_task_runs()
    assert run.state_type is StateType.FAILED
    assert run.state_name == "TimedOut"


def test_an_async_flow_past_its_timeout_fails_timed_out(client: BatonClient) -> None:
    @flow(timeout_seconds=0.1)
    async def stuck() -> None:
        await asyncio.sleep(30)

    state = asyncio.run(stuck(return_state=True))  # type: ignore[call-arg]
    assert state.is_failed() and state.name == "TimedOut"
    with pytest.raises(TimeoutError):
        asyncio.run(stuck())
    runs = client.read_flow_runs()
    assert len(runs) == 2
    assert all(r.state_name == "TimedOut" for r in runs)


def test_async_task_retries(client: BatonClient) -> None:
    attempts: list[int] = []

    @task(retries=2)
    async def flaky() -> int:
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionError("try again")
        return len(attempts)

    @flow
    async def pipeline() -> int:
        return await flaky()

    assert asyncio.run(pipeline()) == 3
    [run] = client.read_task_runs()
    assert run.run_count == 3
    assert [d.rule for d in client.read_decisions([run.id])] == ["RetryFailedTasks"] * 2
