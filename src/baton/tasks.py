"""``@task``: a function whose calls are orchestrated, observable task runs.

Call a task to run it now and get its value; ``.submit()`` to run it on the
flow's task runner and get a future; ``.map()`` to fan out over iterables.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import inspect
import json
from collections.abc import Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar, overload

from baton.engine.results import ResultOptions

if TYPE_CHECKING:
    from baton.core.models import RetryPolicy, TaskRun
    from baton.core.states import State
    from baton.engine.context import TaskRunContext
    from baton.engine.futures import TaskRunFuture
    from baton.results.serializers import Serializer
    from baton.results.storage import ResultStorage

P = ParamSpec("P")
R = TypeVar("R")

RetryDelay = float | int | list[float] | list[int] | Callable[[int], list[float]] | None
Hook = Callable[..., Any]

__all__ = ["Task", "exponential_backoff", "task", "task_input_hash", "unmapped"]


class unmapped:
    """Wrap an argument of ``Task.map`` that is passed whole to every mapped call."""

    def __init__(self, value: Any) -> None:
        self.value = value


def exponential_backoff(backoff_factor: float) -> Callable[[int], list[float]]:
    """Retry delays that double each time: ``backoff_factor * 2**n`` seconds."""

    def delays(retries: int) -> list[float]:
        return [backoff_factor * 2**attempt for attempt in range(retries)]

    return delays


def task_input_hash(context: TaskRunContext, arguments: dict[str, Any]) -> str | None:
    """A cache key from the task's identity, its code and its inputs.

    Inputs are hashed as JSON when they can be, by pickle otherwise; inputs
    that cannot be hashed either way disable caching for that call (``None``).
    """
    task = context.task
    digest = hashlib.sha256()
    digest.update(task.task_key.encode())
    code = getattr(task.fn, "__code__", None)
    if code is not None:
        digest.update(code.co_code)
    try:
        digest.update(json.dumps(arguments, sort_keys=True).encode())
    except (TypeError, ValueError):
        try:
            import cloudpickle

            digest.update(cloudpickle.dumps(arguments))
        except Exception:
            return None
    return digest.hexdigest()


class Task(Generic[P, R]):
    """An orchestrated function. Create one with ``@task``."""

    def __init__(
        self,
        fn: Callable[P, R],
        *,
        name: str | None = None,
        description: str | None = None,
        version: str | None = None,
        tags: Iterable[str] | None = None,
        retries: int = 0,
        retry_delay_seconds: RetryDelay = None,
        retry_jitter_factor: float | None = None,
        retry_condition_fn: Callable[[Task[..., Any], TaskRun, State], bool] | None = None,
        timeout_seconds: float | None = None,
        cache_key_fn: Callable[[TaskRunContext, dict[str, Any]], str | None] | None = None,
        cache_expiration: dt.timedelta | None = None,
        refresh_cache: bool = False,
        persist_result: bool | None = None,
        result_storage: str | ResultStorage | None = None,
        result_serializer: str | Serializer | None = None,
        log_prints: bool | None = None,
        on_completion: list[Hook] | None = None,
        on_failure: list[Hook] | None = None,
        on_crashed: list[Hook] | None = None,
        on_running: list[Hook] | None = None,
    ) -> None:
        # Every option as given, so with_options() can copy them.
        self._options: dict[str, Any] = {
            name: value for name, value in locals().items() if name not in ("self", "fn")
        }
        if not callable(fn):
            raise TypeError(f"@task needs a function, got {fn!r}")
        if retries < 0:
            raise ValueError(f"retries must be 0 or more, got {retries}")
        if timeout_seconds is not None and timeout_seconds <= 0:
            raise ValueError(f"timeout_seconds must be positive, got {timeout_seconds}")
        if retry_jitter_factor is not None and retry_jitter_factor < 0:
            raise ValueError(f"retry_jitter_factor must be 0 or more, got {retry_jitter_factor}")
        self.fn = fn
        self.name = name or getattr(fn, "__name__", type(fn).__name__)
        self.description = description or inspect.getdoc(fn)
        self.version = version
        self.tags = set(tags or ())
        self.retries = retries
        self.retry_delay_seconds = retry_delay_seconds
        self.retry_jitter_factor = retry_jitter_factor
        self.retry_condition_fn = retry_condition_fn
        self.timeout_seconds = timeout_seconds
        self.cache_key_fn = cache_key_fn
        self.cache_expiration = cache_expiration
        self.refresh_cache = refresh_cache
        self.result_options = ResultOptions(persist_result, result_storage, result_serializer)
        self.log_prints = log_prints
        self.on_completion = list(on_completion or ())
        self.on_failure = list(on_failure or ())
        self.on_crashed = list(on_crashed or ())
        self.on_running = list(on_running or ())
        self.isasync = inspect.iscoroutinefunction(fn)
        self.signature = inspect.signature(fn)
        module = getattr(fn, "__module__", None) or "__main__"
        self.task_key = f"{module}.{getattr(fn, '__qualname__', self.name)}"
        functools.update_wrapper(self, fn)

    def with_options(self, **options: Any) -> Task[P, R]:
        """A copy of this task with some options changed."""
        unknown = set(options) - set(self._options)
        if unknown:
            raise TypeError(f"unknown task option(s): {', '.join(sorted(unknown))}")
        return Task(self.fn, **{**self._options, **options})

    @functools.cached_property
    def retry_policy(self) -> RetryPolicy:
        """Retries and delays as the orchestrator's retry rule reads them."""
        delays = self.retry_delay_seconds
        if callable(delays):
            delays = delays(self.retries)
        if delays is None:
            delay_list: list[float] = []
        elif isinstance(delays, (int, float)):
            delay_list = [float(delays)]
        else:
            delay_list = [float(d) for d in delays]
        if any(d < 0 for d in delay_list):
            raise ValueError(f"task {self.name!r}: retry delays must not be negative")
        from baton.core.models import RetryPolicy

        return RetryPolicy(
            retries=self.retries,
            retry_delay=delay_list,
            retry_jitter_factor=self.retry_jitter_factor,
        )

    def effective_tags(self) -> set[str]:
        """This task's tags plus those of any ``baton.tags(...)`` block around the call."""
        from baton.context import current_tags

        extra = current_tags()
        return self.tags | extra if extra else self.tags

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """Arguments by parameter name, defaults applied; a bad call raises ``TypeError``."""
        from baton.engine.parameters import bind_parameters

        return bind_parameters(self.signature, args, kwargs, f"task {self.name!r}", TypeError)

    # -- calling -----------------------------------------------------------
    @overload
    def __call__(
        self: Task[P, Coroutine[Any, Any, R]], *args: P.args, **kwargs: P.kwargs
    ) -> Coroutine[Any, Any, R]: ...

    @overload
    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R: ...

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the task now and return its value (a coroutine for ``async def`` tasks).

        ``return_state=True`` returns the final ``State`` instead; ``wait_for=[...]``
        waits for other runs first.
        """
        return_state = kwargs.pop("return_state", False)
        wait_for = kwargs.pop("wait_for", None)
        parameters = self.bind(args, kwargs)
        if self.isasync:
            return self._call_async(parameters, wait_for, return_state)
        from baton.engine.task_engine import run_task_sync

        state = run_task_sync(self, parameters, wait_for)
        return state if return_state else state.result()

    async def _call_async(
        self, parameters: dict[str, Any], wait_for: list[Any] | None, return_state: bool
    ) -> Any:
        from baton.engine.task_engine import run_task_async

        state = await run_task_async(self, parameters, wait_for)
        return state if return_state else state.result()

    def submit(self, *args: Any, **kwargs: Any) -> TaskRunFuture[R]:
        """Start the task on the flow's task runner; returns a future at once."""
        from baton.engine.task_engine import submit_task

        wait_for = kwargs.pop("wait_for", None)
        return submit_task(self, self.bind(args, kwargs), wait_for)

    def map(self, *args: Any, **kwargs: Any) -> list[TaskRunFuture[R]]:
        """Submit one run per item of the iterable arguments (``unmapped(x)`` is passed whole)."""
        from baton.engine.task_engine import submit_task

        wait_for = kwargs.pop("wait_for", None)
        parameters = self.bind(args, kwargs)
        iterables: dict[str, list[Any]] = {}
        mapped_from: dict[str, Any] = {}
        for name, value in parameters.items():
            from baton.engine.futures import TaskRunFuture

            if isinstance(value, unmapped):
                continue
            if not isinstance(value, TaskRunFuture) and (
                isinstance(value, (str, bytes, dict)) or not isinstance(value, Iterable)
            ):
                continue
            origin = _origin_of(value)
            if origin is not None:
                mapped_from[name] = origin
            items = value.result() if isinstance(value, TaskRunFuture) else value
            iterables[name] = list(items)
        if not iterables:
            raise TypeError(f"task {self.name!r}: map() needs at least one iterable argument")
        lengths = {name: len(items) for name, items in iterables.items()}
        if len(set(lengths.values())) > 1:
            detail = ", ".join(f"{name}={n}" for name, n in lengths.items())
            raise ValueError(f"task {self.name!r}: mapped arguments differ in length ({detail})")
        count = next(iter(lengths.values()))
        futures = []
        for index in range(count):
            call = {
                name: (
                    iterables[name][index]
                    if name in iterables
                    else value.value
                    if isinstance(value, unmapped)
                    else value
                )
                for name, value in parameters.items()
            }
            futures.append(submit_task(self, call, wait_for, mapped_from or None))
        return futures

    def __repr__(self) -> str:
        return f"Task(name={self.name!r})"


