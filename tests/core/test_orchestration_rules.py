"""Each orchestration rule, judged through the default policies on an in-memory store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from baton.core.models import Decision, RunKind
from baton.core.orchestration.common_rules import PreventDuplicateTransitions
from baton.core.orchestration.context import OrchestrationContext
from baton.core.orchestration.policies import FLOW_POLICY, TASK_POLICY
from baton.core.orchestration.task_rules import (
    CONCURRENCY_RETRY_SECONDS,
    CacheCompletedResults,
)
from baton.core.states import (
    TERMINAL_TYPES,
    AwaitingRetry,
    Cached,
    Completed,
    Failed,
    Pending,
    Running,
    Scheduled,
    State,
    StateType,
)

from .factories import NOW, FakeStore, at, judge, make_context, make_run, ref, seconds

BOTH_KINDS = pytest.mark.parametrize("kind", [RunKind.TASK_RUN, RunKind.FLOW_RUN])
TERMINAL = sorted(TERMINAL_TYPES, key=lambda t: t.value)


def cached_running(key: str = "k", *, refresh: bool = False) -> State:
    """A Running proposal carrying a cache key, as the task engine sends it."""
    state = Running()
    state.state_details.cache_key = key
    state.state_details.refresh_cache = refresh or None
    return state


def failed(message: str = "boom", *, retriable: bool | None = None) -> State:
    state = Failed(message=message)
    state.state_details.retriable = retriable
    return state


def retry_delay_of(ctx: OrchestrationContext) -> float:
    """Seconds between ``ctx.now`` and the retry time the rule scheduled."""
    assert ctx.validated_state is not None
    when = ctx.validated_state.state_details.scheduled_time
    assert when is not None
    return (when - ctx.now).total_seconds()


class TestPreventTransitionsFromTerminalStates:
    @BOTH_KINDS
    @pytest.mark.parametrize("terminal", TERMINAL)
    def test_any_proposal_out_of_a_terminal_state_is_aborted(
        self, kind: RunKind, terminal: StateType
    ) -> None:
        ctx = judge(make_context(Running(), kind=kind, initial=terminal, store=FakeStore()))
        assert ctx.decision is Decision.ABORT
        assert ctx.rule == "PreventTransitionsFromTerminalStates"
        assert ctx.reason is not None and "already finished" in ctx.reason
        assert ctx.validated_state is None
        assert ctx.result().state is ctx.initial_state

    @pytest.mark.parametrize("terminal", TERMINAL)
    def test_even_another_terminal_state_is_aborted(self, terminal: StateType) -> None:
        ctx = judge(make_context(Completed(), initial=terminal))
        assert ctx.decision is Decision.ABORT
        assert ctx.rule == "PreventTransitionsFromTerminalStates"

    @BOTH_KINDS
    @pytest.mark.parametrize("terminal", TERMINAL)
    def test_a_forced_transition_out_of_a_terminal_state_is_accepted(
        self, kind: RunKind, terminal: StateType
    ) -> None:
        proposed = Scheduled(NOW)
        ctx = judge(make_context(proposed, kind=kind, initial=terminal, now=NOW), force=True)
        assert ctx.decision is Decision.ACCEPT
        assert ctx.validated_state is proposed
        assert ctx.run.state is proposed
        assert ctx.records == []


class TestPreventDuplicateTransitions:
    @BOTH_KINDS
    def test_running_to_running_is_aborted_with_a_reason(self, kind: RunKind) -> None:
        ctx = judge(make_context(Running(), kind=kind, initial=StateType.RUNNING))
        assert ctx.decision is Decision.ABORT
        assert ctx.rule == "PreventDuplicateTransitions"
        assert ctx.reason == "the run is already RUNNING; another client is driving it"

    @pytest.mark.parametrize("same", [StateType.PENDING, StateType.PAUSED, StateType.CANCELLING])
    def test_other_non_final_duplicates_are_aborted(self, same: StateType) -> None:
        ctx = judge(make_context(State(type=same), initial=same))
        assert ctx.decision is Decision.ABORT
        assert ctx.rule == "PreventDuplicateTransitions"

    @BOTH_KINDS
    def test_scheduled_to_scheduled_is_accepted(self, kind: RunKind) -> None:
        proposed = Scheduled(NOW + seconds(60))
        ctx = judge(make_context(proposed, kind=kind, initial=Scheduled(NOW), now=NOW))
        assert ctx.decision is Decision.ACCEPT
        assert ctx.validated_state is proposed

    def test_a_different_type_is_not_a_duplicate(self) -> None:
        assert not PreventDuplicateTransitions.applies(StateType.PENDING, StateType.RUNNING)
        assert PreventDuplicateTransitions.applies(StateType.RUNNING, StateType.RUNNING)


class TestWaitForScheduledTime:
    @BOTH_KINDS
    @pytest.mark.parametrize("proposed", [Running, Pending])
    def test_a_start_before_the_scheduled_time_waits_for_the_gap(
        self, kind: RunKind, proposed: Callable[[], State]
    ) -> None:
        initial = Scheduled(NOW + seconds(42.5))
        ctx = judge(make_context(proposed(), kind=kind, initial=initial, now=NOW))
        assert ctx.decision is Decision.WAIT
        assert ctx.rule == "WaitForScheduledTime"
        assert ctx.delay_seconds == pytest.approx(42.5)
        assert ctx.reason is not None and "42.5 s to wait" in ctx.reason
        answer = ctx.result()
        assert answer.state is initial
        assert answer.delay_seconds == pytest.approx(42.5)

    @BOTH_KINDS
    def test_a_start_after_the_scheduled_time_is_accepted(self, kind: RunKind) -> None:
        proposed = Running()
        ctx = judge(make_context(proposed, kind=kind, initial=Scheduled(NOW - seconds(5)), now=NOW))
        assert ctx.decision is Decision.ACCEPT
        assert ctx.validated_state is proposed

    def test_a_start_exactly_at_the_scheduled_time_is_accepted(self) -> None:
        ctx = judge(make_context(Running(), initial=Scheduled(NOW), now=NOW))
        assert ctx.decision is Decision.ACCEPT

    def test_a_scheduled_state_without_a_time_does_not_wait(self) -> None:
        ctx = judge(make_context(Running(), initial=StateType.SCHEDULED, now=NOW))
        assert ctx.decision is Decision.ACCEPT

    def test_a_retry_waits_for_its_retry_time(self) -> None:
        ctx = judge(make_context(Running(), initial=AwaitingRetry(NOW + seconds(3)), now=NOW))
        assert ctx.decision is Decision.WAIT
        assert ctx.delay_seconds == pytest.approx(3.0)


class TestRenameReruns:
    @BOTH_KINDS
    def test_running_after_awaiting_retry_is_named_retrying(self, kind: RunKind) -> None:
        ctx = judge(make_context(Running(), kind=kind, initial=AwaitingRetry(NOW), now=NOW))
        assert ctx.decision is Decision.ACCEPT
        assert ctx.validated_state is not None
        assert ctx.validated_state.type is StateType.RUNNING
        assert ctx.validated_state.name == "Retrying"
        assert ctx.run.state_name == "Retrying"

    def test_running_after_a_plain_schedule_keeps_its_name(self) -> None:
        ctx = judge(make_context(Running(), initial=Scheduled(NOW), now=NOW))
        assert ctx.validated_state is not None
        assert ctx.validated_state.name == "Running"

    def test_a_custom_running_name_is_not_renamed(self) -> None:
        ctx = judge(make_context(Running(name="Resuming"), initial=AwaitingRetry(NOW), now=NOW))
        assert ctx.validated_state is not None
        assert ctx.validated_state.name == "Resuming"


class TestRetryFailedRuns:
    """RetryFailedTasks and RetryFailedFlows: the same rule, named for their policy."""

    @pytest.mark.parametrize(
        ("kind", "rule"),
        [(RunKind.TASK_RUN, "RetryFailedTasks"), (RunKind.FLOW_RUN, "RetryFailedFlows")],
    )
    def test_a_failure_with_retries_left_is_rejected_into_awaiting_retry(
        self, kind: RunKind, rule: str
    ) -> None:
        ctx = make_context(
            failed("boom"),
            kind=kind,
            initial=Running(),
            run_count=1,
            retries=2,
            retry_delay=[10, 20],
            now=NOW,
        )
        judge(ctx)
        assert ctx.decision is Decision.REJECT
        assert ctx.rule == rule
        state = ctx.validated_state
        assert state is not None
        assert state.type is StateType.SCHEDULED
        assert state.name == "AwaitingRetry"
        assert state.state_details.scheduled_time == NOW + seconds(10)
        assert state.message == "Retry 1/2 after: boom"
        assert ctx.reason is not None
        assert ctx.reason.startswith("retry 1 of 2 in 10 s")
        assert "boom" in ctx.reason
        assert ctx.result().state is state

    @pytest.mark.parametrize(
        ("run_count", "expected_delay"), [(1, 10.0), (2, 20.0), (3, 20.0), (4, 20.0)]
    )
    def test_each_attempt_uses_its_delay_and_the_last_delay_is_reused(
        self, run_count: int, expected_delay: float
    ) -> None:
        ctx = make_context(
            failed(), initial=Running(), run_count=run_count, retries=4, retry_delay=[10, 20]
        )
        judge(ctx)
        assert ctx.decision is Decision.REJECT
        assert retry_delay_of(ctx) == pytest.approx(expected_delay)
        assert ctx.reason is not None
        assert ctx.reason.startswith(f"retry {run_count} of 4 ")

    def test_no_delays_retries_immediately(self) -> None:
        ctx = judge(make_context(failed(), initial=Running(), run_count=1, retries=1, now=NOW))
        assert ctx.decision is Decision.REJECT
        assert retry_delay_of(ctx) == 0.0

    def test_jitter_keeps_the_delay_between_the_delay_and_its_jittered_maximum(self) -> None:
        delays = []
        for _ in range(50):
            ctx = make_context(
                failed(),
                initial=Running(),
                run_count=1,
                retries=1,
                retry_delay=[10],
                jitter=0.5,
                now=NOW,
            )
            judge(ctx)
            delays.append(retry_delay_of(ctx))
        assert all(10.0 <= delay <= 15.0 for delay in delays)
        assert max(delays) > 10.0

    @BOTH_KINDS
    @pytest.mark.parametrize(("run_count", "retries"), [(1, 0), (3, 2), (5, 2)])
    def test_a_failure_without_retries_left_is_accepted(
        self, kind: RunKind, run_count: int, retries: int
    ) -> None:
        proposed = failed()
        ctx = make_context(
            proposed, kind=kind, initial=Running(), run_count=run_count, retries=retries
        )
        judge(ctx)
        assert ctx.decision is Decision.ACCEPT
        assert ctx.validated_state is proposed
        assert ctx.run.state_type is StateType.FAILED

    def test_the_last_retry_is_still_granted(self) -> None:
        ctx = judge(make_context(failed(), initial=Running(), run_count=2, retries=2))
        assert ctx.decision is Decision.REJECT
        assert ctx.reason is not None and ctx.reason.startswith("retry 2 of 2 ")

    @BOTH_KINDS
    def test_a_non_retriable_failure_is_not_retried(self, kind: RunKind) -> None:
        proposed = failed(retriable=False)
        ctx = make_context(proposed, kind=kind, initial=Running(), run_count=1, retries=3)
        judge(ctx)
        assert ctx.decision is Decision.ACCEPT
        assert ctx.validated_state is proposed

    def test_a_failure_that_is_not_from_running_is_not_retried(self) -> None:
        ctx = judge(make_context(failed(), initial=StateType.PENDING, run_count=1, retries=3))
        assert ctx.decision is Decision.ACCEPT


class TestUseCachedResults:
    @pytest.mark.parametrize("initial", [StateType.PENDING, None])
    def test_a_valid_cache_key_completes_the_run_with_the_cached_result(
        self, initial: StateType | None
    ) -> None:
        store = FakeStore()
        store.write_cache("k", ref("cached"), NOW + seconds(60))
        ctx = judge(make_context(cached_running("k"), initial=initial, store=store, now=NOW))
        assert ctx.decision is Decision.REJECT
        assert ctx.rule == "UseCachedResults"
        state = ctx.validated_state
        assert state is not None
        assert state.type is StateType.COMPLETED
        assert state.name == "Cached"
        assert state.result_ref == ref("cached")
        assert state.state_details.cache_key == "k"
        assert ctx.reason == "a valid cached result exists for key 'k'"
        assert store.cache_reads == ["k"]

    def test_a_cache_entry_without_expiration_stays_valid(self) -> None:
        store = FakeStore()
        store.write_cache("k", ref(), None)
        ctx = judge(make_context(cached_running("k"), initial=StateType.PENDING, store=store))
        assert ctx.decision is Decision.REJECT

    @pytest.mark.parametrize("expired_by", [0, 1, 3600])
    def test_an_expired_entry_lets_the_run_start(self, expired_by: int) -> None:
        store = FakeStore()
        store.write_cache("k", ref(), NOW - seconds(expired_by))
        proposed = cached_running("k")
        ctx = judge(make_context(proposed, initial=StateType.PENDING, store=store, now=NOW))
        assert ctx.decision is Decision.ACCEPT
        assert ctx.validated_state is proposed
        assert ctx.validated_state.is_running()

    def test_an_unknown_key_lets_the_run_start(self) -> None:
        store = FakeStore()
        store.write_cache("other", ref(), None)
        ctx = judge(make_context(cached_running("k"), initial=StateType.PENDING, store=store))
        assert ctx.decision is Decision.ACCEPT
        assert store.cache_reads == ["k"]

    def test_refresh_cache_skips_the_lookup(self) -> None:
        store = FakeStore()
        store.write_cache("k", ref(), None)
        proposed = cached_running("k", refresh=True)
        ctx = judge(make_context(proposed, initial=StateType.PENDING, store=store))
        assert ctx.decision is Decision.ACCEPT
        assert ctx.validated_state is proposed
        assert store.cache_reads == []

    def test_a_running_proposal_without_a_key_needs_no_store(self) -> None:
        ctx = judge(make_context(Running(), initial=StateType.PENDING, store=None))
        assert ctx.decision is Decision.ACCEPT

    def test_the_cached_state_is_not_written_back_to_the_cache(self) -> None:
        store = FakeStore()
        store.write_cache("k", ref("cached"), None)
        judge(make_context(cached_running("k"), initial=StateType.PENDING, store=store))
        assert store.cache == {"k": (ref("cached"), None)}


class TestCacheCompletedResults:
    @staticmethod
    def completed(key: str | None, result: str | None, expiration: dt.datetime | None) -> State:
        state = Completed()
        state.state_details.cache_key = key
        state.state_details.cache_expiration = expiration
        state.result_ref = ref(result) if result else None
        return state

    def test_a_completed_state_with_a_key_and_a_result_is_cached(self) -> None:
        store = FakeStore()
        proposed = self.completed("k", "r1", NOW + seconds(30))
        ctx = judge(make_context(proposed, initial=Running(), store=store, now=NOW))
        assert ctx.decision is Decision.ACCEPT
        assert store.cache == {"k": (ref("r1"), NOW + seconds(30))}
        assert store.read_cache("k", NOW) == ref("r1")
        assert store.read_cache("k", NOW + seconds(30)) is None

    def test_a_new_result_replaces_the_old_entry(self) -> None:
        store = FakeStore()
        store.write_cache("k", ref("old"), None)
        judge(make_context(self.completed("k", "new", None), initial=Running(), store=store))
        assert store.cache == {"k": (ref("new"), None)}

    def test_no_entry_is_written_without_a_result_ref(self) -> None:
        store = FakeStore()
        judge(make_context(self.completed("k", None, None), initial=Running(), store=store))
        assert store.cache == {}

    def test_no_entry_is_written_without_a_cache_key(self) -> None:
        store = FakeStore()
        judge(make_context(self.completed(None, "r1", None), initial=Running(), store=store))
        assert store.cache == {}

    def test_a_cached_state_is_not_cached_again(self) -> None:
        store = FakeStore()
        proposed = Cached()
        proposed.state_details.cache_key = "k"
        proposed.result_ref = ref("r1")
        ctx = judge(make_context(proposed, initial=Running(), store=store))
        assert ctx.decision is Decision.ACCEPT
        assert store.cache == {}

    def test_the_hook_itself_skips_a_cached_state(self) -> None:
        store = FakeStore()
        state = Cached()
        state.state_details.cache_key = "k"
        state.result_ref = ref("r1")
        ctx = make_context(state, initial=Running(), store=store)
        ctx.validated_state = state
        CacheCompletedResults().after_transition(ctx)
        assert store.cache == {}

    def test_flow_runs_are_never_cached(self) -> None:
        store = FakeStore()
        proposed = self.completed("k", "r1", None)
        judge(make_context(proposed, kind=RunKind.FLOW_RUN, initial=Running(), store=store))
        assert store.cache == {}


class TestSecureTaskConcurrencySlots:
    def test_a_full_limit_makes_the_task_wait(self) -> None:
        store = FakeStore()
        limit = store.add_limit("db", 2, active=2)
        ctx = judge(make_context(Running(), initial=Pending(), tags=["db"], store=store))
        assert ctx.decision is Decision.WAIT
        assert ctx.rule == "SecureTaskConcurrencySlots"
        assert ctx.delay_seconds == CONCURRENCY_RETRY_SECONDS
        assert ctx.reason == "concurrency limit for tag 'db' is full (2/2 slots in use)"
        assert ctx.run.id not in limit.active_slots
        assert len(limit.active_slots) == 2

    def test_one_full_tag_among_several_makes_the_task_wait(self) -> None:
        store = FakeStore()
        store.add_limit("api", 5, active=1)
        store.add_limit("db", 1, active=1)
        ctx = judge(make_context(Running(), initial=Pending(), tags=["api", "db"], store=store))
        assert ctx.decision is Decision.WAIT
        assert ctx.reason is not None and "'db'" in ctx.reason and "1/1" in ctx.reason

    @pytest.mark.parametrize("initial", [StateType.PENDING, None])
    def test_a_zero_limit_aborts(self, initial: StateType | None) -> None:
        store = FakeStore()
        store.add_limit("never", 0)
        ctx = judge(make_context(Running(), initial=initial, tags=["never"], store=store))
        assert ctx.decision is Decision.ABORT
        assert ctx.rule == "SecureTaskConcurrencySlots"
        assert ctx.reason is not None
        assert "'never'" in ctx.reason and "is 0" in ctx.reason

    @pytest.mark.parametrize("initial", [StateType.PENDING, None])
    def test_a_free_slot_is_accepted_and_taken(self, initial: StateType | None) -> None:
        store = FakeStore()
        limit = store.add_limit("db", 2, active=1)
        ctx = judge(make_context(Running(), initial=initial, tags=["db"], store=store))
        assert ctx.decision is Decision.ACCEPT
        assert ctx.run.id in limit.active_slots
        assert len(limit.active_slots) == 2

    def test_a_retry_takes_a_slot_again(self) -> None:
        store = FakeStore()
        limit = store.add_limit("db", 1)
        ctx = judge(
            make_context(Running(), initial=AwaitingRetry(NOW), tags=["db"], store=store, now=NOW)
        )
        assert ctx.decision is Decision.ACCEPT
        assert limit.active_slots == [ctx.run.id]

    def test_tags_without_a_limit_run_freely(self) -> None:
        store = FakeStore()
        ctx = judge(make_context(Running(), initial=Pending(), tags=["free"], store=store))
        assert ctx.decision is Decision.ACCEPT
        assert store.limits == {}

    def test_flow_runs_ignore_task_concurrency_limits(self) -> None:
        store = FakeStore()
        store.add_limit("db", 0)
        ctx = make_context(
            Running(), kind=RunKind.FLOW_RUN, initial=Pending(), tags=["db"], store=store
        )
        judge(ctx)
        assert ctx.decision is Decision.ACCEPT


class TestReleaseTaskConcurrencySlots:
    @pytest.mark.parametrize(
        "proposed",
        [Completed, lambda: failed(retriable=False), lambda: failed(retriable=None)],
        ids=["completed", "failed", "failed-into-awaiting-retry"],
    )
    def test_leaving_running_releases_the_slot(self, proposed: Callable[[], State]) -> None:
        store = FakeStore()
        limit = store.add_limit("db", 2, active=1)
        others = list(limit.active_slots)
        run = make_run(state=Running(), tags=["db"], run_count=1, retries=1)
        limit.active_slots.append(run.id)
        ctx = judge(make_context(proposed(), run=run, store=store))
        assert ctx.decision in (Decision.ACCEPT, Decision.REJECT)
        assert limit.active_slots == others

    def test_awaiting_retry_is_entered_before_the_slot_is_released(self) -> None:
        store = FakeStore()
        limit = store.add_limit("db", 1)
        run = make_run(state=Running(), tags=["db"], run_count=1, retries=1)
        limit.active_slots.append(run.id)
        ctx = judge(make_context(failed(), run=run, store=store))
        assert ctx.validated_state is not None
        assert ctx.validated_state.name == "AwaitingRetry"
        assert limit.active_slots == []

    def test_a_slot_taken_and_released_over_a_run_leaves_the_limit_free(self) -> None:
        store = FakeStore()
        limit = store.add_limit("db", 1)
        run = make_run(state=Pending(), tags=["db"])
        judge(make_context(Running(), run=run, store=store))
        assert limit.active_slots == [run.id]
        judge(make_context(Completed(), run=run, store=store))
        assert limit.active_slots == []
        next_run = judge(make_context(Running(), initial=Pending(), tags=["db"], store=store))
        assert next_run.decision is Decision.ACCEPT


class TestUpdateRunTimesAndCounts:
    @BOTH_KINDS
    def test_a_run_with_a_retry_keeps_true_times_and_counts(self, kind: RunKind) -> None:
        run = make_run(kind)
        judge(make_context(at(Scheduled(NOW + seconds(5)), NOW), run=run, now=NOW))
        assert run.expected_start_time == NOW + seconds(5)
        assert run.run_count == 0
        assert run.start_time is None

        judge(make_context(at(Pending(), NOW + seconds(6)), run=run, now=NOW + seconds(6)))
        judge(make_context(at(Running(), NOW + seconds(10)), run=run, now=NOW + seconds(10)))
        assert run.run_count == 1
        assert run.start_time == NOW + seconds(10)
        assert run.total_run_time == 0.0
        assert run.end_time is None

        retry = at(AwaitingRetry(NOW + seconds(15)), NOW + seconds(13))
        judge(make_context(retry, run=run, now=NOW + seconds(13)))
        assert run.total_run_time == pytest.approx(3.0)
        assert run.expected_start_time == NOW + seconds(5)

        judge(make_context(at(Running(), NOW + seconds(20)), run=run, now=NOW + seconds(20)))
        assert run.state_name == "Retrying"
        assert run.run_count == 2
        assert run.start_time == NOW + seconds(10)

        judge(make_context(at(Completed(), NOW + seconds(24)), run=run, now=NOW + seconds(24)))
        assert run.total_run_time == pytest.approx(7.0)
        assert run.end_time == NOW + seconds(24)
        assert run.state_type is StateType.COMPLETED
        assert run.state_name == "Completed"
        assert run.updated == NOW + seconds(24)

    @pytest.mark.parametrize("terminal", TERMINAL)
    def test_entering_a_terminal_state_sets_the_end_time(self, terminal: StateType) -> None:
        run = make_run(state=at(Running(), NOW), run_count=1)
        judge(make_context(at(State(type=terminal), NOW + seconds(2)), run=run))
        assert run.end_time == NOW + seconds(2)
        assert run.total_run_time == pytest.approx(2.0)

    def test_the_rejected_state_is_the_one_recorded_on_the_run(self) -> None:
        run = make_run(state=at(Running(), NOW), run_count=1, retries=1)
        ctx = judge(make_context(failed(), run=run, now=NOW + seconds(1)))
        assert ctx.decision is Decision.REJECT
        assert run.state is ctx.validated_state
        assert run.state_type is StateType.SCHEDULED
        assert run.state_name == "AwaitingRetry"
        assert run.end_time is None

    def test_a_wait_or_abort_leaves_the_run_untouched(self) -> None:
        initial = Scheduled(NOW + seconds(60))
        run = make_run(state=initial)
        judge(make_context(Running(), run=run, now=NOW))
        assert run.run_count == 0
        assert run.start_time is None
        assert run.state is initial

    def test_forced_transitions_are_counted_too(self) -> None:
        run = make_run(state=at(Completed(), NOW), run_count=1)
        run.start_time = NOW - seconds(5)
        run.end_time = NOW
        ctx = make_context(at(Running(), NOW + seconds(1)), run=run, now=NOW + seconds(1))
        judge(ctx, force=True)
        assert ctx.decision is Decision.ACCEPT
        assert run.run_count == 2
        assert run.end_time is None
        assert run.start_time == NOW - seconds(5)
        assert run.state_type is StateType.RUNNING

    def test_a_forced_duplicate_running_still_counts_a_run(self) -> None:
        run = make_run(state=at(Running(), NOW), run_count=1)
        judge(make_context(at(Running(), NOW + seconds(4)), run=run), force=True)
        assert run.run_count == 2
        assert run.total_run_time == pytest.approx(4.0)

    def test_a_clock_going_backwards_adds_no_negative_run_time(self) -> None:
        run = make_run(state=at(Running(), NOW), run_count=1)
        judge(make_context(at(Completed(), NOW - seconds(3)), run=run))
        assert run.total_run_time == 0.0


class TestNeedsStore:
    def test_a_plain_task_start_needs_no_store(self) -> None:
        run = make_run()
        assert not TASK_POLICY.needs_store(run, StateType.PENDING, Running())
        assert not TASK_POLICY.needs_store(run, None, Running())

    @pytest.mark.parametrize("initial", [StateType.PENDING, None])
    def test_a_cache_key_on_a_running_proposal_needs_the_store(
        self, initial: StateType | None
    ) -> None:
        assert TASK_POLICY.needs_store(make_run(), initial, cached_running("k"))

    def test_refresh_cache_needs_no_store(self) -> None:
        assert not TASK_POLICY.needs_store(
            make_run(), StateType.PENDING, cached_running("k", refresh=True)
        )

    def test_a_completed_proposal_with_a_cache_key_needs_the_store(self) -> None:
        proposed = Completed()
        proposed.state_details.cache_key = "k"
        assert TASK_POLICY.needs_store(make_run(), StateType.RUNNING, proposed)

    def test_a_cached_proposal_needs_no_store(self) -> None:
        proposed = Cached()
        proposed.state_details.cache_key = "k"
        assert not TASK_POLICY.needs_store(make_run(), StateType.RUNNING, proposed)

    @pytest.mark.parametrize(
        ("initial", "proposed"),
        [
            (StateType.PENDING, Running),
            (None, Running),
            (StateType.RUNNING, Completed),
            (StateType.RUNNING, Failed),
        ],
    )
    def test_tags_on_a_task_run_entering_or_leaving_running_need_the_store(
        self, initial: StateType | None, proposed: Callable[[], State]
    ) -> None:
        assert TASK_POLICY.needs_store(make_run(tags=["db"]), initial, proposed())

    def test_tags_on_a_task_run_not_touching_running_need_no_store(self) -> None:
        assert not TASK_POLICY.needs_store(make_run(tags=["db"]), StateType.SCHEDULED, Pending())

    def test_flow_runs_never_need_the_store(self) -> None:
        run = make_run(RunKind.FLOW_RUN, tags=["db"])
        assert not FLOW_POLICY.needs_store(run, StateType.PENDING, cached_running("k"))
        assert not FLOW_POLICY.needs_store(run, StateType.RUNNING, Completed())


def _full_limit_store() -> FakeStore:
    store = FakeStore()
    store.add_limit("db", 1, active=1)
    return store


def _zero_limit_store() -> FakeStore:
    store = FakeStore()
    store.add_limit("db", 0)
    return store


def _cache_store() -> FakeStore:
    store = FakeStore()
    store.write_cache("k", ref(), None)
    return store


# Scenario name -> a context whose judgement is one non-ACCEPT decision.
REFUSALS = {
    "terminal": lambda: make_context(Running(), initial=StateType.COMPLETED),
    "duplicate": lambda: make_context(Running(), kind=RunKind.FLOW_RUN, initial=Running()),
    "scheduled": lambda: make_context(Running(), initial=Scheduled(NOW + seconds(9)), now=NOW),
    "retry": lambda: make_context(failed(), initial=Running(), run_count=1, retries=1),
    "cached": lambda: make_context(
        cached_running("k"), initial=StateType.PENDING, store=_cache_store()
    ),
    "concurrency-full": lambda: make_context(
        Running(), initial=Pending(), tags=["db"], store=_full_limit_store()
    ),
    "concurrency-zero": lambda: make_context(
        Running(), initial=Pending(), tags=["db"], store=_zero_limit_store()
    ),
}


class TestDecisionRecords:
    @pytest.mark.parametrize("scenario", list(REFUSALS))
    def test_every_refusal_appends_one_record_explaining_it(self, scenario: str) -> None:
        ctx = judge(REFUSALS[scenario]())
        assert ctx.decision is not Decision.ACCEPT
        assert len(ctx.records) == 1
        record = ctx.records[0]
        assert record.rule == ctx.rule
        assert record.rule
        assert record.decision is ctx.decision
        assert record.reason == ctx.reason
        assert record.reason
        assert record.run_id == ctx.run.id
        assert record.run_kind is ctx.kind
        assert record.initial_state_type is ctx.initial_type
        assert record.proposed_state_type is ctx.proposed_state.type
        assert record.proposed_state_name == ctx.proposed_state.name
        assert record.delay_seconds == ctx.delay_seconds
        if ctx.decision is Decision.REJECT:
            assert ctx.validated_state is not None
            assert record.resulting_state_type is ctx.validated_state.type
            assert record.resulting_state_name == ctx.validated_state.name
        else:
            assert record.resulting_state_type is None
            assert record.resulting_state_name is None

    def test_a_retry_record_names_the_failed_proposal_and_the_retry_state(self) -> None:
        ctx = judge(REFUSALS["retry"]())
        record = ctx.records[0]
        assert record.rule == "RetryFailedTasks"
        assert record.decision is Decision.REJECT
        assert record.proposed_state_type is StateType.FAILED
        assert record.proposed_state_name == "Failed"
        assert record.resulting_state_type is StateType.SCHEDULED
        assert record.resulting_state_name == "AwaitingRetry"

    def test_a_wait_record_carries_its_delay(self) -> None:
        ctx = judge(REFUSALS["scheduled"]())
        assert ctx.records[0].delay_seconds == pytest.approx(9.0)
        assert ctx.records[0].timestamp == NOW

    @pytest.mark.parametrize(
        "build",
        [
            lambda: make_context(Pending(), initial=Scheduled(NOW), now=NOW),
            lambda: make_context(Running(), initial=StateType.PENDING),
            lambda: make_context(Running(), initial=AwaitingRetry(NOW), now=NOW),
            lambda: make_context(Completed(), initial=Running(), kind=RunKind.FLOW_RUN),
            lambda: make_context(Running(), initial=Pending(), tags=["db"], store=FakeStore()),
        ],
        ids=["pending", "running", "renamed-retrying", "completed", "free-slot"],
    )
    def test_a_plain_accept_records_nothing(
        self, build: Callable[[], OrchestrationContext]
    ) -> None:
        ctx = judge(build())
        assert ctx.decision is Decision.ACCEPT
        assert ctx.records == []

    def test_a_forced_transition_records_nothing(self) -> None:
        ctx = judge(make_context(Running(), initial=StateType.CRASHED), force=True)
        assert ctx.records == []
