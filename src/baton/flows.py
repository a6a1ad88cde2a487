"""``@flow``: a function whose calls are orchestrated, observable flow runs.

Calling a flow runs it with full orchestration and returns its value; there
is no DAG to declare, so any Python control flow works inside it. A flow
called inside another flow is a subflow.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar, overload

from baton.engine.results import ResultOptions

if TYPE_CHECKING:
    import uuid

    from baton.engine.task_runners import TaskRunner
    from baton.results.serializers import Serializer
    from baton.results.storage import ResultStorage
    from baton.runner.serve import ServedDeployment

P = ParamSpec("P")
R = TypeVar("R")
Hook = Callable[..., Any]

__all__ = ["Flow", "flow"]


class Flow(Generic[P, R]):
    """An orchestrated function. Create one with ``@flow``."""

    def __init__(
        self,
        fn: Callable[P, R],
        *,
        name: str | None = None,
        description: str | None = None,
        version: str | None = None,
        tags: Iterable[str] | None = None,
        retries: int = 0,
        retry_delay_seconds: float | None = None,
        timeout_seconds: float | None = None,
        validate_parameters: bool = True,
        task_runner: TaskRunner | None = None,
        log_prints: bool | None = None,
        persist_result: bool | None = None,
        result_storage: str | ResultStorage | None = None,
        result_serializer: str | Serializer | None = None,
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
            raise TypeError(f"@flow needs a function, got {fn!r}")
        if retries < 0:
            raise ValueError(f"retries must be 0 or more, got {retries}")
        if timeout_seconds is not None and timeout_seconds <= 0:
            raise ValueError(f"timeout_seconds must be positive, got {timeout_seconds}")
        self.fn = fn
        self.name = name or getattr(fn, "__name__", type(fn).__name__).replace("_", "-")
        self.description = description or inspect.getdoc(fn)
        self.version = version
        self.tags = set(tags or ())
        self.retries = retries
        self.retry_delay_seconds = retry_delay_seconds
        self.timeout_seconds = timeout_seconds
        self.should_validate_parameters = validate_parameters
        if task_runner is None:
            from baton.engine.task_runners import ThreadPoolTaskRunner

            task_runner = ThreadPoolTaskRunner()
        self.task_runner = task_runner
        self.log_prints = log_prints
        self.result_options = ResultOptions(persist_result, result_storage, result_serializer)
        self.on_completion = list(on_completion or ())
        self.on_failure = list(on_failure or ())
        self.on_crashed = list(on_crashed or ())
        self.on_running = list(on_running or ())
        self.isasync = inspect.iscoroutinefunction(fn)
        self.signature = inspect.signature(fn)
        self._validator: Any = None

    def with_options(self, **options: Any) -> Flow[P, R]:
        """A copy of this flow with some options changed."""
        unknown = set(options) - set(self._options)
        if unknown:
            raise TypeError(f"unknown flow option(s): {', '.join(sorted(unknown))}")
        return Flow(self.fn, **{**self._options, **options})

    def effective_tags(self) -> set[str]:
        from baton.context import current_tags

        extra = current_tags()
        return self.tags | extra if extra else self.tags

    def validate_parameters(self, parameters: dict[str, Any]) -> dict[str, Any]:
        """Parameters coerced by the function's type hints (when validation is on)."""
        if not self.should_validate_parameters:
            return parameters
        if self._validator is None:
            from baton.engine.parameters import ParameterValidator

            self._validator = ParameterValidator(self.fn)
        return self._validator.validate(parameters)  # type: ignore[no-any-return]

    @overload
    def __call__(
        self: Flow[P, Coroutine[Any, Any, R]], *args: P.args, **kwargs: P.kwargs
    ) -> Coroutine[Any, Any, R]: ...

    @overload
    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R: ...

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the flow and return its value (a coroutine for ``async def`` flows).

        ``return_state=True`` returns the final ``State`` instead of raising on failure.
        """
        from baton.engine.parameters import bind_parameters

        return_state = kwargs.pop("return_state", False)
        parameters = bind_parameters(self.signature, args, kwargs, f"flow {self.name!r}")
        if self.isasync:
            return self._call_async(parameters, return_state)
        from baton.engine.flow_engine import run_flow_sync

        state = run_flow_sync(self, parameters)
        return state if return_state else state.result()

    async def _call_async(self, parameters: dict[str, Any], return_state: bool) -> Any:
        from baton.engine.flow_engine import run_flow_async

        state = await run_flow_async(self, parameters)
        return state if return_state else state.result()

    def to_deployment(
        self,
        name: str,
        *,
        cron: str | None = None,
        interval: float | dt.timedelta | None = None,
        rrule: str | None = None,
        timezone: str | None = None,
        parameters: dict[str, Any] | None = None,
        tags: Iterable[str] | None = None,
        description: str | None = None,
        version: str | None = None,
        paused: bool = False,
    ) -> ServedDeployment:
        """This flow as a deployment for ``baton.serve(...)``, several of which share a process.

        Its code is the working directory (``entrypoint`` is this flow's file in it);
        at most one of ``cron``, ``interval`` (seconds) and ``rrule`` schedules it.
        """
        from baton.runner.serve import ServedDeployment

        return ServedDeployment.of(
            self,
            name,
            cron=cron,
            interval=interval,
            rrule=rrule,
            timezone=timezone,
            parameters=parameters,
            tags=list(tags or ()),
            description=description,
            version=version,
            paused=paused,
        )

    def serve(
        self,
        name: str,
        *,
        cron: str | None = None,
        interval: float | dt.timedelta | None = None,
        rrule: str | None = None,
        timezone: str | None = None,
        parameters: dict[str, Any] | None = None,
        tags: Iterable[str] | None = None,
        description: str | None = None,
        version: str | None = None,
        paused: bool = False,
        limit: int | None = None,
    ) -> None:
        """Register this flow as deployment ``name`` and run its runs until stopped (Ctrl-C).

        Scheduled runs, and runs created from the deployment by hand, each run in
        a process of their own; ``limit`` caps how many at once. Call it under
        ``if __name__ == "__main__":`` so the runs' processes, which import this
        file, do not serve too.
        """
        from baton.runner.serve import serve

        deployment = self.to_deployment(
            name,
            cron=cron,
            interval=interval,
            rrule=rrule,
            timezone=timezone,
            parameters=parameters,
            tags=tags,
            description=description,
            version=version,
            paused=paused,
        )
        serve(deployment, limit=limit)

    def deploy(self, name: str, work_pool_name: str, **options: Any) -> uuid.UUID:
        """Register this flow as a deployment whose runs the pool's workers start; its id.

        ``options`` are those of ``baton.deploy_config.deploy_flow``: ``work_queue_name``,
        ``cron``/``interval``/``rrule`` with ``timezone``, ``parameters``, ``tags``,
        ``description``, ``version``, ``job_variables``, ``source`` (a ``GitSource`` or a
        directory), ``paused``, ``concurrency_limit``, ``crash_retries``.
        """
        from baton.deploy_config import deploy_flow

        return deploy_flow(self, name, work_pool_name, **options)

    def __repr__(self) -> str:
        return f"Flow(name={self.name!r})"


@overload
def flow(__fn: Callable[P, R]) -> Flow[P, R]: ...


@overload
def flow(
    __fn: None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    version: str | None = None,
    tags: Iterable[str] | None = None,
    retries: int = 0,
    retry_delay_seconds: float | None = None,
    timeout_seconds: float | None = None,
    validate_parameters: bool = True,
    task_runner: TaskRunner | None = None,
    log_prints: bool | None = None,
    persist_result: bool | None = None,
    result_storage: str | ResultStorage | None = None,
    result_serializer: str | Serializer | None = None,
    on_completion: list[Hook] | None = None,
    on_failure: list[Hook] | None = None,
    on_crashed: list[Hook] | None = None,
    on_running: list[Hook] | None = None,
) -> Callable[[Callable[P, R]], Flow[P, R]]: ...


def flow(__fn: Callable[P, R] | None = None, **options: Any) -> Any:
    """Turn a function into a flow; usable bare (``@flow``) or with options."""
    if __fn is not None:
        return Flow(__fn, **options)
    return lambda fn: Flow(fn, **options)
