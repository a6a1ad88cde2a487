"""When a deployment runs: cron, interval and RRULE schedules, in Prefect 2's shapes.

A schedule only answers "which dates after ``start``?": it never reads the clock, so
the scheduler passes its "now" and tests never sleep.

Each kind has its own module (``cron``, ``interval``, ``rrule``); what they share,
time zones and the resolution of wall-clock times across DST changes, is in ``base``.
This module picks the kind from JSON or from ``flow.serve``-style options.

Parsing is cached by value (the expression text), so schedules rebuilt from JSON on
every scheduler loop reuse the parsed rule.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import Discriminator, Tag, TypeAdapter, ValidationError

from baton.core.schedules.base import (
    DEFAULT_ANCHOR_DATE,
    ONE_DAY,
    UTC,
    Instant,
    InvalidSchedule,
)
from baton.core.schedules.cron import CronSchedule
from baton.core.schedules.interval import IntervalSchedule
from baton.core.schedules.rrule import MAX_RRULE_LENGTH, RRuleSchedule

__all__ = [
    "DEFAULT_ANCHOR_DATE",
    "EXACTLY_ONE_KIND",
    "MAX_RRULE_LENGTH",
    "ONE_DAY",
    "UTC",
    "CronSchedule",
    "Instant",
    "IntervalSchedule",
    "InvalidSchedule",
    "RRuleSchedule",
    "Schedule",
    "parse_schedule",
    "schedule_from_options",
]


def _schedule_kind(value: Any) -> str | None:
    """Which kind ``value`` is: the one key of cron, interval and rrule it has."""
    if isinstance(value, CronSchedule):
        return "cron"
    if isinstance(value, IntervalSchedule):
        return "interval"
    if isinstance(value, RRuleSchedule):
        return "rrule"
    if not isinstance(value, dict):
        return None
    kinds = [kind for kind in ("cron", "interval", "rrule") if kind in value]
    return kinds[0] if len(kinds) == 1 else None


EXACTLY_ONE_KIND = "a schedule needs exactly one of cron, interval or rrule"

Schedule = Annotated[
    Annotated[CronSchedule, Tag("cron")]
    | Annotated[IntervalSchedule, Tag("interval")]
    | Annotated[RRuleSchedule, Tag("rrule")],
    Discriminator(
        _schedule_kind,
        custom_error_type="schedule_kind",
        custom_error_message=EXACTLY_ONE_KIND,
    ),
]
"""Any schedule; as a field type, JSON picks its kind by its cron/interval/rrule key."""

_SCHEDULE = TypeAdapter[Schedule](Schedule)


def _problems(error: ValidationError, tagged: bool) -> InvalidSchedule:
    """One InvalidSchedule saying what pydantic found, in our own words where we have them."""
    messages = []
    for problem in error.errors(include_url=False):
        if problem["type"] == "value_error":
            messages.append(str(problem["ctx"]["error"]))
            continue
        location = problem["loc"][1:] if tagged else problem["loc"]
        where = ".".join(str(part) for part in location)
        messages.append(f"{where}: {problem['msg']}" if where else problem["msg"])
    return InvalidSchedule("; ".join(messages))


def parse_schedule(data: object) -> Schedule:
    """The schedule ``data`` (a JSON object, or a schedule) describes."""
    if not isinstance(data, (dict, CronSchedule, IntervalSchedule, RRuleSchedule)):
        raise InvalidSchedule(f"a schedule must be an object, got {type(data).__name__}")
    try:
        return _SCHEDULE.validate_python(data)
    except ValidationError as error:
        raise _problems(error, tagged=True) from None


def schedule_from_options(
    *,
    cron: str | None = None,
    interval: float | dt.timedelta | None = None,
    rrule: str | None = None,
    timezone: str | None = None,
    anchor_date: dt.datetime | None = None,
) -> Schedule:
    """The schedule named by ``flow.serve(cron=...)``-style options or CLI flags.

    ``interval`` is seconds or a timedelta; exactly one of the three kinds is given.
    """
    given = [value for value in (cron, interval, rrule) if value is not None]
    if len(given) != 1:
        raise InvalidSchedule(EXACTLY_ONE_KIND)
    if anchor_date is not None and interval is None:
        raise InvalidSchedule("anchor_date only applies to interval schedules")
    try:
        if cron is not None:
            return CronSchedule(cron=cron, timezone=timezone)
        if rrule is not None:
            return RRuleSchedule(rrule=rrule, timezone=timezone)
        if isinstance(interval, bool) or not isinstance(interval, (int, float, dt.timedelta)):
            raise InvalidSchedule(
                f"interval must be seconds or a timedelta, got {type(interval).__name__}"
            )
        every = interval if isinstance(interval, dt.timedelta) else _to_timedelta(interval)
        if anchor_date is None:
            return IntervalSchedule(interval=every, timezone=timezone)
        return IntervalSchedule(interval=every, timezone=timezone, anchor_date=anchor_date)
    except ValidationError as error:
        raise _problems(error, tagged=False) from None


def _to_timedelta(seconds: float) -> dt.timedelta:
    try:
        return dt.timedelta(seconds=seconds)
    except (OverflowError, ValueError) as error:
        raise InvalidSchedule(
            f"interval must be a finite number of seconds, got {seconds}"
        ) from error
