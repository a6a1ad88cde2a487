"""Flows as users write them: values, failures, parameters, retries, timeouts, hooks, tags."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from typing import Any

import pydantic
import pytest

import baton
from baton import flow, get_run_logger, task
from baton.client.base import BatonClient
from baton.core.models import Decision, FlowRun
from baton.core.states import State, StateType
from baton.exceptions import FailedRun, ParameterValidationError
from baton.states import Completed, Failed


def only_flow_run(client: BatonClient) -> FlowRun:
    """The single flow run a test created."""
    runs = client.read_flow_runs()
    assert len(runs) == 1, [r.name for r in runs]
    return runs[0]


def flow_name_of(client: BatonClient, run: FlowRun) -> str:
    """The name of the flow a run belongs to."""
    names = {f.id: f.name for f in client.read_flows()}
    return names[run.flow_id]


def run_id_of(state: State) -> uuid.UUID:
    run_id = state.state_details.flow_run_id
    assert run_id is not None
    return run_id


# --- values and failures -----------------------------------------------------------------------


def test_a_flow_returns_its_value_and_is_recorded_completed(client: BatonClient) -> None:
    @flow
    def greet(name: str) -> str:
        return f"hello {name}"

    assert greet("ada") == "hello ada"

    run = only_flow_run(client)
    assert run.state_type is StateType.COMPLETED
    assert flow_name_of(client, run) == "greet"
    assert run.parameters == {"name": "ada"}
    assert run.run_count == 1
    assert run.start_time is not None and run.end_time is not None
    names = [s.name for s in client.read_flow_run_states(run.id)]
    assert names == ["Pending", "Running", "Completed"]


def test_an_exception_is_reraised_unchanged_and_the_run_recorded_failed(
    client: BatonClient,
) -> None:
    class BadInput(Exception):
        pass

    @flow
    def explode() -> None:
        raise BadInput("the input was bad")

    with pytest.raises(BadInput, match="the input was bad"):
        explode()

    run = only_flow_run(client)
    assert run.state_type is StateType.FAILED
    assert run.state is not None and run.state.message is not None
    assert "BadInput: the input was bad" in run.state.message
    assert run.end_time is not None


def test_return_state_gives_the_final_state_instead_of_raising(client: BatonClient) -> None:
    @flow
    def ok() -> int:
        return 7

    @flow
    def broken() -> int:
        raise KeyError("missing")

    good = ok(return_state=True)
    assert good.is_completed() and not good.is_failed()
    assert good.result() == 7
    assert client.read_flow_run(run_id_of(good)).state_type is StateType.COMPLETED

    bad = broken(return_state=True)
    assert bad.is_failed() and not bad.is_completed()
    with pytest.raises(KeyError, match="missing"):
        bad.result()
    error = bad.result(raise_on_failure=False)
    assert isinstance(error, KeyError)
    recorded = client.read_flow_run(run_id_of(bad))
    assert recorded.state_type is StateType.FAILED
    assert recorded.state is not None and recorded.state.id == bad.id


# --- parameters --------------------------------------------------------------------------------


def test_parameters_are_coerced_by_type_hints_and_stored(client: BatonClient) -> None:
    seen: list[Any] = []

    @flow
    def report(day: dt.date, count: int, label: str = "daily") -> str:
        seen.append((day, count, label))
        return f"{label}:{day.isoformat()}:{count + 1}"

    assert report("2026-01-31", "5") == "daily:2026-01-31:6"
    assert seen == [(dt.date(2026, 1, 31), 5, "daily")]

    run = only_flow_run(client)
    assert run.parameters == {"day": "2026-01-31", "count": 5, "label": "daily"}


class Window(pydantic.BaseModel):
    start: dt.date
    days: int


def test_nested_parameters_are_coerced_too(client: BatonClient) -> None:
    seen: list[Any] = []

    @flow
    def backfill(window: Window, ids: list[int]) -> int:
        seen.append((window, ids))
        return window.days * sum(ids)

    assert backfill({"start": "2026-02-01", "days": "2"}, ["1", 2]) == 6  # type: ignore[arg-type]
    assert seen == [(Window(start=dt.date(2026, 2, 1), days=2), [1, 2])]
    assert only_flow_run(client).parameters == {
        "window": {"start": "2026-02-01", "days": 2},
        "ids": [1, 2],
    }


def test_a_hint_that_cannot_be_resolved_does_not_break_the_call(client: BatonClient) -> None:
    class Local:
        pass

    @flow
    def uses_local(item: Local, n: int) -> int:
        return n

    assert uses_local(Local(), 2) == 2
    assert only_flow_run(client).state_type is StateType.COMPLETED


def test_invalid_parameters_raise_naming_the_parameter_and_record_a_failed_run(
    client: BatonClient,
) -> None:
    calls: list[int] = []
    failures: list[State] = []

    @flow(on_failure=[lambda f, run, state: failures.append(state)])
    def double(n: int) -> int:
        calls.append(n)
        return n * 2

    with pytest.raises(ParameterValidationError, match="'n'") as raised:
        double("not a number")
    assert "not a number" in str(raised.value)
    assert calls == []

    run = only_flow_run(client)
    assert run.state_type is StateType.FAILED
    assert run.state is not None and run.state.message is not None
    assert "invalid parameters" in run.state.message
    assert "'n'" in run.state.message
    assert run.run_count == 0
    assert [s.type for s in client.read_flow_run_states(run.id)] == [
        StateType.PENDING,
        StateType.FAILED,
    ]
    assert [f.id for f in failures] == [run.state.id]


def test_invalid_parameters_with_return_state_give_the_failed_state(client: BatonClient) -> None:
    @flow
    def double(n: int) -> int:
        return n * 2

    state = double("x", return_state=True)
    assert state.is_failed()
    assert state.message is not None and "'n'" in state.message
    with pytest.raises(ParameterValidationError):
        state.result()
    assert client.read_flow_run(run_id_of(state)).state_type is StateType.FAILED


def test_a_call_that_does_not_fit_the_signature_raises_before_any_run(
    client: BatonClient,
) -> None:
    @flow
    def one(n: int) -> int:
        return n

    with pytest.raises(ParameterValidationError, match="one"):
        one(1, 2)  # type: ignore[call-arg]
    assert client.read_flow_runs() == []


def test_validate_parameters_false_passes_values_through_untouched(client: BatonClient) -> None:
    seen: list[Any] = []

    @flow(validate_parameters=False)
    def raw(n: int) -> Any:
        seen.append(n)
        return n

    assert raw("5") == "5"  # type: ignore[arg-type]
    assert seen == ["5"]
    assert only_flow_run(client).parameters == {"n": "5"}


# --- returning states --------------------------------------------------------------------------


def test_a_flow_returning_a_completed_state_sets_its_outcome(client: BatonClient) -> None:
    @flow
    def decide() -> State:
        return Completed(message="all good", data={"rows": 3})

    state = decide(return_state=True)
    assert state.is_completed()
    assert state.result() == {"rows": 3}
    run = client.read_flow_run(run_id_of(state))
    assert run.state_type is StateType.COMPLETED
    assert run.state is not None and run.state.message == "all good"


def test_a_flow_returning_a_completed_state_without_data_returns_none(
    client: BatonClient,
) -> None:
    @flow
    def skip() -> State:
        return Completed(message="nothing to do")

    assert skip() is None
    run = only_flow_run(client)
    assert run.state_type is StateType.COMPLETED
    assert run.state is not None and run.state.message == "nothing to do"


def test_a_flow_returning_a_failed_state_fails_without_an_exception(client: BatonClient) -> None:
    @flow
    def refuse() -> State:
        return Failed(message="quota exceeded")

    with pytest.raises(FailedRun, match="quota exceeded"):
        refuse()

    run = only_flow_run(client)
    assert run.state_type is StateType.FAILED
    assert run.state is not None and run.state.message == "quota exceeded"


# --- retries and timeouts ----------------------------------------------------------------------


def test_a_flow_failing_once_with_one_retry_completes_on_its_second_run(
    client: BatonClient,
) -> None:
    attempts: list[int] = []

    @flow(retries=1)
    def flaky() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("first try fails")
        return "done"

    assert flaky() == "done"
    assert len(attempts) == 2

    run = only_flow_run(client)
    assert run.state_type is StateType.COMPLETED
    assert run.run_count == 2
    names = [s.name for s in client.read_flow_run_states(run.id)]
    assert names == ["Pending", "Running", "AwaitingRetry", "Retrying", "Completed"]

    decisions = client.read_decisions([run.id])
    assert [(d.rule, d.decision) for d in decisions] == [("RetryFailedFlows", Decision.REJECT)]
    assert decisions[0].resulting_state_name == "AwaitingRetry"
    assert "first try fails" in decisions[0].reason


def test_a_flow_out_of_retries_fails_with_its_last_error(client: BatonClient) -> None:
    attempts: list[int] = []

    @flow(retries=2)
    def always_fails() -> None:
        attempts.append(1)
        raise RuntimeError(f"attempt {len(attempts)}")

    with pytest.raises(RuntimeError, match="attempt 3"):
        always_fails()
    run = only_flow_run(client)
    assert run.state_type is StateType.FAILED
    assert run.run_count == 3
    assert [d.rule for d in client.read_decisions([run.id])] == ["RetryFailedFlows"] * 2


def test_a_flow_running_past_its_timeout_fails_timed_out(client: BatonClient) -> None:
    @flow(timeout_seconds=0.2)
    def slow() -> str:
        for _ in range(500):
            time.sleep(0.01)
        return "too late"

    state = slow(return_state=True)
    assert state.is_failed()
    assert state.name == "TimedOut"
    with pytest.raises(TimeoutError, match="timeout"):
        state.result()

    run = client.read_flow_run(run_id_of(state))
    assert run.state_type is StateType.FAILED
    assert run.state_name == "TimedOut"


# --- options and the plain function ------------------------------------------------------------


def test_with_options_makes_a_changed_copy(client: BatonClient) -> None:
    attempts: list[int] = []

    @flow(name="original")
    def flaky() -> int:
        attempts.append(1)
        if len(attempts) < 2:
            raise ValueError("again")
        return len(attempts)

    patient = flaky.with_options(name="patient", retries=1, tags=["copy"])
    assert patient.name == "patient" and patient.retries == 1
    assert flaky.name == "original" and flaky.retries == 0

    assert patient() == 2
    run = only_flow_run(client)
    assert flow_name_of(client, run) == "patient"
    assert run.tags == ["copy"]
    assert run.run_count == 2

    with pytest.raises(TypeError, match="unknown flow option"):
        flaky.with_options(retires=3)


def test_fn_is_the_plain_function_and_creates_no_run(client: BatonClient) -> None:
    @flow
    def add(a: int, b: int) -> int:
        return a + b

    assert add.fn(2, 3) == 5
    assert add.fn("2", "3") == "23"  # type: ignore[arg-type]
    assert client.read_flow_runs() == []


# --- hooks -------------------------------------------------------------------------------------


def test_hooks_are_called_with_the_flow_its_run_and_the_state(client: BatonClient) -> None:
    calls: list[tuple[str, Any, Any, State]] = []

    def record(kind: str) -> Any:
        return lambda f, run, state: calls.append((kind, f, run, state))

    @flow(on_running=[record("running")], on_completion=[record("completed")])
    def fine() -> int:
        return 1

    @flow(on_running=[record("running")], on_failure=[record("failed")])
    def bad() -> int:
        raise ValueError("no")

    fine()
    with pytest.raises(ValueError):
        bad()

    assert [c[0] for c in calls] == ["running", "completed", "running", "failed"]
    assert calls[0][1] is fine and calls[1][1] is fine
    assert calls[2][1] is bad and calls[3][1] is bad
    assert calls[0][3].is_running()
    assert calls[1][3].is_completed() and calls[3][3].is_failed()
    for _, _, run, state in calls:
        assert state.state_details.flow_run_id == run.id
    fine_run = client.read_flow_run(calls[1][2].id)
    assert flow_name_of(client, fine_run) == "fine"
    assert fine_run.state_type is StateType.COMPLETED
    bad_run = client.read_flow_run(calls[3][2].id)
    assert flow_name_of(client, bad_run) == "bad"
    assert bad_run.state_type is StateType.FAILED


def test_a_raising_hook_does_not_break_the_run(client: BatonClient) -> None:
    later: list[str] = []

    def broken_hook(f: Any, run: Any, state: State) -> None:
        raise RuntimeError("hook bug")

    @flow(on_completion=[broken_hook, lambda f, run, state: later.append("second hook")])
    def fine() -> str:
        return "value"

    assert fine() == "value"
    assert later == ["second hook"]
    assert only_flow_run(client).state_type is StateType.COMPLETED


# --- tags --------------------------------------------------------------------------------------


def test_flow_tags_and_a_tags_block_are_recorded(client: BatonClient) -> None:
    @task
    def step() -> int:
        return 1

    @flow(tags=["nightly"])
    def tagged() -> int:
        return step()

    tagged()
    with baton.tags("backfill", "eu"):
        tagged()
    tagged()

    runs = client.read_flow_runs()
    assert len(runs) == 3
    runs.sort(key=lambda r: r.created)
    assert [sorted(r.tags) for r in runs] == [
        ["nightly"],
        ["backfill", "eu", "nightly"],
        ["nightly"],
    ]
    inner = client.read_task_runs(flow_run_id=runs[1].id)
    assert [sorted(t.tags) for t in inner] == [["backfill", "eu"]]
    outside = client.read_task_runs(flow_run_id=runs[2].id)
    assert [t.tags for t in outside] == [[]]


# --- isolation ---------------------------------------------------------------------------------


def test_flows_running_at_once_in_two_threads_keep_their_runs_apart(client: BatonClient) -> None:
    both_inside = threading.Barrier(2, timeout=10)

    @task
    def step(label: str) -> str:
        both_inside.wait()
        get_run_logger().info("step of %s", label)
        return label

    @flow
    def labelled(label: str) -> str:
        return step(label) + step(label)

    states: dict[str, State] = {}

    def run(label: str) -> None:
        states[label] = labelled(label, return_state=True)

    threads = [threading.Thread(target=run, args=(label,)) for label in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert {label: state.result() for label, state in states.items()} == {"a": "aa", "b": "bb"}
    for label, state in states.items():
        run_id = run_id_of(state)
        assert client.read_flow_run(run_id).parameters == {"label": label}
        task_runs = client.read_task_runs(flow_run_id=run_id)
        assert sorted(t.name for t in task_runs) == ["step-0", "step-1"]
        task_logs = [r.message for r in client.read_logs(flow_run_id=run_id) if r.task_run_id]
        assert task_logs == [f"step of {label}"] * 2