def _origin_of(value: Any) -> Any:
    """The task run that produced a mapped iterable: a future's run, or a remembered result."""
    from baton.engine.context import flow_run_context
    from baton.engine.futures import TaskRunFuture

    if isinstance(value, TaskRunFuture):
        return value.task_run_id
    flow_ctx = flow_run_context.get()
    return flow_ctx.origin_of(value) if flow_ctx is not None else None


@overload
def task(__fn: Callable[P, R]) -> Task[P, R]: ...


@overload
def task(
    __fn: None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    version: str | None = None,
    tags: Iterable[str] | None = None,
    retries: int = 0,
    retry_delay_seconds: RetryDelay = None,
    retry_jitter_factor: float | None = None,
    retry_condition_fn: Callable[[Task[..., Any], TaskRun, State], bool] | None = None,
    timeout_seconds: float | None = None,
    cache_key_fn: Callable[[TaskRunContext, dict[str, Any]], str | None] | None = None,
    cache_expiration: dt.timedelta | None = None,
    refresh_cache: bool = False,
    persist_result: bool | None = None,
    result_storage: str | ResultStorage | None = None,
    result_serializer: str | Serializer | None = None,
    log_prints: bool | None = None,
    on_completion: list[Hook] | None = None,
    on_failure: list[Hook] | None = None,
    on_crashed: list[Hook] | None = None,
    on_running: list[Hook] | None = None,
) -> Callable[[Callable[P, R]], Task[P, R]]: ...


def task(__fn: Callable[P, R] | None = None, **options: Any) -> Any:
    """Turn a function into a task; usable bare (``@task``) or with options."""
    if __fn is not None:
        return Task(__fn, **options)
    return lambda fn: Task(fn, **options)
