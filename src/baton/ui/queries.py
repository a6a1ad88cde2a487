"""Read queries behind the overview pages: dashboard, runs list, flows, concurrency.

Every query is bounded so pages stay fast on large databases: lists use
``LIMIT``, counts stop at ``COUNT_CAP + 1`` rows, and time windows ride the
index on ``flow_run.created``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    bindparam,
    func,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB

from baton.core.states import StateType
from baton.storage import models as m
from baton.ui.states import LATE

FLOW_RUN = m.flow_run
LATE_NAME = "Late"
COUNT_CAP = 10_000
"""Counts stop here: "10,000+" is as useful as an exact figure and costs far less."""


@dataclass(frozen=True)
class BoundedCount:
    value: int
    capped: bool

    def __str__(self) -> str:
        return f"{COUNT_CAP:,}+" if self.capped else f"{self.value:,}"

    def __bool__(self) -> bool:
        return self.value > 0

    def __add__(self, other: BoundedCount) -> BoundedCount:
        return BoundedCount(min(self.value + other.value, COUNT_CAP), self.capped or other.capped)


def bounded_count(conn: Connection, table: Any, conditions: Sequence[Any]) -> BoundedCount:
    """How many rows match, reading at most ``COUNT_CAP + 1`` of them."""
    inner = select(literal(1).label("one")).select_from(table).where(*conditions)
    limited = inner.limit(COUNT_CAP + 1).subquery()
    found = int(conn.execute(select(func.count()).select_from(limited)).scalar_one())
    return BoundedCount(min(found, COUNT_CAP), found > COUNT_CAP)


def has_tag(conn: Connection, column: Any, tag: str) -> ColumnElement[bool]:
    """``column`` (a JSON array of strings) contains ``tag``."""
    if conn.dialect.name == "postgresql":
        contains: ColumnElement[bool] = type_coerce(column, JSONB).contains([tag])
        return contains
    elements = func.json_each(column).table_valued("value")
    return select(elements.c.value).where(elements.c.value == tag).exists()


def late_condition(now: dt.datetime) -> ColumnElement[bool]:
    """Scheduled runs whose expected start has passed."""
    return and_(
        FLOW_RUN.c.state_type == StateType.SCHEDULED.value,
        FLOW_RUN.c.expected_start_time < now,
    )


# -- dashboard ---------------------------------------------------------------


@dataclass
class Bucket:
    start: dt.datetime
    end: dt.datetime
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def read_run_buckets(
    conn: Connection, end: dt.datetime, size: dt.timedelta, count: int
) -> list[Bucket]:
    """Flow runs created in the ``count`` buckets of ``size`` before ``end``, by state.

    One small query per bucket: each is a range of the ``(created, state_type)``
    index grouped by state, read from the index alone. Grouping a whole week of
    runs by hour in one query costs a sort of every run instead.
    """
    start = end - size * count
    buckets = [Bucket(start + size * i, start + size * (i + 1)) for i in range(count)]
    for bucket in buckets:
        for state_type, number in conn.execute(
            _BUCKET_COUNTS, {"start": bucket.start, "end": bucket.end}
        ):
            bucket.counts[state_type or ""] = int(number)
    return buckets


_CREATED = FLOW_RUN.c.created
_BUCKET_COUNTS = (
    select(FLOW_RUN.c.state_type, func.count())
    .where(
        bindparam("start", type_=_CREATED.type) <= _CREATED,
        bindparam("end", type_=_CREATED.type) > _CREATED,
    )
    .group_by(FLOW_RUN.c.state_type)
)


@dataclass(frozen=True)
class FailureRow:
    id: uuid.UUID
    name: str
    flow_id: uuid.UUID
    flow_name: str
    state_type: str
    state_name: str | None
    created: dt.datetime
    message: str | None


def read_recent_failures(conn: Connection, since: dt.datetime, limit: int = 10) -> list[FailureRow]:
    """The newest failed or crashed flow runs created since ``since``, with their messages."""
    failed = (StateType.FAILED.value, StateType.CRASHED.value)
    newest = (
        select(FLOW_RUN.c.id)
        .where(FLOW_RUN.c.created >= since, FLOW_RUN.c.state_type.in_(failed))
        .order_by(FLOW_RUN.c.created.desc())
        .limit(limit)
        .subquery()
    )
    state = m.flow_run_state
    statement = (
        select(
            FLOW_RUN.c.id,
            FLOW_RUN.c.name,
            FLOW_RUN.c.flow_id,
            m.flow.c.name.label("flow_name"),
            FLOW_RUN.c.state_type,
            FLOW_RUN.c.state_name,
            FLOW_RUN.c.created,
            state.c.message,
        )
        .join(newest, newest.c.id == FLOW_RUN.c.id)
        .join(m.flow, m.flow.c.id == FLOW_RUN.c.flow_id)
        .outerjoin(state, state.c.id == FLOW_RUN.c.state_id)
        .order_by(FLOW_RUN.c.created.desc())
    )
    return [FailureRow(**row._mapping) for row in conn.execute(statement)]


def unindexed(conn: Connection, column: Any) -> Any:
    """``column`` hidden from SQLite's planner (SQLite's unary ``+``), so it walks the
    index of the sort order instead.

    One state rides the ``(state_type, created)`` index in order. For several
    states SQLite would read every match through an index and sort them all to
    return the newest few; walking the ``created`` index and skipping the other
    runs finds a page sooner when the matches are plentiful.
    """
    if conn.dialect.name != "sqlite":
        return column
    return literal_column(f"+{column.table.name}.{column.name}", type_=column.type)


# -- runs list ---------------------------------------------------------------

SORTS = {
    "newest": (FLOW_RUN.c.created.desc(), FLOW_RUN.c.id.desc()),
    "oldest": (FLOW_RUN.c.created.asc(), FLOW_RUN.c.id.asc()),
    "started": (FLOW_RUN.c.start_time.desc().nulls_last(), FLOW_RUN.c.id.desc()),
    "longest": (FLOW_RUN.c.total_run_time.desc(), FLOW_RUN.c.id.desc()),
    "name": (FLOW_RUN.c.name.asc(), FLOW_RUN.c.id.asc()),
}
"""The runs list's sort orders by name; each ends on the id so pages never overlap."""


