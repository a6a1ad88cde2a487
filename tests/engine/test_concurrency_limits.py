"""Concurrency limits by tag: tasks wait for a slot, decisions say why, slots come back."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable

import pytest

import baton
from baton import flow, task
from baton.client.base import BatonClient
from baton.core.models import Decision
from baton.core.states import StateType
from baton.exceptions import RunAborted


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    """Poll ``condition`` (an effect only visible in the database) until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


class Occupancy:
    """Counts how many tasks are inside the guarded section at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.active = 0
        self.most = 0
        self.order: list[str] = []

    def enter(self, name: str) -> None:
        with self._lock:
            self.active += 1
            self.most = max(self.most, self.active)
            self.order.append(name)

    def leave(self) -> None:
        with self._lock:
            self.active -= 1


def test_a_limit_of_one_serialises_tagged_tasks_and_records_why(client: BatonClient) -> None:
    client.create_concurrency_limit("db", 1)
    occupancy = Occupancy()
    holder_running = threading.Event()
    release_holder = threading.Event()
    ids: dict[str, uuid.UUID] = {}

    @task(tags=["db"])
    def query(name: str) -> str:
        occupancy.enter(name)
        try:
            if name == "holder":
                holder_running.set()
                assert release_holder.wait(20), "the flow never released the holder"
            else:
                time.sleep(0.05)
        finally:
            occupancy.leave()
        return name

    def waited(run_id: uuid.UUID) -> bool:
        return any(d.decision is Decision.WAIT for d in client.read_decisions([run_id]))

    @flow
    def pipeline() -> list[str]:
        holder = query.submit("holder")
        assert holder_running.wait(20), "the first task never started"
        others = [query.submit("second"), query.submit("third")]
        ids.update(holder=holder.task_run_id)
        ids.update(second=others[0].task_run_id, third=others[1].task_run_id)
        wait_until(lambda: all(waited(f.task_run_id) for f in others), "both to wait")
        release_holder.set()
        return [f.result() for f in [holder, *others]]

    assert pipeline() == ["holder", "second", "third"]
    assert occupancy.most == 1
    assert occupancy.order[0] == "holder"

    for name in ("second", "third"):
        decisions = client.read_decisions([ids[name]])
        waits = [d for d in decisions if d.decision is Decision.WAIT]
        assert waits, f"{name} never waited"
        for decision in waits:
            assert decision.rule == "SecureTaskConcurrencySlots"
            assert "'db'" in decision.reason
            assert decision.proposed_state_type is StateType.RUNNING
    assert client.read_decisions([ids["holder"]]) == []

    runs = client.read_task_runs()
    assert len(runs) == 3
    assert all(r.tags == ["db"] and r.state_type is StateType.COMPLETED for r in runs)
    assert all(r.run_count == 1 for r in runs)

    [limit] = client.read_concurrency_limits()
    assert limit.tag == "db" and limit.limit == 1
    assert limit.active_slots == []


def test_slots_are_released_when_a_tagged_task_fails(client: BatonClient) -> None:
    client.create_concurrency_limit("api", 1)

    @task(tags=["api"])
    def call(fail: bool) -> str:
        if fail:
            raise ConnectionError("api down")
        return "ok"

    @flow
    def pipeline() -> str:
        failed = call(True, return_state=True)
        assert failed.is_failed()
        return call(False)

    assert pipeline() == "ok"
    [limit] = client.read_concurrency_limits()
    assert limit.active_slots == []
    assert [r.state_type for r in client.read_task_runs()] == [
        StateType.FAILED,
        StateType.COMPLETED,
    ]


def test_a_tags_block_puts_tasks_under_the_limit(client: BatonClient) -> None:
    client.create_concurrency_limit("db", 0)
    calls: list[str] = []

    @task
    def query() -> None:
        calls.append("ran")

    @flow
    def pipeline() -> None:
        query()
        with baton.tags("db"):
            query()

    with pytest.raises(RunAborted, match="'db'"):
        pipeline()
    assert calls == ["ran"]


def test_a_limit_of_zero_aborts_the_task_with_a_clear_error(client: BatonClient) -> None:
    client.create_concurrency_limit("frozen", 0)
    calls: list[str] = []

    @task(tags=["frozen"])
    def never() -> None:
        calls.append("ran")

    @flow
    def pipeline() -> None:
        never()

    with pytest.raises(RunAborted, match="concurrency limit for tag 'frozen' is 0"):
        pipeline()

    assert calls == []
    [run] = client.read_task_runs()
    assert run.run_count == 0
    assert run.state_type is StateType.FAILED
    assert run.state is not None and run.state.message is not None
    assert "concurrency limit for tag 'frozen' is 0" in run.state.message
    [decision] = client.read_decisions([run.id])
    assert decision.decision is Decision.ABORT
    assert decision.rule == "SecureTaskConcurrencySlots"
    assert "'frozen'" in decision.reason
    [flow_run] = client.read_flow_runs()
    assert flow_run.state_type is StateType.FAILED
    [limit] = client.read_concurrency_limits()
    assert limit.active_slots == []


def test_a_submitted_task_under_a_zero_limit_fails_its_future(client: BatonClient) -> None:
    client.create_concurrency_limit("frozen", 0)

    @task(tags=["frozen"])
    def never() -> None:
        raise AssertionError("must not run")

    @flow
    def pipeline() -> str:
        future = never.submit()
        with pytest.raises(RunAborted, match="'frozen'"):
            future.result()
        return "handled"

    assert pipeline() == "handled"
    [run] = client.read_task_runs()
    assert run.state_type is StateType.FAILED
    assert run.run_count == 0
