"""Running one task run: its ports for the run machine, and the call paths."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import logging
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from baton.core.actions import TaskRunCreate
from baton.core.fast import construct
from baton.core.ids import new_id
from baton.core.models import RunInput, TaskRun
from baton.core.orchestration.context import OrchestrationResult
from baton.core.states import Completed, Crashed, Failed, Pending, Running, State, TimedOut, utcnow
from baton.engine.context import TaskRunContext, flow_run_context, task_run_context
from baton.engine.drivers import RunPorts, drive, drive_async
from baton.engine.futures import TaskRunFuture, resolve, run_inputs, upstream_of
from baton.engine.hooks import run_hooks
from baton.engine.logging import capture_prints, get_run_logger
from baton.engine.machine import Outcome, run_machine
from baton.engine.results import persist_state_result
from baton.engine.timeouts import call_with_timeout
from baton.exceptions import RunAborted, TaskRunTimeout

if TYPE_CHECKING:
    from baton.client.base import BatonClient
    from baton.tasks import Task

logger = logging.getLogger("baton.task_runs")


class TaskRunPorts(RunPorts):
    """How the machine's commands are carried out for one task run."""

    def __init__(self, task: Task[..., Any], ctx: TaskRunContext, cache_key: str | None) -> None:
        self.task = task
        self.ctx = ctx
        self.cache_key = cache_key

    def propose(self, state: State) -> OrchestrationResult:
        answer = self.ctx.client.set_task_run_state(self.ctx.task_run.id, state)
        if answer.state is not None and answer.state.is_running() and self.task.on_running:
            run_hooks(self.task.on_running, self.task, self.ctx.task_run, answer.state)
        return answer

    def execute(self) -> Outcome:
        try:
            value = call_with_timeout(
                lambda: self.task.fn(**self.ctx.parameters),
                self.task.timeout_seconds,
                TaskRunTimeout(f"task run exceeded its timeout of {self.task.timeout_seconds} s"),
            )
            return Outcome(value=value)
        except TaskRunTimeout as error:
            return Outcome(error=error, timed_out=True)
        except BaseException as error:
            return Outcome(error=error)

    async def execute_async(self) -> Outcome:
        timeout = self.task.timeout_seconds
        try:
            value = await asyncio.wait_for(self.task.fn(**self.ctx.parameters), timeout)
            return Outcome(value=value)
        except asyncio.TimeoutError:
            error = TaskRunTimeout(f"task run exceeded its timeout of {timeout} s")
            return Outcome(error=error, timed_out=True)
        except BaseException as error:
            return Outcome(error=error)

    def settle(self, outcome: Outcome) -> State:
        run_logger = get_run_logger()
        if outcome.error is not None:
            state = failure_state(outcome, run_logger)
            condition = self.task.retry_condition_fn
            if state.is_failed() and condition is not None:
                try:
                    retriable = bool(condition(self.task, self.ctx.task_run, state))
                except Exception as error:
                    run_logger.error("retry_condition_fn raised %r; not retrying", error)
                    retriable = False
                state.state_details.retriable = retriable
            return state
        value = outcome.value
        state = returned_state(value)
        if state.is_completed():
            details = state.state_details
            if self.cache_key:
                details.cache_key = self.cache_key
                expiration = self.task.cache_expiration
                details.cache_expiration = utcnow() + expiration if expiration else None
            options = self.task.result_options.inherit(_flow_result_options())
            if options.should_persist(needed=bool(self.cache_key)):
                persist_state_result(state, options, run_logger)
        return state


def returned_state(value: Any) -> State:
    """The state a run's return value stands for: a returned ``State`` as given
    (a completed one without data means ``None``), anything else ``Completed``."""
    if not isinstance(value, State):
        return Completed(data=value)
    state = value.fresh_copy()
    if state.is_completed() and not state.has_value() and state.result_ref is None:
        state.attach_value(None)
    return state


def failure_state(outcome: Outcome, run_logger: logging.LoggerAdapter) -> State:  # type: ignore[type-arg]
    """The state a run's exception leads to: Failed, TimedOut, or Crashed for interrupts."""
    error = outcome.error
    assert error is not None
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    if outcome.timed_out:
        run_logger.error("%s", error)
        return TimedOut(message=str(error)).attach_value(error)
    if not isinstance(error, Exception):
        run_logger.error("Crashed by %s", text)
        return Crashed(message=f"Execution was interrupted: {text}", data=error)
    run_logger.error(
        "Encountered an exception: %s", text, exc_info=(type(error), error, error.__traceback__)
    )
    return Failed(message=f"Encountered an exception: {text}", data=error)