@dataclass(frozen=True)
class RunFilter:
    """What the runs list shows, as parsed from its query string."""

    flow_ids: tuple[uuid.UUID, ...] = ()
    deployment_ids: tuple[uuid.UUID, ...] = ()
    work_pool: str = ""
    states: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    text: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def run_conditions(
    conn: Connection, spec: RunFilter, now: dt.datetime, *, many: bool = False
) -> list[Any]:
    """SQL conditions for ``spec``; ``many`` says the matches are plentiful (see below)."""
    c = FLOW_RUN.c
    conditions: list[Any] = []
    if spec.flow_ids:
        conditions.append(c.flow_id.in_(spec.flow_ids))
    if spec.deployment_ids:
        conditions.append(c.deployment_id.in_(spec.deployment_ids))
    if spec.work_pool:
        conditions.append(c.work_pool_name == spec.work_pool)
    if spec.states:
        types = [s for s in spec.states if s != LATE]
        several = len(spec.states) > 1
        state_type = unindexed(conn, c.state_type) if many and several else c.state_type
        either = [state_type.in_(types)] if types else []
        if LATE in spec.states:
            either.append(late_condition(now))
        conditions.append(or_(*either))
    conditions += [has_tag(conn, c.tags, tag) for tag in spec.tags]
    if spec.text:
        conditions.append(c.name.icontains(spec.text, autoescape=True))
    if spec.since is not None:
        conditions.append(c.created >= spec.since)
    if spec.until is not None:
        conditions.append(c.created < spec.until)
    return conditions


@dataclass(frozen=True)
class RunRow:
    id: uuid.UUID
    name: str
    flow_id: uuid.UUID
    state_type: str | None
    state_name: str | None
    state_id: uuid.UUID | None
    created: dt.datetime
    expected_start_time: dt.datetime | None
    start_time: dt.datetime | None
    end_time: dt.datetime | None
    total_run_time: float
    tags: list[str]
    flow_name: str = ""
    message: str | None = None
    """The state's message, read for ``Late`` runs only: it says why they are late."""


_RUN_COLUMNS = (
    FLOW_RUN.c.id,
    FLOW_RUN.c.name,
    FLOW_RUN.c.flow_id,
    FLOW_RUN.c.state_type,
    FLOW_RUN.c.state_name,
    FLOW_RUN.c.state_id,
    FLOW_RUN.c.created,
    FLOW_RUN.c.expected_start_time,
    FLOW_RUN.c.start_time,
    FLOW_RUN.c.end_time,
    FLOW_RUN.c.total_run_time,
    FLOW_RUN.c.tags,
)


def read_run_rows(
    conn: Connection,
    spec: RunFilter,
    now: dt.datetime,
    *,
    sort: str = "newest",
    limit: int = 50,
    offset: int = 0,
    many: bool = False,
) -> list[RunRow]:
    """One page of flow runs, lightweight rows with their flow's name.

    ``many`` (the count reached its cap) lets SQLite find the page by walking
    the creation-time index instead of sorting all matches.
    """
    walk = many and sort in ("newest", "oldest")
    statement = (
        select_run_rows(*run_conditions(conn, spec, now, many=walk))
        .order_by(*SORTS[sort])
        .limit(limit)
        .offset(offset)
    )
    return complete_rows(conn, statement)


