"""What a rule sees when it judges one proposed transition, and what it can answer."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from baton.core.fast import construct
from baton.core.models import ConcurrencyLimit, Decision, OrchestrationDecision, RunKind, RunModel
from baton.core.states import State, StateType
from baton.results.persistence import ResultRef


class OrchestrationStore(Protocol):
    """The few facts rules need from storage beyond the run itself.

    Implemented on the database inside the transition's transaction, so checks
    and updates (a concurrency slot, a cache entry) are atomic with the state write.
    """

    def read_cache(self, key: str, now: dt.datetime) -> ResultRef | None: ...

    def write_cache(self, key: str, ref: ResultRef, expiration: dt.datetime | None) -> None: ...

    def read_concurrency_limits(self, tags: list[str]) -> list[ConcurrencyLimit]: ...

    def take_concurrency_slots(self, tags: list[str], run_id: uuid.UUID) -> None: ...

    def release_concurrency_slots(self, tags: list[str], run_id: uuid.UUID) -> None: ...


class OrchestrationResult(BaseModel):
    """The orchestrator's answer to a proposed state."""

    model_config = ConfigDict(extra="forbid")

    status: Decision
    state: State | None
    reason: str | None = None
    delay_seconds: float | None = None
    rule: str | None = None


@dataclass
class OrchestrationContext:
    """One proposed transition under judgement.

    Rules read ``run``, ``initial_state`` and ``proposed_state`` and answer by
    calling ``reject``, ``wait`` or ``abort``; silence means accept. Bookkeeping
    rules update ``run`` in place; the caller writes it back with the state.
    """

    run: RunModel
    kind: RunKind
    initial_state: State | None
    proposed_state: State
    now: dt.datetime
    store: OrchestrationStore | None = None
    decision: Decision = Decision.ACCEPT
    validated_state: State | None = None
    reason: str | None = None
    rule: str | None = None
    delay_seconds: float | None = None
    records: list[OrchestrationDecision] = field(default_factory=list)

    @property
    def initial_type(self) -> StateType | None:
        return self.initial_state.type if self.initial_state else None

    @property
    def proposed_type(self) -> StateType:
        return self.proposed_state.type

    def require_store(self) -> OrchestrationStore:
        if self.store is None:
            raise RuntimeError(
                f"rule {self.rule} needs storage but the transition was judged without it"
            )
        return self.store

    # -- answers -----------------------------------------------------------
    def reject(self, rule: str, state: State, reason: str) -> None:
        """Refuse the proposal; the run enters ``state`` instead."""
        self._decide(rule, Decision.REJECT, reason)
        self.validated_state = state

    def wait(self, rule: str, delay_seconds: float, reason: str) -> None:
        """Tell the client to propose again after ``delay_seconds``."""
        self._decide(rule, Decision.WAIT, reason)
        self.delay_seconds = max(0.0, delay_seconds)

    def abort(self, rule: str, reason: str) -> None:
        """Refuse the proposal; the client must stop driving this run."""
        self._decide(rule, Decision.ABORT, reason)

    def _decide(self, rule: str, decision: Decision, reason: str) -> None:
        self.decision = decision
        self.rule = rule
        self.reason = reason

    def record(self) -> OrchestrationDecision:
        """The decision as it is stored, so "why did this happen?" has an answer."""
        resulting = self.validated_state
        return OrchestrationDecision(
            timestamp=self.now,
            run_id=self.run.id,
            run_kind=self.kind,
            rule=self.rule or "",
            decision=self.decision,
            reason=self.reason or "",
            initial_state_type=self.initial_type,
            proposed_state_type=self.proposed_state.type,
            proposed_state_name=self.proposed_state.name,
            resulting_state_type=resulting.type if resulting else None,
            resulting_state_name=resulting.name if resulting else None,
            delay_seconds=self.delay_seconds,
        )

    def result(self) -> OrchestrationResult:
        """The answer sent back to the client."""
        state = self.validated_state
        if self.decision in (Decision.WAIT, Decision.ABORT):
            state = self.initial_state
        # Built for every transition, from values of the right types: no re-validation.
        return construct(
            OrchestrationResult,
            {
                "status": self.decision,
                "state": state,
                "reason": self.reason,
                "delay_seconds": self.delay_seconds,
                "rule": self.rule,
            },
        )