def _flow_result_options() -> Any:
    flow_ctx = flow_run_context.get()
    return flow_ctx.flow.result_options if flow_ctx is not None else None


def prepare_task_run(
    task: Task[..., Any],
    parameters: dict[str, Any],
    wait_for: list[Any] | None,
    task_run_id: uuid.UUID | None = None,
    mapped_from: dict[str, uuid.UUID] | None = None,
) -> tuple[TaskRun, TaskRunContext, list[Any]]:
    """Create the task run (Pending) with its upstream inputs recorded."""
    from baton.client import get_client

    flow_ctx = flow_run_context.get()
    client: BatonClient = flow_ctx.client if flow_ctx is not None else get_client()
    task_inputs: dict[str, list[RunInput]] = {}
    upstream: list[Any] = []
    for name, value in parameters.items():
        found = upstream_of(value)
        if found:
            upstream.extend(found)
            task_inputs[name] = run_inputs(found)
        origin = flow_ctx.origin_of(value) if flow_ctx is not None else None
        if mapped_from and name in mapped_from:
            origin = mapped_from[name]
        if origin is not None:
            task_inputs.setdefault(name, []).append(RunInput(input_type="task_run", id=origin))
    if wait_for:
        found = upstream_of(list(wait_for))
        upstream.extend(found)
        task_inputs["wait_for"] = run_inputs(found)
    dynamic_key = flow_ctx.next_dynamic_key(task.task_key) if flow_ctx is not None else 0
    task_run = client.create_task_run(
        construct(
            TaskRunCreate,
            {
                "id": task_run_id or new_id(),
                "name": f"{task.name}-{dynamic_key}",
                "task_key": task.task_key,
                "flow_run_id": flow_ctx.flow_run.id if flow_ctx is not None else None,
                "dynamic_key": str(dynamic_key),
                "cache_key": None,
                "cache_expiration": None,
                "task_version": task.version,
                "tags": sorted(task.effective_tags()),
                "empirical_policy": task.retry_policy,
                "task_inputs": task_inputs,
                "state": Pending(),
            },
        )
    )
    log_prints = task.log_prints
    if log_prints is None:
        log_prints = flow_ctx.log_prints if flow_ctx is not None else False
    if log_prints:
        capture_prints()
    ctx = TaskRunContext(
        task=task, task_run=task_run, client=client, parameters=parameters, log_prints=log_prints
    )
    return task_run, ctx, upstream


def _resolve_inputs(
    ctx: TaskRunContext, upstream: list[Any], wait_for: list[Any] | None
) -> State | None:
    """Wait for upstream runs and replace futures by values; a failed upstream fails the task."""
    try:
        if wait_for:
            for item in upstream_of(list(wait_for)):
                if isinstance(item, TaskRunFuture):
                    state = item.state
                    if not state.is_completed():
                        raise _UpstreamFailed(
                            f"upstream task run {item.task_run_id} is {state.name}"
                        )
        if upstream:
            ctx.parameters = {name: resolve(value) for name, value in ctx.parameters.items()}
    except Exception as error:
        message = f"Upstream task run did not complete: {error}"
        answer = ctx.client.set_task_run_state(
            ctx.task_run.id, Failed(name="NotReady", message=message).attach_value(error)
        )
        assert answer.state is not None
        return answer.state.attach_value(error)
    return None


def _aborted(ctx: TaskRunContext, error: RunAborted) -> State:
    """A task the orchestrator will not let run ends Failed with the reason, not Pending."""
    failed = Failed(name="Aborted", message=f"The orchestrator aborted the run: {error}")
    failed.state_details.retriable = False
    answer = ctx.client.set_task_run_state(ctx.task_run.id, failed.attach_value(error))
    state = answer.state if answer.state is not None else failed
    return state.attach_value(error)


class _UpstreamFailed(Exception):
    pass


