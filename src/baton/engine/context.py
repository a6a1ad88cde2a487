"""What the code of a running flow or task can see about its run.

Contexts live in context variables, so they follow threads started through a
task runner and coroutines, and never leak between concurrent runs.
"""

from __future__ import annotations

import contextvars
import itertools
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from baton.client.base import BatonClient
    from baton.core.models import FlowRun, TaskRun
    from baton.engine.task_runners import TaskRunner
    from baton.flows import Flow
    from baton.tasks import Task


@dataclass
class FlowRunContext:
    """The flow run being executed, and the machinery its tasks share."""

    flow: Flow[..., Any]
    flow_run: FlowRun
    client: BatonClient
    task_runner: TaskRunner
    log_prints: bool = False
    parent: FlowRunContext | None = None
    _counters: dict[str, Iterator[int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _submitted: set[Any] = field(default_factory=set)

    def next_dynamic_key(self, task_key: str) -> int:
        """Number the calls of one task within this flow run: 0, 1, 2, ..."""
        counter = self._counters.get(task_key)
        if counter is None:
            with self._lock:
                counter = self._counters.setdefault(task_key, itertools.count())
        return next(counter)

    def track_future(self, future: Any) -> None:
        """Remember an unfinished submission so the flow waits for it before finishing.

        Finished submissions forget themselves, so memory stays flat however
        many tasks a long-running flow submits.
        """
        with self._lock:
            self._submitted.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future: Any) -> None:
        with self._lock:
            self._submitted.discard(future)

    def pending_futures(self) -> list[Any]:
        with self._lock:
            return list(self._submitted)


@dataclass
class TaskRunContext:
    """The task run being executed."""

    task: Task[..., Any]
    task_run: TaskRun
    client: BatonClient
    parameters: dict[str, Any]
    log_prints: bool = False


flow_run_context: contextvars.ContextVar[FlowRunContext | None] = contextvars.ContextVar(
    "baton_flow_run", default=None
)
task_run_context: contextvars.ContextVar[TaskRunContext | None] = contextvars.ContextVar(
    "baton_task_run", default=None
)


def get_run_context() -> TaskRunContext | FlowRunContext:
    """The innermost run context; raises outside of any flow or task run."""
    task_ctx = task_run_context.get()
    if task_ctx is not None:
        return task_ctx
    flow_ctx = flow_run_context.get()
    if flow_ctx is not None:
        return flow_ctx
    raise RuntimeError("no flow or task is running in this context")
