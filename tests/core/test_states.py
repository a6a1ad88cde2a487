"""States: names, constructors, predicates, what ``result()`` means, copies and repr."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from baton.core.states import (
    TERMINAL_TYPES,
    AwaitingRetry,
    Cached,
    Cancelled,
    Cancelling,
    Completed,
    Crashed,
    Failed,
    Late,
    Paused,
    Pending,
    Retrying,
    Running,
    Scheduled,
    State,
    StateType,
    TimedOut,
    utcnow,
)
from baton.exceptions import CancelledRun, CrashedRun, FailedRun, UnfinishedRun
from baton.results.persistence import persist

WHEN = dt.datetime(2031, 5, 17, 12, 0, tzinfo=dt.timezone.utc)

CONSTRUCTORS: list[tuple[Callable[[], State], StateType, str]] = [
    (Scheduled, StateType.SCHEDULED, "Scheduled"),
    (Pending, StateType.PENDING, "Pending"),
    (Running, StateType.RUNNING, "Running"),
    (Paused, StateType.PAUSED, "Paused"),
    (Cancelling, StateType.CANCELLING, "Cancelling"),
    (Completed, StateType.COMPLETED, "Completed"),
    (Failed, StateType.FAILED, "Failed"),
    (Cancelled, StateType.CANCELLED, "Cancelled"),
    (Crashed, StateType.CRASHED, "Crashed"),
    (lambda: AwaitingRetry(WHEN), StateType.SCHEDULED, "AwaitingRetry"),
    (Retrying, StateType.RUNNING, "Retrying"),
    (lambda: Late(WHEN), StateType.SCHEDULED, "Late"),
    (Cached, StateType.COMPLETED, "Cached"),
    (TimedOut, StateType.FAILED, "TimedOut"),
]

PREDICATES: dict[StateType, str] = {
    StateType.SCHEDULED: "is_scheduled",
    StateType.PENDING: "is_pending",
    StateType.RUNNING: "is_running",
    StateType.PAUSED: "is_paused",
    StateType.CANCELLING: "is_cancelling",
    StateType.COMPLETED: "is_completed",
    StateType.FAILED: "is_failed",
    StateType.CRASHED: "is_crashed",
    StateType.CANCELLED: "is_cancelled",
}


class TestNamesAndConstructors:
    @pytest.mark.parametrize("state_type", list(StateType))
    def test_a_state_without_a_name_is_named_after_its_type(self, state_type: StateType) -> None:
        state = State(type=state_type)
        assert state.name == state_type.value.title()
        assert state.name.upper() == state_type.value

    @pytest.mark.parametrize(
        ("make", "state_type", "name"), CONSTRUCTORS, ids=[c[2] for c in CONSTRUCTORS]
    )
    def test_each_constructor_builds_its_type_and_name(
        self, make: Callable[[], State], state_type: StateType, name: str
    ) -> None:
        state = make()
        assert state.type is state_type
        assert state.name == name

    def test_constructors_take_a_name_and_a_message(self) -> None:
        state = Running(name="Resuming", message="after a pause")
        assert state.type is StateType.RUNNING
        assert state.name == "Resuming"
        assert state.message == "after a pause"

    def test_scheduled_keeps_its_time(self) -> None:
        assert Scheduled(WHEN).state_details.scheduled_time == WHEN

    def test_scheduled_without_a_time_is_scheduled_for_now(self) -> None:
        before = utcnow()
        state = Scheduled()
        after = utcnow()
        when = state.state_details.scheduled_time
        assert when is not None
        assert before <= when <= after

    @pytest.mark.parametrize("make", [AwaitingRetry, Late])
    def test_retry_and_late_states_carry_their_scheduled_time_and_message(
        self, make: Callable[..., State]
    ) -> None:
        state = make(WHEN, message="why")
        assert state.state_details.scheduled_time == WHEN
        assert state.message == "why"

    def test_every_state_gets_its_own_id_and_an_aware_utc_timestamp(self) -> None:
        first, second = Running(), Running()
        assert first.id != second.id
        assert first.timestamp.utcoffset() == dt.timedelta(0)

    def test_constructed_states_do_not_share_details(self) -> None:
        first, second = Running(), Running()
        first.state_details.cache_key = "k"
        assert second.state_details.cache_key is None

    def test_a_state_rejects_unknown_fields(self) -> None:
        with pytest.raises(ValueError, match="colour"):
            State(type=StateType.RUNNING, colour="red")  # type: ignore[call-arg]


class TestPredicates:
    @pytest.mark.parametrize("state_type", list(StateType))
    def test_exactly_the_matching_predicate_is_true(self, state_type: StateType) -> None:
        state = State(type=state_type)
        answers = {name: getattr(state, name)() for name in PREDICATES.values()}
        assert answers == {name: t is state_type for t, name in PREDICATES.items()}

    @pytest.mark.parametrize("state_type", list(StateType))
    def test_only_completed_failed_cancelled_and_crashed_are_final(
        self, state_type: StateType
    ) -> None:
        expected = state_type in {
            StateType.COMPLETED,
            StateType.FAILED,
            StateType.CANCELLED,
            StateType.CRASHED,
        }
        assert State(type=state_type).is_final() is expected
        assert (state_type in TERMINAL_TYPES) is expected

    def test_named_states_answer_by_their_type(self) -> None:
        assert Cached().is_completed() and Cached().is_final()
        assert AwaitingRetry(WHEN).is_scheduled()
        assert Retrying().is_running()
        assert TimedOut().is_failed()


class TestResult:
    def test_a_completed_state_returns_its_in_memory_value(self) -> None:
        value = {"answer": [42]}
        state = Completed(data=value)
        assert state.has_value()
        assert state.result() is value

    def test_a_completed_state_can_return_none_as_its_value(self) -> None:
        state = Completed(data=None)
        assert state.has_value()
        assert state.result() is None

    def test_an_attached_value_is_returned(self) -> None:
        state = Completed().attach_value("late")
        assert state.result() == "late"

    def test_a_persisted_result_is_loaded_from_its_reference(self, tmp_path: Path) -> None:
        state = Completed()
        state.result_ref = persist([1, 2, 3], tmp_path, "json")
        assert not state.has_value()
        assert state.result() == [1, 2, 3]
        assert state.has_value()

    def test_a_completed_state_without_value_or_reference_is_unavailable(self) -> None:
        with pytest.raises(UnfinishedRun, match="not persisted"):
            Completed().result()

    def test_a_failed_state_raises_the_attached_exception(self) -> None:
        error = ValueError("bad input")
        with pytest.raises(ValueError, match="bad input") as raised:
            Failed(data=error).result()
        assert raised.value is error

    def test_a_failed_state_without_exception_raises_failed_run_with_its_message(self) -> None:
        with pytest.raises(FailedRun, match=r"^upstream failed$"):
            Failed(message="upstream failed").result()

    def test_a_failed_state_without_message_still_explains_itself(self) -> None:
        with pytest.raises(FailedRun, match="TimedOut"):
            TimedOut().result()

    def test_a_failed_state_with_a_non_exception_value_raises_failed_run(self) -> None:
        with pytest.raises(FailedRun, match="partial"):
            Failed(message="partial", data={"rows": 3}).result()

    def test_a_crashed_state_raises_crashed_run(self) -> None:
        with pytest.raises(CrashedRun, match=r"^killed$"):
            Crashed(message="killed").result()

    def test_a_crashed_state_raises_its_attached_interrupt(self) -> None:
        interrupt = KeyboardInterrupt()
        with pytest.raises(KeyboardInterrupt) as raised:
            Crashed(data=interrupt).result()
        assert raised.value is interrupt

    def test_a_cancelled_state_raises_cancelled_run(self) -> None:
        with pytest.raises(CancelledRun, match=r"^stopped by user$"):
            Cancelled(message="stopped by user").result()

    @pytest.mark.parametrize("make", [Scheduled, Pending, Running, Paused, Cancelling])
    def test_a_state_that_is_not_final_raises_unfinished_run(
        self, make: Callable[[], State]
    ) -> None:
        state = make()
        with pytest.raises(UnfinishedRun, match=state.name):
            state.result()

    def test_an_unfinished_state_raises_even_when_failures_are_returned(self) -> None:
        with pytest.raises(UnfinishedRun):
            Running().result(raise_on_failure=False)

    def test_raise_on_failure_false_returns_the_attached_exception(self) -> None:
        error = RuntimeError("nope")
        assert Failed(data=error).result(raise_on_failure=False) is error

    @pytest.mark.parametrize(
        ("state", "error_type"),
        [
            (Failed(message="m"), FailedRun),
            (Crashed(message="m"), CrashedRun),
            (Cancelled(message="m"), CancelledRun),
        ],
        ids=["failed", "crashed", "cancelled"],
    )
    def test_raise_on_failure_false_returns_the_error_it_would_raise(
        self, state: State, error_type: type[Exception]
    ) -> None:
        error = state.result(raise_on_failure=False)
        assert type(error) is error_type
        assert str(error) == "m"

    def test_raise_on_failure_false_still_returns_a_completed_value(self) -> None:
        assert Completed(data=7).result(raise_on_failure=False) == 7


class TestFreshCopy:
    def test_a_fresh_copy_is_a_new_state_like_the_old_one(self) -> None:
        original = Failed(message="boom", data=ValueError("boom"))
        original.timestamp = utcnow() - dt.timedelta(days=1)
        original.state_details.cache_key = "k"
        before = utcnow()
        copy = original.fresh_copy()
        assert copy.id != original.id
        assert copy.timestamp >= before
        assert (copy.type, copy.name, copy.message) == (StateType.FAILED, "Failed", "boom")
        assert copy.state_details == original.state_details
        assert copy.state_details is not original.state_details

    def test_a_fresh_copy_keeps_the_in_memory_value(self) -> None:
        value = object()
        copy = Completed(data=value).fresh_copy()
        assert copy.has_value()
        assert copy.result() is value

    def test_a_fresh_copy_of_a_state_without_value_has_none(self) -> None:
        assert not Completed().fresh_copy().has_value()

    def test_a_fresh_copy_applies_changes(self) -> None:
        copy = Running().fresh_copy(name="Retrying", message="again")
        assert copy.type is StateType.RUNNING
        assert (copy.name, copy.message) == ("Retrying", "again")

    def test_changing_the_copy_leaves_the_original_alone(self) -> None:
        original = Scheduled(WHEN)
        copy = original.fresh_copy()
        copy.state_details.scheduled_time = None
        assert original.state_details.scheduled_time == WHEN


class TestRepr:
    @pytest.mark.parametrize(
        ("state", "text"),
        [
            (Completed(), "Completed()"),
            (Running(), "Running()"),
            (Failed(message="boom"), "Failed(message='boom')"),
            (Cached(), "Cached(COMPLETED)"),
            (AwaitingRetry(WHEN, message="retry 1"), "AwaitingRetry(SCHEDULED, message='retry 1')"),
            (State(type=StateType.CANCELLING), "Cancelling()"),
        ],
    )
    def test_repr_shows_the_name_and_only_what_adds_to_it(self, state: State, text: str) -> None:
        assert repr(state) == text
        assert str(state) == text
