"""Where submitted task runs execute: one small interface, several runners.

A runner receives a callable that drives one task run to its final state and
returns a ``concurrent.futures.Future`` of that state. The thread pool is the
default; the sequential runner runs each submission at once. Runners for
distributed engines (Dask, Ray) are meant to implement the same interface.
"""

from __future__ import annotations

import abc
import concurrent.futures
import contextvars
from collections.abc import Callable
from typing import Any

from baton.core.states import State


class TaskRunner(abc.ABC):
    """Starts and stops with its flow run; runs submitted task runs."""

    @abc.abstractmethod
    def start(self) -> None:
        """Acquire resources; called when a flow run starts using this runner."""

    @abc.abstractmethod
    def submit(self, fn: Callable[[], State]) -> concurrent.futures.Future[State]:
        """Run ``fn`` (it drives one task run) and return a future of its final state."""

    @abc.abstractmethod
    def shutdown(self) -> None:
        """Wait for submitted work and release resources."""

    @abc.abstractmethod
    def duplicate(self) -> TaskRunner:
        """A fresh, unstarted runner with the same settings (each flow run gets its own)."""

    def __enter__(self) -> TaskRunner:
        self.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.shutdown()


class ThreadPoolTaskRunner(TaskRunner):
    """Runs submitted tasks on a bounded pool of threads (the default)."""

    def __init__(self, max_workers: int | None = None) -> None:
        self.max_workers = max_workers
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None

    def start(self) -> None:
        if self._pool is None:
            from baton.settings import get_settings

            workers = self.max_workers or get_settings().task_runner_max_workers
            self._pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=workers, thread_name_prefix="baton-task"
            )

    def submit(self, fn: Callable[[], State]) -> concurrent.futures.Future[State]:
        if self._pool is None:
            self.start()
        assert self._pool is not None
        context = contextvars.copy_context()
        return self._pool.submit(context.run, fn)

    def shutdown(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def duplicate(self) -> ThreadPoolTaskRunner:
        return ThreadPoolTaskRunner(self.max_workers)

    def __repr__(self) -> str:
        return f"ThreadPoolTaskRunner(max_workers={self.max_workers})"


class SequentialTaskRunner(TaskRunner):
    """Runs each submitted task immediately, on the caller's thread."""

    def start(self) -> None:
        pass

    def submit(self, fn: Callable[[], State]) -> concurrent.futures.Future[State]:
        future: concurrent.futures.Future[State] = concurrent.futures.Future()
        try:
            future.set_result(fn())
        except BaseException as error:
            future.set_exception(error)
        return future

    def shutdown(self) -> None:
        pass

    def duplicate(self) -> SequentialTaskRunner:
        return SequentialTaskRunner()

    def __repr__(self) -> str:
        return "SequentialTaskRunner()"
