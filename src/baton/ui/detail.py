"""Read queries behind one flow run's or task run's page.

Task runs are read as light rows (no domain models) because a flow run may
have tens of thousands of them; logs and decisions are read a bounded page
at a time.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from baton.core.models import RunKind, RunModel
from baton.storage import models as m
from baton.storage.queries import runs

TASK_RUN = m.task_run
LOG_PAGE = 1000
DECISION_LIMIT = 500


def read_run(conn: Connection, kind: RunKind, run_id: uuid.UUID) -> RunModel | None:
    return runs.read_run(conn, kind, run_id)


@dataclass(frozen=True)
class TaskRow:
    id: uuid.UUID
    name: str
    task_key: str
    state_type: str | None
    state_name: str | None
    created: dt.datetime
    start_time: dt.datetime | None
    end_time: dt.datetime | None
    task_inputs: dict[str, list[dict[str, Any]]]
    child_flow_run_id: uuid.UUID | None = None


def read_task_rows(conn: Connection, flow_run_id: uuid.UUID) -> list[TaskRow]:
    """All task runs of a flow run in creation order, with the subflow each stands for."""
    statement = (
        select(
            TASK_RUN.c.id,
            TASK_RUN.c.name,
            TASK_RUN.c.task_key,
            TASK_RUN.c.state_type,
            TASK_RUN.c.state_name,
            TASK_RUN.c.created,
            TASK_RUN.c.start_time,
            TASK_RUN.c.end_time,
            TASK_RUN.c.task_inputs,
        )
        .where(TASK_RUN.c.flow_run_id == flow_run_id)
        .order_by(TASK_RUN.c.created, TASK_RUN.c.id)
    )
    children = read_subflow_ids(conn, flow_run_id)
    # Positional construction: this runs once per task run, maybe 10,000 times.
    return [TaskRow(*row, children.get(row[0])) for row in conn.execute(statement)]


def read_subflow_ids(conn: Connection, flow_run_id: uuid.UUID) -> dict[uuid.UUID, uuid.UUID]:
    """Parent task run id -> subflow run id, for the subflows of a flow run."""
    child = m.flow_run
    statement = (
        select(child.c.parent_task_run_id, child.c.id)
        .join(TASK_RUN, TASK_RUN.c.id == child.c.parent_task_run_id)
        .where(TASK_RUN.c.flow_run_id == flow_run_id)
    )
    return {row.parent_task_run_id: row.id for row in conn.execute(statement)}


def read_subflow_of(conn: Connection, task_run_id: uuid.UUID) -> Any:
    child = m.flow_run
    statement = select(child.c.id, child.c.name).where(child.c.parent_task_run_id == task_run_id)
    return conn.execute(statement).first()


def read_parent(conn: Connection, parent_task_run_id: uuid.UUID | None) -> Any:
    """The task run standing for a subflow, with the flow run it belongs to."""
    if parent_task_run_id is None:
        return None
    parent_flow = m.flow_run
    statement = (
        select(
            TASK_RUN.c.id,
            TASK_RUN.c.name,
            TASK_RUN.c.flow_run_id,
            parent_flow.c.name.label("flow_run_name"),
        )
        .outerjoin(parent_flow, parent_flow.c.id == TASK_RUN.c.flow_run_id)
        .where(TASK_RUN.c.id == parent_task_run_id)
    )
    return conn.execute(statement).first()


def read_task_names(conn: Connection, ids: set[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """Name, state and flow run of the task runs ``ids`` (for input links)."""
    if not ids:
        return {}
    statement = select(
        TASK_RUN.c.id, TASK_RUN.c.name, TASK_RUN.c.state_type, TASK_RUN.c.state_name
    ).where(TASK_RUN.c.id.in_(ids))
    return {row.id: row for row in conn.execute(statement)}


def read_flow_decisions(conn: Connection, flow_run_id: uuid.UUID) -> list[Any]:
    """The newest decisions about a flow run and its task runs, oldest first."""
    table = m.orchestration_decision
    of_tasks = select(TASK_RUN.c.id).where(TASK_RUN.c.flow_run_id == flow_run_id)
    statement = (
        select(table, TASK_RUN.c.name.label("task_run_name"))
        .outerjoin(TASK_RUN, TASK_RUN.c.id == table.c.run_id)
        .where(or_(table.c.run_id == flow_run_id, table.c.run_id.in_(of_tasks)))
        .order_by(table.c.timestamp.desc())
        .limit(DECISION_LIMIT)
    )
    return list(reversed(list(conn.execute(statement))))


def read_run_decisions(conn: Connection, run_id: uuid.UUID) -> list[Any]:
    table = m.orchestration_decision
    statement = (
        select(table)
        .where(table.c.run_id == run_id)
        .order_by(table.c.timestamp)
        .limit(DECISION_LIMIT)
    )
    return list(conn.execute(statement))


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class LogCursor:
    """Where the last page of logs ended: the next page starts after it.

    Written as microseconds since the epoch and the id's hex digits, so it is
    exact and needs no escaping in a URL.
    """

    timestamp: dt.datetime
    id: uuid.UUID

    def __str__(self) -> str:
        micros = (self.timestamp - _EPOCH) // dt.timedelta(microseconds=1)
        return f"{micros}_{self.id.hex}"

    @classmethod
    def parse(cls, text: str) -> LogCursor | None:
        micros, _, hex_id = text.partition("_")
        try:
            return cls(_EPOCH + dt.timedelta(microseconds=int(micros)), uuid.UUID(hex_id))
        except ValueError:
            return None


def read_log_page(
    conn: Connection,
    *,
    flow_run_id: uuid.UUID | None = None,
    task_run_id: uuid.UUID | None = None,
    min_level: int = 0,
    text: str = "",
    after: LogCursor | None = None,
    limit: int = LOG_PAGE,
) -> list[Any]:
    """Logs oldest first after ``after``, with the name of the task run that wrote each."""
    log = m.log
    statement = (
        select(log, TASK_RUN.c.name.label("task_run_name"))
        .outerjoin(TASK_RUN, TASK_RUN.c.id == log.c.task_run_id)
        .order_by(log.c.timestamp, log.c.id)
        .limit(limit)
    )
    if flow_run_id is not None:
        statement = statement.where(log.c.flow_run_id == flow_run_id)
    if task_run_id is not None:
        statement = statement.where(log.c.task_run_id == task_run_id)
    if min_level:
        statement = statement.where(log.c.level >= min_level)
    if text:
        statement = statement.where(log.c.message.icontains(text, autoescape=True))
    if after is not None:
        statement = statement.where(
            or_(
                log.c.timestamp > after.timestamp,
                and_(log.c.timestamp == after.timestamp, log.c.id > after.id),
            )
        )
    return list(conn.execute(statement))


def progress_version(conn: Connection, run: RunModel) -> str:
    """Changes whenever the run's state, task runs or decisions change: when to redraw."""
    tasks = conn.execute(
        select(func.count(), func.max(TASK_RUN.c.updated)).where(TASK_RUN.c.flow_run_id == run.id)
    ).one()
    table = m.orchestration_decision
    decided = conn.execute(
        select(func.count()).select_from(table).where(table.c.run_id == run.id)
    ).scalar_one()
    state_id = run.state.id.hex if run.state else ""
    return f"{state_id}:{tasks[0]}:{tasks[1]}:{decided}"
