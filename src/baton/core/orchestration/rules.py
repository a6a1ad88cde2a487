"""The base class of every orchestration rule.

A rule names the state types it moves *from* and *to*. ``before_transition``
may answer (reject, wait, abort); ``after_transition`` runs once the state is
validated, to keep side records (cache entries, concurrency slots) in step.
A rule that reads or writes storage sets ``uses_store`` and says in
``is_relevant`` when it really needs to, so the embedded engine can judge
plain transitions without a database round trip.
"""

from __future__ import annotations

from collections.abc import Iterable

from baton.core.models import RunModel
from baton.core.orchestration.context import OrchestrationContext
from baton.core.states import ALL_TYPES, State, StateType

# ``None`` stands for "no state yet": a run being created.
StateTypes = frozenset[StateType | None]


def types(*values: Iterable[StateType | None] | StateType | None) -> StateTypes:
    """Build a set of state types from types and collections of types."""
    out: set[StateType | None] = set()
    for value in values:
        if value is None or isinstance(value, StateType):
            out.add(value)
        else:
            out.update(value)
    return frozenset(out)


ANY = types(ALL_TYPES, None)


class Rule:
    """One named, small piece of orchestration policy."""

    FROM_STATES: StateTypes = ANY
    TO_STATES: StateTypes = ANY
    uses_store: bool = False

    @classmethod
    def name(cls) -> str:
        return cls.__name__

    @classmethod
    def applies(cls, initial: StateType | None, proposed: StateType | None) -> bool:
        return initial in cls.FROM_STATES and proposed in cls.TO_STATES

    def is_relevant(self, run: RunModel, proposed: State) -> bool:
        """Whether this rule has anything to do for ``run``; cheap, no I/O."""
        return True

    def before_transition(self, ctx: OrchestrationContext) -> None:
        """Judge the proposal; call ``ctx.reject/wait/abort`` to refuse it."""

    def after_transition(self, ctx: OrchestrationContext) -> None:
        """React to the validated state (``ctx.validated_state``)."""
