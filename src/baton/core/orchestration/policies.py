"""Which rules apply to which kind of run, and how a policy judges a proposal.

A policy is one ordered, readable list of rules. ``judge`` runs the
``before_transition`` hooks in order until one refuses, then the
``after_transition`` hooks of every rule that applies to the state actually
entered, then the bookkeeping rules (which apply even to forced transitions).
"""

from __future__ import annotations

from collections.abc import Sequence

from baton.core.models import Decision, RunKind, RunModel
from baton.core.orchestration.common_rules import (
    PreventDuplicateTransitions,
    PreventTransitionsFromTerminalStates,
    RenameReruns,
    RetryFailedRuns,
    UpdateRunTimesAndCounts,
    WaitForScheduledTime,
)
from baton.core.orchestration.context import OrchestrationContext
from baton.core.orchestration.flow_rules import (
    PreventPendingTransitions,
    PreventResumingCancelledRuns,
    RetryCrashedRuns,
)
from baton.core.orchestration.rules import Rule
from baton.core.orchestration.task_rules import (
    CacheCompletedResults,
    ReleaseTaskConcurrencySlots,
    SecureTaskConcurrencySlots,
    UseCachedResults,
)
from baton.core.states import State, StateType


class RetryFailedTasks(RetryFailedRuns):
    """Send a failed task run back to AwaitingRetry while it has retries left."""


class RetryFailedFlows(RetryFailedRuns):
    """Send a failed flow run back to AwaitingRetry while it has retries left."""


class Policy:
    """An ordered list of rules plus the bookkeeping that follows every write.

    Rules are stateless, so each is instantiated once; the rules that apply to
    a pair of state types are looked up once and remembered, which keeps the
    cost of judging a transition small and flat.
    """

    def __init__(
        self,
        name: str,
        rules: Sequence[type[Rule]],
        bookkeeping: Sequence[type[Rule]] = (UpdateRunTimesAndCounts,),
    ) -> None:
        self.name = name
        self.rules = tuple(rule() for rule in rules)
        self.bookkeeping = tuple(rule() for rule in bookkeeping)
        self._applicable: dict[tuple[StateType | None, StateType], tuple[Rule, ...]] = {}

    def rules_for(self, initial: StateType | None, proposed: StateType) -> tuple[Rule, ...]:
        """The rules, in order, that govern a transition from ``initial`` to ``proposed``."""
        key = (initial, proposed)
        found = self._applicable.get(key)
        if found is None:
            found = tuple(rule for rule in self.rules if rule.applies(initial, proposed))
            self._applicable[key] = found
        return found

    def needs_store(self, run: RunModel, initial: StateType | None, proposed: State) -> bool:
        """Whether judging this proposal touches storage beyond the run itself."""
        return any(
            rule.uses_store and rule.is_relevant(run, proposed)
            for rule in self.rules_for(initial, proposed.type)
        )

    def judge(self, ctx: OrchestrationContext, force: bool = False) -> None:
        """Decide on ``ctx.proposed_state``; results are left on ``ctx``."""
        initial = ctx.initial_type
        if not force:
            for rule in self.rules_for(initial, ctx.proposed_state.type):
                if rule.is_relevant(ctx.run, ctx.proposed_state):
                    rule.before_transition(ctx)
                    if ctx.decision is not Decision.ACCEPT:
                        break
        if ctx.decision is Decision.WAIT or ctx.decision is Decision.ABORT:
            ctx.records.append(ctx.record())
            return
        if ctx.validated_state is None:
            ctx.validated_state = ctx.proposed_state
        validated = ctx.validated_state
        for rule in self.rules_for(initial, validated.type):
            if rule.is_relevant(ctx.run, validated):
                rule.after_transition(ctx)
        for rule in self.bookkeeping:
            if rule.applies(initial, validated.type):
                rule.after_transition(ctx)
        if ctx.decision is not Decision.ACCEPT:
            ctx.records.append(ctx.record())


TASK_POLICY = Policy(
    name="default-task-policy",
    rules=(
        PreventTransitionsFromTerminalStates,
        PreventDuplicateTransitions,
        WaitForScheduledTime,
        RenameReruns,
        UseCachedResults,
        RetryFailedTasks,
        SecureTaskConcurrencySlots,
        ReleaseTaskConcurrencySlots,
        CacheCompletedResults,
    ),
)

FLOW_POLICY = Policy(
    name="default-flow-policy",
    rules=(
        PreventTransitionsFromTerminalStates,
        PreventDuplicateTransitions,
        PreventPendingTransitions,
        PreventResumingCancelledRuns,
        WaitForScheduledTime,
        RenameReruns,
        RetryFailedFlows,
        RetryCrashedRuns,
    ),
)


def default_policy(kind: RunKind) -> Policy:
    return TASK_POLICY if kind is RunKind.TASK_RUN else FLOW_POLICY
