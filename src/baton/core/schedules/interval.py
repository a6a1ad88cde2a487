"""Interval schedules: every so long, in step with an anchor date.

An interval shorter than a day is elapsed time, plain UTC arithmetic with no DST to
resolve; a day or more keeps its wall-clock time in the schedule's time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import Field, PlainSerializer, ValidationInfo, field_validator, model_validator

from baton.core.schedules.base import (
    DEFAULT_ANCHOR_DATE,
    ONE_DAY,
    UTC,
    BaseSchedule,
    Instant,
    InvalidSchedule,
    check_zone,
    instants_of,
    time_zone,
    wall_floor,
)


def _seconds(interval: dt.timedelta) -> float:
    return interval.total_seconds()


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def _describe_interval(interval: dt.timedelta) -> str:
    microseconds = interval // dt.timedelta(microseconds=1)
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1)):
        count, rest = divmod(microseconds, size * 1_000_000)
        if rest == 0:
            return _plural(count, unit)
    return f"{interval.total_seconds():g} seconds"


def _steps(first: dt.datetime, step: dt.timedelta) -> Iterator[dt.datetime]:
    while True:
        yield first
        first += step


class IntervalSchedule(BaseSchedule):
    """Runs every ``interval``, in step with ``anchor_date``.

    The anchor only sets the phase: dates before it count too. An interval of a day
    or more keeps the wall-clock time in ``timezone`` across DST changes; a shorter
    one is elapsed time. A naive ``anchor_date`` is in ``timezone`` (default UTC);
    without ``timezone``, an anchor with a ``ZoneInfo`` lends it its zone.
    """

    interval: Annotated[dt.timedelta, PlainSerializer(_seconds, when_used="json")]
    timezone: str | None = Field(default=None, examples=["America/New_York"])
    anchor_date: dt.datetime = Field(default=DEFAULT_ANCHOR_DATE, validate_default=True)

    @model_validator(mode="before")
    @classmethod
    def _zone_from_anchor(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("timezone") is None:
            anchor = data.get("anchor_date")
            if isinstance(anchor, dt.datetime) and isinstance(anchor.tzinfo, ZoneInfo):
                return {**data, "timezone": anchor.tzinfo.key}
        return data

    @field_validator("interval")
    @classmethod
    def _check_interval(cls, interval: dt.timedelta) -> dt.timedelta:
        if interval <= dt.timedelta(0):
            raise InvalidSchedule("interval must be positive")
        return interval

    _check_timezone = field_validator("timezone")(check_zone)

    @field_validator("anchor_date")
    @classmethod
    def _localise_anchor(cls, anchor: dt.datetime, info: ValidationInfo) -> dt.datetime:
        if anchor.tzinfo is not None or "timezone" not in info.data:
            return anchor
        return anchor.replace(tzinfo=time_zone(info.data["timezone"]))

    def describe(self) -> str:
        text = f"every {_describe_interval(self.interval)} from {self.anchor_date.isoformat()}"
        return f"{text} in {self.timezone}" if self.timezone else text

    def _output_zone(self) -> dt.tzinfo:
        return time_zone(self.timezone)

    def _candidates(self, start: dt.datetime, end: dt.datetime | None) -> Iterator[Instant]:
        step = self.interval
        if step < ONE_DAY:
            anchor = self.anchor_date.astimezone(UTC).replace(tzinfo=None)
            first = anchor - ((anchor - start) // step) * step  # the first at or after start
            yield from ((instant, False) for instant in _steps(first, step))
            return
        zone = time_zone(self.timezone)
        anchor = self.anchor_date.astimezone(zone).replace(tzinfo=None)
        first = anchor - ((anchor - wall_floor(start, zone)) // step) * step
        yield from instants_of(_steps(first, step), zone, follow_clock=False)
