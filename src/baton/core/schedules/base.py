"""What every schedule kind shares: time zones, DST, the ``get_dates`` loop, the error.

All three kinds work the same way inside: they produce *wall-clock* times in their
time zone, in order, and ``_resolve`` turns each into an instant:

- a time that exists once is that instant;
- a time skipped when clocks go forward (02:30 on a spring-forward night) is moved
  forward by the length of the gap (03:30), unless the schedule follows the clock
  (a cron with ``*`` in its minute or hour field), which simply skips it;
- a time that happens twice when clocks go back is taken the first time, and also
  the second time if the schedule follows the clock (an hourly cron runs at 01:00
  EDT and 01:00 EST).

Moved times can come out of order, so they wait in a heap until every earlier time
has been given (``_collect``).
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from baton.exceptions import BatonError

UTC = dt.timezone.utc
DEFAULT_ANCHOR_DATE = dt.datetime(2020, 1, 1)
"""Where interval schedules and RRULEs without DTSTART start: midnight in their zone."""
ONE_DAY = dt.timedelta(days=1)
DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
"""February at its longest: cron and RRULE use it to spot days of the month that never come."""


class InvalidSchedule(BatonError, ValueError):
    """A schedule that cannot work: bad expression, unknown time zone, no dates."""


# ---------------------------------------------------------------------------------
# Time zones and wall-clock times


@functools.lru_cache(maxsize=512)
def time_zone(name: str | None) -> dt.tzinfo:
    """The time zone called ``name`` (None: UTC)."""
    if name is None:
        return UTC
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError) as error:
        raise InvalidSchedule(f"unknown time zone {name!r}") from error


def check_zone(name: str | None) -> str | None:
    """Field validator for every kind's ``timezone``: an unknown zone fails at parse time."""
    time_zone(name)
    return name


def _offset(moment: dt.datetime) -> dt.timedelta:
    offset = moment.utcoffset()
    if offset is None:  # only a broken tzinfo answers None for an aware datetime
        raise ValueError(f"{moment!r} has no UTC offset")
    return offset


Instant = tuple[dt.datetime, bool]
"""A candidate date: naive UTC, and whether it may come out of order (see ``_collect``)."""


def _resolve(wall: dt.datetime, zone: dt.tzinfo, follow_clock: bool) -> tuple[Instant, ...]:
    """The instants of wall-clock time ``wall`` in ``zone`` (see the module docstring)."""
    if zone is UTC:
        return ((wall, False),)
    first = _offset(wall.replace(tzinfo=zone))
    second = _offset(wall.replace(tzinfo=zone, fold=1))
    if first == second:
        return ((wall - first, False),)
    if first > second:  # clocks went back: this time happens twice
        if follow_clock:
            return (wall - first, False), (wall - second, True)
        return ((wall - first, False),)
    # Clocks went forward over this time; with fold=0 the old offset moves it forward.
    return () if follow_clock else ((wall - first, True),)


@functools.lru_cache(maxsize=65536)
def _day_offset(zone: dt.tzinfo, day: int) -> dt.timedelta | None:
    """The UTC offset all day long on proleptic ordinal ``day``, or None if it changes."""
    midnight = dt.datetime.fromordinal(day)
    offsets = {
        _offset(moment.replace(tzinfo=zone, fold=fold))
        for moment in (midnight, midnight + ONE_DAY)
        for fold in (0, 1)
    }
    return offsets.pop() if len(offsets) == 1 else None


def instants_of(
    walls: Iterable[dt.datetime], zone: dt.tzinfo, follow_clock: bool
) -> Iterator[Instant]:
    """``_resolve`` for many times, quick on the days the clocks do not change."""
    if zone is UTC:
        for wall in walls:
            yield wall, False
        return
    for wall in walls:
        offset = _day_offset(zone, wall.toordinal())
        if offset is None:
            yield from _resolve(wall, zone, follow_clock)
        else:
            yield wall - offset, False


def _utc_offset_at(instant: dt.datetime, zone: dt.tzinfo) -> dt.timedelta:
    return _offset(instant.replace(tzinfo=UTC).astimezone(zone))


def wall_floor(start: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """The earliest wall-clock time whose instant can be at or after ``start`` (naive UTC)."""
    if zone is UTC:
        return start
    return start + min(_utc_offset_at(start + days * ONE_DAY, zone) for days in (-1, 0, 1))


def wall_ceiling(end: dt.datetime | None, zone: dt.tzinfo) -> dt.datetime | None:
    """The latest wall-clock time whose instant can be at or before ``end`` (naive UTC)."""
    if end is None or zone is UTC:
        return end
    return end + max(_utc_offset_at(end + days * ONE_DAY, zone) for days in (-1, 0, 1))


def _collect(
    candidates: Iterable[Instant], start: dt.datetime, end: dt.datetime | None, n: int | None
) -> list[dt.datetime]:
    """The first ``n`` distinct instants in ``[start, end]``, in order.

    Candidates come in order except those flagged as possibly late (moved out of a
    gap, or the second pass of a repeated hour): those wait in a heap until a later
    in-order candidate shows that nothing earlier can still come.
    """
    found: list[dt.datetime] = []
    waiting: list[dt.datetime] = []

    def take(instant: dt.datetime) -> bool:
        """Add ``instant``; False once nothing more is wanted."""
        if end is not None and instant > end:
            return False
        if instant >= start and (not found or instant > found[-1]):
            found.append(instant)
        return n is None or len(found) < n

    if n == 0:
        return found
    for instant, may_be_late in candidates:
        if may_be_late:
            heapq.heappush(waiting, instant)
            continue
        while waiting and waiting[0] <= instant:
            if not take(heapq.heappop(waiting)):
                return found
        if not take(instant):
            return found
    while waiting:
        if not take(heapq.heappop(waiting)):
            break
    return found


# ---------------------------------------------------------------------------------
# The base model


class BaseSchedule(BaseModel):
    """What every schedule shares: validation settings and ``get_dates``.

    Each kind supplies its candidate instants and its output zone; this class checks
    the arguments and turns candidates into dates.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    def get_dates(
        self, n: int | None, start: dt.datetime, end: dt.datetime | None = None
    ) -> list[dt.datetime]:
        """At most ``n`` dates at or after ``start`` and not after ``end``, in order.

        ``n=None`` means no count bound, and then ``end`` is required. ``start`` and
        ``end`` must be timezone-aware; the dates are in the schedule's time zone.
        """
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError("start must be a timezone-aware datetime")
        if end is not None and (end.tzinfo is None or end.utcoffset() is None):
            raise ValueError("end must be a timezone-aware datetime")
        if n is None and end is None:
            raise ValueError("get_dates needs n, end or both")
        if n is not None and n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        start_utc = start.astimezone(UTC).replace(tzinfo=None)
        end_utc = None if end is None else end.astimezone(UTC).replace(tzinfo=None)
        instants = _collect(self._candidates(start_utc, end_utc), start_utc, end_utc, n)
        zone = self._output_zone()
        if zone is UTC:
            return [instant.replace(tzinfo=UTC) for instant in instants]
        return [instant.replace(tzinfo=UTC).astimezone(zone) for instant in instants]

    def describe(self) -> str:
        """A short human description, for the CLI and the UI."""
        raise NotImplementedError

    def _output_zone(self) -> dt.tzinfo:
        raise NotImplementedError

    def _candidates(self, start: dt.datetime, end: dt.datetime | None) -> Iterator[Instant]:
        """Candidate instants from about ``start`` (naive UTC), see ``_collect``."""
        raise NotImplementedError
