"""Rules for flow runs only: claims by workers, cancellation, retries of crashed runs."""

from __future__ import annotations

from baton.core.orchestration.context import OrchestrationContext
from baton.core.orchestration.rules import Rule, types
from baton.core.states import TERMINAL_TYPES, Scheduled, StateType

RESCHEDULED = "Rescheduled"
"""The name of the state a crashed run waits in for a worker to start it again."""


class PreventPendingTransitions(Rule):
    """Abort a claim (a proposed Pending) of a run that is already under way.

    Workers claim a run by proposing Pending; once one has, the run moves on
    to Running, and a late claim from another worker must not start it again.
    """

    FROM_STATES = types(StateType.RUNNING, StateType.CANCELLING)
    TO_STATES = types(StateType.PENDING)

    def before_transition(self, ctx: OrchestrationContext) -> None:
        assert ctx.initial_state is not None
        ctx.abort(
            self.name(),
            f"the run is already {ctx.initial_state.name}; it was claimed by another worker",
        )


class PreventResumingCancelledRuns(Rule):
    """Abort any step but an end for a run being cancelled, so a cancel is never lost
    to a process that starts the run after it was asked to stop."""

    FROM_STATES = types(StateType.CANCELLING)
    TO_STATES = types(t for t in StateType if t not in TERMINAL_TYPES)

    def before_transition(self, ctx: OrchestrationContext) -> None:
        ctx.abort(
            self.name(),
            f"the run is being cancelled; it cannot become {ctx.proposed_state.name}",
        )


class RetryCrashedRuns(Rule):
    """Reschedule a crashed run for a worker to start again, when its deployment opted in.

    A crash (the process or its worker died) is not the flow's fault, so these
    retries are counted apart from the flow's own ``retries``, and the run waits
    in ``Rescheduled`` rather than ``AwaitingRetry``, which belongs to a process
    that retries the run itself.
    """

    FROM_STATES = types(StateType.PENDING, StateType.RUNNING, StateType.CANCELLING)
    TO_STATES = types(StateType.CRASHED)

    def before_transition(self, ctx: OrchestrationContext) -> None:
        if ctx.initial_type is StateType.CANCELLING:
            return  # a run being cancelled that crashes is done, not retried
        policy = ctx.run.empirical_policy
        if policy.crash_retries <= 0 or policy.crashes >= policy.crash_retries:
            return
        attempt = policy.crashes + 1
        policy.crashes = attempt
        crash = ctx.proposed_state.message or "the run crashed"
        message = f"Crash retry {attempt}/{policy.crash_retries} after: {crash}"
        ctx.reject(
            self.name(),
            Scheduled(scheduled_time=ctx.now, name=RESCHEDULED, message=message),
            f"crash retry {attempt} of {policy.crash_retries} after: {crash}",
        )
