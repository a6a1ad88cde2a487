"""How the CLI shows things: states in colour, readable times and durations, tables, JSON.

Only rich and the standard library are imported here, so every command module
can use these helpers without slowing down ``baton --help``.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from baton.core.models import RunModel

STATE_STYLES = {
    "SCHEDULED": "yellow",
    "PENDING": "grey62",
    "RUNNING": "blue",
    "PAUSED": "grey62",
    "CANCELLING": "magenta",
    "COMPLETED": "green",
    "FAILED": "red",
    "CANCELLED": "grey50",
    "CRASHED": "bold red",
}
"""Colour of each state type, keyed by the type's value (no import of the domain needed)."""

LEVEL_STYLES = {
    "DEBUG": "grey50",
    "INFO": "cyan",
    "WARNING": "yellow",
    "ERROR": "red",
    "CRITICAL": "bold red",
}

PIPE_WIDTH = 200
"""Columns of output that does not go to a terminal."""

UNLIMITED = 100_000
"""A width no table reaches, to measure tables at their natural width."""

EMPTY = "-"
"""Shown for a value that does not exist (yet), such as the start time of a scheduled run."""


class OutputFormat(str, enum.Enum):
    """``--output``: a table for people or one JSON document for scripts."""

    TABLE = "table"
    JSON = "json"


def console() -> Console:
    """Standard output; text from runs is shown as is, never read as rich markup.

    Piped output gets wide lines rather than rich's default 80 columns, so that
    tables stay one row per line for ``grep`` (``COLUMNS`` still wins).
    """
    width = None if sys.stdout.isatty() or "COLUMNS" in os.environ else PIPE_WIDTH
    return Console(highlight=False, markup=False, emoji=False, width=width)


def print_error(message: str) -> None:
    """One ``Error: ...`` line on stderr, whatever the message contains."""
    text = Text("Error: ", style="bold red")
    text.append(" ".join(message.split()))
    Console(stderr=True, highlight=False, markup=False, emoji=False).print(text, soft_wrap=True)


def print_json(data: Any) -> None:
    """``data`` (already JSON-compatible) as one indented document on stdout."""
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


def state_text(state_type: str | None, state_name: str | None) -> Text:
    """The state's name in the colour of its type (``Cached`` is green like ``Completed``)."""
    if state_type is None:
        return Text(EMPTY)
    return Text(state_name or state_type.title(), style=STATE_STYLES.get(state_type, ""))


def run_state(run: RunModel) -> Text:
    """A run's current state, coloured."""
    return state_text(run.state_type.value if run.state_type else None, run.state_name)


def print_table(rows: Table, empty_message: str | None = None) -> None:
    """The table (or, if it has no rows, ``empty_message``).

    A table with no wrapping column is never squeezed to the terminal's width:
    the terminal wraps its long lines instead, so no id or time is cut short.
    """
    out = console()
    if not rows.row_count and empty_message is not None:
        out.print(empty_message)
        return
    if all(column.no_wrap for column in rows.columns):
        natural = Measurement.get(out, out.options.update_width(UNLIMITED), rows).maximum
        out.width = max(out.width, natural)
    out.print(rows)


def level_text(level: int) -> Text:
    name = level_name(level)
    return Text(f"{name:<8}", style=LEVEL_STYLES.get(name, ""))


def level_name(level: int) -> str:
    """``logging``'s name for a standard level, the number for any other."""
    names = {10: "DEBUG", 20: "INFO", 30: "WARNING", 40: "ERROR", 50: "CRITICAL"}
    return names.get(level, str(level))


def format_time(moment: dt.datetime | None, *, milliseconds: bool = False) -> str:
    """A stored (UTC) time in the local time zone, e.g. ``2024-05-01 14:03:22``."""
    if moment is None:
        return EMPTY
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    local = moment.astimezone()
    if milliseconds:
        return local.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    return local.strftime("%Y-%m-%d %H:%M:%S")


def format_duration(seconds: float | None) -> str:
    """``45 ms``, ``1.2 s``, ``3 min 4 s``, ``2 h 5 min``: as precise as is worth reading."""
    if seconds is None:
        return EMPTY
    if seconds < 1:
        return f"{max(seconds, 0) * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 3600:
        minutes, rest = divmod(whole, 60)
        return f"{minutes} min {rest} s"
    hours, rest = divmod(whole, 3600)
    return f"{hours} h {rest // 60} min"


def table(*columns: str, wrap: Sequence[str] = (), title: str | None = None) -> Table:
    """A table in the house style: only the ``wrap`` columns break their values over lines."""
    result = Table(
        title=title,
        title_justify="left",
        title_style="bold underline",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    for name in columns:
        if name in wrap:
            result.add_column(name, overflow="fold")
        else:
            result.add_column(name, no_wrap=True)
    return result


def key_values(rows: Sequence[tuple[str, Any]]) -> Table:
    """Two columns, field name and value, for one object's details."""
    result = Table.grid(padding=(0, 2))
    result.add_column(style="bold", no_wrap=True)
    result.add_column(overflow="fold")
    for key, value in rows:
        result.add_row(key, value if isinstance(value, Text) else Text(str(value)))
    return result
