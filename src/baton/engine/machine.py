"""The run engine's logic, once, as a sans-I/O state machine.

``run_machine`` is a generator: it yields commands (propose this state, sleep,
execute the user's code, turn its outcome into a state) and receives their
answers. It does no I/O itself, so one implementation serves the synchronous
and the asynchronous driver (``drivers``), and tests can drive it by hand.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from baton.core.models import Decision
from baton.core.orchestration.context import OrchestrationResult
from baton.core.states import Running, State, utcnow
from baton.exceptions import RunAborted


@dataclass(frozen=True)
class Propose:
    """Propose ``state`` for the run; answered with an ``OrchestrationResult``."""

    state: State


@dataclass(frozen=True)
class Sleep:
    """Wait ``seconds`` before going on; answered with ``None``."""

    seconds: float


@dataclass(frozen=True)
class Execute:
    """Run the user's code once; answered with an ``Outcome``."""


@dataclass(frozen=True)
class Settle:
    """Turn ``outcome`` into the final state to propose; answered with a ``State``."""

    outcome: Outcome


@dataclass(frozen=True)
class Outcome:
    """What one execution of user code did: returned ``value`` or raised ``error``."""

    value: Any = None
    error: BaseException | None = None
    timed_out: bool = False


Command = Propose | Sleep | Execute | Settle
Machine = Generator[Command, Any, State]


def run_machine(start: State | None = None) -> Machine:
    """Drive one run from its current state to a final one (or until told to stop).

    Returns the state the run ends in: a final state, or the state it was
    left in when the orchestrator aborted a transition.
    """
    while True:
        answer: OrchestrationResult = yield Propose(start or Running())
        start = None
        state = yield from _follow(answer)
        if state is None:
            continue
        if not state.is_running():
            return state
        outcome: Outcome = yield Execute()
        final: State = yield Settle(outcome)
        answer = yield Propose(final)
        while answer.status is Decision.WAIT:
            yield Sleep(answer.delay_seconds or 0.0)
            final = final.fresh_copy()
            answer = yield Propose(final)
        if answer.status is Decision.ABORT:
            raise RunAborted(answer.reason or "the orchestrator aborted the run")
        assert answer.state is not None
        if answer.state.is_scheduled():
            yield Sleep(_until(answer.state))
            continue
        return _keep_value(answer.state, final)


def _follow(answer: OrchestrationResult) -> Generator[Command, Any, State | None]:
    """Handle the answer to a start proposal; ``None`` means "propose again"."""
    if answer.status is Decision.WAIT:
        yield Sleep(answer.delay_seconds or 0.0)
        return None
    if answer.status is Decision.ABORT:
        raise RunAborted(answer.reason or "the orchestrator aborted the run")
    state = answer.state
    assert state is not None
    if state.is_scheduled():
        yield Sleep(_until(state))
        return None
    return state


def _until(state: State) -> float:
    when = state.state_details.scheduled_time
    return max(0.0, (when - utcnow()).total_seconds()) if when else 0.0


def _keep_value(accepted: State, proposed: State) -> State:
    """The orchestrator returns the state it recorded; keep the in-memory result on it."""
    if accepted is not proposed and accepted.id == proposed.id and proposed.has_value():
        accepted.attach_value(proposed._value)
    return accepted
