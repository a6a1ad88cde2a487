"""How a state looks: an icon, a word and a colour, always together.

Colour alone never carries meaning (colour-blind users, printouts), so every
place that shows a state uses the icon and the label too.
"""

from __future__ import annotations

from dataclasses import dataclass

from baton.core.states import TERMINAL_TYPES, StateType


@dataclass(frozen=True)
class StateLook:
    type: str
    label: str
    icon: str
    """Id of the ``<symbol>`` in the page's icon sprite."""
    css: str
    """Suffix of the CSS custom property holding the colour (``--state-<css>``)."""


_LOOKS = {
    StateType.SCHEDULED: StateLook("SCHEDULED", "Scheduled", "icon-clock", "scheduled"),
    StateType.PENDING: StateLook("PENDING", "Pending", "icon-hourglass", "pending"),
    StateType.RUNNING: StateLook("RUNNING", "Running", "icon-play", "running"),
    StateType.PAUSED: StateLook("PAUSED", "Paused", "icon-pause", "paused"),
    StateType.CANCELLING: StateLook("CANCELLING", "Cancelling", "icon-stop", "cancelling"),
    StateType.COMPLETED: StateLook("COMPLETED", "Completed", "icon-check", "completed"),
    StateType.FAILED: StateLook("FAILED", "Failed", "icon-cross", "failed"),
    StateType.CANCELLED: StateLook("CANCELLED", "Cancelled", "icon-ban", "cancelled"),
    StateType.CRASHED: StateLook("CRASHED", "Crashed", "icon-bolt", "crashed"),
}
_UNKNOWN = StateLook("", "No state", "icon-dot", "none")

STATE_ORDER = tuple(StateType)
"""The order states are stacked and listed in, everywhere."""

SEVERITY = (
    StateType.CRASHED,
    StateType.FAILED,
    StateType.CANCELLED,
    StateType.CANCELLING,
    StateType.RUNNING,
    StateType.PAUSED,
    StateType.PENDING,
    StateType.SCHEDULED,
    StateType.COMPLETED,
)
"""Which state speaks for a group of runs: the most alarming one present."""

LATE = "LATE"
"""A pseudo-state for filters: scheduled runs whose start time has passed."""


def look(state_type: StateType | str | None, name: str | None = None) -> StateLook:
    """The look of a state; ``name`` (e.g. ``Late``, ``Retrying``) replaces the label."""
    if state_type is None or state_type == "":
        return _UNKNOWN
    found = _LOOKS.get(StateType(state_type), _UNKNOWN)
    if name and name != found.label:
        return StateLook(found.type, name, found.icon, found.css)
    return found


def all_looks() -> list[StateLook]:
    return [_LOOKS[t] for t in STATE_ORDER]


def is_terminal(state_type: StateType | str | None) -> bool:
    return state_type is not None and state_type != "" and StateType(state_type) in TERMINAL_TYPES


def worst(types: set[str]) -> str | None:
    """The most alarming of ``types`` (state type values), if any."""
    for state_type in SEVERITY:
        if state_type.value in types:
            return state_type.value
    return None
