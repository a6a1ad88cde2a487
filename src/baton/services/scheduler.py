"""The scheduler: makes the runs of every active schedule a bounded window ahead.

A pass must stay cheap with thousands of schedules, most of which have all
their runs already. So a schedule's dates are computed ahead of the window and
kept between passes (they depend on the schedule alone), and one grouped query
counts each deployment's runs in the window: a deployment that has as many as
its schedules want, up to the same last one, is complete and costs nothing
more. Others get their missing runs made, each checked against the runs that
exist, in a write transaction of their own.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import logging
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import IntegrityError

from baton.core.deployments import Deployment, DeploymentSchedule
from baton.core.schedules import InvalidSchedule, parse_schedule
from baton.exceptions import ParameterValidationError
from baton.orchestrator.deployments import schedule_flow_runs
from baton.storage import models as m
from baton.storage.database import Database
from baton.storage.queries.deployments import read_active_schedules

logger = logging.getLogger("baton.services.scheduler")


@dataclass(frozen=True)
class SchedulerWindow:
    """At most ``max_runs`` runs per schedule, none later than ``horizon`` from now."""

    max_runs: int = 100
    horizon: dt.timedelta = dt.timedelta(days=100)

    @classmethod
    def from_settings(cls) -> SchedulerWindow:
        from baton.settings import get_settings

        settings = get_settings()
        return cls(
            max_runs=settings.scheduler_max_runs,
            horizon=dt.timedelta(seconds=settings.scheduler_horizon_seconds),
        )


def run_once(db: Database, now: dt.datetime, window: SchedulerWindow | None = None) -> int:
    """Make the missing scheduled runs of every active schedule; how many were made.

    A deployment edited while the pass runs is left for the next pass: its runs
    are only written if it is unchanged since it was read, so no run of an old
    schedule survives an edit.
    """
    window = window or SchedulerWindow.from_settings()
    with db.read() as conn:
        pairs = read_active_schedules(conn)
        existing = _runs_in_window(conn, now, now + window.horizon)
    wanted: dict[uuid.UUID, list[tuple[DeploymentSchedule, list[dt.datetime]]]] = {}
    deployments: dict[uuid.UUID, Deployment] = {}
    for schedule, deployment in pairs:
        try:
            dates = _DATES.window(schedule, now, window)
        except InvalidSchedule as error:  # stored before a stricter check: skip, say why
            logger.warning("deployment %s: schedule skipped: %s", deployment.name, error)
            continue
        deployments[deployment.id] = deployment
        wanted.setdefault(deployment.id, []).append((schedule, dates))
    _DATES.keep_only([schedule for schedule, _ in pairs])
    made = 0
    for deployment_id, entries in wanted.items():
        if _complete(existing.get(deployment_id), [dates for _, dates in entries]):
            continue
        for schedule, dates in entries:
            if dates:
                made += _schedule(db, deployments[deployment_id], schedule, dates, now)
    return made


def _runs_in_window(
    conn: Connection, start: dt.datetime, end: dt.datetime
) -> dict[uuid.UUID, tuple[int, dt.datetime]]:
    """Per deployment, how many runs its schedules made in the window, and the last one's time."""
    run = m.flow_run
    statement = (
        select(run.c.deployment_id, func.count(), func.max(run.c.expected_start_time))
        .where(
            run.c.auto_scheduled.is_(True),
            run.c.expected_start_time >= start,
            run.c.expected_start_time <= end,
        )
        .group_by(run.c.deployment_id)
    )
    return {row[0]: (row[1], row[2]) for row in conn.execute(statement) if row[0] is not None}


def _complete(
    existing: tuple[int, dt.datetime] | None, wanted: Sequence[list[dt.datetime]]
) -> bool:
    """Whether a deployment's runs in the window are the ones its schedules want.

    The scheduler only ever makes the first dates of the window, so the runs
    there are some of the wanted ones: as many, ending at the same time, means
    all of them. A run deleted by hand, or a shrunk window, makes the counts
    differ, and the deployment is then checked run by run.
    """
    total = sum(len(dates) for dates in wanted)
    if existing is None:
        return total == 0
    count, last = existing
    latest = max((dates[-1] for dates in wanted if dates), default=None)
    return count == total and latest is not None and latest == last


@dataclass(frozen=True)
class _Dates:
    """A schedule's dates from ``start``: all of them up to ``complete_until``."""

    start: dt.datetime
    dates: list[dt.datetime]
    complete_until: dt.datetime

    def window(self, now: dt.datetime, window: SchedulerWindow) -> list[dt.datetime] | None:
        """The window's dates at ``now``, or ``None`` if they are not all known."""
        if now < self.start:
            return None
        first = bisect.bisect_left(self.dates, now)
        chosen = self.dates[first : first + window.max_runs]
        end = now + window.horizon
        if len(chosen) < window.max_runs and self.complete_until < end:
            return None
        return [when for when in chosen if when <= end]


class _DateCache:
    """Each schedule's dates, computed a quarter window ahead and kept between passes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[uuid.UUID, str], _Dates] = {}

    def window(
        self, schedule: DeploymentSchedule, now: dt.datetime, window: SchedulerWindow
    ) -> list[dt.datetime]:
        """The dates ``schedule`` wants made at ``now``; ``InvalidSchedule`` if it is bad."""
        key = _cache_key(schedule)
        with self._lock:
            cached = self._entries.get(key)
        dates = cached.window(now, window) if cached is not None else None
        if dates is not None:
            return dates
        count = window.max_runs + window.max_runs // 4 + 1
        end = now + window.horizon * 1.25
        ahead = parse_schedule(schedule.schedule).get_dates(count, now, end)
        computed = _Dates(now, ahead, ahead[-1] if len(ahead) == count else end)
        with self._lock:
            self._entries[key] = computed
        found = computed.window(now, window)
        assert found is not None
        return found

    def keep_only(self, schedules: Sequence[DeploymentSchedule]) -> None:
        """Forget the schedules that are gone (deleted, paused or edited)."""
        live = {_cache_key(schedule) for schedule in schedules}
        with self._lock:
            self._entries = {key: v for key, v in self._entries.items() if key in live}


def _cache_key(schedule: DeploymentSchedule) -> tuple[uuid.UUID, str]:
    return schedule.id, json.dumps(schedule.schedule, sort_keys=True)


_DATES = _DateCache()


def _schedule(
    db: Database,
    deployment: Deployment,
    schedule: DeploymentSchedule,
    dates: list[dt.datetime],
    now: dt.datetime,
) -> int:
    try:
        with db.write() as conn:
            if not _unchanged(conn, deployment.id, deployment.updated):
                return 0
            return schedule_flow_runs(conn, deployment, schedule, dates, now)
    except IntegrityError:  # another scheduler made these runs first
        return 0
    except ParameterValidationError as error:
        logger.warning("deployment %s: no runs scheduled: %s", deployment.name, error)
        return 0


def _unchanged(conn: Connection, deployment_id: uuid.UUID, updated: dt.datetime) -> bool:
    """Whether the deployment is as it was read (locking its row on PostgreSQL)."""
    table = m.deployment
    statement = select(table.c.updated, table.c.paused).where(table.c.id == deployment_id)
    if conn.dialect.name != "sqlite":
        statement = statement.with_for_update()
    row = conn.execute(statement).first()
    return row is not None and row.updated == updated and not row.paused
