"""Cost of one scheduler loop with 1,000 deployments on cron, interval and RRULE schedules.

On a fresh database (SQLite; PostgreSQL too when ``BATON_TEST_POSTGRES_URL`` is set)
it registers the deployments, then times ``baton.services.scheduler.run_once``:

- first loop: every schedule's runs are made (also shown as runs made per second);
- steady loop: the same moment again, nothing to make;
- next loop: a minute later, making the few runs that came into the window.

After the loops, the runs are checked against the dates each schedule wants, so a
fast loop that skipped work would show up as a failure.

with the default window (``SchedulerWindow.from_settings()``, 100 runs or 100 days
per schedule) and a small one (10 runs or 1 day).

    python benchmarks/scheduler_loop.py
    python benchmarks/scheduler_loop.py --deployments 200 --windows small
    python benchmarks/scheduler_loop.py --profile first    # cProfile of one loop, top 25
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import pstats
import sys
import time
from typing import Any

CRONS = ["*/5 * * * *", "0 * * * *", "30 2 * * *", "0 9 * * 1-5", "15 */6 * * *"]
ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]
INTERVALS = [60, 300, 3600, 86400]
RRULES = [
    "FREQ=HOURLY;INTERVAL=2",
    "FREQ=WEEKLY;BYDAY=MO,WE,FR;BYHOUR=9;BYMINUTE=0",
    "FREQ=DAILY;BYHOUR=6,18;BYMINUTE=0",
    "FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=0;BYMINUTE=0",
]
PARAMETER_SCHEMA = {
    "type": "object",
    "properties": {"table": {"type": "string"}, "limit": {"type": "integer"}},
    "required": ["table"],
}


def schedule_for(i: int) -> dict[str, Any]:
    """Deployment ``i``'s schedule: cron with a time zone, interval or RRULE, in turn."""
    kind = i % 3
    if kind == 0:
        return {"cron": CRONS[i % len(CRONS)], "timezone": ZONES[(i // 3) % len(ZONES)]}
    if kind == 1:
        return {"interval": INTERVALS[i % len(INTERVALS)], "anchor_date": "2024-01-01T00:00:07Z"}
    return {"rrule": RRULES[i % len(RRULES)], "timezone": ZONES[(i // 7) % len(ZONES)]}


def register(client: Any, count: int) -> None:
    from baton.core.actions import DeploymentCreate, DeploymentScheduleCreate, WorkPoolCreate

    client.create_work_pool(WorkPoolCreate(name="bench"))
    flows = [client.read_or_create_flow(f"flow-{n}").id for n in range(50)]
    for i in range(count):
        client.create_deployment(
            DeploymentCreate(
                flow_id=flows[i % len(flows)],
                name=f"deployment-{i}",
                entrypoint="flows.py:etl",
                parameters={"table": f"t{i}", "limit": i},
                parameter_openapi_schema=PARAMETER_SCHEMA,
                schedules=[DeploymentScheduleCreate(schedule=schedule_for(i))],
                work_pool_name="bench",
            )
        )


def timed(profile: bool, call: Any) -> tuple[float, int]:
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    made = call()
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - start
    if profiler:
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
    return seconds, made


def measure(database: str, url: str | None, window_name: str, args: argparse.Namespace) -> None:
    from baton.services import scheduler
    from baton.services.scheduler import SchedulerWindow
    from baton.testing import baton_test_harness

    windows = {
        "default": SchedulerWindow.from_settings(),
        "small": SchedulerWindow(max_runs=10, horizon=dt.timedelta(days=1)),
    }
    window = windows[window_name]
    with baton_test_harness(url) as client:
        db = client.db  # type: ignore[attr-defined]
        start = time.perf_counter()
        register(client, args.deployments)
        setup = time.perf_counter() - start
        now = dt.datetime.now(dt.timezone.utc)
        later = now + dt.timedelta(minutes=1)
        loops = {
            "first": lambda: scheduler.run_once(db, now, window),
            "steady": lambda: scheduler.run_once(db, now, window),
            "next": lambda: scheduler.run_once(db, later, window),
        }
        result: dict[str, Any] = {
            "database": database,
            "window": f"{window.max_runs} runs / {window.horizon.days} days",
            "deployments": args.deployments,
            "setup_s": round(setup, 2),
        }
        for name, call in loops.items():
            seconds, made = timed(args.profile == name, call)
            result[f"{name}_s"] = round(seconds, 3)
            result[f"{name}_made"] = made
            if name == "first":
                result["first_runs_per_s"] = round(made / seconds)
        verify(db, later, window)
        print(json.dumps(result), flush=True)


def verify(db: Any, now: dt.datetime, window: Any) -> None:
    """Every schedule has a run for each date of its window, and no other run of the window."""
    from sqlalchemy import select

    from baton.core.deployments import scheduled_run_key
    from baton.core.schedules import parse_schedule
    from baton.storage import models as m
    from baton.storage.queries.deployments import read_active_schedules

    end = now + window.horizon
    run = m.flow_run
    with db.read() as conn:
        pairs = read_active_schedules(conn)
        statement = select(run.c.idempotency_key).where(
            run.c.auto_scheduled.is_(True),
            run.c.expected_start_time >= now,
            run.c.expected_start_time <= end,
        )
        found = set(conn.scalars(statement))
    expected = {
        scheduled_run_key(deployment.id, schedule.id, when)
        for schedule, deployment in pairs
        for when in parse_schedule(schedule.schedule).get_dates(window.max_runs, now, end)
    }
    if found != expected:
        missing, extra = len(expected - found), len(found - expected)
        raise SystemExit(f"wrong runs in the window: {missing} missing, {extra} unexpected")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deployments", type=int, default=1000)
    parser.add_argument("--windows", default="default,small", help="default, small or both")
    parser.add_argument("--profile", choices=["first", "steady", "next"])
    args = parser.parse_args()
    databases: dict[str, str | None] = {"sqlite": None}
    if os.environ.get("BATON_TEST_POSTGRES_URL"):
        databases["postgres"] = os.environ["BATON_TEST_POSTGRES_URL"]
    print(f"load average at start: {os.getloadavg()[0]:.2f}", file=sys.stderr)
    for database, url in databases.items():
        for window_name in args.windows.split(","):
            measure(database, url, window_name, args)
    print(f"load average at end: {os.getloadavg()[0]:.2f}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
