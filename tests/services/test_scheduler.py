"""The scheduler makes each scheduled run once, a bounded window ahead, and no stale ones."""

from __future__ import annotations

import datetime as dt
import itertools
import threading

import pytest
from services_support import PARAMETER_SCHEMA, deployment, now

from baton.client.embedded import EmbeddedClient
from baton.core.actions import (
    DeploymentFlowRunCreate,
    DeploymentScheduleCreate,
    DeploymentScheduleUpdate,
    DeploymentUpdate,
)
from baton.core.models import FlowRun
from baton.core.states import StateType
from baton.services import scheduler
from baton.services.scheduler import SchedulerWindow

HOURLY = {"interval": 3600}
HALF_DAY = dt.timedelta(hours=12)
WINDOW = SchedulerWindow(max_runs=5, horizon=dt.timedelta(days=1))


def runs_of(client: EmbeddedClient, deployment_id: object) -> list[FlowRun]:
    return [r for r in client.read_flow_runs(limit=1000) if r.deployment_id == deployment_id]


def test_a_pass_makes_the_window_of_runs_once(embedded: EmbeddedClient) -> None:
    d = deployment(embedded, schedules=[HOURLY])
    start = now()

    made = scheduler.run_once(embedded.db, start, WINDOW)
    again = scheduler.run_once(embedded.db, start, WINDOW)

    runs = runs_of(embedded, d.id)
    assert (made, again, len(runs)) == (5, 0, 5)
    assert all(r.auto_scheduled and r.state_type is StateType.SCHEDULED for r in runs)
    assert all(r.work_pool_name == "local" and r.work_queue_name == "default" for r in runs)
    times = sorted(r.expected_start_time for r in runs if r.expected_start_time)
    assert len(times) == 5 and all(start <= t <= start + WINDOW.horizon for t in times)
    assert [b - a for a, b in itertools.pairwise(times)] == [dt.timedelta(hours=1)] * 4


def test_the_horizon_bounds_the_window(embedded: EmbeddedClient) -> None:
    start = now()
    every_two_days = {"interval": 86400 * 2, "anchor_date": (start + HALF_DAY).isoformat()}
    d = deployment(embedded, schedules=[every_two_days])

    scheduler.run_once(embedded.db, start, WINDOW)

    runs = runs_of(embedded, d.id)  # in half a day, then not before two and a half days
    assert [r.expected_start_time for r in runs] == [start + HALF_DAY]


def test_racing_schedulers_make_each_run_once(embedded: EmbeddedClient) -> None:
    d = deployment(embedded, schedules=[HOURLY, {"interval": 1800}])
    start = now()
    barrier = threading.Barrier(4)
    made: list[int] = []

    def one_scheduler() -> None:
        barrier.wait()
        made.append(scheduler.run_once(embedded.db, start, WINDOW))

    threads = [threading.Thread(target=one_scheduler) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    runs = runs_of(embedded, d.id)
    keys = [r.idempotency_key for r in runs]
    assert len(runs) == 10 and len(set(keys)) == 10
    assert sum(made) == 10


def test_pausing_a_deployment_removes_its_future_scheduled_runs(embedded: EmbeddedClient) -> None:
    d = deployment(embedded, schedules=[HOURLY])
    scheduler.run_once(embedded.db, now(), WINDOW)
    by_hand = embedded.create_flow_run_from_deployment(d.id, DeploymentFlowRunCreate(parameters={}))

    embedded.update_deployment(d.id, DeploymentUpdate(paused=True))
    made_while_paused = scheduler.run_once(embedded.db, now(), WINDOW)

    assert made_while_paused == 0
    assert [r.id for r in runs_of(embedded, d.id)] == [by_hand.id]


def test_editing_a_schedule_replaces_the_runs_it_no_longer_wants(
    embedded: EmbeddedClient,
) -> None:
    d = deployment(embedded, schedules=[HOURLY])
    start = now()
    scheduler.run_once(embedded.db, start, WINDOW)

    daily_at_noon = {"cron": "0 12 * * *", "timezone": "UTC"}
    embedded.update_deployment(
        d.id, DeploymentUpdate(schedules=[DeploymentScheduleCreate(schedule=daily_at_noon)])
    )
    scheduler.run_once(embedded.db, start, WINDOW)

    runs = runs_of(embedded, d.id)
    assert len(runs) == 1
    when = runs[0].expected_start_time
    assert when is not None and (when.hour, when.minute) == (12, 0)


def test_pausing_one_schedule_keeps_the_others_runs(embedded: EmbeddedClient) -> None:
    d = deployment(
        embedded, schedules=[HOURLY, {"interval": 1800, "anchor_date": "2020-01-01T00:15:00Z"}]
    )
    start = now()
    scheduler.run_once(embedded.db, start, WINDOW)
    hourly = d.schedules[0]

    embedded.update_deployment_schedule(d.id, hourly.id, DeploymentScheduleUpdate(active=False))
    scheduler.run_once(embedded.db, start, WINDOW)

    runs = runs_of(embedded, d.id)
    assert len(runs) == 5
    assert all(str(hourly.id) not in (r.idempotency_key or "") for r in runs)
    assert all(r.expected_start_time and r.expected_start_time.minute in (15, 45) for r in runs)


def test_an_inactive_schedule_makes_no_runs(embedded: EmbeddedClient) -> None:
    d = deployment(embedded, schedules=[])
    embedded.update_deployment(
        d.id,
        DeploymentUpdate(schedules=[DeploymentScheduleCreate(schedule=HOURLY, active=False)]),
    )

    assert scheduler.run_once(embedded.db, now(), WINDOW) == 0
    assert runs_of(embedded, d.id) == []


def test_a_deployment_edited_mid_pass_gets_no_runs_from_its_old_schedule(
    embedded: EmbeddedClient,
) -> None:
    d = deployment(embedded, schedules=[HOURLY])
    stale = embedded.read_deployment(d.id)
    embedded.update_deployment(d.id, DeploymentUpdate(description="edited"))
    start = now()
    dates = [start + dt.timedelta(hours=1)]

    made = scheduler._schedule(embedded.db, stale, stale.schedules[0], dates, start)

    assert made == 0 and runs_of(embedded, d.id) == []


def test_a_deployment_whose_defaults_miss_a_required_parameter_is_skipped(
    embedded: EmbeddedClient,
) -> None:
    d = deployment(embedded, schedules=[HOURLY], parameter_openapi_schema=PARAMETER_SCHEMA)
    other = deployment(embedded, "other", schedules=[HOURLY])

    made = scheduler.run_once(embedded.db, now(), WINDOW)

    assert made == 5
    assert runs_of(embedded, d.id) == [] and len(runs_of(embedded, other.id)) == 5


@pytest.mark.parametrize("bad", [{"cron": "61 * * * *"}, {"interval": -5}, {"rrule": "nope"}])
def test_a_bad_schedule_is_refused_when_the_deployment_is_made(
    embedded: EmbeddedClient, bad: dict[str, object]
) -> None:
    from baton.core.schedules import InvalidSchedule

    with pytest.raises(InvalidSchedule):
        deployment(embedded, schedules=[bad])
    assert embedded.read_deployments() == []
