"""Rules for task runs only: caching and concurrency limits by tag."""

from __future__ import annotations

from baton.core.models import RunModel
from baton.core.orchestration.context import OrchestrationContext
from baton.core.orchestration.rules import ANY, Rule, types
from baton.core.states import Cached, State, StateType

# How long a task waits before asking again for a full concurrency slot.
CONCURRENCY_RETRY_SECONDS = 0.5


class UseCachedResults(Rule):
    """Complete a starting task with the cached result when its cache key is valid."""

    FROM_STATES = types(StateType.PENDING, None)
    TO_STATES = types(StateType.RUNNING)
    uses_store = True

    def is_relevant(self, run: RunModel, proposed: State) -> bool:
        details = proposed.state_details
        return bool(details.cache_key) and not details.refresh_cache

    def before_transition(self, ctx: OrchestrationContext) -> None:
        key = ctx.proposed_state.state_details.cache_key
        if not key or ctx.proposed_state.state_details.refresh_cache:
            return
        ref = ctx.require_store().read_cache(key, ctx.now)
        if ref is None:
            return
        state = Cached(message=f"Cached result (key {key!r})")
        state.result_ref = ref
        state.state_details.cache_key = key
        ctx.reject(self.name(), state, f"a valid cached result exists for key {key!r}")


class CacheCompletedResults(Rule):
    """Record the result of a completed task under its cache key."""

    FROM_STATES = ANY
    TO_STATES = types(StateType.COMPLETED)
    uses_store = True

    def is_relevant(self, run: RunModel, proposed: State) -> bool:
        return bool(proposed.state_details.cache_key) and proposed.name != "Cached"

    def after_transition(self, ctx: OrchestrationContext) -> None:
        state = ctx.validated_state
        assert state is not None
        key = state.state_details.cache_key
        if not key or state.result_ref is None or state.name == "Cached":
            return
        ctx.require_store().write_cache(key, state.result_ref, state.state_details.cache_expiration)


class SecureTaskConcurrencySlots(Rule):
    """Make a task wait while any of its tags has every concurrency slot taken."""

    FROM_STATES = types(StateType.PENDING, StateType.SCHEDULED, None)
    TO_STATES = types(StateType.RUNNING)
    uses_store = True

    def is_relevant(self, run: RunModel, proposed: State) -> bool:
        return bool(run.tags)

    def before_transition(self, ctx: OrchestrationContext) -> None:
        for limit in ctx.require_store().read_concurrency_limits(ctx.run.tags):
            if limit.limit == 0:
                ctx.abort(
                    self.name(),
                    f"the concurrency limit for tag {limit.tag!r} is 0: the task can never run",
                )
                return
            if len(limit.active_slots) >= limit.limit:
                ctx.wait(
                    self.name(),
                    CONCURRENCY_RETRY_SECONDS,
                    f"concurrency limit for tag {limit.tag!r} is full "
                    f"({len(limit.active_slots)}/{limit.limit} slots in use)",
                )
                return

    def after_transition(self, ctx: OrchestrationContext) -> None:
        ctx.require_store().take_concurrency_slots(ctx.run.tags, ctx.run.id)


class ReleaseTaskConcurrencySlots(Rule):
    """Give back a task's concurrency slots as soon as it stops running."""

    FROM_STATES = types(StateType.RUNNING)
    TO_STATES = types(*(t for t in StateType if t is not StateType.RUNNING))
    uses_store = True

    def is_relevant(self, run: RunModel, proposed: State) -> bool:
        return bool(run.tags)

    def after_transition(self, ctx: OrchestrationContext) -> None:
        ctx.require_store().release_concurrency_slots(ctx.run.tags, ctx.run.id)
