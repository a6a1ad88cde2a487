"""Futures of submitted task runs, and how futures in a task's inputs are resolved."""

from __future__ import annotations

import concurrent.futures
import uuid
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from baton.core.models import RunInput
from baton.core.states import State
from baton.engine.outcomes import result_of_state

R = TypeVar("R")


class TaskRunFuture(Generic[R]):
    """A task run started with ``.submit()`` or ``.map()``: wait for it, read its result."""

    def __init__(self, task_run_id: uuid.UUID, future: concurrent.futures.Future[State]) -> None:
        self.task_run_id = task_run_id
        self._future = future

    @property
    def raw(self) -> concurrent.futures.Future[State]:
        """The underlying ``concurrent.futures.Future`` of the final state."""
        return self._future

    def wait(self, timeout: float | None = None) -> State | None:
        """Wait for the final state; ``None`` if ``timeout`` passed first."""
        try:
            return self._future.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            return None

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> R:
        """The task's return value; re-raises its exception if it failed."""
        try:
            state = self._future.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            raise TimeoutError(
                f"task run {self.task_run_id} did not finish within {timeout} s"
            ) from None
        return result_of_state(state, raise_on_failure=raise_on_failure)  # type: ignore[no-any-return]

    @property
    def state(self) -> State:
        """The final state (waits for it)."""
        return self._future.result()

    def done(self) -> bool:
        return self._future.done()

    def add_done_callback(self, callback: Callable[[TaskRunFuture[R]], object]) -> None:
        """Call ``callback(self)`` once the run has finished (at once if it has)."""
        self._future.add_done_callback(lambda _: callback(self))

    def __repr__(self) -> str:
        status = "done" if self._future.done() else "running"
        return f"TaskRunFuture(task_run_id={self.task_run_id}, {status})"


def _walk(value: Any, found: list[Any], depth: int = 0) -> None:
    if isinstance(value, (TaskRunFuture, State)):
        found.append(value)
    elif depth < 3 and isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            _walk(item, found, depth + 1)
    elif depth < 3 and isinstance(value, dict):
        for item in value.values():
            _walk(item, found, depth + 1)


def upstream_of(value: Any) -> list[Any]:
    """Futures and states nested in ``value`` (lists, tuples, sets, dicts)."""
    found: list[Any] = []
    _walk(value, found)
    return found


def resolve(value: Any, depth: int = 0) -> Any:
    """``value`` with every future and state replaced by its result (waiting for it)."""
    if isinstance(value, TaskRunFuture):
        return value.result()
    if isinstance(value, State):
        return value.result()
    if depth >= 3:
        return value
    if isinstance(value, list):
        return [resolve(item, depth + 1) for item in value]
    if isinstance(value, tuple):
        return (
            type(value)(*(resolve(i, depth + 1) for i in value))
            if hasattr(value, "_fields")
            else tuple(resolve(item, depth + 1) for item in value)
        )
    if isinstance(value, (set, frozenset)):
        return type(value)(resolve(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return {key: resolve(item, depth + 1) for key, item in value.items()}
    return value


def run_inputs(upstream: Iterable[Any]) -> list[RunInput]:
    """The task-run inputs recorded for futures and states, for drawing the graph."""
    inputs: list[RunInput] = []
    for item in upstream:
        run_id = (
            item.task_run_id
            if isinstance(item, TaskRunFuture)
            else (item.state_details.task_run_id)
        )
        if run_id is not None:
            inputs.append(RunInput(input_type="task_run", id=run_id))
    return inputs
