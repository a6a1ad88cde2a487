"""What the code of a running flow or task can see about its run.

Contexts live in context variables, so they follow threads started through a
task runner and coroutines, and never leak between concurrent runs.
"""

from __future__ import annotations

import collections
import contextvars
import itertools
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from baton.client.base import BatonClient
    from baton.core.models import FlowRun, TaskRun
    from baton.engine.task_runners import TaskRunner
    from baton.flows import Flow
    from baton.tasks import Task


# How many recent task results a flow run remembers for drawing its graph.
MAX_REMEMBERED_RESULTS = 1000
_SHARED_VALUE_TYPES = (bool, int, float, str, bytes)


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
    _origins: collections.OrderedDict[int, tuple[Any, uuid.UUID]] = field(
        default_factory=collections.OrderedDict
    )

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

    def remember_result(self, value: Any, task_run_id: uuid.UUID) -> None:
        """Note which task run returned ``value``, so passing it on draws a graph edge.

        Values are matched by identity, so small ints, strings and other values
        the interpreter shares are skipped; only the most recent results are
        kept, which bounds memory in long flows.
        """
        if value is None or isinstance(value, _SHARED_VALUE_TYPES):
            return
        with self._lock:
            self._origins[id(value)] = (value, task_run_id)
            if len(self._origins) > MAX_REMEMBERED_RESULTS:
                self._origins.popitem(last=False)

    def origin_of(self, value: Any) -> uuid.UUID | None:
        """The task run that returned ``value`` in this flow run, if remembered."""
        if value is None or isinstance(value, _SHARED_VALUE_TYPES):
            return None
        found = self._origins.get(id(value))
        return found[1] if found is not None and found[0] is value else None

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
