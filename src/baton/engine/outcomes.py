"""What a final state means to the caller: a value, or an exception to raise."""

from __future__ import annotations

from typing import Any

from baton.core.states import State, StateType
from baton.exceptions import CancelledRun, CrashedRun, FailedRun, UnfinishedRun


def result_of_state(state: State, raise_on_failure: bool = True) -> Any:
    """The return value of a completed run, or the failure of any other final run."""
    if state.type is StateType.COMPLETED:
        if state.has_value():
            return state._value
        if state.result_ref is not None:
            from baton.results.persistence import load

            value = load(state.result_ref)
            state.attach_value(value)
            return value
        raise UnfinishedRun(
            f"the result of {state.name} state {state.id} is not available: it was not "
            "persisted (set persist_result=True to keep results beyond the process)"
        )
    if not state.is_final():
        raise UnfinishedRun(f"the run is not finished: it is {state.name}")
    error = failure_of_state(state)
    if raise_on_failure:
        raise error
    return error


def failure_of_state(state: State) -> BaseException:
    """The exception that best explains why a run ended in a non-completed final state."""
    if state.has_value() and isinstance(state._value, BaseException):
        return state._value
    message = state.message or f"the run ended {state.name}"
    if state.type is StateType.CRASHED:
        return CrashedRun(message)
    if state.type is StateType.CANCELLED:
        return CancelledRun(message)
    return FailedRun(message)
