"""Crashed runs: runs whose worker or process stopped sending heartbeats.

Workers and ``serve`` send a heartbeat for every run they drive. When one
falls silent for longer than the timeout, the process (or its machine) is
gone: the run is marked ``Crashed`` with the reason (the rules may retry it if
its deployment asked for that), or ``Cancelled`` if it was being cancelled.
Nothing stays Pending, Running or Cancelling forever.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, or_, select

from baton.core.models import RunKind
from baton.core.states import Cancelled, Crashed, State, StateType
from baton.orchestrator.transitions import set_run_state
from baton.storage import models as m
from baton.storage.database import Database

_BATCH = 500


def run_once(db: Database, now: dt.datetime, timeout: dt.timedelta | None = None) -> int:
    """End the runs whose heartbeat is older than ``timeout``; how many were ended."""
    if timeout is None:
        from baton.settings import get_settings

        timeout = dt.timedelta(seconds=get_settings().heartbeat_timeout_seconds)
    run = m.flow_run
    cutoff = now - timeout
    silent = run.c.heartbeat_time < cutoff
    # Claimed by a worker that died before its first heartbeat for the run.
    never_beat = and_(
        run.c.heartbeat_time.is_(None),
        run.c.state_type == StateType.PENDING.value,
        run.c.deployment_id.is_not(None),
        run.c.updated < cutoff,
    )
    # Asked to cancel, with nobody left to do it.
    unattended_cancel = and_(
        run.c.heartbeat_time.is_(None),
        run.c.state_type == StateType.CANCELLING.value,
        run.c.updated < cutoff,
    )
    active = (StateType.PENDING.value, StateType.RUNNING.value, StateType.CANCELLING.value)
    statement = (
        select(run.c.id, run.c.state_type, run.c.heartbeat_time)
        .where(run.c.state_type.in_(active), or_(silent, never_beat, unattended_cancel))
        .limit(_BATCH)
    )
    ended = 0
    with db.write() as conn:
        for run_id, state_type, heartbeat in conn.execute(statement).all():
            state = _ending(StateType(state_type), heartbeat, now)
            set_run_state(conn, RunKind.FLOW_RUN, run_id, state)
            ended += 1
    return ended


def _ending(state_type: StateType, heartbeat: dt.datetime | None, now: dt.datetime) -> State:
    if heartbeat is None:
        silence = "nothing has driven it"
    else:
        silence = f"no heartbeat for {(now - heartbeat).total_seconds():.0f} s"
    if state_type is StateType.CANCELLING:
        return Cancelled(message=f"Cancelled: {silence}; its process is gone")
    return Crashed(message=f"Crashed: {silence}; its worker or process stopped")