def _start_state(task: Task[..., Any], ctx: TaskRunContext) -> tuple[State, str | None]:
    cache_key = None
    if task.cache_key_fn is not None:
        cache_key = task.cache_key_fn(ctx, ctx.parameters)
    start = Running()
    if cache_key:
        start.state_details.cache_key = cache_key
        start.state_details.refresh_cache = task.refresh_cache or None
    return start, cache_key


def run_task_sync(
    task: Task[..., Any],
    parameters: dict[str, Any],
    wait_for: list[Any] | None = None,
    task_run_id: uuid.UUID | None = None,
    mapped_from: dict[str, uuid.UUID] | None = None,
) -> State:
    """Run a synchronous task to its final state on this thread."""
    _, ctx, upstream = prepare_task_run(task, parameters, wait_for, task_run_id, mapped_from)
    token = task_run_context.set(ctx)
    try:
        failed = _resolve_inputs(ctx, upstream, wait_for)
        if failed is not None:
            return _finish(task, ctx, failed)
        start, cache_key = _start_state(task, ctx)
        try:
            state = drive(run_machine(start), TaskRunPorts(task, ctx, cache_key))
        except RunAborted as error:
            state = _aborted(ctx, error)
        return _finish(task, ctx, state)
    finally:
        task_run_context.reset(token)


async def run_task_async(
    task: Task[..., Any],
    parameters: dict[str, Any],
    wait_for: list[Any] | None = None,
    task_run_id: uuid.UUID | None = None,
    mapped_from: dict[str, uuid.UUID] | None = None,
) -> State:
    """Run an asynchronous task to its final state on the running event loop."""
    _, ctx, upstream = prepare_task_run(task, parameters, wait_for, task_run_id, mapped_from)
    token = task_run_context.set(ctx)
    try:
        if upstream or wait_for:
            failed = await asyncio.to_thread(_resolve_inputs, ctx, upstream, wait_for)
            if failed is not None:
                return _finish(task, ctx, failed)
        start, cache_key = _start_state(task, ctx)
        try:
            state = await drive_async(run_machine(start), TaskRunPorts(task, ctx, cache_key))
        except RunAborted as error:
            state = _aborted(ctx, error)
        return _finish(task, ctx, state)
    finally:
        task_run_context.reset(token)


def _finish(task: Task[..., Any], ctx: TaskRunContext, state: State) -> State:
    if state.is_completed() and state.has_value():
        flow_ctx = flow_run_context.get()
        if flow_ctx is not None:
            flow_ctx.remember_result(state._value, ctx.task_run.id)
    hooks = (
        task.on_completion
        if state.is_completed()
        else task.on_failure
        if state.is_failed()
        else task.on_crashed
        if state.is_crashed()
        else ()
    )
    if hooks:
        run_hooks(hooks, task, ctx.task_run, state)
    return state


def submit_task(
    task: Task[..., Any],
    parameters: dict[str, Any],
    wait_for: list[Any] | None,
    mapped_from: dict[str, uuid.UUID] | None = None,
) -> TaskRunFuture[Any]:
    """Start a task run on the flow's task runner (or a thread outside flows).

    ``mapped_from`` names, for mapped arguments, the task run that produced
    the whole iterable, so each mapped run links back to it.
    """
    task_run_id = new_id()
    flow_ctx = flow_run_context.get()
    if task.isasync:

        def call() -> State:
            return asyncio.run(run_task_async(task, parameters, wait_for, task_run_id, mapped_from))
    else:

        def call() -> State:
            return run_task_sync(task, parameters, wait_for, task_run_id, mapped_from)

    if flow_ctx is not None:
        future = flow_ctx.task_runner.submit(call)
        wrapped: TaskRunFuture[Any] = TaskRunFuture(task_run_id, future)
        flow_ctx.track_future(wrapped)
        return wrapped
    return TaskRunFuture(task_run_id, _standalone_pool().submit(_in_context(call)))


_pool: concurrent.futures.ThreadPoolExecutor | None = None


def _standalone_pool() -> concurrent.futures.ThreadPoolExecutor:
    """Tasks submitted outside any flow run on this shared pool."""
    global _pool
    if _pool is None:
        _pool = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="baton-task")
    return _pool


def _in_context(fn: Callable[[], State]) -> Callable[[], State]:
    context = contextvars.copy_context()
    return lambda: context.run(fn)
