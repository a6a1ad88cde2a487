"""States: what a run is doing, with the full story of how it got there.

A state has a *type* (what the orchestrator reasons about) and a *name* that
refines it for people (``Cached`` is a COMPLETED state, ``AwaitingRetry`` a
SCHEDULED one). A state carries a reference to its persisted result, never the
data itself; the engine also keeps the in-memory value on the state object it
holds, so an un-persisted result is still available to the caller.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from baton.core.fast import construct
from baton.core.ids import new_id
from baton.results.persistence import ResultRef


class StateType(str, enum.Enum):
    SCHEDULED = "SCHEDULED"
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    CANCELLING = "CANCELLING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    CRASHED = "CRASHED"


TERMINAL_TYPES = frozenset(
    {StateType.COMPLETED, StateType.FAILED, StateType.CANCELLED, StateType.CRASHED}
)
ALL_TYPES = frozenset(StateType)

_UNSET: Any = object()


def utcnow() -> dt.datetime:
    """Timezone-aware UTC now: every timestamp Baton stores is one of these."""
    return dt.datetime.now(dt.timezone.utc)


class StateDetails(BaseModel):
    """Links and orchestration facts that travel with a state."""

    model_config = ConfigDict(extra="forbid")

    flow_run_id: uuid.UUID | None = None
    task_run_id: uuid.UUID | None = None
    child_flow_run_id: uuid.UUID | None = None
    scheduled_time: dt.datetime | None = None
    cache_key: str | None = None
    cache_expiration: dt.datetime | None = None
    refresh_cache: bool | None = None
    retriable: bool | None = None
    untrackable_result: bool = False


class State(BaseModel):
    """One state of a flow run or task run."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID = Field(default_factory=new_id)
    type: StateType
    name: str = ""
    timestamp: dt.datetime = Field(default_factory=utcnow)
    message: str | None = None
    result_ref: ResultRef | None = None
    state_details: StateDetails = Field(default_factory=StateDetails)

    _value: Any = PrivateAttr(default_factory=lambda: _UNSET)

    def model_post_init(self, __context: Any) -> None:
        if not self.name:
            self.name = self.type.value.title()

    # -- queries -----------------------------------------------------------
    def is_scheduled(self) -> bool:
        return self.type is StateType.SCHEDULED

    def is_pending(self) -> bool:
        return self.type is StateType.PENDING

    def is_running(self) -> bool:
        return self.type is StateType.RUNNING

    def is_paused(self) -> bool:
        return self.type is StateType.PAUSED

    def is_cancelling(self) -> bool:
        return self.type is StateType.CANCELLING

    def is_completed(self) -> bool:
        return self.type is StateType.COMPLETED

    def is_failed(self) -> bool:
        return self.type is StateType.FAILED

    def is_crashed(self) -> bool:
        return self.type is StateType.CRASHED

    def is_cancelled(self) -> bool:
        return self.type is StateType.CANCELLED

    def is_final(self) -> bool:
        return self.type in TERMINAL_TYPES

    # -- results -----------------------------------------------------------
    def has_value(self) -> bool:
        """Whether the in-memory result (or exception) is attached to this object."""
        return self._value is not _UNSET

    def attach_value(self, value: Any) -> State:
        """Keep ``value`` in memory with this state; returns ``self`` for chaining."""
        self._value = value
        return self

    def result(self, raise_on_failure: bool = True) -> Any:
        """The run's return value, or its exception raised (or returned) for failed runs."""
        from baton.engine.outcomes import result_of_state

        return result_of_state(self, raise_on_failure=raise_on_failure)

    def fresh_copy(self, **changes: Any) -> State:
        """A new state (new id and timestamp) like this one, for re-proposing it."""
        data = self.model_dump(exclude={"id", "timestamp"})
        data.update(changes)
        copy = State.model_validate(data)
        copy._value = self._value
        return copy

    def __repr__(self) -> str:
        parts = [] if self.name.upper() == self.type.value else [self.type.value]
        if self.message:
            parts.append(f"message={self.message!r}")
        return f"{self.name}({', '.join(parts)})"

    __str__ = __repr__


def trusted_state(
    type_: StateType,
    *,
    name: str | None = None,
    message: str | None = None,
    details: StateDetails | dict[str, Any] | None = None,
    result_ref: ResultRef | None = None,
    id: uuid.UUID | None = None,
    timestamp: dt.datetime | None = None,
    data: Any = _UNSET,
) -> State:
    """A state from values already of the right types, built without re-validation.

    For the hot paths (every task's states in the engine, every proposal the
    server receives once its body is validated, every state read back): a dict
    of ``details`` names any subset of ``StateDetails``' fields, and the rest
    take their defaults.
    """
    if not isinstance(details, StateDetails):
        details = construct(StateDetails, {**_NO_DETAILS, **(details or {})})
    return construct(
        State,
        {
            "id": id or new_id(),
            "type": type_,
            "name": name or type_.value.title(),
            "timestamp": timestamp or utcnow(),
            "message": message,
            "result_ref": result_ref,
            "state_details": details,
        },
        {"_value": data},
    )


def _make(
    type_: StateType, name: str | None, message: str | None, data: Any, **details: Any
) -> State:
    message = None if message is None else str(message)
    return trusted_state(type_, name=name, message=message, details=details, data=data)


_NO_DETAILS: dict[str, Any] = {
    name: field.default for name, field in StateDetails.model_fields.items()
}


def Scheduled(
    scheduled_time: dt.datetime | None = None,
    *,
    name: str | None = None,
    message: str | None = None,
) -> State:
    """A run waiting for ``scheduled_time`` (now when omitted)."""
    return _make(
        StateType.SCHEDULED, name, message, _UNSET, scheduled_time=scheduled_time or utcnow()
    )


def Pending(*, name: str | None = None, message: str | None = None) -> State:
    return _make(StateType.PENDING, name, message, _UNSET)


def Running(*, name: str | None = None, message: str | None = None) -> State:
    return _make(StateType.RUNNING, name, message, _UNSET)


def Paused(*, name: str | None = None, message: str | None = None) -> State:
    return _make(StateType.PAUSED, name, message, _UNSET)


def Cancelling(*, name: str | None = None, message: str | None = None) -> State:
    return _make(StateType.CANCELLING, name, message, _UNSET)


def Completed(*, name: str | None = None, message: str | None = None, data: Any = _UNSET) -> State:
    """A finished run; ``data`` is its result when a flow or task returns this state."""
    return _make(StateType.COMPLETED, name, message, data)


def Failed(*, name: str | None = None, message: str | None = None, data: Any = _UNSET) -> State:
    """A run that failed; ``data`` may hold the exception."""
    return _make(StateType.FAILED, name, message, data)


def Cancelled(*, name: str | None = None, message: str | None = None) -> State:
    return _make(StateType.CANCELLED, name, message, _UNSET)


def Crashed(*, name: str | None = None, message: str | None = None, data: Any = _UNSET) -> State:
    return _make(StateType.CRASHED, name, message, data)


def AwaitingRetry(scheduled_time: dt.datetime, *, message: str | None = None) -> State:
    return Scheduled(scheduled_time, name="AwaitingRetry", message=message)


def Retrying(*, message: str | None = None) -> State:
    return Running(name="Retrying", message=message)


def Late(scheduled_time: dt.datetime, *, message: str | None = None) -> State:
    return Scheduled(scheduled_time, name="Late", message=message)


def Cached(*, message: str | None = None, data: Any = _UNSET) -> State:
    return Completed(name="Cached", message=message, data=data)


def TimedOut(*, message: str | None = None) -> State:
    return Failed(name="TimedOut", message=message)
