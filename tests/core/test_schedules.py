"""Schedules: validation messages, the dates of each kind, DST both ways, the wire shape."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from dateutil.rrule import rrulestr
from pydantic import BaseModel, ValidationError

from baton.core.schedules import (
    CronSchedule,
    IntervalSchedule,
    InvalidSchedule,
    RRuleSchedule,
    Schedule,
    parse_schedule,
    schedule_from_options,
)
from baton.exceptions import BatonError

UTC = dt.timezone.utc
NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
# 2024 changes: New York 10 March 02:00 -> 03:00 and 3 November 02:00 -> 01:00;
# London 31 March 01:00 -> 02:00 and 27 October 02:00 -> 01:00.


def at(zone: dt.tzinfo, *fields: int, fold: int = 0) -> dt.datetime:
    return dt.datetime(*fields, tzinfo=zone, fold=fold)  # type: ignore[misc]


def iso(dates: list[dt.datetime]) -> list[str]:
    return [date.isoformat() for date in dates]


def days_of(dates: list[dt.datetime]) -> list[int]:
    return [date.day for date in dates]


# --- validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"cron": "61 * * * *"},
            "invalid cron expression '61 * * * *': [61 * * * *] is not acceptable, out of range",
        ),
        (
            {"cron": "0 0 * * * *"},
            "invalid cron expression '0 0 * * * *': expected 5 fields (minute hour "
            "day-of-month month day-of-week), got 6; seconds and years are not supported",
        ),
        (
            {"cron": "0 0 *"},
            "invalid cron expression '0 0 *': expected 5 fields (minute hour "
            "day-of-month month day-of-week), got 3",
        ),
        ({"cron": "   "}, "invalid cron expression '': it is empty"),
        (
            {"cron": "@reboot"},
            "invalid cron expression '@reboot': unknown macro; use one of @yearly, "
            "@annually, @monthly, @weekly, @daily, @midnight, @hourly",
        ),
        (
            {"cron": "H * * * *"},
            "invalid cron expression 'H * * * *': random (R) and hashed (H) values are "
            "not supported",
        ),
        ({"cron": "0 0 30 2 *"}, "cron expression '0 0 30 2 *' never matches a date"),
        ({"cron": "0 9 * * *", "timezone": "Mars/Base"}, "unknown time zone 'Mars/Base'"),
        ({"cron": "0 9 * * *", "timezone": "../etc/passwd"}, "unknown time zone '../etc/passwd'"),
        ({"interval": 0}, "interval must be positive"),
        ({"interval": -60}, "interval must be positive"),
        ({"interval": 60, "timezone": "Nowhere"}, "unknown time zone 'Nowhere'"),
        ({}, "a schedule needs exactly one of cron, interval or rrule"),
        (
            {"cron": "0 9 * * *", "interval": 60},
            "a schedule needs exactly one of cron, interval or rrule",
        ),
        ({"timezone": "UTC"}, "a schedule needs exactly one of cron, interval or rrule"),
        (
            {"cron": "0 9 * * *", "anchor_date": "2024-01-01"},
            "anchor_date: Extra inputs are not permitted",
        ),
        ({"cron": None}, "cron: Input should be a valid string"),
        (
            {"rrule": "hello"},
            "invalid rrule 'hello': 'hello' is not a DTSTART, RRULE, RDATE, EXDATE or EXRULE line",
        ),
        (
            {"rrule": "DTSTART:20240101T090000"},
            "invalid rrule 'DTSTART:20240101T090000': it has no RRULE line",
        ),
        (
            {"rrule": "RRULE:FREQ=SOMETIMES"},
            "invalid rrule 'RRULE:FREQ=SOMETIMES': invalid 'FREQ': SOMETIMES",
        ),
        (
            {"rrule": "RRULE:FREQ=DAILY;INTERVAL=0"},
            "invalid rrule 'RRULE:FREQ=DAILY;INTERVAL=0': INTERVAL must be a positive whole number",
        ),
        (
            {"rrule": "RRULE:FREQ=DAILY;COUNT=0"},
            "rrule 'RRULE:FREQ=DAILY;COUNT=0' never yields a date",
        ),
        (
            {"rrule": "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"},
            "rrule 'RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30' never yields a date",
        ),
        (
            {"rrule": "DTSTART:20240101T000000\nRRULE:FREQ=DAILY;UNTIL=20231231T000000"},
            "rrule 'DTSTART:20240101T000000\\nRRULE:FREQ=DAILY;UNTIL=20231231T000000' never "
            "yields a date",
        ),
        (
            {
                "rrule": "DTSTART:20240101T000000\nRRULE:FREQ=DAILY;COUNT=2\n"
                "EXDATE:20240101T000000,20240102T000000"
            },
            "rrule 'DTSTART:20240101T000000\\nRRULE:FREQ=DAILY;COUNT=2\\n"
            "EXDATE:20240101T000000,20240...' never yields a date",
        ),
        (
            {"rrule": "DTSTART;TZID=Mars/Base:20240101T090000\nRRULE:FREQ=DAILY"},
            "unknown time zone 'Mars/Base'",
        ),
        (
            {
                "rrule": "DTSTART;TZID=Europe/London:20240101T090000\nRRULE:FREQ=DAILY\n"
                "EXDATE:20240102T090000"
            },
            "invalid rrule 'DTSTART;TZID=Europe/London:20240101T090000\\nRRULE:FREQ=DAILY\\n"
            "EXDATE:20240102T0...': DTSTART, RDATE and EXDATE must all have a time zone "
            "(TZID or Z) or all have none",
        ),
        (
            {
                "rrule": "DTSTART;TZID=Europe/London:20240101T090000\n"
                "RRULE:FREQ=DAILY;UNTIL=20240201T090000"
            },
            "invalid rrule 'DTSTART;TZID=Europe/London:20240101T090000\\n"
            "RRULE:FREQ=DAILY;UNTIL=20240201T09...': RRULE UNTIL values must be specified "
            "in UTC when DTSTART is timezone-aware",
        ),
    ],
)
def test_parse_schedule_says_precisely_what_is_wrong(data: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidSchedule) as raised:
        parse_schedule(data)
    assert str(raised.value) == message


def test_an_rrule_longer_than_the_limit_is_refused() -> None:
    text = "RRULE:FREQ=DAILY;BYHOUR=" + ",".join(["1"] * 3300)
    assert len(text) == 6623
    with pytest.raises(
        InvalidSchedule, match=r"^rrule is 6623 characters long; the limit is 6500$"
    ):
        parse_schedule({"rrule": text})
    assert RRuleSchedule(rrule="RRULE:FREQ=DAILY;BYHOUR=" + ",".join(["1"] * 3238))


def test_a_schedule_must_be_an_object() -> None:
    with pytest.raises(InvalidSchedule, match=r"^a schedule must be an object, got str$"):
        parse_schedule("0 9 * * *")


def test_invalid_schedule_is_a_value_error_and_a_baton_error() -> None:
    assert issubclass(InvalidSchedule, ValueError)
    assert issubclass(InvalidSchedule, BatonError)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: CronSchedule(cron="61 * * * *"), "invalid cron expression '61 * * * *': "),
        (
            lambda: CronSchedule(cron="0 9 * * *", timezone="Mars/Base"),
            "unknown time zone 'Mars/Base'",
        ),
        (lambda: IntervalSchedule(interval=dt.timedelta(0)), "interval must be positive"),
        (lambda: RRuleSchedule(rrule="RRULE:FREQ=DAILY;COUNT=0"), "never yields a date"),
    ],
)
def test_pydantic_errors_carry_the_same_text(build: object, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        build()  # type: ignore[operator]
    assert message in str(raised.value)


# --- get_dates bounds -----------------------------------------------------------------


def test_start_is_inclusive_and_n_and_end_both_bound() -> None:
    schedule = CronSchedule(cron="0 9 * * *")
    start = at(UTC, 2024, 5, 1, 9)
    assert days_of(schedule.get_dates(3, start)) == [1, 2, 3]
    assert days_of(schedule.get_dates(10, start, at(UTC, 2024, 5, 4, 9))) == [1, 2, 3, 4]
    assert days_of(schedule.get_dates(2, start, at(UTC, 2024, 5, 4, 9))) == [1, 2]
    assert days_of(schedule.get_dates(None, start, at(UTC, 2024, 5, 3, 8, 59))) == [1, 2]
    assert days_of(schedule.get_dates(3, start + dt.timedelta(microseconds=1))) == [2, 3, 4]
    assert schedule.get_dates(0, start) == []
    assert schedule.get_dates(5, start, start - dt.timedelta(days=1)) == []


def test_start_in_another_zone_means_the_same_instant() -> None:
    schedule = CronSchedule(cron="0 9 * * *")
    assert schedule.get_dates(1, at(NEW_YORK, 2024, 5, 1, 5)) == [at(UTC, 2024, 5, 1, 9)]
    assert schedule.get_dates(1, at(NEW_YORK, 2024, 5, 1, 5, 1)) == [at(UTC, 2024, 5, 2, 9)]


@pytest.mark.parametrize(
    ("n", "start", "end", "message"),
    [
        (1, dt.datetime(2024, 1, 1), None, "start must be a timezone-aware datetime"),
        (1, at(UTC, 2024, 1, 1), dt.datetime(2024, 2, 1), "end must be a timezone-aware datetime"),
        (None, at(UTC, 2024, 1, 1), None, "get_dates needs n, end or both"),
        (-1, at(UTC, 2024, 1, 1), None, "n must not be negative, got -1"),
    ],
)
def test_get_dates_refuses_unbounded_or_naive_requests(
    n: int | None, start: dt.datetime, end: dt.datetime | None, message: str
) -> None:
    for schedule in (
        CronSchedule(cron="* * * * *"),
        IntervalSchedule(interval=60),
        RRuleSchedule(rrule="RRULE:FREQ=MINUTELY"),
    ):
        with pytest.raises(ValueError, match=f"^{message}$"):
            schedule.get_dates(n, start, end)


# --- cron -------------------------------------------------------------------------------


def test_cron_dates_are_in_its_time_zone() -> None:
    schedule = CronSchedule(cron="0 9 * * 1-5", timezone="Europe/London")
    dates = schedule.get_dates(3, at(UTC, 2024, 5, 3))  # a Friday
    assert iso(dates) == [
        "2024-05-03T09:00:00+01:00",
        "2024-05-06T09:00:00+01:00",
        "2024-05-07T09:00:00+01:00",
    ]
    assert all(date.tzinfo == LONDON for date in dates)
    assert CronSchedule(cron="0 9 * * *").get_dates(1, at(LONDON, 2024, 5, 3))[0].tzinfo is UTC


@pytest.mark.parametrize(
    ("macro", "fields"),
    [
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("@monthly", "0 0 1 * *"),
        ("@weekly", "0 0 * * 0"),
        ("@daily", "0 0 * * *"),
        ("@MIDNIGHT", "0 0 * * *"),
        ("@hourly", "0 * * * *"),
    ],
)
def test_cron_macros_mean_their_five_fields(macro: str, fields: str) -> None:
    start = at(UTC, 2024, 2, 27, 13, 30)
    assert CronSchedule(cron=macro).get_dates(5, start) == CronSchedule(cron=fields).get_dates(
        5, start
    )


def test_day_or_chooses_either_or_both_day_fields() -> None:
    start = at(UTC, 2024, 1, 1)  # a Monday
    either = CronSchedule(cron="0 0 13 * 5")  # the 13th, or any Friday
    both = CronSchedule(cron="0 0 13 * 5", day_or=False)  # Friday the 13th
    assert [d.date().isoformat() for d in either.get_dates(4, start)] == [
        "2024-01-05",
        "2024-01-12",
        "2024-01-13",
        "2024-01-19",
    ]
    assert [d.date().isoformat() for d in both.get_dates(2, start)] == [
        "2024-09-13",
        "2024-12-13",
    ]


def test_cron_with_last_day_nth_weekday_and_nearest_weekday() -> None:
    start = at(UTC, 2024, 1, 1)
    assert days_of(CronSchedule(cron="0 0 L * *").get_dates(3, start)) == [31, 29, 31]
    assert days_of(CronSchedule(cron="0 0 * * mon#2").get_dates(3, start)) == [8, 12, 11]
    assert days_of(CronSchedule(cron="0 0 1W * *").get_dates(3, start)) == [1, 1, 1]
    assert days_of(CronSchedule(cron="0 0 15W 6 *").get_dates(1, start)) == [14]  # a Friday


def test_cron_whitespace_is_normalised() -> None:
    assert CronSchedule(cron="  0   9 * *\t*  ").cron == "0 9 * * *"


EXPRESSIONS = [
    "* * * * *",
    "*/7 * * * *",
    "5,35 */3 * * *",
    "0 9-17 * * 1-5",
    "30 22 * * sun,sat",
    "0 0 1,15 * *",
    "0 12 */2 jan-mar *",
    "15 4 29 2 *",
    "0 0 13 * 5",
    "0 0 31 * *",
    "45 23 * 12 0",
    "0 6 1-7 * 1",
    "10-20/5 0 * 6 *",
    "0 0 * * 7",
]


@pytest.mark.parametrize("expression", EXPRESSIONS)
@pytest.mark.parametrize("day_or", [True, False])
def test_cron_dates_match_croniter(expression: str, day_or: bool) -> None:
    """Plain expressions are matched without croniter, and must agree with it."""
    picker = random.Random(f"{expression}-{day_or}")
    schedule = CronSchedule(cron=expression, day_or=day_or)
    for _ in range(5):
        start = dt.datetime(2023, 1, 1) + dt.timedelta(minutes=picker.randrange(3 * 365 * 1440))
        expected = []
        times = croniter(expression, start - dt.timedelta(seconds=1), day_or=day_or)
        for _ in range(30):
            expected.append(times.get_next(dt.datetime).replace(tzinfo=UTC))
        assert schedule.get_dates(30, start.replace(tzinfo=UTC)) == expected


# --- DST: cron --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "cron", "day", "expected"),
    [
        ("America/New_York", "30 2 * * *", 10, "2024-03-10T03:30:00-04:00"),
        ("Europe/London", "30 1 * * *", 31, "2024-03-31T02:30:00+01:00"),
    ],
)
def test_a_daily_cron_in_the_spring_gap_runs_once_an_hour_later(
    zone: str, cron: str, day: int, expected: str
) -> None:
    schedule = CronSchedule(cron=cron, timezone=zone)
    start = at(ZoneInfo(zone), 2024, 3, day - 1)
    dates = schedule.get_dates(None, start, start + dt.timedelta(days=2, hours=23))
    on_the_day = [date for date in dates if date.day == day]
    assert iso(on_the_day) == [expected]
    assert len(dates) == 3  # the day before, the day, the day after
    assert [d.hour for d in dates if d.day != day] == [int(cron.split()[1])] * 2


@pytest.mark.parametrize(
    ("zone", "day", "expected"),
    [
        ("America/New_York", 3, "2024-11-03T01:30:00-04:00"),
        ("Europe/London", 27, "2024-10-27T01:30:00+01:00"),
    ],
)
def test_a_daily_cron_in_the_repeated_hour_runs_once_the_first_time(
    zone: str, day: int, expected: str
) -> None:
    schedule = CronSchedule(cron="30 1 * * *", timezone=zone)
    month = 11 if day == 3 else 10
    dates = schedule.get_dates(
        None, at(ZoneInfo(zone), 2024, month, day), at(ZoneInfo(zone), 2024, month, day, 23)
    )
    assert iso(dates) == [expected]


def test_an_hourly_cron_runs_in_both_passes_of_the_repeated_hour() -> None:
    schedule = CronSchedule(cron="0 * * * *", timezone="America/New_York")
    assert iso(schedule.get_dates(4, at(NEW_YORK, 2024, 11, 3, 0, 30))) == [
        "2024-11-03T01:00:00-04:00",
        "2024-11-03T01:00:00-05:00",
        "2024-11-03T02:00:00-05:00",
        "2024-11-03T03:00:00-05:00",
    ]
    london = CronSchedule(cron="@hourly", timezone="Europe/London")
    assert iso(london.get_dates(3, at(LONDON, 2024, 10, 27, 0, 30))) == [
        "2024-10-27T01:00:00+01:00",
        "2024-10-27T01:00:00+00:00",
        "2024-10-27T02:00:00+00:00",
    ]


def test_a_frequent_cron_follows_the_clock_through_both_changes() -> None:
    schedule = CronSchedule(cron="*/30 * * * *", timezone="America/New_York")
    spring = schedule.get_dates(4, at(NEW_YORK, 2024, 3, 10, 1))
    assert iso(spring) == [
        "2024-03-10T01:00:00-05:00",
        "2024-03-10T01:30:00-05:00",
        "2024-03-10T03:00:00-04:00",
        "2024-03-10T03:30:00-04:00",
    ]
    autumn = schedule.get_dates(5, at(NEW_YORK, 2024, 11, 3, 1, 30))
    assert [d.astimezone(UTC).strftime("%H:%M") for d in autumn] == [
        "05:30",
        "06:00",
        "06:30",
        "07:00",
        "07:30",
    ]


def test_a_start_in_the_second_pass_of_the_repeated_hour() -> None:
    start = at(NEW_YORK, 2024, 11, 3, 1, 15, fold=1)  # 01:15 EST
    hourly = CronSchedule(cron="45 * * * *", timezone="America/New_York")
    assert iso(hourly.get_dates(2, start)) == [
        "2024-11-03T01:45:00-05:00",
        "2024-11-03T02:45:00-05:00",
    ]
    daily = CronSchedule(cron="45 1 * * *", timezone="America/New_York")
    assert iso(daily.get_dates(1, start)) == ["2024-11-04T01:45:00-05:00"]


def test_a_start_just_after_the_spring_gap_still_gets_the_moved_time() -> None:
    schedule = CronSchedule(cron="30 2 * * *", timezone="America/New_York")
    start = at(NEW_YORK, 2024, 3, 10, 3, 10)
    assert iso(schedule.get_dates(1, start)) == ["2024-03-10T03:30:00-04:00"]


# --- interval ---------------------------------------------------------------------------


def test_interval_defaults_and_phase() -> None:
    schedule = IntervalSchedule(interval=dt.timedelta(minutes=45))
    assert schedule.anchor_date == at(UTC, 2020, 1, 1)
    dates = schedule.get_dates(3, at(UTC, 2024, 1, 1, 0, 1))
    assert all(
        (date - at(UTC, 2020, 1, 1)) % dt.timedelta(minutes=45) == dt.timedelta(0) for date in dates
    )
    assert [b - a for a, b in itertools.pairwise(dates)] == [dt.timedelta(minutes=45)] * 2
    assert dates[0] - at(UTC, 2024, 1, 1, 0, 1) < dt.timedelta(minutes=45)


def test_an_anchor_after_start_only_sets_the_phase() -> None:
    schedule = IntervalSchedule(interval=3600, anchor_date=at(UTC, 2030, 1, 1, 0, 20))
    assert iso(schedule.get_dates(2, at(UTC, 2024, 1, 1))) == [
        "2024-01-01T00:20:00+00:00",
        "2024-01-01T01:20:00+00:00",
    ]


def test_a_naive_anchor_is_in_the_schedule_time_zone() -> None:
    schedule = IntervalSchedule(
        interval=dt.timedelta(days=1),
        timezone="Europe/London",
        anchor_date=dt.datetime(2024, 1, 1, 9),
    )
    assert schedule.anchor_date == at(LONDON, 2024, 1, 1, 9)
    assert iso(schedule.get_dates(1, at(UTC, 2024, 6, 1))) == ["2024-06-01T09:00:00+01:00"]
    # Without a time zone, the default anchor is midnight in the schedule's zone.
    assert IntervalSchedule(interval=60, timezone="America/New_York").anchor_date == at(
        NEW_YORK, 2020, 1, 1
    )


def test_an_anchor_with_a_zoneinfo_lends_its_time_zone() -> None:
    schedule = IntervalSchedule(
        interval=dt.timedelta(days=1), anchor_date=at(NEW_YORK, 2024, 1, 1, 9)
    )
    assert schedule.timezone == "America/New_York"
    assert iso(schedule.get_dates(1, at(UTC, 2024, 7, 1))) == ["2024-07-01T09:00:00-04:00"]


@pytest.mark.parametrize(
    ("zone", "month", "day"),
    [
        ("America/New_York", 3, 10),
        ("America/New_York", 11, 3),
        ("Europe/London", 3, 31),
        ("Europe/London", 10, 27),
    ],
)
def test_a_daily_interval_keeps_its_wall_clock_time_across_dst(
    zone: str, month: int, day: int
) -> None:
    tz = ZoneInfo(zone)
    schedule = IntervalSchedule(
        interval=dt.timedelta(days=1), timezone=zone, anchor_date=dt.datetime(2020, 1, 1, 9)
    )
    dates = schedule.get_dates(3, at(tz, 2024, month, day - 1, 9))
    first = dt.date(2024, month, day - 1)
    assert [d.date() for d in dates] == [first + dt.timedelta(days=k) for k in range(3)]
    assert [(d.hour, d.minute) for d in dates] == [(9, 0)] * 3
    assert {d.utcoffset() for d in dates} == {dates[0].utcoffset(), dates[-1].utcoffset()}
    assert dates[0].utcoffset() != dates[-1].utcoffset()


def test_a_weekly_interval_in_the_spring_gap_moves_an_hour_later() -> None:
    schedule = IntervalSchedule(
        interval=dt.timedelta(weeks=1),
        timezone="America/New_York",
        anchor_date=dt.datetime(2024, 3, 3, 2, 30),
    )
    assert iso(schedule.get_dates(3, at(NEW_YORK, 2024, 3, 1))) == [
        "2024-03-03T02:30:00-05:00",
        "2024-03-10T03:30:00-04:00",
        "2024-03-17T02:30:00-04:00",
    ]


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/London"])
def test_an_hourly_interval_is_elapsed_time_across_dst(zone: str) -> None:
    tz = ZoneInfo(zone)
    schedule = IntervalSchedule(interval=3600, timezone=zone)
    autumn_start = at(tz, 2024, 11, 3, 0) if zone == "America/New_York" else at(tz, 2024, 10, 27, 0)
    autumn = schedule.get_dates(4, autumn_start)
    assert [b.astimezone(UTC) - a for a, b in itertools.pairwise(autumn)] == [
        dt.timedelta(hours=1)
    ] * 3
    assert [d.hour for d in autumn] == [0, 1, 1, 2]  # 01:00 in both passes
    spring_start = at(tz, 2024, 3, 10, 0) if zone == "America/New_York" else at(tz, 2024, 3, 31, 0)
    spring = schedule.get_dates(3, spring_start)
    assert [b.astimezone(UTC) - a for a, b in itertools.pairwise(spring)] == [
        dt.timedelta(hours=1)
    ] * 2
    assert [d.hour for d in spring] == ([0, 1, 3] if zone == "America/New_York" else [0, 2, 3])


# --- rrule ------------------------------------------------------------------------------


def test_rrule_with_tzid_keeps_its_wall_clock_time_across_dst() -> None:
    schedule = RRuleSchedule(
        rrule="DTSTART;TZID=America/New_York:20240101T090000\nRRULE:FREQ=DAILY"
    )
    for start in (at(UTC, 2024, 3, 9), at(UTC, 2024, 11, 2)):
        dates = schedule.get_dates(3, start)
        assert [(d.hour, d.tzinfo) for d in dates] == [(9, NEW_YORK)] * 3
        assert dates[0].utcoffset() != dates[-1].utcoffset()
    london = RRuleSchedule(rrule="DTSTART;TZID=Europe/London:20240101T013000\nRRULE:FREQ=DAILY")
    assert iso(london.get_dates(3, at(LONDON, 2024, 3, 30))) == [
        "2024-03-30T01:30:00+00:00",
        "2024-03-31T02:30:00+01:00",  # 01:30 does not exist that night
        "2024-04-01T01:30:00+01:00",
    ]
    assert iso(london.get_dates(2, at(LONDON, 2024, 10, 27))) == [
        "2024-10-27T01:30:00+01:00",  # the first of the two 01:30s
        "2024-10-28T01:30:00+00:00",
    ]


def test_rrule_exdate_count_and_until() -> None:
    start = at(UTC, 2024, 1, 1)
    excluded = RRuleSchedule(
        rrule="DTSTART:20240101T090000\nRRULE:FREQ=DAILY;COUNT=5\nEXDATE:20240102T090000,20240104T090000"
    )
    assert days_of(excluded.get_dates(10, start)) == [1, 3, 5]
    until = RRuleSchedule(rrule="DTSTART:20240101T090000\nRRULE:FREQ=DAILY;UNTIL=20240103T090000")
    assert days_of(until.get_dates(10, start)) == [1, 2, 3]
    assert until.get_dates(10, at(UTC, 2025, 1, 1)) == []
    zoned = RRuleSchedule(
        rrule="DTSTART;TZID=Europe/London:20240101T090000\n"
        "RRULE:FREQ=DAILY;UNTIL=20240104T000000Z\n"
        "EXDATE;TZID=Europe/London:20240102T090000"
    )
    assert iso(zoned.get_dates(10, start)) == [
        "2024-01-01T09:00:00+00:00",
        "2024-01-03T09:00:00+00:00",
    ]


def test_rrule_rdate_adds_dates_in_order() -> None:
    schedule = RRuleSchedule(
        rrule="DTSTART:20240101T090000\nRRULE:FREQ=WEEKLY;COUNT=3\nRDATE:20240103T120000,20240101T090000"
    )
    assert iso(schedule.get_dates(10, at(UTC, 2024, 1, 1))) == [
        "2024-01-01T09:00:00+00:00",
        "2024-01-03T12:00:00+00:00",
        "2024-01-08T09:00:00+00:00",
        "2024-01-15T09:00:00+00:00",
    ]


def test_rrule_without_dtstart_starts_at_midnight_2020_in_its_zone() -> None:
    schedule = RRuleSchedule(rrule="RRULE:FREQ=WEEKLY;BYDAY=MO", timezone="America/New_York")
    assert iso(schedule.get_dates(2, at(UTC, 2024, 5, 1))) == [
        "2024-05-06T00:00:00-04:00",
        "2024-05-13T00:00:00-04:00",
    ]
    assert iso(RRuleSchedule(rrule="FREQ=DAILY;COUNT=2").get_dates(5, at(UTC, 2019, 1, 1))) == [
        "2020-01-01T00:00:00+00:00",
        "2020-01-02T00:00:00+00:00",
    ]


def test_rrule_dates_come_in_its_timezone_else_dtstart_zone_else_utc() -> None:
    start = at(UTC, 2024, 5, 1)
    floating = "DTSTART:20240101T090000\nRRULE:FREQ=DAILY"
    zoned = "DTSTART;TZID=Europe/London:20240101T090000\nRRULE:FREQ=DAILY"
    assert (
        RRuleSchedule(rrule=floating).get_dates(1, start)[0].isoformat()
        == "2024-05-01T09:00:00+00:00"
    )
    in_new_york = RRuleSchedule(rrule=floating, timezone="America/New_York").get_dates(1, start)[0]
    assert in_new_york.isoformat() == "2024-05-01T09:00:00-04:00"
    assert (
        RRuleSchedule(rrule=zoned).get_dates(1, start)[0].isoformat() == "2024-05-01T09:00:00+01:00"
    )
    # A TZID wins for the wall-clock time; timezone only says how the dates are shown.
    shown = RRuleSchedule(rrule=zoned, timezone="America/New_York").get_dates(1, start)[0]
    assert shown.isoformat() == "2024-05-01T04:00:00-04:00"


RULES = [
    "DTSTART:20200101T093000\nRRULE:FREQ=MINUTELY;INTERVAL=97",
    "DTSTART:20200101T000000\nRRULE:FREQ=HOURLY;INTERVAL=5;BYDAY=MO,TU",
    "DTSTART:20200103T081500\nRRULE:FREQ=DAILY;INTERVAL=3;BYHOUR=8,20",
    "DTSTART:20200105T100000\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=SU,WE;WKST=MO",
    "DTSTART:20200110T120000\nRRULE:FREQ=MONTHLY;INTERVAL=5",
    "DTSTART:20200131T120000\nRRULE:FREQ=MONTHLY",
    "DTSTART:20200229T120000\nRRULE:FREQ=YEARLY",
    "DTSTART:20200101T000000\nRRULE:FREQ=MONTHLY;BYDAY=-1FR;BYSETPOS=1",
    "DTSTART:20200101T000000\nRRULE:FREQ=YEARLY;INTERVAL=2;BYMONTH=3;BYDAY=2SU",
    "DTSTART:20200101T060000\nRRULE:FREQ=DAILY;UNTIL=20260101T000000\nEXDATE:20240502T060000",
    "DTSTART:20200101T000000\nRRULE:FREQ=SECONDLY;INTERVAL=5400\nRRULE:FREQ=DAILY;BYHOUR=7;BYMINUTE=7",
]


@pytest.mark.parametrize("text", RULES)
def test_rrule_dates_match_dateutil_from_dtstart(text: str) -> None:
    """Rules are restarted near ``start`` for speed; the dates must not change."""
    schedule = RRuleSchedule(rrule=text)
    everything = rrulestr(text, forceset=True)
    picker = random.Random(text)
    for _ in range(4):
        start = dt.datetime(2021, 1, 1) + dt.timedelta(minutes=picker.randrange(4 * 365 * 1440))
        end = start + dt.timedelta(days=picker.choice([1, 30, 400]))
        expected = [d.replace(tzinfo=UTC) for d in everything.between(start, end, inc=True)][:25]
        assert (
            schedule.get_dates(25, start.replace(tzinfo=UTC), end.replace(tzinfo=UTC)) == expected
        )


# --- the wire ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "schedule",
    [
        CronSchedule(cron="0 9 * * 1-5", timezone="Europe/London"),
        CronSchedule(cron="@daily", day_or=False),
        IntervalSchedule(interval=dt.timedelta(hours=1, seconds=1)),
        IntervalSchedule(
            interval=90.5, timezone="America/New_York", anchor_date=dt.datetime(2024, 3, 1, 9)
        ),
        RRuleSchedule(
            rrule="DTSTART;TZID=Europe/London:20240101T090000\nRRULE:FREQ=DAILY;COUNT=900"
        ),
        RRuleSchedule(rrule="RRULE:FREQ=WEEKLY;BYDAY=MO", timezone="America/New_York"),
    ],
)
def test_schedules_round_trip_through_json(schedule: Schedule) -> None:
    wire = schedule.model_dump(mode="json")
    again = parse_schedule(wire)
    assert again == schedule
    assert type(again) is type(schedule)
    start = at(UTC, 2024, 3, 1)
    assert again.get_dates(50, start) == schedule.get_dates(50, start)


def test_interval_is_seconds_on_the_wire() -> None:
    schedule = parse_schedule({"interval": 3600, "anchor_date": "2024-01-01T09:00:00+01:00"})
    assert isinstance(schedule, IntervalSchedule)
    assert schedule.interval == dt.timedelta(hours=1)
    assert schedule.model_dump(mode="json") == {
        "interval": 3600.0,
        "timezone": None,
        "anchor_date": "2024-01-01T09:00:00+01:00",
    }
    assert parse_schedule({"interval": 0.25}).interval == dt.timedelta(milliseconds=250)  # type: ignore[union-attr]


def test_parse_schedule_picks_the_kind_by_its_key() -> None:
    assert isinstance(parse_schedule({"cron": "0 0 * * *"}), CronSchedule)
    assert isinstance(parse_schedule({"interval": 60}), IntervalSchedule)
    assert isinstance(parse_schedule({"rrule": "FREQ=DAILY"}), RRuleSchedule)
    existing = CronSchedule(cron="0 0 * * *")
    assert parse_schedule(existing) == existing


def test_schedule_is_a_field_type() -> None:
    class Deployment(BaseModel):
        schedules: list[Schedule]

    deployment = Deployment.model_validate({"schedules": [{"cron": "0 9 * * *"}, {"interval": 60}]})
    assert [type(s) for s in deployment.schedules] == [CronSchedule, IntervalSchedule]
    with pytest.raises(
        ValidationError, match="a schedule needs exactly one of cron, interval or rrule"
    ):
        Deployment.model_validate({"schedules": [{"cron": "0 9 * * *", "rrule": "FREQ=DAILY"}]})


def test_schedules_are_immutable_values() -> None:
    schedule = CronSchedule(cron="0 9 * * *")
    with pytest.raises(ValidationError):
        schedule.cron = "0 10 * * *"  # type: ignore[misc]
    assert hash(schedule) == hash(CronSchedule(cron="0 9 * * *"))


# --- options and descriptions ---------------------------------------------------------


def test_schedule_from_options() -> None:
    assert schedule_from_options(cron="0 9 * * *", timezone="Europe/London") == CronSchedule(
        cron="0 9 * * *", timezone="Europe/London"
    )
    assert schedule_from_options(interval=90) == IntervalSchedule(interval=dt.timedelta(seconds=90))
    assert schedule_from_options(
        interval=dt.timedelta(days=1), anchor_date=at(UTC, 2024, 1, 1, 9)
    ) == (IntervalSchedule(interval=dt.timedelta(days=1), anchor_date=at(UTC, 2024, 1, 1, 9)))
    assert schedule_from_options(rrule="FREQ=HOURLY") == RRuleSchedule(rrule="FREQ=HOURLY")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "a schedule needs exactly one of cron, interval or rrule"),
        (
            {"cron": "0 9 * * *", "interval": 60},
            "a schedule needs exactly one of cron, interval or rrule",
        ),
        (
            {"cron": "0 9 * * *", "anchor_date": dt.datetime(2024, 1, 1)},
            "anchor_date only applies to interval schedules",
        ),
        ({"interval": True}, "interval must be seconds or a timedelta, got bool"),
        ({"interval": "60"}, "interval must be seconds or a timedelta, got str"),
        ({"interval": float("inf")}, "interval must be a finite number of seconds, got inf"),
        ({"interval": -1}, "interval must be positive"),
        (
            {"cron": "61 * * * *"},
            "invalid cron expression '61 * * * *': [61 * * * *] is not acceptable, out of range",
        ),
        ({"rrule": "FREQ=DAILY", "timezone": "Mars/Base"}, "unknown time zone 'Mars/Base'"),
    ],
)
def test_schedule_from_options_refuses_bad_options(
    options: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidSchedule) as raised:
        schedule_from_options(**options)  # type: ignore[arg-type]
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("schedule", "text"),
    [
        (
            CronSchedule(cron="0 9 * * 1-5", timezone="Europe/London"),
            "cron '0 9 * * 1-5' in Europe/London",
        ),
        (CronSchedule(cron="@daily"), "cron '@daily' in UTC"),
        (
            CronSchedule(cron="0 0 13 * 5", day_or=False),
            "cron '0 0 13 * 5' in UTC, on days matching both day fields",
        ),
        (IntervalSchedule(interval=3600), "every 1 hour from 2020-01-01T00:00:00+00:00"),
        (IntervalSchedule(interval=90), "every 90 seconds from 2020-01-01T00:00:00+00:00"),
        (IntervalSchedule(interval=1.5), "every 1.5 seconds from 2020-01-01T00:00:00+00:00"),
        (
            IntervalSchedule(interval=dt.timedelta(days=2), timezone="Europe/London"),
            "every 2 days from 2020-01-01T00:00:00+00:00 in Europe/London",
        ),
        (RRuleSchedule(rrule="RRULE:FREQ=WEEKLY;BYDAY=MO"), "RRULE:FREQ=WEEKLY;BYDAY=MO"),
        (
            RRuleSchedule(
                rrule="DTSTART:20240101T090000\nRRULE:FREQ=DAILY", timezone="Europe/London"
            ),
            "DTSTART:20240101T090000 RRULE:FREQ=DAILY in Europe/London",
        ),
    ],
)
def test_describe(schedule: Schedule, text: str) -> None:
    assert schedule.describe() == text


def test_public_module_exports() -> None:
    import baton.schedules

    assert baton.schedules.__all__ == [
        "CronSchedule",
        "IntervalSchedule",
        "InvalidSchedule",
        "RRuleSchedule",
    ]
    assert baton.schedules.CronSchedule is CronSchedule
