"""Tasks as users write them: values, failures, retries, timeouts, caching, hooks, naming."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest

from baton import Task, flow, task
from baton.client.base import BatonClient
from baton.core.models import Decision, TaskRun
from baton.core.states import State, StateType
from baton.exceptions import FailedRun
from baton.states import Completed, Failed
from baton.tasks import exponential_backoff, task_input_hash


def only_task_run(client: BatonClient) -> TaskRun:
    """The single task run a test created."""
    runs = client.read_task_runs()
    assert len(runs) == 1, [r.name for r in runs]
    return runs[0]


def state_names(client: BatonClient, run: TaskRun) -> list[str]:
    return [s.name for s in client.read_task_run_states(run.id)]


# --- values and failures -----------------------------------------------------------------------


def test_a_task_called_in_a_flow_returns_its_value_and_is_recorded(client: BatonClient) -> None:
    @task
    def square(x: int) -> int:
        return x * x

    @flow
    def pipeline() -> int:
        return square(4)

    state = pipeline(return_state=True)
    assert state.result() == 16

    run = only_task_run(client)
    assert run.flow_run_id == state.state_details.flow_run_id
    assert run.name == "square-0"
    assert run.state_type is StateType.COMPLETED
    assert run.run_count == 1
    assert state_names(client, run) == ["Pending", "Running", "Completed"]


def test_a_task_called_outside_any_flow_is_still_recorded(client: BatonClient) -> None:
    @task
    def shout(text: str) -> str:
        return text.upper()

    assert shout("hi") == "HI"
    state = shout("again", return_state=True)
    assert state.result() == "AGAIN"

    runs = client.read_task_runs()
    assert len(runs) == 2
    assert all(r.flow_run_id is None for r in runs)
    assert all(r.state_type is StateType.COMPLETED for r in runs)
    assert state.state_details.task_run_id in {r.id for r in runs}
    assert client.read_flow_runs() == []


def test_a_task_exception_fails_the_task_and_propagates_through_the_flow(
    client: BatonClient,
) -> None:
    @task
    def divide(a: int, b: int) -> float:
        return a / b

    @flow
    def pipeline() -> float:
        return divide(1, 0)

    with pytest.raises(ZeroDivisionError, match="division by zero"):
        pipeline()

    run = only_task_run(client)
    assert run.state_type is StateType.FAILED
    assert run.state is not None and run.state.message is not None
    assert "ZeroDivisionError: division by zero" in run.state.message
    assert client.read_flow_runs()[0].state_type is StateType.FAILED


def test_return_state_lets_a_flow_carry_on_after_a_failed_task(client: BatonClient) -> None:
    @task
    def fragile() -> int:
        raise ValueError("fragile broke")

    @flow
    def resilient() -> str:
        state = fragile(return_state=True)
        assert state.is_failed()
        return f"recovered from {state.message}"

    assert resilient() == "recovered from Encountered an exception: ValueError: fragile broke"
    assert only_task_run(client).state_type is StateType.FAILED
    assert client.read_flow_runs()[0].state_type is StateType.COMPLETED


def test_a_task_returning_a_failed_state_fails_without_an_exception(client: BatonClient) -> None:
    @task
    def check(rows: int) -> Any:
        if rows == 0:
            return Failed(message="no rows to load")
        return rows

    @flow
    def pipeline() -> Any:
        return check(0)

    with pytest.raises(FailedRun, match="no rows to load"):
        pipeline()
    run = only_task_run(client)
    assert run.state_type is StateType.FAILED
    assert run.state is not None and run.state.message == "no rows to load"


def test_a_task_returning_a_completed_state_without_data_returns_none(
    client: BatonClient,
) -> None:
    @task
    def skip() -> State:
        return Completed(message="nothing to do")

    assert skip() is None
    run = only_task_run(client)
    assert run.state_type is StateType.COMPLETED
    assert run.state is not None and run.state.message == "nothing to do"


def test_an_interrupt_crashes_the_task_and_calls_on_crashed(client: BatonClient) -> None:
    class Interrupt(BaseException):
        """Not an ``Exception``: stands for an interrupt or a stop from outside."""

    crashed: list[State] = []

    @task(on_crashed=[lambda t, run, state: crashed.append(state)])
    def interrupted() -> None:
        raise Interrupt("stop now")

    @flow
    def pipeline() -> str:
        state = interrupted(return_state=True)
        assert state.is_crashed()
        return state.message or ""

    assert pipeline() == "Execution was interrupted: Interrupt: stop now"
    run = only_task_run(client)
    assert run.state_type is StateType.CRASHED
    assert [s.id for s in crashed] == [run.state.id if run.state else None]


# --- retries -----------------------------------------------------------------------------------


def test_retries_follow_the_delay_list_and_every_decision_is_recorded(
    client: BatonClient,
) -> None:
    attempts: list[int] = []

    @task(retries=2, retry_delay_seconds=[0, 0.05])
    def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionError(f"flake {len(attempts)}")
        return "finally"

    @flow
    def pipeline() -> str:
        return flaky()

    assert pipeline() == "finally"
    assert len(attempts) == 3

    run = only_task_run(client)
    assert run.state_type is StateType.COMPLETED
    assert run.run_count == 3
    assert run.empirical_policy.retries == 2
    assert run.empirical_policy.retry_delay == [0.0, 0.05]
    assert state_names(client, run) == [
        "Pending",
        "Running",
        "AwaitingRetry",
        "Retrying",
        "AwaitingRetry",
        "Retrying",
        "Completed",
    ]

    decisions = client.read_decisions([run.id])
    assert [(d.rule, d.decision) for d in decisions] == [("RetryFailedTasks", Decision.REJECT)] * 2
    assert "retry 1 of 2 in 0 s" in decisions[0].reason
    assert "flake 1" in decisions[0].reason
    assert "retry 2 of 2 in 0.05 s" in decisions[1].reason
    assert "flake 2" in decisions[1].reason
    assert all(d.resulting_state_name == "AwaitingRetry" for d in decisions)


def test_a_task_out_of_retries_raises_its_last_error(client: BatonClient) -> None:
    attempts: list[int] = []

    @task(retries=1)
    def broken() -> None:
        attempts.append(1)
        raise RuntimeError(f"attempt {len(attempts)}")

    with pytest.raises(RuntimeError, match="attempt 2"):
        broken()
    run = only_task_run(client)
    assert run.state_type is StateType.FAILED
    assert run.run_count == 2
    assert len(client.read_decisions([run.id])) == 1


def test_retry_condition_fn_returning_false_stops_retries(client: BatonClient) -> None:
    attempts: list[int] = []
    asked: list[tuple[Any, Any, State]] = []

    def only_on_connection_errors(t: Task[..., Any], run: TaskRun, state: State) -> bool:
        asked.append((t, run, state))
        return isinstance(state.result(raise_on_failure=False), ConnectionError)

    @task(retries=3, retry_condition_fn=only_on_connection_errors)
    def picky() -> None:
        attempts.append(1)
        raise ValueError("not worth retrying")

    with pytest.raises(ValueError, match="not worth retrying"):
        picky()

    assert len(attempts) == 1
    assert len(asked) == 1
    asked_task, asked_run, asked_state = asked[0]
    assert asked_task is picky
    assert asked_state.is_failed()
    run = only_task_run(client)
    assert asked_run.id == run.id
    assert run.state_type is StateType.FAILED
    assert run.run_count == 1
    assert client.read_decisions([run.id]) == []


def test_retry_condition_fn_returning_true_allows_retries(client: BatonClient) -> None:
    attempts: list[int] = []

    @task(retries=3, retry_condition_fn=lambda t, run, state: True)
    def flaky() -> int:
        attempts.append(1)
        if len(attempts) < 2:
            raise ConnectionError("once")
        return len(attempts)

    assert flaky() == 2
    assert only_task_run(client).run_count == 2


def test_exponential_backoff_sets_doubling_delays(client: BatonClient) -> None:
    attempts: list[int] = []

    @task(retries=3, retry_delay_seconds=exponential_backoff(0.01))
    def flaky() -> int:
        attempts.append(1)
        if len(attempts) <= 3:
            raise ConnectionError("busy")
        return len(attempts)

    assert flaky() == 4
    run = only_task_run(client)
    assert run.empirical_policy.retry_delay == [0.01, 0.02, 0.04]
    reasons = [d.reason for d in client.read_decisions([run.id])]
    assert len(reasons) == 3
    assert "in 0.01 s" in reasons[0]
    assert "in 0.02 s" in reasons[1]
    assert "in 0.04 s" in reasons[2]


# --- timeouts ----------------------------------------------------------------------------------


def test_a_task_running_past_its_timeout_fails_timed_out(client: BatonClient) -> None:
    @task(timeout_seconds=0.2)
    def slow() -> str:
        for _ in range(500):
            time.sleep(0.01)
        return "too late"

    states: list[State] = []

    @flow
    def pipeline() -> str:
        states.append(slow(return_state=True))
        return "flow goes on"

    assert pipeline() == "flow goes on"
    [state] = states
    assert state.is_failed() and state.name == "TimedOut"
    with pytest.raises(TimeoutError, match=r"timeout of 0\.2 s"):
        state.result()

    run = only_task_run(client)
    assert run.state_type is StateType.FAILED
    assert run.state_name == "TimedOut"


def test_a_timed_out_attempt_is_retried(client: BatonClient) -> None:
    attempts: list[int] = []

    @task(timeout_seconds=0.2, retries=1)
    def slow_once() -> int:
        attempts.append(1)
        if len(attempts) == 1:
            for _ in range(500):
                time.sleep(0.01)
        return len(attempts)

    assert slow_once() == 2
    run = only_task_run(client)
    assert run.state_type is StateType.COMPLETED
    assert state_names(client, run) == [
        "Pending",
        "Running",
        "AwaitingRetry",
        "Retrying",
        "Completed",
    ]
    [decision] = client.read_decisions([run.id])
    assert decision.rule == "RetryFailedTasks"
    assert "timeout" in decision.reason


# --- caching -----------------------------------------------------------------------------------


def test_a_cached_task_returns_the_cached_value_without_running(client: BatonClient) -> None:
    calls: list[int] = []

    @task(cache_key_fn=task_input_hash, cache_expiration=dt.timedelta(hours=1))
    def expensive(x: int) -> dict[str, int]:
        calls.append(x)
        return {"x": x, "call": len(calls)}

    @flow
    def pipeline() -> list[Any]:
        return [expensive(3), expensive(3)]

    assert pipeline() == [{"x": 3, "call": 1}, {"x": 3, "call": 1}]
    assert calls == [3]

    first, second = client.read_task_runs()
    assert first.state_name == "Completed"
    assert second.state_name == "Cached"
    assert second.state_type is StateType.COMPLETED
    assert second.run_count == 0
    assert first.state is not None and second.state is not None
    assert second.state.state_details.cache_key == first.state.state_details.cache_key
    assert second.state.result_ref == first.state.result_ref

    assert client.read_decisions([first.id]) == []
    decisions = client.read_decisions([second.id])
    assert [(d.rule, d.decision) for d in decisions] == [("UseCachedResults", Decision.REJECT)]
    assert decisions[0].resulting_state_name == "Cached"


def test_the_cache_is_shared_between_flow_runs(client: BatonClient) -> None:
    calls: list[int] = []

    @task(cache_key_fn=task_input_hash)
    def expensive(x: int) -> int:
        calls.append(x)
        return x * 10

    @flow
    def pipeline(x: int) -> int:
        return expensive(x)

    assert pipeline(2) == 20
    assert pipeline(2) == 20
    assert calls == [2]
    assert [r.state_name for r in client.read_task_runs()] == ["Completed", "Cached"]


def test_different_inputs_miss_the_cache(client: BatonClient) -> None:
    calls: list[int] = []

    @task(cache_key_fn=task_input_hash)
    def expensive(x: int) -> int:
        calls.append(x)
        return x + 100

    assert [expensive(1), expensive(2), expensive(1)] == [101, 102, 101]
    assert calls == [1, 2]
    assert [r.state_name for r in client.read_task_runs()] == ["Completed", "Completed", "Cached"]


def test_refresh_cache_reruns_and_replaces_the_cached_value(client: BatonClient) -> None:
    calls: list[int] = []

    def compute(x: int) -> int:
        calls.append(x)
        return len(calls)

    cached = task(compute, cache_key_fn=lambda ctx, params: f"key-{params['x']}")
    refreshing = cached.with_options(refresh_cache=True)

    assert cached(1) == 1
    assert refreshing(1) == 2
    assert cached(1) == 2
    assert calls == [1, 1]
    assert [r.state_name for r in client.read_task_runs()] == ["Completed", "Completed", "Cached"]


def test_an_expired_cache_entry_is_not_used(client: BatonClient) -> None:
    calls: list[int] = []

    @task(cache_key_fn=task_input_hash, cache_expiration=dt.timedelta(microseconds=1))
    def short_lived(x: int) -> int:
        calls.append(x)
        return len(calls)

    assert short_lived(5) == 1
    assert short_lived(5) == 2
    assert calls == [5, 5]
    runs = client.read_task_runs()
    assert [r.state_name for r in runs] == ["Completed", "Completed"]
    assert runs[0].state is not None
    expiration = runs[0].state.state_details.cache_expiration
    assert expiration is not None and expiration <= runs[1].created


def test_a_cache_key_fn_returning_none_disables_caching(client: BatonClient) -> None:
    calls: list[int] = []

    @task(cache_key_fn=lambda ctx, params: None)
    def uncached() -> int:
        calls.append(1)
        return len(calls)

    assert [uncached(), uncached()] == [1, 2]
    assert [r.state_name for r in client.read_task_runs()] == ["Completed", "Completed"]


def test_a_failed_task_is_not_cached(client: BatonClient) -> None:
    calls: list[int] = []

    @task(cache_key_fn=task_input_hash)
    def sometimes(x: int) -> int:
        calls.append(x)
        if len(calls) == 1:
            raise ValueError("first call fails")
        return x

    with pytest.raises(ValueError):
        sometimes(1)
    assert sometimes(1) == 1
    assert sometimes(1) == 1
    assert calls == [1, 1]
    assert [r.state_name for r in client.read_task_runs()] == ["Failed", "Completed", "Cached"]


# --- hooks -------------------------------------------------------------------------------------


def test_task_hooks_are_called_with_the_task_its_run_and_the_state(client: BatonClient) -> None:
    calls: list[tuple[str, Any, Any, State]] = []

    def record(kind: str) -> Any:
        return lambda t, run, state: calls.append((kind, t, run, state))

    def broken_hook(t: Any, run: Any, state: State) -> None:
        raise RuntimeError("hook bug")

    @task(on_running=[record("running")], on_completion=[broken_hook, record("completed")])
    def good() -> int:
        return 1

    @task(on_failure=[record("failed")])
    def bad() -> int:
        raise ValueError("bad task")

    @flow
    def pipeline() -> int:
        bad(return_state=True)
        return good()

    assert pipeline() == 1
    assert [c[0] for c in calls] == ["failed", "running", "completed"]
    failed, running, completed = calls
    assert failed[1] is bad and running[1] is good and completed[1] is good
    assert failed[3].is_failed() and running[3].is_running() and completed[3].is_completed()
    bad_run, good_run = client.read_task_runs()
    assert failed[2].id == bad_run.id
    assert running[2].id == good_run.id and completed[2].id == good_run.id
    assert good_run.state_type is StateType.COMPLETED


# --- options and naming ------------------------------------------------------------------------


def test_with_options_makes_a_changed_copy(client: BatonClient) -> None:
    attempts: list[int] = []

    @task
    def flaky() -> int:
        attempts.append(1)
        if len(attempts) < 2:
            raise ValueError("again")
        return len(attempts)

    patient = flaky.with_options(name="patient", retries=1, tags=["io"])
    assert patient() == 2
    run = only_task_run(client)
    assert run.name == "patient-0"
    assert run.tags == ["io"]
    assert run.run_count == 2
    assert flaky.retries == 0 and flaky.name == "flaky"

    with pytest.raises(TypeError, match="unknown task option"):
        flaky.with_options(retires=3)


def test_fn_is_the_plain_function(client: BatonClient) -> None:
    @task
    def add(a: int, b: int) -> int:
        return a + b

    assert add.fn(1, 2) == 3
    assert client.read_task_runs() == []


def test_task_run_names_count_calls_per_flow_run(client: BatonClient) -> None:
    @task
    def load(i: int) -> int:
        return i

    @task(name="save-it")
    def save(i: int) -> int:
        return i

    @flow
    def pipeline() -> None:
        for i in range(2):
            save(load(i))

    first = pipeline(return_state=True)
    second = pipeline(return_state=True)

    for state in (first, second):
        runs = client.read_task_runs(flow_run_id=state.state_details.flow_run_id)
        assert sorted(r.name for r in runs) == ["load-0", "load-1", "save-it-0", "save-it-1"]
        assert all(r.state_type is StateType.COMPLETED for r in runs)


def test_a_bad_task_call_raises_type_error_before_any_run(client: BatonClient) -> None:
    @task
    def one(n: int) -> int:
        return n

    with pytest.raises(TypeError, match="one"):
        one(1, 2)  # type: ignore[call-arg]
    assert client.read_task_runs() == []
