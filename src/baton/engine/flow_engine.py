"""Running one flow run: its ports for the run machine, and the call paths.

A flow called inside another flow is a subflow: its run is linked to a task
run in the parent, so the parent's graph shows it as a node.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from typing import TYPE_CHECKING, Any

from baton.core.actions import FlowRunCreate, TaskRunCreate
from baton.core.models import FlowRun, RetryPolicy, TaskRun
from baton.core.orchestration.context import OrchestrationResult
from baton.core.states import Completed, Failed, Pending, Running, State
from baton.engine.context import FlowRunContext, flow_run_context, task_run_context
from baton.engine.drivers import RunPorts, drive, drive_async
from baton.engine.futures import resolve
from baton.engine.hooks import run_hooks
from baton.engine.logging import capture_prints, get_run_logger, setup_logging
from baton.engine.machine import Outcome, run_machine
from baton.engine.parameters import jsonable_parameters
from baton.engine.results import persist_state_result
from baton.engine.task_engine import failure_state, returned_state
from baton.engine.timeouts import call_with_timeout
from baton.exceptions import FlowRunTimeout, ParameterValidationError, RunAborted

if TYPE_CHECKING:
    from baton.client.base import BatonClient
    from baton.flows import Flow


class FlowRunPorts(RunPorts):
    """How the machine's commands are carried out for one flow run."""

    def __init__(
        self, flow: Flow[..., Any], ctx: FlowRunContext, parameters: dict[str, Any]
    ) -> None:
        self.flow = flow
        self.ctx = ctx
        self.parameters = parameters
        self.logger = get_run_logger()

    def propose(self, state: State) -> OrchestrationResult:
        answer = self.ctx.client.set_flow_run_state(self.ctx.flow_run.id, state)
        if answer.state is not None and answer.state.is_running() and self.flow.on_running:
            run_hooks(self.flow.on_running, self.flow, self.ctx.flow_run, answer.state)
        return answer

    def _timeout_error(self) -> FlowRunTimeout:
        return FlowRunTimeout(f"flow run exceeded its timeout of {self.flow.timeout_seconds} s")

    def execute(self) -> Outcome:
        try:
            value = call_with_timeout(
                lambda: self.flow.fn(**self.parameters),
                self.flow.timeout_seconds,
                self._timeout_error(),
            )
            self._wait_for_submitted()
            return Outcome(value=value)
        except FlowRunTimeout as error:
            return Outcome(error=error, timed_out=True)
        except BaseException as error:
            self._wait_for_submitted()
            return Outcome(error=error)

    async def execute_async(self) -> Outcome:
        try:
            value = await asyncio.wait_for(
                self.flow.fn(**self.parameters), self.flow.timeout_seconds
            )
        except asyncio.TimeoutError:
            return Outcome(error=self._timeout_error(), timed_out=True)
        except BaseException as error:
            await asyncio.to_thread(self._wait_for_submitted)
            return Outcome(error=error)
        await asyncio.to_thread(self._wait_for_submitted)
        return Outcome(value=value)

    def _wait_for_submitted(self) -> None:
        """A flow finishes after the tasks it started, whether or not it waited for them.

        Their outcomes are the caller's business: a failure here does not end the flow.
        """
        concurrent.futures.wait([future.raw for future in self.ctx.pending_futures()])

    def settle(self, outcome: Outcome) -> State:
        if outcome.error is not None:
            return failure_state(outcome, self.logger)
        value = outcome.value
        if isinstance(value, State):
            return returned_state(value)
        try:
            value = resolve(value)
        except Exception as error:
            return failure_state(Outcome(error=error), self.logger)
        state = Completed(data=value)
        if self.flow.result_options.should_persist(needed=False):
            persist_state_result(state, self.flow.result_options, self.logger)
        return state


def _retry_policy(flow: Flow[..., Any]) -> RetryPolicy:
    delay = flow.retry_delay_seconds
    return RetryPolicy(retries=flow.retries, retry_delay=[float(delay)] if delay else [])


def _parent_task_run(client: BatonClient, parent: FlowRunContext, flow: Flow[..., Any]) -> TaskRun:
    """The node in the parent flow's graph that stands for this subflow call."""
    task_key = f"subflow:{flow.name}"
    dynamic_key = parent.next_dynamic_key(task_key)
    return client.create_task_run(
        TaskRunCreate(
            name=f"{flow.name}-{dynamic_key}",
            task_key=task_key,
            flow_run_id=parent.flow_run.id,
            dynamic_key=str(dynamic_key),
            tags=sorted(flow.tags),
            state=Pending(),
        )
    )


def _mirror(client: BatonClient, task_run: TaskRun | None, state: State, flow_run: FlowRun) -> None:
    """Keep the parent's node in step with the subflow's run."""
    if task_run is None:
        return
    if state.is_running():
        client.set_task_run_state(task_run.id, Running())
        return
    copy = State(type=state.type, name=state.name, message=state.message)
    copy.state_details.child_flow_run_id = flow_run.id
    copy.result_ref = state.result_ref
    client.set_task_run_state(task_run.id, copy, force=True)


