"""Cron schedules: five-field expressions and macros, in a time zone.

A plain expression (numbers, ranges, steps, lists) becomes a ``_CronTable`` of value
sets matched day by day without croniter, which is much faster; only ``L``, ``W`` and
``#`` fall back to croniter. Parsed expressions are cached by their text.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from croniter import CroniterBadDateError, CroniterError, croniter
from pydantic import Field, field_validator, model_validator

from baton.core.schedules.base import (
    DAYS_IN_MONTH,
    DEFAULT_ANCHOR_DATE,
    ONE_DAY,
    BaseSchedule,
    Instant,
    InvalidSchedule,
    check_zone,
    instants_of,
    time_zone,
    wall_ceiling,
    wall_floor,
)

_CRON_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_CRON_FIELDS = "minute hour day-of-month month day-of-week"
_RANDOM_OR_HASHED = re.compile(r"^[HR](\(|/|$)", re.IGNORECASE)


@dataclass(frozen=True)
class _CronTable:
    """A plain cron expression as sets of values, matched without croniter (much faster)."""

    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int] | None  # None: any
    months: frozenset[int] | None
    weekdays: frozenset[int] | None  # 0 is Sunday, as in cron

    def matches_day(self, day: dt.date, day_or: bool) -> bool:
        if self.months is not None and day.month not in self.months:
            return False
        in_days = self.days is None or day.day in self.days
        in_weekdays = self.weekdays is None or day.isoweekday() % 7 in self.weekdays
        if day_or and self.days is not None and self.weekdays is not None:
            return in_days or in_weekdays
        return in_days and in_weekdays

    def can_match(self, day_or: bool) -> bool:
        """Whether any date matches (only days of month can rule every date out)."""
        if self.days is None or (day_or and self.weekdays is not None):
            return True
        months = self.months or range(1, 13)
        return any(day <= DAYS_IN_MONTH[month - 1] for month in months for day in self.days)

    def walls(
        self, first: dt.datetime, last_day: dt.date | None, day_or: bool
    ) -> Iterator[dt.datetime]:
        day = first.date()
        first_hour = bisect.bisect_left(self.hours, first.hour)
        while last_day is None or day <= last_day:
            if self.matches_day(day, day_or):
                hours = self.hours[first_hour:] if day == first.date() else self.hours
                for hour in hours:
                    for minute in self.minutes:
                        wall = dt.datetime(day.year, day.month, day.day, hour, minute)
                        if wall >= first:
                            yield wall
            day += ONE_DAY


@dataclass(frozen=True)
class _CronPlan:
    expression: str  # five fields
    table: _CronTable | None  # None: needs croniter (L, W, #)
    follows_clock: bool  # '*' in the minute or hour field

    def walls(
        self, first: dt.datetime, last_day: dt.date | None, day_or: bool
    ) -> Iterator[dt.datetime]:
        if self.table is not None:
            return self.table.walls(first, last_day, day_or)
        return self._croniter_walls(first, last_day, day_or)

    def can_match(self, day_or: bool) -> bool:
        if self.table is not None:
            return self.table.can_match(day_or)
        try:
            croniter(self.expression, DEFAULT_ANCHOR_DATE, day_or=day_or).get_next(dt.datetime)
        except CroniterBadDateError:
            return False
        return True

    def _croniter_walls(
        self, first: dt.datetime, last_day: dt.date | None, day_or: bool
    ) -> Iterator[dt.datetime]:
        # croniter gives the times strictly after its start, with seconds dropped.
        times = croniter(self.expression, first - dt.timedelta(microseconds=1), day_or=day_or)
        while True:
            try:
                wall = times.get_next(dt.datetime)
            except CroniterBadDateError:
                return
            if last_day is not None and wall.date() > last_day:
                return
            yield wall


def _values(field: Sequence[int | str]) -> frozenset[int] | None:
    return None if field == ["*"] else frozenset(int(value) for value in field)


@functools.lru_cache(maxsize=4096)
def _cron_plan(cron: str) -> _CronPlan:
    """Parse and check ``cron`` (whitespace-normalised), raising InvalidSchedule."""
    problem = f"invalid cron expression {cron!r}"
    expression = _CRON_MACROS.get(cron.lower(), cron) if cron.startswith("@") else cron
    if expression.startswith("@"):
        raise InvalidSchedule(f"{problem}: unknown macro; use one of {', '.join(_CRON_MACROS)}")
    fields = expression.split()
    if len(fields) != 5:
        extra = "; seconds and years are not supported" if len(fields) in (6, 7) else ""
        raise InvalidSchedule(
            f"{problem}: expected 5 fields ({_CRON_FIELDS}), got {len(fields)}{extra}"
        )
    if any(_RANDOM_OR_HASHED.match(part) for field in fields for part in field.split(",")):
        raise InvalidSchedule(f"{problem}: random (R) and hashed (H) values are not supported")
    try:
        expanded, nth_weekday = croniter.expand(expression)
    except (CroniterError, ValueError) as error:
        raise InvalidSchedule(f"{problem}: {error}") from error
    plain = not nth_weekday and "w" not in fields[2].lower()
    plain = plain and all(v == "*" or isinstance(v, int) for f in expanded for v in f)
    table = None
    if plain:
        minutes, hours, days, months, weekdays = expanded
        table = _CronTable(
            minutes=tuple(range(60)) if minutes == ["*"] else tuple(sorted(map(int, minutes))),
            hours=tuple(range(24)) if hours == ["*"] else tuple(sorted(map(int, hours))),
            days=_values(days),
            months=_values(months),
            weekdays=_values(weekdays),
        )
    follows_clock = "*" in fields[0] or "*" in fields[1]
    return _CronPlan(expression=expression, table=table, follows_clock=follows_clock)


class CronSchedule(BaseSchedule):
    """Runs at the times a cron expression names, in a time zone (default UTC).

    Five fields (minute hour day-of-month month day-of-week) or a macro such as
    ``@daily``. ``day_or=False`` makes day-of-month and day-of-week both required
    (default: either, as cron does).
    """

    cron: str = Field(examples=["0 0 * * *"])
    timezone: str | None = Field(default=None, examples=["America/New_York"])
    day_or: bool = True

    @field_validator("cron")
    @classmethod
    def _check_cron(cls, cron: str) -> str:
        normalised = " ".join(cron.split())
        if not normalised:
            raise InvalidSchedule("invalid cron expression '': it is empty")
        _cron_plan(normalised)
        return normalised

    _check_timezone = field_validator("timezone")(check_zone)

    @model_validator(mode="after")
    def _check_matches(self) -> CronSchedule:
        if not _cron_plan(self.cron).can_match(self.day_or):
            raise InvalidSchedule(f"cron expression {self.cron!r} never matches a date")
        return self

    def describe(self) -> str:
        text = f"cron {self.cron!r} in {self.timezone or 'UTC'}"
        return text if self.day_or else f"{text}, on days matching both day fields"

    def _output_zone(self) -> dt.tzinfo:
        return time_zone(self.timezone)

    def _candidates(self, start: dt.datetime, end: dt.datetime | None) -> Iterator[Instant]:
        zone = time_zone(self.timezone)
        plan = _cron_plan(self.cron)
        ceiling = wall_ceiling(end, zone)
        walls = plan.walls(
            wall_floor(start, zone), None if ceiling is None else ceiling.date(), self.day_or
        )
        return instants_of(walls, zone, plan.follows_clock)
