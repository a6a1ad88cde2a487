"""Run logs: the run logger, captured prints and tracebacks, stored with the run they belong to."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest

from baton import flow, get_run_logger, task
from baton.client.base import BatonClient
from baton.core.models import LogRecord


def messages(records: list[LogRecord]) -> list[str]:
    return [r.message for r in records]


def test_run_loggers_store_records_with_their_runs_and_levels(client: BatonClient) -> None:
    ids: dict[str, Any] = {}

    @task
    def step() -> None:
        get_run_logger().warning("step is %s", "careful")

    @flow
    def pipeline() -> None:
        get_run_logger().info("flow says hi")
        state = step(return_state=True)
        ids["task"] = state.state_details.task_run_id

    state = pipeline(return_state=True)
    flow_run_id = state.state_details.flow_run_id
    assert flow_run_id is not None

    flow_logs = client.read_logs(flow_run_id=flow_run_id)
    [hi] = [r for r in flow_logs if r.message == "flow says hi"]
    assert hi.level == logging.INFO
    assert hi.task_run_id is None

    task_logs = client.read_logs(task_run_id=ids["task"])
    assert messages(task_logs) == ["step is careful"]
    assert task_logs[0].level == logging.WARNING
    assert task_logs[0].flow_run_id == flow_run_id
    assert "step is careful" in messages(flow_logs)

    warnings = client.read_logs(flow_run_id=flow_run_id, min_level=logging.WARNING)
    assert messages(warnings) == ["step is careful"]


def test_the_engine_logs_the_start_and_end_of_a_flow_run(client: BatonClient) -> None:
    @flow
    def pipeline() -> None:
        pass

    state = pipeline(return_state=True)
    logs = messages(client.read_logs(flow_run_id=state.state_details.flow_run_id))
    assert any(m.startswith("Beginning flow run") and "'pipeline'" in m for m in logs)
    assert any(m.startswith("Finished in state Completed") for m in logs)


def test_logs_of_concurrent_tasks_go_to_their_own_runs(client: BatonClient) -> None:
    ids: dict[int, uuid.UUID] = {}

    @task
    def worker(i: int) -> None:
        get_run_logger().info("worker %d", i)

    @flow
    def pipeline() -> None:
        futures = worker.map(range(4))
        for i, future in enumerate(futures):
            ids[i] = future.task_run_id
            future.wait()

    pipeline()
    for i, task_run_id in ids.items():
        assert messages(client.read_logs(task_run_id=task_run_id)) == [f"worker {i}"]


def test_log_prints_turns_prints_into_run_logs(
    client: BatonClient, capsys: pytest.CaptureFixture[str]
) -> None:
    ids: dict[str, Any] = {}

    @task
    def chatty(x: int) -> int:
        print("task printing", x)
        return x

    @task(log_prints=False)
    def quiet() -> None:
        print("task keeps its print")

    @flow(log_prints=True)
    def pipeline() -> None:
        print("flow printing", "two", sep="|")
        ids["chatty"] = chatty(1, return_state=True).state_details.task_run_id
        ids["quiet"] = quiet(return_state=True).state_details.task_run_id

    print("before any run")
    state = pipeline(return_state=True)
    print("after the run")

    flow_logs = client.read_logs(flow_run_id=state.state_details.flow_run_id)
    printed = [r for r in flow_logs if r.task_run_id is None and r.message == "flow printing|two"]
    assert len(printed) == 1 and printed[0].level == logging.INFO
    assert messages(client.read_logs(task_run_id=ids["chatty"])) == ["task printing 1"]
    assert client.read_logs(task_run_id=ids["quiet"]) == []

    everything = messages(client.read_logs())
    assert "before any run" not in everything
    assert "after the run" not in everything
    assert "task keeps its print" not in everything

    out = capsys.readouterr().out
    assert "before any run" in out and "after the run" in out
    assert "task keeps its print" in out
    assert "flow printing" not in out and "task printing" not in out


def test_log_prints_on_a_task_alone_captures_its_prints(
    client: BatonClient, capsys: pytest.CaptureFixture[str]
) -> None:
    @task(log_prints=True)
    def chatty() -> None:
        print("only this task logs prints")

    @flow
    def pipeline() -> None:
        print("the flow does not")
        chatty()

    state = pipeline(return_state=True)
    logs = client.read_logs(flow_run_id=state.state_details.flow_run_id)
    printed = [r for r in logs if r.message == "only this task logs prints"]
    assert len(printed) == 1 and printed[0].task_run_id is not None
    assert "the flow does not" not in messages(logs)
    out = capsys.readouterr().out
    assert "the flow does not" in out
    assert "only this task logs prints" not in out


def test_prints_are_not_captured_without_log_prints(
    client: BatonClient, capsys: pytest.CaptureFixture[str]
) -> None:
    @flow
    def pipeline() -> None:
        print("plain print")

    pipeline()
    assert "plain print" in capsys.readouterr().out
    assert "plain print" not in messages(client.read_logs())


def test_get_run_logger_outside_a_run_raises_a_clear_error(client: BatonClient) -> None:
    with pytest.raises(RuntimeError, match="inside a flow or task run"):
        get_run_logger()


def test_the_traceback_of_a_failing_task_is_in_its_logs(client: BatonClient) -> None:
    def innermost_helper() -> None:
        raise ArithmeticError("numbers went wrong")

    @task
    def calculate() -> None:
        innermost_helper()

    state = calculate(return_state=True)
    task_run_id = state.state_details.task_run_id
    errors = client.read_logs(task_run_id=task_run_id, min_level=logging.ERROR)
    assert len(errors) == 1
    text = errors[0].message
    assert "ArithmeticError: numbers went wrong" in text
    assert "Traceback (most recent call last)" in text
    assert "innermost_helper" in text
    assert errors[0].flow_run_id is None


def test_the_traceback_of_a_failing_flow_is_in_its_logs(client: BatonClient) -> None:
    @flow
    def broken() -> None:
        raise LookupError("flow lost something")

    state = broken(return_state=True)
    errors = client.read_logs(flow_run_id=state.state_details.flow_run_id, min_level=logging.ERROR)
    tracebacks = [r.message for r in errors if "Traceback (most recent call last)" in r.message]
    assert len(tracebacks) == 1
    assert "LookupError: flow lost something" in tracebacks[0]


def test_logs_of_timed_tasks_and_subflows_go_to_their_own_runs(client: BatonClient) -> None:
    ids: dict[str, Any] = {}

    @task(timeout_seconds=30)
    def timed() -> None:
        get_run_logger().info("inside a timed task")

    @flow
    def child() -> None:
        get_run_logger().info("inside the subflow")

    @flow
    def parent() -> None:
        ids["task"] = timed(return_state=True).state_details.task_run_id
        ids["child"] = child(return_state=True).state_details.flow_run_id

    state = parent(return_state=True)
    assert messages(client.read_logs(task_run_id=ids["task"])) == ["inside a timed task"]
    child_logs = messages(client.read_logs(flow_run_id=ids["child"]))
    assert "inside the subflow" in child_logs
    parent_logs = messages(client.read_logs(flow_run_id=state.state_details.flow_run_id))
    assert "inside the subflow" not in parent_logs
    assert "inside a timed task" in parent_logs
