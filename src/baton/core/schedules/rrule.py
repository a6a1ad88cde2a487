"""RRULE schedules: RFC 5545 recurrence sets (DTSTART, RRULE, RDATE, EXDATE, EXRULE).

dateutil does the recurrence arithmetic; ``_RRulePlan`` adds what it lacks here:
starting near the wanted window instead of at DTSTART, and checking up front that the
set yields a date at all. Parsed texts are cached by their text.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dateutil import rrule as rr
from pydantic import Field, field_validator

from baton.core.schedules.base import (
    DAYS_IN_MONTH,
    DEFAULT_ANCHOR_DATE,
    ONE_DAY,
    UTC,
    BaseSchedule,
    Instant,
    InvalidSchedule,
    check_zone,
    instants_of,
    time_zone,
    wall_ceiling,
    wall_floor,
)

MAX_RRULE_LENGTH = 6500
_RRULE_PART = re.compile(r"^(DTSTART|RRULE|RDATE|EXDATE|EXRULE)[;:]", re.IGNORECASE)
_UTC_NAMES = {"UTC": UTC, "Z": UTC}
_PROBE_HORIZON = dt.timedelta(days=3653)  # ten years
_FIXED_PERIODS = {
    rr.WEEKLY: dt.timedelta(weeks=1),
    rr.DAILY: ONE_DAY,
    rr.HOURLY: dt.timedelta(hours=1),
    rr.MINUTELY: dt.timedelta(minutes=1),
    rr.SECONDLY: dt.timedelta(seconds=1),
}


@dataclass(frozen=True)
class _Rule:
    """What we need of a dateutil ``rrule``, which keeps it in private attributes."""

    rule: rr.rrule

    @property
    def dtstart(self) -> dt.datetime:
        start: dt.datetime = vars(self.rule)["_dtstart"]
        return start

    @property
    def count(self) -> int | None:
        count: int | None = vars(self.rule)["_count"]
        return count

    @property
    def until(self) -> dt.datetime | None:
        until: dt.datetime | None = vars(self.rule)["_until"]
        return until

    def can_match(self) -> bool:
        """False if no month has one of the rule's days of the month."""
        facts = vars(self.rule)
        days = tuple(facts["_bymonthday"]) + tuple(-day for day in facts["_bynmonthday"])
        if not days or facts["_byyearday"] or facts["_byweekno"] or facts["_byeaster"]:
            return True
        months = facts["_bymonth"] or range(1, 13)
        return any(abs(day) <= DAYS_IN_MONTH[month - 1] for month in months for day in days)

    def moved_to(self, floor: dt.datetime, ceiling: dt.datetime | None) -> rr.rrule:
        """The same rule, starting whole periods later, a little before wall time ``floor``.

        dateutil always iterates from DTSTART: without this, a minutely rule from 2020
        would walk millions of dates on each call. A COUNT depends on DTSTART, so
        counted rules stay as they are. ``ceiling`` bounds the rule, so a sparse rule
        stops soon after the wanted window.
        """
        if self.count is not None:
            return self.rule
        start = self.dtstart
        changes: dict[Any, Any] = {}
        floor = floor.replace(tzinfo=start.tzinfo)
        interval: int = vars(self.rule)["_interval"]
        freq: int = vars(self.rule)["_freq"]
        if freq in _FIXED_PERIODS:
            period = _FIXED_PERIODS[freq] * interval
            skipped = (floor.replace(tzinfo=None) - start.replace(tzinfo=None)) // period - 2
            if skipped > 0:
                changes["dtstart"] = start + skipped * period
        elif start.day <= 28:  # whole months or years keep the day of the month
            months = 12 * interval if freq == rr.YEARLY else interval
            behind = (floor.year - start.year) * 12 + floor.month - start.month
            skipped = behind // months - 1
            if skipped > 0:
                year, month = divmod(start.month - 1 + skipped * months, 12)
                changes["dtstart"] = start.replace(year=start.year + year, month=month + 1)
        if ceiling is not None:
            ceiling = ceiling.replace(tzinfo=start.tzinfo)
            changes["until"] = ceiling if self.until is None else min(self.until, ceiling)
        return self.rule.replace(**changes) if changes else self.rule


@dataclass(frozen=True)
class _RRulePlan:
    rules: tuple[_Rule, ...]
    exrules: tuple[_Rule, ...]
    rdates: tuple[dt.datetime, ...]
    exdates: tuple[dt.datetime, ...]
    zone: dt.tzinfo | None  # DTSTART's; None for floating times

    def dates(self, floor: dt.datetime, ceiling: dt.datetime | None) -> Iterator[dt.datetime]:
        """The set's dates, from a little before ``floor`` (wall time in DTSTART's zone)."""
        dates = rr.rruleset()
        for rule in self.rules:
            dates.rrule(rule.moved_to(floor, ceiling))
        for rule in self.exrules:
            dates.exrule(rule.moved_to(floor, ceiling))
        for date in self.rdates:
            dates.rdate(date)
        for date in self.exdates:
            dates.exdate(date)
        return iter(dates)

    def yields_a_date(self) -> bool:
        """Whether the set has a date within ten years of each DTSTART."""
        probe = rr.rruleset()
        for rule in self.rules:
            if not rule.can_match():
                continue
            horizon = _capped_add(rule.dtstart, _PROBE_HORIZON)
            if rule.count is None:
                until = horizon if rule.until is None else min(rule.until, horizon)
                probe.rrule(rule.rule.replace(until=until))
            else:  # dateutil frowns on COUNT with UNTIL: take COUNT dates of a bounded rule
                bounded = rule.rule.replace(count=None, until=horizon)
                for date in itertools.islice(bounded, rule.count):
                    probe.rdate(date)
        for rule in self.exrules:
            probe.exrule(rule.rule)
        for date in self.rdates:
            probe.rdate(date)
        for date in self.exdates:
            probe.exdate(date)
        return next(iter(probe), None) is not None