def select_run_rows(*conditions: Any) -> Select[Any]:
    """The columns of ``RunRow`` for the flow runs matching ``conditions``."""
    return select(*_RUN_COLUMNS).where(*conditions)


def complete_rows(conn: Connection, statement: Select[Any]) -> list[RunRow]:
    """The rows ``statement`` (from ``select_run_rows``) finds, with flow names and the
    messages of ``Late`` runs."""
    rows = [RunRow(**row._mapping) for row in conn.execute(statement)]
    names = flow_names(conn, {row.flow_id for row in rows})
    late = {row.state_id for row in rows if row.state_name == LATE_NAME and row.state_id}
    messages = state_messages(conn, late)
    return [
        replace(row, flow_name=names.get(row.flow_id, ""), message=messages.get(row.state_id))
        for row in rows
    ]


def state_messages(conn: Connection, state_ids: set[uuid.UUID]) -> dict[uuid.UUID | None, str]:
    """The messages of these flow run states (those that have one)."""
    if not state_ids:
        return {}
    state = m.flow_run_state
    statement = select(state.c.id, state.c.message).where(state.c.id.in_(state_ids))
    return {row.id: row.message for row in conn.execute(statement) if row.message}


def count_run_rows(conn: Connection, spec: RunFilter, now: dt.datetime) -> BoundedCount:
    return bounded_count(conn, FLOW_RUN, run_conditions(conn, spec, now))


def flow_names(conn: Connection, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    statement = select(m.flow.c.id, m.flow.c.name).where(m.flow.c.id.in_(ids))
    return {row.id: row.name for row in conn.execute(statement)}


# -- flows -------------------------------------------------------------------


@dataclass(frozen=True)
class FlowRow:
    id: uuid.UUID
    name: str
    tags: list[str]
    created: dt.datetime
    runs: BoundedCount
    last_run: RunRow | None


def read_flow_rows(conn: Connection, limit: int = 200, offset: int = 0) -> list[FlowRow]:
    """Flows by name with their (bounded) run counts and latest run."""
    statement = select(m.flow).order_by(m.flow.c.name).limit(limit).offset(offset)
    flows = list(conn.execute(statement))
    found = []
    for flow in flows:
        spec = RunFilter(flow_ids=(flow.id,))
        latest = read_run_rows(conn, spec, dt.datetime.now(dt.timezone.utc), limit=1)
        found.append(
            FlowRow(
                id=flow.id,
                name=flow.name,
                tags=list(flow.tags),
                created=flow.created,
                runs=bounded_count(conn, FLOW_RUN, [FLOW_RUN.c.flow_id == flow.id]),
                last_run=latest[0] if latest else None,
            )
        )
    return found


def count_flows(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(m.flow)).scalar_one())


def read_flow_row(conn: Connection, flow_id: uuid.UUID) -> Any:
    return conn.execute(select(m.flow).where(m.flow.c.id == flow_id)).first()


# -- concurrency -------------------------------------------------------------


@dataclass(frozen=True)
class SlotHolder:
    id: uuid.UUID
    name: str
    state_type: str | None
    state_name: str | None
    flow_run_id: uuid.UUID | None
    flow_run_name: str | None


@dataclass(frozen=True)
class LimitRow:
    tag: str
    limit: int
    holders: list[SlotHolder]
    missing: list[str]
    """Slot ids naming task runs that no longer exist."""

    @property
    def used(self) -> int:
        return len(self.holders) + len(self.missing)


def read_limit_rows(conn: Connection) -> list[LimitRow]:
    """Concurrency limits by tag with the task runs holding their slots."""
    limits = list(conn.execute(select(m.concurrency_limit).order_by(m.concurrency_limit.c.tag)))
    wanted = {uuid.UUID(str(slot)) for limit in limits for slot in limit.active_slots}
    holders = _read_holders(conn, wanted)
    found = []
    for limit in limits:
        slots = [uuid.UUID(str(slot)) for slot in limit.active_slots]
        found.append(
            LimitRow(
                tag=limit.tag,
                limit=limit.limit,
                holders=[holders[s] for s in slots if s in holders],
                missing=[str(s) for s in slots if s not in holders],
            )
        )
    return found


def _read_holders(conn: Connection, ids: set[uuid.UUID]) -> dict[uuid.UUID, SlotHolder]:
    if not ids:
        return {}
    task = m.task_run
    statement = (
        select(
            task.c.id,
            task.c.name,
            task.c.state_type,
            task.c.state_name,
            task.c.flow_run_id,
            FLOW_RUN.c.name.label("flow_run_name"),
        )
        .outerjoin(FLOW_RUN, FLOW_RUN.c.id == task.c.flow_run_id)
        .where(task.c.id.in_(ids))
    )
    return {row.id: SlotHolder(**row._mapping) for row in conn.execute(statement)}