class _FlowCall:
    """Everything one flow call sets up before the machine runs, and tears down after."""

    def __init__(
        self, flow: Flow[..., Any], parameters: dict[str, Any], flow_run: FlowRun | None = None
    ) -> None:
        """``flow_run``: a run made elsewhere (a deployment's) to adopt instead of a new one."""
        from baton.client import get_client

        setup_logging()
        self.flow = flow
        self.parent = flow_run_context.get()
        self.client = self.parent.client if self.parent is not None else get_client()
        self.adopted = flow_run is not None
        self.parent_task_run = (
            _parent_task_run(self.client, self.parent, flow)
            if self.parent is not None and not self.adopted
            else None
        )
        self.validation_error: ParameterValidationError | None = None
        try:
            self.parameters = flow.validate_parameters(parameters)
        except ParameterValidationError as error:
            self.validation_error = error
            self.parameters = parameters
        self.flow_run = flow_run if flow_run is not None else self._create_flow_run()
        log_prints = flow.log_prints
        if log_prints is None:
            log_prints = self.parent.log_prints if self.parent is not None else False
        if log_prints:
            capture_prints()
        self.ctx = FlowRunContext(
            flow=flow,
            flow_run=self.flow_run,
            client=self.client,
            task_runner=flow.task_runner.duplicate(),
            log_prints=log_prints,
            parent=self.parent,
        )

    def _create_flow_run(self) -> FlowRun:
        flow_record = self.client.read_or_create_flow(self.flow.name)
        return self.client.create_flow_run(
            FlowRunCreate(
                flow_id=flow_record.id,
                parameters=jsonable_parameters(self.parameters),
                tags=sorted(self.flow.effective_tags()),
                parent_task_run_id=self.parent_task_run.id if self.parent_task_run else None,
                flow_version=self.flow.version,
                empirical_policy=_retry_policy(self.flow),
                state=Pending(),
            )
        )

    def __enter__(self) -> _FlowCall:
        self._flow_token = flow_run_context.set(self.ctx)
        self._task_token = task_run_context.set(None)
        self.logger = get_run_logger()
        self.ctx.task_runner.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        try:
            self.ctx.task_runner.shutdown()
        finally:
            task_run_context.reset(self._task_token)
            flow_run_context.reset(self._flow_token)

    def reject_parameters(self) -> State | None:
        """Record a run whose parameters do not validate as Failed, before it starts."""
        if self.validation_error is None:
            return None
        message = f"Flow run received invalid parameters: {self.validation_error}"
        self.logger.error("%s", message)
        answer = self.client.set_flow_run_state(
            self.flow_run.id, Failed(message=message).attach_value(self.validation_error)
        )
        assert answer.state is not None
        return self.finish(answer.state.attach_value(self.validation_error))

    def started(self) -> None:
        self.logger.info("Beginning flow run %r for flow %r", self.flow_run.name, self.flow.name)
        _mirror(self.client, self.parent_task_run, Running(), self.flow_run)

    def finish(self, state: State) -> State:
        _mirror(self.client, self.parent_task_run, state, self.flow_run)
        hooks = (
            self.flow.on_completion
            if state.is_completed()
            else self.flow.on_failure
            if state.is_failed()
            else self.flow.on_crashed
            if state.is_crashed()
            else ()
        )
        if hooks:
            run_hooks(hooks, self.flow, self.flow_run, state)
        level = logging.INFO if state.is_completed() else logging.ERROR
        self.logger.log(level, "Finished in state %s", state)
        return state


def run_flow_sync(
    flow: Flow[..., Any], parameters: dict[str, Any], flow_run: FlowRun | None = None
) -> State:
    """Run a synchronous flow to its final state on this thread."""
    with _FlowCall(flow, parameters, flow_run) as call:
        rejected = call.reject_parameters()
        if rejected is not None:
            return rejected
        call.started()
        ports = FlowRunPorts(flow, call.ctx, call.parameters)
        try:
            state = drive(run_machine(), ports)
        except BaseException as error:
            call.finish(_crash(call, error))
            raise
        return call.finish(state)


async def run_flow_async(
    flow: Flow[..., Any], parameters: dict[str, Any], flow_run: FlowRun | None = None
) -> State:
    """Run an asynchronous flow to its final state on the running event loop."""
    with _FlowCall(flow, parameters, flow_run) as call:
        rejected = call.reject_parameters()
        if rejected is not None:
            return rejected
        call.started()
        ports = FlowRunPorts(flow, call.ctx, call.parameters)
        try:
            state = await drive_async(run_machine(), ports)
        except BaseException as error:
            call.finish(_crash(call, error))
            raise
        return call.finish(state)


def run_existing_flow_run(flow: Flow[..., Any], flow_run: FlowRun) -> State:
    """Run ``flow`` for a run created elsewhere (a deployment's), with that run's parameters.

    The run goes through the same machine as a call: Running is proposed on it,
    the body runs, the final state is proposed. An async flow gets its own event loop.
    """
    if flow.isasync:
        return asyncio.run(run_flow_async(flow, flow_run.parameters, flow_run))
    return run_flow_sync(flow, flow_run.parameters, flow_run)


def _crash(call: _FlowCall, error: BaseException) -> State:
    """Record that the engine itself stopped (interrupt, lost database) mid-run."""
    from baton.core.states import Crashed

    if isinstance(error, RunAborted) and call.adopted:
        # An adopted run was cancelled or started elsewhere: its state is not ours to change.
        return call.client.read_flow_run(call.flow_run.id).state or Crashed(message=str(error))
    state = Crashed(message=f"The flow run's engine stopped: {type(error).__name__}: {error}")
    try:
        answer = call.client.set_flow_run_state(call.flow_run.id, state, force=True)
        return answer.state or state
    except Exception:
        return state
