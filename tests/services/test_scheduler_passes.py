"""Pass after pass, the scheduler keeps each schedule's window exactly full.

Later passes reuse what earlier ones computed and skip deployments whose runs
are all there; these tests pin that the shortcut never leaves a run unmade.
"""

from __future__ import annotations

import datetime as dt

from services_support import deployment, now
from sqlalchemy import delete

from baton.client.embedded import EmbeddedClient
from baton.core.models import FlowRun
from baton.services import scheduler
from baton.services.scheduler import SchedulerWindow
from baton.storage import models as m

WINDOW = SchedulerWindow(max_runs=5, horizon=dt.timedelta(days=1))
HOUR = dt.timedelta(hours=1)


def hourly_from(anchor: dt.datetime) -> dict[str, object]:
    return {"interval": 3600, "anchor_date": anchor.isoformat()}


def times_of(
    client: EmbeddedClient, deployment_id: object, after: dt.datetime
) -> list[dt.datetime]:
    """The start times of the deployment's runs from ``after`` on."""
    runs: list[FlowRun] = client.read_flow_runs(limit=1000)
    return sorted(
        r.expected_start_time
        for r in runs
        if r.deployment_id == deployment_id
        and r.expected_start_time is not None
        and r.expected_start_time >= after
    )


def test_the_window_slides_with_the_clock(embedded: EmbeddedClient) -> None:
    start = now()
    d = deployment(embedded, schedules=[hourly_from(start + dt.timedelta(minutes=30))])

    first = scheduler.run_once(embedded.db, start, WINDOW)
    later = start + 2 * HOUR
    second = scheduler.run_once(embedded.db, later, WINDOW)
    third = scheduler.run_once(embedded.db, later, WINDOW)

    assert (first, second, third) == (5, 2, 0)
    expected = [start + dt.timedelta(minutes=30) + HOUR * (2 + i) for i in range(5)]
    assert times_of(embedded, d.id, later) == expected


def test_a_run_of_the_window_that_went_missing_is_made_again(embedded: EmbeddedClient) -> None:
    start = now()
    d = deployment(embedded, schedules=[hourly_from(start + dt.timedelta(minutes=10))])
    scheduler.run_once(embedded.db, start, WINDOW)
    times = times_of(embedded, d.id, start)
    with embedded.db.write() as conn:
        run = m.flow_run
        conn.execute(delete(run).where(run.c.expected_start_time == times[2]))
    assert len(times_of(embedded, d.id, start)) == 4

    made = scheduler.run_once(embedded.db, start, WINDOW)

    assert made == 1
    assert times_of(embedded, d.id, start) == times


def test_a_smaller_window_makes_nothing_more_and_a_larger_one_fills_up(
    embedded: EmbeddedClient,
) -> None:
    start = now()
    d = deployment(embedded, schedules=[hourly_from(start + dt.timedelta(minutes=10))])
    scheduler.run_once(embedded.db, start, WINDOW)

    smaller = scheduler.run_once(embedded.db, start, SchedulerWindow(3, WINDOW.horizon))
    larger = scheduler.run_once(embedded.db, start, SchedulerWindow(8, WINDOW.horizon))

    assert (smaller, larger) == (0, 3)
    assert len(times_of(embedded, d.id, start)) == 8


def test_two_schedules_of_one_deployment_each_get_their_runs(embedded: EmbeddedClient) -> None:
    start = now()
    d = deployment(
        embedded,
        schedules=[
            hourly_from(start + dt.timedelta(minutes=10)),
            hourly_from(start + dt.timedelta(minutes=40)),
        ],
    )
    scheduler.run_once(embedded.db, start, WINDOW)
    later = start + HOUR

    made = scheduler.run_once(embedded.db, later, WINDOW)

    assert made == 2
    assert len(times_of(embedded, d.id, later)) == 10
