"""Builders for orchestration contexts, and an in-memory orchestration store.

``FakeStore`` implements the ``OrchestrationStore`` protocol with plain dicts,
so rules can be judged without a database: that protocol is the seam the
orchestrator itself uses between the rules and storage.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from baton.core.models import (
    ConcurrencyLimit,
    FlowRun,
    RetryPolicy,
    RunKind,
    RunModel,
    TaskRun,
)
from baton.core.orchestration.context import OrchestrationContext
from baton.core.orchestration.policies import default_policy
from baton.core.states import State, StateType, utcnow
from baton.results.persistence import ResultRef

# A fixed "now" for tests that compute times; far from the wall clock on purpose,
# so a rule that reads the clock instead of ``ctx.now`` shows up.
NOW = dt.datetime(2031, 5, 17, 12, 0, tzinfo=dt.timezone.utc)


def seconds(n: float) -> dt.timedelta:
    return dt.timedelta(seconds=n)


def at(state: State, when: dt.datetime) -> State:
    """``state`` with its timestamp set to ``when``, for exact time bookkeeping."""
    state.timestamp = when
    return state


def ref(key: str = "result-1") -> ResultRef:
    return ResultRef(storage="file:///tmp/baton-results", key=key, serializer="pickle")


class FakeStore:
    """Cache entries with expiry and concurrency limits with active slots, in dicts."""

    def __init__(self) -> None:
        self.cache: dict[str, tuple[ResultRef, dt.datetime | None]] = {}
        self.limits: dict[str, ConcurrencyLimit] = {}
        self.cache_reads: list[str] = []

    def add_limit(self, tag: str, limit: int, active: int = 0) -> ConcurrencyLimit:
        """A limit on ``tag`` with ``active`` slots already held by other runs."""
        self.limits[tag] = ConcurrencyLimit(
            tag=tag, limit=limit, active_slots=[uuid.uuid4() for _ in range(active)]
        )
        return self.limits[tag]

    def read_cache(self, key: str, now: dt.datetime) -> ResultRef | None:
        self.cache_reads.append(key)
        entry = self.cache.get(key)
        if entry is None:
            return None
        stored, expiration = entry
        if expiration is not None and expiration <= now:
            return None
        return stored

    def write_cache(self, key: str, ref: ResultRef, expiration: dt.datetime | None) -> None:
        self.cache[key] = (ref, expiration)

    def read_concurrency_limits(self, tags: list[str]) -> list[ConcurrencyLimit]:
        return [self.limits[tag] for tag in sorted(tags) if tag in self.limits]

    def take_concurrency_slots(self, tags: list[str], run_id: uuid.UUID) -> None:
        for limit in self.read_concurrency_limits(tags):
            if run_id not in limit.active_slots:
                limit.active_slots.append(run_id)

    def release_concurrency_slots(self, tags: list[str], run_id: uuid.UUID) -> None:
        for limit in self.read_concurrency_limits(tags):
            limit.active_slots = [slot for slot in limit.active_slots if slot != run_id]


def make_run(
    kind: RunKind = RunKind.TASK_RUN,
    *,
    state: State | None = None,
    run_count: int = 0,
    retries: int = 0,
    retry_delay: Sequence[float] = (),
    jitter: float | None = None,
    tags: Sequence[str] = (),
) -> RunModel:
    """A flow run or task run currently in ``state``."""
    policy = RetryPolicy(retries=retries, retry_delay=list(retry_delay), retry_jitter_factor=jitter)
    common = {
        "state": state,
        "state_type": state.type if state else None,
        "state_name": state.name if state else None,
        "run_count": run_count,
        "tags": list(tags),
        "empirical_policy": policy,
    }
    if kind is RunKind.TASK_RUN:
        return TaskRun(name="work-0", task_key="tests.work", **common)
    return FlowRun(name="brave-otter", flow_id=uuid.uuid4(), **common)


def make_context(
    proposed: State,
    *,
    kind: RunKind = RunKind.TASK_RUN,
    initial: State | StateType | None = None,
    initial_name: str | None = None,
    run: RunModel | None = None,
    run_count: int = 0,
    retries: int = 0,
    retry_delay: Sequence[float] = (),
    jitter: float | None = None,
    tags: Sequence[str] = (),
    store: FakeStore | None = None,
    now: dt.datetime | None = None,
) -> OrchestrationContext:
    """A context proposing ``proposed`` for a run in ``initial`` (a state, a type, or none).

    Pass ``run`` to judge the next transition of an existing run: its current
    state is then the initial state.
    """
    if isinstance(initial, StateType):
        initial = State(type=initial, name=initial_name or "")
    if run is None:
        run = make_run(
            kind,
            state=initial,
            run_count=run_count,
            retries=retries,
            retry_delay=retry_delay,
            jitter=jitter,
            tags=tags,
        )
    else:
        initial = run.state
        kind = RunKind.TASK_RUN if isinstance(run, TaskRun) else RunKind.FLOW_RUN
    return OrchestrationContext(
        run=run,
        kind=kind,
        initial_state=initial,
        proposed_state=proposed,
        now=now or utcnow(),
        store=store,
    )


def judge(ctx: OrchestrationContext, *, force: bool = False) -> OrchestrationContext:
    """Judge ``ctx`` with the default policy for its kind of run; returns it for chaining."""
    default_policy(ctx.kind).judge(ctx, force=force)
    return ctx
