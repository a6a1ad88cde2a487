"""Baton: workflow orchestration for Python.

Decorate functions with ``@flow`` and ``@task``, call them, and every run is
orchestrated and recorded, with no server needed::

    from baton import flow, task

    @task(retries=2)
    def fetch(n: int) -> int:
        return n * 2

    @flow
    def pipeline(n: int = 3) -> int:
        return sum(fetch.map(range(n)))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from baton._version import __version__
from baton.flows import Flow, flow
from baton.tasks import Task, task, unmapped

if TYPE_CHECKING:
    from baton.context import tags
    from baton.core.states import State
    from baton.engine.logging import get_run_logger
    from baton.engine.task_runners import SequentialTaskRunner, ThreadPoolTaskRunner

__all__ = [
    "Flow",
    "SequentialTaskRunner",
    "State",
    "Task",
    "ThreadPoolTaskRunner",
    "__version__",
    "flow",
    "get_run_logger",
    "tags",
    "task",
    "unmapped",
]

_LAZY = {
    "get_run_logger": "baton.engine.logging",
    "State": "baton.core.states",
    "SequentialTaskRunner": "baton.engine.task_runners",
    "ThreadPoolTaskRunner": "baton.engine.task_runners",
    "tags": "baton.context",
}


def __getattr__(name: str) -> Any:
    """Load the heavier parts of the public API on first use, so ``import baton`` is quick."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'baton' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
