"""States and orchestration results on the wire.

Prefect's ``State.data`` carries a persisted result's reference; Baton calls
it ``result_ref``. Prefect clients send a few state-detail fields Baton has no
use for (pause keys, transition ids); they are accepted and dropped.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from baton.core.models import Decision
from baton.core.orchestration.context import OrchestrationResult
from baton.core.states import State, StateDetails, StateType, trusted_state
from baton.results.persistence import ResultRef

# The largest integer a request may carry: what both databases store as INTEGER.
MAX_INT = 2**31 - 1


class WireModel(BaseModel):
    """A request body: unknown fields are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class WireStateDetails(WireModel):
    flow_run_id: uuid.UUID | None = None
    task_run_id: uuid.UUID | None = None
    child_flow_run_id: uuid.UUID | None = None
    scheduled_time: dt.datetime | None = None
    cache_key: str | None = None
    cache_expiration: dt.datetime | None = None
    untrackable_result: bool = False
    refresh_cache: bool | None = None
    retriable: bool | None = None
    # Accepted for compatibility with Prefect clients; Baton does not use them.
    pause_timeout: dt.datetime | None = None
    pause_reschedule: bool = False
    pause_key: str | None = None
    run_input_keyset: dict[str, str] | None = None
    transition_id: uuid.UUID | None = None
    task_parameters_id: uuid.UUID | None = None

    @classmethod
    def from_details(cls, details: StateDetails) -> WireStateDetails:
        return cls.model_validate(details.__dict__)

    def to_details(self) -> StateDetails:
        return StateDetails(
            **self.model_dump(include=set(StateDetails.model_fields)),
        )


class StateCreate(WireModel):
    """A proposed state."""

    type: StateType
    name: str | None = None
    message: str | None = None
    data: ResultRef | dict[str, Any] | None = Field(
        default=None,
        description="Reference to the persisted result, if any. Other clients' result "
        "metadata (e.g. Prefect's) is accepted and not kept.",
    )
    state_details: WireStateDetails = Field(default_factory=WireStateDetails)
    timestamp: dt.datetime | None = None
    id: uuid.UUID | None = None

    @classmethod
    def from_state(cls, state: State) -> StateCreate:
        """The proposal a client sends for ``state`` (the HTTP client's side)."""
        return cls(
            type=state.type,
            name=state.name,
            message=state.message,
            data=state.result_ref,
            state_details=WireStateDetails.from_details(state.state_details),
            timestamp=state.timestamp,
            id=state.id,
        )

    def to_state(self) -> State:
        """The proposed state; this body was validated against the same types."""
        details = self.state_details
        return trusted_state(
            self.type,
            name=self.name,
            message=self.message,
            details={name: getattr(details, name) for name in _DETAIL_FIELDS},
            result_ref=self.data if isinstance(self.data, ResultRef) else None,
            id=self.id,
            timestamp=_aware(self.timestamp) if self.timestamp is not None else None,
        )


# The wire's state details that Baton keeps (the others are accepted and dropped).
_DETAIL_FIELDS = tuple(StateDetails.model_fields)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)


class StateResponse(BaseModel):
    id: uuid.UUID
    type: StateType
    name: str
    timestamp: dt.datetime
    message: str | None
    data: ResultRef | None
    state_details: WireStateDetails

    @classmethod
    def from_state(cls, state: State) -> StateResponse:
        return cls(
            id=state.id,
            type=state.type,
            name=state.name,
            timestamp=state.timestamp,
            message=state.message,
            data=state.result_ref,
            state_details=WireStateDetails.from_details(state.state_details),
        )

    def to_state(self) -> State:
        """The domain state (the HTTP client's side of the mapping)."""
        return State(
            id=self.id,
            type=self.type,
            name=self.name,
            timestamp=self.timestamp,
            message=self.message,
            result_ref=self.data,
            state_details=self.state_details.to_details(),
        )


class SetStateBody(WireModel):
    state: StateCreate
    force: bool = False


class ResultDetails(BaseModel):
    """Why the orchestrator answered as it did (Prefect's ``details`` object)."""

    type: Literal["accept_details", "reject_details", "wait_details", "abort_details"]
    reason: str | None = None
    delay_seconds: float | None = None
    rule: str | None = Field(default=None, description="The rule that decided (Baton).")


_DETAIL_TYPES = {
    Decision.ACCEPT: "accept_details",
    Decision.REJECT: "reject_details",
    Decision.WAIT: "wait_details",
    Decision.ABORT: "abort_details",
}


class OrchestrationResultResponse(BaseModel):
    status: Decision
    state: StateResponse | None
    details: ResultDetails

    @classmethod
    def from_result(cls, result: OrchestrationResult) -> OrchestrationResultResponse:
        return cls(
            status=result.status,
            state=StateResponse.from_state(result.state) if result.state else None,
            details=ResultDetails(
                type=_DETAIL_TYPES[result.status],
                reason=result.reason,
                delay_seconds=result.delay_seconds,
                rule=result.rule,
            ),
        )

    def to_result(self) -> OrchestrationResult:
        return OrchestrationResult(
            status=self.status,
            state=self.state.to_state() if self.state else None,
            reason=self.details.reason,
            delay_seconds=self.details.delay_seconds,
            rule=self.details.rule,
        )
