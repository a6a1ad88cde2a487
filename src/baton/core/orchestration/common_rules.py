"""Rules that hold for flow runs and task runs alike."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from baton.core.fast import assign
from baton.core.orchestration.context import OrchestrationContext
from baton.core.orchestration.rules import ANY, Rule, types
from baton.core.states import TERMINAL_TYPES, AwaitingRetry, StateType


class PreventTransitionsFromTerminalStates(Rule):
    """Abort any transition out of a final state: a finished run stays finished."""

    FROM_STATES = types(TERMINAL_TYPES)

    def before_transition(self, ctx: OrchestrationContext) -> None:
        assert ctx.initial_state is not None
        ctx.abort(
            self.name(),
            f"the run has already finished ({ctx.initial_state.name}); "
            f"it cannot become {ctx.proposed_state.name} without a forced transition",
        )


class PreventDuplicateTransitions(Rule):
    """Abort a proposal of the state the run is already in, so no run starts twice."""

    FROM_STATES = types(
        StateType.PENDING, StateType.RUNNING, StateType.CANCELLING, StateType.PAUSED
    )
    TO_STATES = FROM_STATES

    @classmethod
    def applies(cls, initial: StateType | None, proposed: StateType | None) -> bool:
        return initial is proposed and initial in cls.FROM_STATES

    def before_transition(self, ctx: OrchestrationContext) -> None:
        ctx.abort(
            self.name(),
            f"the run is already {ctx.proposed_type.value}; another client is driving it",
        )


class WaitForScheduledTime(Rule):
    """Make a scheduled run wait until its scheduled time before it starts."""

    FROM_STATES = types(StateType.SCHEDULED)
    TO_STATES = types(StateType.PENDING, StateType.RUNNING)

    def before_transition(self, ctx: OrchestrationContext) -> None:
        assert ctx.initial_state is not None
        when = ctx.initial_state.state_details.scheduled_time
        if when is None:
            return
        delay = (when - ctx.now).total_seconds()
        if delay > 0:
            ctx.wait(
                self.name(),
                delay,
                f"scheduled for {when.isoformat(timespec='milliseconds')}; {delay:.3g} s to wait",
            )


class RetryFailedRuns(Rule):
    """Send a failed run back to AwaitingRetry while it has retries left."""

    FROM_STATES = types(StateType.RUNNING)
    TO_STATES = types(StateType.FAILED)

    def before_transition(self, ctx: OrchestrationContext) -> None:
        policy = ctx.run.empirical_policy
        if ctx.run.run_count > policy.retries:
            return
        if ctx.proposed_state.state_details.retriable is False:
            return
        attempt = ctx.run.run_count
        delay = policy.delay_for(attempt)
        if policy.retry_jitter_factor:
            delay *= 1 + random.uniform(0, policy.retry_jitter_factor)
        when = ctx.now + dt.timedelta(seconds=delay)
        failure = ctx.proposed_state.message or "the run failed"
        ctx.reject(
            self.name(),
            AwaitingRetry(when, message=f"Retry {attempt}/{policy.retries} after: {failure}"),
            f"retry {attempt} of {policy.retries} in {delay:.3g} s after failure: {failure}",
        )


class RenameReruns(Rule):
    """Name the RUNNING state of a retried run ``Retrying``, so reruns stand out."""

    FROM_STATES = types(StateType.SCHEDULED)
    TO_STATES = types(StateType.RUNNING, StateType.PENDING)

    def before_transition(self, ctx: OrchestrationContext) -> None:
        assert ctx.initial_state is not None
        if ctx.initial_state.name == "AwaitingRetry" and ctx.proposed_state.name == "Running":
            ctx.proposed_state.name = "Retrying"


class UpdateRunTimesAndCounts(Rule):
    """Keep start/end times, run counts and total run time true to the states entered.

    A bookkeeping rule: it runs for every written state, forced ones included.
    """

    FROM_STATES = ANY
    TO_STATES = ANY

    def after_transition(self, ctx: OrchestrationContext) -> None:
        state = ctx.validated_state
        assert state is not None
        run = ctx.run
        changes: dict[str, Any] = {
            "state": state,
            "state_type": state.type,
            "state_name": state.name,
            "updated": ctx.now,
        }
        if ctx.initial_type is StateType.RUNNING and ctx.initial_state is not None:
            elapsed = (state.timestamp - ctx.initial_state.timestamp).total_seconds()
            changes["total_run_time"] = run.total_run_time + max(0.0, elapsed)
        if state.type is StateType.RUNNING:
            changes["run_count"] = run.run_count + 1
            if run.start_time is None:
                changes["start_time"] = state.timestamp
        elif state.type is StateType.SCHEDULED:
            when = state.state_details.scheduled_time
            if run.expected_start_time is None and when is not None:
                changes["expected_start_time"] = when
        if state.type in TERMINAL_TYPES:
            changes["end_time"] = state.timestamp
        elif run.end_time is not None:
            changes["end_time"] = None
        assign(run, **changes)