def _capped_add(moment: dt.datetime, delta: dt.timedelta) -> dt.datetime:
    try:
        return moment + delta
    except OverflowError:
        return dt.datetime.max.replace(tzinfo=moment.tzinfo)


def _tzid_zone(name: str) -> dt.tzinfo:
    return time_zone(name)


def _preview(text: str) -> str:
    return repr(text if len(text) <= 80 else text[:77] + "...")


@functools.lru_cache(maxsize=4096)
def _rrule_plan(text: str) -> _RRulePlan:
    """Parse and check an RRULE text, raising InvalidSchedule."""
    problem = f"invalid rrule {_preview(text)}"
    if len(text) > MAX_RRULE_LENGTH:
        raise InvalidSchedule(
            f"rrule is {len(text)} characters long; the limit is {MAX_RRULE_LENGTH}"
        )
    parts = text.split()
    bare_rules = [part for part in parts if ":" not in part and "FREQ=" in part.upper()]
    for part in parts:
        if not _RRULE_PART.match(part) and part not in bare_rules:
            raise InvalidSchedule(
                f"{problem}: {part!r} is not a DTSTART, RRULE, RDATE, EXDATE or EXRULE line"
            )
    if not bare_rules and not any(part.upper().startswith("RRULE") for part in parts):
        raise InvalidSchedule(f"{problem}: it has no RRULE line")
    try:
        parsed = rr.rrulestr(
            text, forceset=True, dtstart=DEFAULT_ANCHOR_DATE, tzids=_tzid_zone, tzinfos=_UTC_NAMES
        )
    except InvalidSchedule:
        raise
    except (ValueError, TypeError, KeyError, OverflowError) as error:
        raise InvalidSchedule(f"{problem}: {error}") from error
    facts = vars(parsed)
    plan = _RRulePlan(
        rules=tuple(_Rule(rule) for rule in facts["_rrule"]),
        exrules=tuple(_Rule(rule) for rule in facts["_exrule"]),
        rdates=tuple(facts["_rdate"]),
        exdates=tuple(facts["_exdate"]),
        zone=_Rule(facts["_rrule"][0]).dtstart.tzinfo,
    )
    if any(vars(rule.rule)["_interval"] < 1 for rule in plan.rules + plan.exrules):
        raise InvalidSchedule(f"{problem}: INTERVAL must be a positive whole number")
    aware = {date.tzinfo is not None for date in plan.rdates + plan.exdates}
    aware |= {rule.dtstart.tzinfo is not None for rule in plan.rules + plan.exrules}
    if len(aware) > 1:
        raise InvalidSchedule(
            f"{problem}: DTSTART, RDATE and EXDATE must all have a time zone (TZID or Z) "
            "or all have none"
        )
    if not plan.yields_a_date():
        raise InvalidSchedule(f"rrule {_preview(text)} never yields a date")
    return plan


class RRuleSchedule(BaseSchedule):
    """Runs on the dates of an RFC 5545 recurrence rule (DTSTART, RRULE, RDATE, EXDATE).

    Times with a TZID keep their wall-clock time in that zone; floating times (no
    TZID, no Z) are in ``timezone``. Without DTSTART the rule starts at midnight on
    1 January 2020. Dates are returned in ``timezone``, else DTSTART's zone, else UTC.
    """

    rrule: str
    timezone: str | None = Field(default=None, examples=["America/New_York"])

    @field_validator("rrule")
    @classmethod
    def _check_rrule(cls, text: str) -> str:
        text = text.strip()
        if not text:
            raise InvalidSchedule("invalid rrule '': it is empty")
        _rrule_plan(text)
        return text

    _check_timezone = field_validator("timezone")(check_zone)

    def describe(self) -> str:
        text = " ".join(self.rrule.split())
        return f"{text} in {self.timezone}" if self.timezone else text

    def _output_zone(self) -> dt.tzinfo:
        if self.timezone is not None:
            return time_zone(self.timezone)
        return _rrule_plan(self.rrule).zone or UTC

    def _candidates(self, start: dt.datetime, end: dt.datetime | None) -> Iterator[Instant]:
        plan = _rrule_plan(self.rrule)
        floating_zone = time_zone(self.timezone)
        rule_zone = plan.zone or floating_zone
        floor = wall_floor(start, rule_zone) - ONE_DAY
        ceiling = wall_ceiling(end, rule_zone)
        for date in plan.dates(floor, None if ceiling is None else ceiling + ONE_DAY):
            if date.tzinfo is None:
                yield from instants_of((date,), floating_zone, follow_clock=False)
            else:
                yield from instants_of(
                    (date.replace(tzinfo=None),), date.tzinfo, follow_clock=False
                )
