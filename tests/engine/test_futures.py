"""Submitted and mapped tasks: futures, dependencies between runs, and task runners."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from baton import SequentialTaskRunner, ThreadPoolTaskRunner, flow, task, unmapped
from baton.client.base import BatonClient
from baton.core.models import RunInput, TaskRun
from baton.core.states import StateType
from baton.engine.futures import TaskRunFuture
from baton.engine.task_runners import TaskRunner


def runs_by_id(client: BatonClient) -> dict[uuid.UUID, TaskRun]:
    return {run.id: run for run in client.read_task_runs()}


def upstream_ids(inputs: list[RunInput]) -> list[uuid.UUID | None]:
    assert all(i.input_type == "task_run" for i in inputs)
    return [i.id for i in inputs]


@task
def double(x: int) -> int:
    return x * 2


@task
def add(x: int, y: int) -> int:
    return x + y


@task
def total(values: list[int]) -> int:
    return sum(values)


def test_submit_returns_a_future_of_the_run(client: BatonClient) -> None:
    seen: dict[str, Any] = {}

    @flow
    def pipeline() -> int:
        future = double.submit(21)
        assert isinstance(future, TaskRunFuture)
        state = future.wait()
        assert state is not None and state.is_completed()
        assert future.done()
        assert future.state.is_completed()
        seen["id"] = future.task_run_id
        return future.result()

    assert pipeline() == 42
    run = client.read_task_run(seen["id"])
    assert run.name == "double-0"
    assert run.state_type is StateType.COMPLETED
    assert run.flow_run_id == client.read_flow_runs()[0].id


def test_a_failed_future_reraises_on_result(client: BatonClient) -> None:
    @task
    def broken() -> int:
        raise LookupError("nothing here")

    @flow
    def pipeline() -> str:
        future = broken.submit()
        state = future.wait()
        assert state is not None and state.is_failed()
        error = future.result(raise_on_failure=False)
        assert isinstance(error, LookupError)
        future.result()
        return "unreachable"

    with pytest.raises(LookupError, match="nothing here"):
        pipeline()
    [run] = client.read_task_runs()
    assert run.state_type is StateType.FAILED


def test_map_fans_out_with_unmapped_arguments_passed_whole(client: BatonClient) -> None:
    @task
    def scale(x: int, factors: list[int]) -> list[int]:
        return [x * f for f in factors]

    @flow
    def pipeline() -> dict[str, Any]:
        sums = add.map([1, 2, 3], unmapped(10))
        scaled = scale.map(x=[1, 2], factors=unmapped([1, 100]))
        return {"sums": [f.result() for f in sums], "scaled": [f.result() for f in scaled]}

    assert pipeline() == {"sums": [11, 12, 13], "scaled": [[1, 100], [2, 200]]}
    names = sorted(r.name for r in client.read_task_runs())
    assert names == ["add-0", "add-1", "add-2", "scale-0", "scale-1"]


def test_map_over_the_future_of_a_list(client: BatonClient) -> None:
    @task
    def produce() -> list[int]:
        return [1, 2, 3]

    @flow
    def pipeline() -> list[int]:
        return [f.result() for f in double.map(produce.submit())]

    assert pipeline() == [2, 4, 6]
    names = sorted(r.name for r in client.read_task_runs())
    assert names == ["double-0", "double-1", "double-2", "produce-0"]


def test_map_over_futures_passes_each_value_and_records_each_edge(client: BatonClient) -> None:
    ids: dict[str, Any] = {}

    @flow
    def pipeline() -> list[int]:
        upstream = double.map([1, 2])
        downstream = double.map(upstream)
        ids.update(up=[f.task_run_id for f in upstream], down=[f.task_run_id for f in downstream])
        return [f.result() for f in downstream]

    assert pipeline() == [4, 8]
    for up, down in zip(ids["up"], ids["down"], strict=True):
        assert upstream_ids(client.read_task_run(down).task_inputs["x"]) == [up]


def test_a_state_as_input_is_resolved_and_recorded(client: BatonClient) -> None:
    ids: dict[str, Any] = {}

    @flow
    def pipeline() -> int:
        state = double(3, return_state=True)
        ids["up"] = state.state_details.task_run_id
        return add(state, 1)

    assert pipeline() == 7
    add_run = next(r for r in client.read_task_runs() if r.name == "add-0")
    assert upstream_ids(add_run.task_inputs["x"]) == [ids["up"]]


def test_map_over_arguments_of_unequal_length_raises_a_clear_error(client: BatonClient) -> None:
    @flow
    def pipeline() -> None:
        add.map([1, 2, 3], [1, 2])

    with pytest.raises(ValueError, match=r"differ in length \(x=3, y=2\)"):
        pipeline()
    assert client.read_task_runs() == []
    assert client.read_flow_runs()[0].state_type is StateType.FAILED


def test_map_without_any_iterable_raises_a_clear_error(client: BatonClient) -> None:
    @flow
    def pipeline() -> None:
        add.map(1, 2)

    with pytest.raises(TypeError, match="at least one iterable"):
        pipeline()


def test_futures_as_inputs_are_resolved_and_recorded_as_graph_edges(client: BatonClient) -> None:
    ids: dict[str, Any] = {}

    @flow
    def pipeline() -> int:
        a = double.submit(1)
        b = double.submit(2)
        pair = add.submit(a, b)
        doubled = double.map([1, 2, 3])
        summed = total.submit(doubled)
        ids.update(a=a.task_run_id, b=b.task_run_id, pair=pair.task_run_id)
        ids.update(mapped=[f.task_run_id for f in doubled], summed=summed.task_run_id)
        return pair.result() + summed.result()

    assert pipeline() == (2 + 4) + (2 + 4 + 6)

    runs = runs_by_id(client)
    pair = runs[ids["pair"]]
    assert upstream_ids(pair.task_inputs["x"]) == [ids["a"]]
    assert upstream_ids(pair.task_inputs["y"]) == [ids["b"]]
    summed = runs[ids["summed"]]
    assert upstream_ids(summed.task_inputs["values"]) == ids["mapped"]
    assert runs[ids["a"]].task_inputs == {}
    assert all(r.state_type is StateType.COMPLETED for r in runs.values())


def test_an_inline_call_resolves_futures_and_records_edges(client: BatonClient) -> None:
    ids: dict[str, Any] = {}

    @flow
    def pipeline() -> int:
        a = double.submit(5)
        ids["a"] = a.task_run_id
        return add(a, 1)

    assert pipeline() == 11
    add_run = next(r for r in client.read_task_runs() if r.name == "add-0")
    assert upstream_ids(add_run.task_inputs["x"]) == [ids["a"]]
    assert "y" not in add_run.task_inputs


def test_wait_for_orders_runs_and_records_the_edge(client: BatonClient) -> None:
    order: list[str] = []
    gate = threading.Event()
    ids: dict[str, Any] = {}

    @task
    def first() -> None:
        assert gate.wait(10), "the flow never opened the gate"
        order.append("first")

    @task
    def second() -> None:
        order.append("second")

    @flow
    def pipeline() -> None:
        a = first.submit()
        b = second.submit(wait_for=[a])
        ids.update(a=a.task_run_id, b=b.task_run_id)
        gate.set()
        b.result()

    pipeline()
    assert order == ["first", "second"]
    b_run = client.read_task_run(ids["b"])
    assert upstream_ids(b_run.task_inputs["wait_for"]) == [ids["a"]]


def test_a_failed_upstream_fails_the_downstream_task_without_running_it(
    client: BatonClient,
) -> None:
    calls: list[Any] = []
    ids: dict[str, Any] = {}

    @task
    def extract() -> int:
        raise ConnectionError("source offline")

    @task
    def transform(x: int) -> int:
        calls.append(x)
        return x

    @flow
    def pipeline() -> str | None:
        upstream = extract.submit()
        downstream = transform.submit(upstream)
        ids.update(up=upstream.task_run_id, down=downstream.task_run_id)
        state = downstream.wait()
        assert state is not None and state.is_failed()
        with pytest.raises(ConnectionError, match="source offline"):
            downstream.result()
        return state.message

    message = pipeline()
    assert message is not None and "source offline" in message
    assert calls == []
    down = client.read_task_run(ids["down"])
    assert down.state_type is StateType.FAILED
    assert down.run_count == 0
    assert down.state is not None and down.state.message is not None
    assert "Upstream task run did not complete" in down.state.message
    assert "source offline" in down.state.message
    assert upstream_ids(down.task_inputs["x"]) == [ids["up"]]


def test_a_failed_wait_for_upstream_fails_the_downstream_task(client: BatonClient) -> None:
    calls: list[str] = []
    ids: dict[str, Any] = {}

    @task
    def setup_step() -> None:
        raise RuntimeError("setup broke")

    @task
    def main_step() -> None:
        calls.append("ran")

    @flow
    def pipeline() -> None:
        a = setup_step.submit()
        b = main_step.submit(wait_for=[a])
        ids.update(a=a.task_run_id, b=b.task_run_id)
        b.wait()

    pipeline(return_state=True)
    assert calls == []
    down = client.read_task_run(ids["b"])
    assert down.state_type is StateType.FAILED
    assert down.state is not None and down.state.message is not None
    assert str(ids["a"]) in down.state.message
    assert "Failed" in down.state.message


def test_the_flow_waits_for_tasks_it_never_awaited(client: BatonClient) -> None:
    body_done = threading.Event()
    finished: list[str] = []

    @task
    def background(name: str) -> str:
        assert body_done.wait(10), "the flow body never finished"
        finished.append(name)
        return name

    @flow
    def fire_and_forget() -> str:
        background.submit("a")
        background.map(["b", "c"])
        body_done.set()
        return "body done"

    assert fire_and_forget() == "body done"
    assert sorted(finished) == ["a", "b", "c"]
    runs = client.read_task_runs()
    assert len(runs) == 3
    assert all(r.state_type is StateType.COMPLETED for r in runs)
    assert client.read_flow_runs()[0].state_type is StateType.COMPLETED


def test_a_flow_returning_futures_returns_their_values(client: BatonClient) -> None:
    @flow
    def pipeline() -> list[Any]:
        return double.map([1, 2, 3])

    assert pipeline() == [2, 4, 6]


@pytest.mark.parametrize(
    "runner", [SequentialTaskRunner(), ThreadPoolTaskRunner(max_workers=2)], ids=repr
)
def test_task_runners_run_submitted_tasks(client: BatonClient, runner: TaskRunner) -> None:
    threads: list[str] = []

    @task
    def where(x: int) -> int:
        threads.append(threading.current_thread().name)
        return x + 1

    @flow(task_runner=runner)
    def pipeline() -> list[int]:
        return [f.result() for f in where.map(range(5))]

    assert pipeline() == [1, 2, 3, 4, 5]
    runs = client.read_task_runs()
    assert sorted(r.name for r in runs) == [f"where-{i}" for i in range(5)]
    assert all(r.state_type is StateType.COMPLETED for r in runs)
    if isinstance(runner, SequentialTaskRunner):
        assert set(threads) == {threading.current_thread().name}
    else:
        assert threading.current_thread().name not in threads
        assert len(set(threads)) <= 2


def test_a_two_worker_pool_runs_two_tasks_at_once(client: BatonClient) -> None:
    both_running = threading.Barrier(2, timeout=10)

    @task
    def meet(i: int) -> int:
        both_running.wait()
        return i

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=2))
    def pipeline() -> list[int]:
        return [f.result() for f in meet.map([0, 1])]

    assert pipeline() == [0, 1]
    assert all(r.state_type is StateType.COMPLETED for r in client.read_task_runs())


def test_many_concurrent_submissions_are_all_recorded(client: BatonClient) -> None:
    @flow(task_runner=ThreadPoolTaskRunner(max_workers=8))
    def pipeline() -> int:
        return sum(f.result() for f in double.map(range(60)))

    assert pipeline() == 2 * sum(range(60))
    runs = client.read_task_runs()
    assert sorted(r.name for r in runs) == sorted(f"double-{i}" for i in range(60))
    assert client.count_task_runs(state_types=[StateType.COMPLETED]) == 60


def test_a_task_submitted_outside_a_flow_runs_and_is_recorded(client: BatonClient) -> None:
    future = double.submit(8)
    assert future.result(timeout=10) == 16
    run = client.read_task_run(future.task_run_id)
    assert run.flow_run_id is None
    assert run.state_type is StateType.COMPLETED
