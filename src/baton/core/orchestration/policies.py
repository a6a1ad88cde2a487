"""Which rules apply to which kind of run, and how a policy judges a proposal.

A policy is one ordered, readable list of rules. ``judge`` runs the
``before_transition`` hooks in order until one refuses, then the
``after_transition`` hooks of every rule that applies to the state actually
entered, then the bookkeeping rules (which apply even to forced transitions).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Policy:
    """An ordered list of rules plus the bookkeeping that follows every write."""

    name: str
    rules: Sequence[type[Rule]]
    bookkeeping: Sequence[type[Rule]] = (UpdateRunTimesAndCounts,)

    def needs_store(self, run: RunModel, initial: StateType | None, proposed: State) -> bool:
        """Whether judging this proposal touches storage beyond the run itself."""
        return any(
            rule.uses_store
            and rule.applies(initial, proposed.type)
            and rule.is_relevant(run, proposed)
            for rule in self.rules
        )

    def judge(self, ctx: OrchestrationContext, force: bool = False) -> None:
        """Decide on ``ctx.proposed_state``; results are left on ``ctx``."""
        initial = ctx.initial_type
        if not force:
            for rule_cls in self.rules:
                if not (
                    rule_cls.applies(initial, ctx.proposed_type)
                    and rule_cls.is_relevant(ctx.run, ctx.proposed_state)
                ):
                    continue
                rule_cls().before_transition(ctx)
                if ctx.decision is not Decision.ACCEPT:
                    break
        if ctx.decision in (Decision.WAIT, Decision.ABORT):
            ctx.records.append(ctx.record())
            return
        if ctx.validated_state is None:
            ctx.validated_state = ctx.proposed_state
        entered = ctx.validated_state.type
        for rule_cls in self.rules:
            if rule_cls.applies(initial, entered) and rule_cls.is_relevant(
                ctx.run, ctx.validated_state
            ):
                rule_cls().after_transition(ctx)
        for rule_cls in self.bookkeeping:
            if rule_cls.applies(initial, entered):
                rule_cls().after_transition(ctx)
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
        WaitForScheduledTime,
        RenameReruns,
        RetryFailedFlows,
    ),
)


def default_policy(kind: RunKind) -> Policy:
    return TASK_POLICY if kind is RunKind.TASK_RUN else FLOW_POLICY
