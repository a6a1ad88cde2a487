"""Flows, runs and logs matching ``baton.core.filters`` filters, sorted, a page at a time.

The filters of related objects narrow each other as in Prefect's API: flow runs
can be restricted to those whose flow matches ``flows`` and that have a task run
matching ``task_runs``; flows to those having a matching flow run; task runs to
those whose flow run (and its flow) match. Such cross filters are ``EXISTS``
subqueries along indexed foreign keys. ``None`` means "no restriction", while an
empty filter still requires a related object to exist.

Conditions are built for one dialect because tags live in a JSON array column:
SQLite searches it with ``json_each``, PostgreSQL with JSONB containment.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    func,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB

from baton.core.filters import (
    FlowFilter,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunSort,
    FlowSort,
    IdFilter,
    IdOrNullFilter,
    LogFilter,
    LogSort,
    NameFilter,
    Operator,
    TagsFilter,
    TaskRunFilter,
    TaskRunFilterState,
    TaskRunSort,
    TimeRangeFilter,
)
from baton.core.models import Flow, FlowRun, LogRecord, RunKind, TaskRun
from baton.core.states import StateType
from baton.storage import models as m
from baton.storage.queries.runs import run_from_row, select_runs

FLOW = m.flow
FLOW_RUN = m.flow_run
TASK_RUN = m.task_run
LOG = m.log
# Aliases for the same tables met again inside a subquery, so they are not
# mistaken for (and correlated with) the table of the enclosing query.
PARENT_TASK_RUN = TASK_RUN.alias("parent_task_run")
SUBFLOW_RUN = FLOW_RUN.alias("subflow_run")

Condition = ColumnElement[bool]


def _combine(operator: Operator, conditions: Sequence[Condition]) -> Condition:
    """The conditions joined by ``operator``; no conditions match everything."""
    if not conditions:
        return true()
    return and_(*conditions) if operator is Operator.and_ else or_(*conditions)


def _in(column: Any, values: Sequence[Any] | None) -> list[Condition]:
    return [] if values is None else [column.in_(list(values))]


def _not_in_or_null(column: Any, values: Sequence[Any] | None) -> list[Condition]:
    """Excluding values keeps rows that have none at all (SQL's NOT IN would drop them)."""
    if values is None:
        return []
    return [or_(column.is_(None), column.not_in(list(values)))]


def _is_null(column: Any, is_null: bool | None) -> list[Condition]:
    if is_null is None:
        return []
    return [column.is_(None) if is_null else column.is_not(None)]


def _ids(column: Any, spec: IdFilter | None) -> list[Condition]:
    return [] if spec is None else _in(column, spec.any_)


def _names(column: Any, spec: NameFilter | None) -> list[Condition]:
    if spec is None:
        return []
    conditions = _in(column, spec.any_)
    if spec.like_ is not None:
        conditions.append(column.icontains(spec.like_, autoescape=True))
    return conditions


def _times(column: Any, spec: TimeRangeFilter | None) -> list[Condition]:
    if spec is None:
        return []
    conditions = []
    if spec.before_ is not None:
        conditions.append(column <= spec.before_)
    if spec.after_ is not None:
        conditions.append(column >= spec.after_)
    return conditions


def _states(table: Any, spec: FlowRunFilterState | TaskRunFilterState) -> Condition:
    """A run's current state, from the denormalised ``state_type``/``state_name`` columns."""
    conditions: list[Condition] = []
    if spec.type is not None:
        any_, not_any_ = spec.type.any_, spec.type.not_any_
        conditions += _in(table.c.state_type, None if any_ is None else [t.value for t in any_])
        excluded = None if not_any_ is None else [t.value for t in not_any_]
        conditions += _not_in_or_null(table.c.state_type, excluded)
    if spec.name is not None:
        conditions += _in(table.c.state_name, spec.name.any_)
        conditions += _not_in_or_null(table.c.state_name, spec.name.not_any_)
    return _combine(spec.operator, conditions)


def _id_or_null(column: Any, spec: IdOrNullFilter) -> Condition:
    return _combine(spec.operator, [*_in(column, spec.any_), *_is_null(column, spec.is_null_)])


class _Conditions:
    """Filters as SQL conditions for one dialect."""

    def __init__(self, conn: Connection) -> None:
        self.postgres = conn.dialect.name == "postgresql"

    def tags(self, column: Any, spec: TagsFilter | None) -> list[Condition]:
        """Tag criteria on a JSON array column."""
        if spec is None:
            return []
        conditions: list[Condition] = []
        if spec.all_:
            conditions.append(self._has_all_tags(column, spec.all_))
        if spec.is_null_ is not None:
            length = func.jsonb_array_length if self.postgres else func.json_array_length
            empty = length(column) == 0
            conditions.append(empty if spec.is_null_ else ~empty)
        return [_combine(spec.operator, conditions)]

    def _has_all_tags(self, column: Any, tags: Sequence[str]) -> Condition:
        if self.postgres:
            contains: Condition = type_coerce(column, JSONB).contains(list(tags))
            return contains
        return and_(*(self._has_tag(column, tag) for tag in dict.fromkeys(tags)))

    @staticmethod
    def _has_tag(column: Any, tag: str) -> Condition:
        elements = func.json_each(column).table_valued("value")
        return select(elements.c.value).where(elements.c.value == tag).exists()

    def flow(self, spec: FlowFilter) -> Condition:
        return _combine(
            spec.operator,
            [
                *_ids(FLOW.c.id, spec.id),
                *_names(FLOW.c.name, spec.name),
                *self.tags(FLOW.c.tags, spec.tags),
            ],
        )

    def flow_run(self, spec: FlowRunFilter) -> Condition:
        c = FLOW_RUN.c
        conditions = [
            *_ids(c.id, spec.id),
            *_names(c.name, spec.name),
            *self.tags(c.tags, spec.tags),
            *_times(c.start_time, spec.start_time),
            *_times(c.expected_start_time, spec.expected_start_time),
        ]
        if spec.id is not None:
            conditions += _not_in_or_null(c.id, spec.id.not_any_)
        if spec.state is not None:
            conditions.append(_states(FLOW_RUN, spec.state))
        if spec.start_time is not None:
            conditions += _is_null(c.start_time, spec.start_time.is_null_)
        if spec.flow_version is not None:
            conditions += _in(c.flow_version, spec.flow_version.any_)
        if spec.deployment_id is not None:
            conditions.append(_id_or_null(c.deployment_id, spec.deployment_id))
        if spec.parent_task_run_id is not None:
            conditions.append(_id_or_null(c.parent_task_run_id, spec.parent_task_run_id))
        if spec.parent_flow_run_id is not None and spec.parent_flow_run_id.any_ is not None:
            parent_tasks = select(PARENT_TASK_RUN.c.id).where(
                PARENT_TASK_RUN.c.flow_run_id.in_(spec.parent_flow_run_id.any_)
            )
            conditions.append(c.parent_task_run_id.in_(parent_tasks))
        return _combine(spec.operator, conditions)

    def task_run(self, spec: TaskRunFilter) -> Condition:
        c = TASK_RUN.c
        conditions = [
            *_ids(c.id, spec.id),
            *_names(c.name, spec.name),
            *self.tags(c.tags, spec.tags),
            *_times(c.start_time, spec.start_time),
        ]
        if spec.state is not None:
            conditions.append(_states(TASK_RUN, spec.state))
        if spec.start_time is not None:
            conditions += _is_null(c.start_time, spec.start_time.is_null_)
        if spec.flow_run_id is not None:
            flow_run_id = spec.flow_run_id
            criteria = _in(c.flow_run_id, flow_run_id.any_)
            if flow_run_id.is_null_:
                criteria.append(c.flow_run_id.is_(None))
            conditions.append(_combine(flow_run_id.operator, criteria))
        if spec.subflow_runs is not None and spec.subflow_runs.exists_ is not None:
            is_parent = (
                select(SUBFLOW_RUN.c.id).where(SUBFLOW_RUN.c.parent_task_run_id == c.id).exists()
            )
            conditions.append(is_parent if spec.subflow_runs.exists_ else ~is_parent)
        return _combine(spec.operator, conditions)

    def log(self, spec: LogFilter) -> Condition:
        c = LOG.c
        conditions = [
            *_times(c.timestamp, spec.timestamp),
            *_ids(c.flow_run_id, spec.flow_run_id),
            *_ids(c.task_run_id, spec.task_run_id),
        ]
        if spec.level is not None:
            if spec.level.ge_ is not None:
                conditions.append(c.level >= spec.level.ge_)
            if spec.level.le_ is not None:
                conditions.append(c.level <= spec.level.le_)
        return _combine(spec.operator, conditions)

    # -- cross filters -------------------------------------------------------

    def flows_matching(
        self,
        flows: FlowFilter | None,
        flow_runs: FlowRunFilter | None,
        task_runs: TaskRunFilter | None,
    ) -> list[Condition]:
        """Conditions on a flow row: it matches ``flows`` and has a matching flow run."""
        conditions = [self.flow(flows)] if flows is not None else []
        if flow_runs is not None or task_runs is not None:
            runs = self.flow_runs_matching(None, flow_runs, task_runs)
            conditions.append(
                select(FLOW_RUN.c.id).where(FLOW_RUN.c.flow_id == FLOW.c.id, *runs).exists()
            )
        return conditions

    def flow_runs_matching(
        self,
        flows: FlowFilter | None,
        flow_runs: FlowRunFilter | None,
        task_runs: TaskRunFilter | None,
    ) -> list[Condition]:
        """Conditions on a flow run row: it matches, its flow does, it has a matching task run."""
        conditions = [self.flow_run(flow_runs)] if flow_runs is not None else []
        if flows is not None:
            conditions.append(
                select(FLOW.c.id).where(FLOW.c.id == FLOW_RUN.c.flow_id, self.flow(flows)).exists()
            )
        if task_runs is not None:
            conditions.append(
                select(TASK_RUN.c.id)
                .where(TASK_RUN.c.flow_run_id == FLOW_RUN.c.id, self.task_run(task_runs))
                .exists()
            )
        return conditions

    def task_runs_matching(
        self,
        flows: FlowFilter | None,
        flow_runs: FlowRunFilter | None,
        task_runs: TaskRunFilter | None,
    ) -> list[Condition]:
        """Conditions on a task run row: it matches, and so do its flow run and flow."""
        conditions = [self.task_run(task_runs)] if task_runs is not None else []
        if flows is not None or flow_runs is not None:
            runs = self.flow_runs_matching(flows, flow_runs, None)
            conditions.append(
                select(FLOW_RUN.c.id).where(FLOW_RUN.c.id == TASK_RUN.c.flow_run_id, *runs).exists()
            )
        return conditions


# -- sort orders -------------------------------------------------------------


def _ascending(column: Any) -> list[Any]:
    """Missing values last going up and first going down (PostgreSQL's default) everywhere."""
    return [column.asc().nulls_last()]


def _descending(column: Any) -> list[Any]:
    return [column.desc().nulls_first()]


def _scheduled_time(table: Any) -> Any:
    """When a run waiting in a Scheduled state is expected to start; other runs have none."""
    return case((table.c.state_type == StateType.SCHEDULED.value, table.c.expected_start_time))


def _flow_order(sort: FlowSort) -> list[Any]:
    c = FLOW.c
    orders = {
        FlowSort.CREATED_DESC: [c.created.desc(), c.id.desc()],
        FlowSort.UPDATED_DESC: [c.updated.desc(), c.id.desc()],
        FlowSort.NAME_ASC: _ascending(c.name),
        FlowSort.NAME_DESC: _descending(c.name),
    }
    return orders[sort]


def _flow_run_order(sort: FlowRunSort) -> list[Any]:
    c = FLOW_RUN.c
    start = func.coalesce(c.start_time, c.expected_start_time)
    orders = {
        FlowRunSort.ID_DESC: [],
        FlowRunSort.ID_ASC: [],
        FlowRunSort.CREATED_DESC: _descending(c.created),
        FlowRunSort.CREATED_ASC: _ascending(c.created),
        FlowRunSort.START_TIME_ASC: _ascending(start),
        FlowRunSort.START_TIME_DESC: _descending(start),
        FlowRunSort.EXPECTED_START_TIME_ASC: _ascending(c.expected_start_time),
        FlowRunSort.EXPECTED_START_TIME_DESC: _descending(c.expected_start_time),
        FlowRunSort.NAME_ASC: _ascending(c.name),
        FlowRunSort.NAME_DESC: _descending(c.name),
        FlowRunSort.NEXT_SCHEDULED_START_TIME_ASC: _ascending(_scheduled_time(FLOW_RUN)),
        FlowRunSort.END_TIME_DESC: _descending(c.end_time),
    }
    return orders[sort] + _tiebreak(c.id, sort.value)


def _task_run_order(sort: TaskRunSort) -> list[Any]:
    c = TASK_RUN.c
    orders = {
        TaskRunSort.ID_DESC: [],
        TaskRunSort.ID_ASC: [],
        TaskRunSort.CREATED_DESC: _descending(c.created),
        TaskRunSort.CREATED_ASC: _ascending(c.created),
        TaskRunSort.EXPECTED_START_TIME_ASC: _ascending(c.expected_start_time),
        TaskRunSort.EXPECTED_START_TIME_DESC: _descending(c.expected_start_time),
        TaskRunSort.NAME_ASC: _ascending(c.name),
        TaskRunSort.NAME_DESC: _descending(c.name),
        TaskRunSort.NEXT_SCHEDULED_START_TIME_ASC: _ascending(_scheduled_time(TASK_RUN)),
        TaskRunSort.END_TIME_DESC: _descending(c.end_time),
    }
    return orders[sort] + _tiebreak(c.id, sort.value)


def _tiebreak(id_column: Any, sort: str) -> list[Any]:
    """Equal keys fall back to the id, in the sort's direction, so pages never overlap."""
    return [id_column.desc() if sort.endswith("_DESC") else id_column.asc()]


# -- queries -----------------------------------------------------------------


def _page(statement: Select[Any], limit: int, offset: int) -> Select[Any]:
    return statement.limit(limit).offset(offset)


def _count(conn: Connection, table: Any, conditions: Sequence[Condition]) -> int:
    statement = select(func.count()).select_from(table).where(*conditions)
    return int(conn.execute(statement).scalar_one())


def read_flows(
    conn: Connection,
    flows: FlowFilter | None = None,
    flow_runs: FlowRunFilter | None = None,
    task_runs: TaskRunFilter | None = None,
    *,
    sort: FlowSort = FlowSort.NAME_ASC,
    limit: int = 200,
    offset: int = 0,
) -> list[Flow]:
    """Flows matching ``flows`` that have a flow run matching ``flow_runs`` and ``task_runs``."""
    conditions = _Conditions(conn).flows_matching(flows, flow_runs, task_runs)
    statement = select(FLOW).where(*conditions).order_by(*_flow_order(sort))
    rows = conn.execute(_page(statement, limit, offset))
    return [Flow.model_validate(row._mapping) for row in rows]


def count_flows(
    conn: Connection,
    flows: FlowFilter | None = None,
    flow_runs: FlowRunFilter | None = None,
    task_runs: TaskRunFilter | None = None,
) -> int:
    """How many flows ``read_flows`` would find without a limit."""
    return _count(conn, FLOW, _Conditions(conn).flows_matching(flows, flow_runs, task_runs))


def read_flow_runs(
    conn: Connection,
    flows: FlowFilter | None = None,
    flow_runs: FlowRunFilter | None = None,
    task_runs: TaskRunFilter | None = None,
    *,
    sort: FlowRunSort = FlowRunSort.ID_DESC,
    limit: int = 200,
    offset: int = 0,
) -> list[FlowRun]:
    """Flow runs, each with its current state, matching the filters (see the module doc)."""
    conditions = _Conditions(conn).flow_runs_matching(flows, flow_runs, task_runs)
    statement = select_runs(RunKind.FLOW_RUN).where(*conditions).order_by(*_flow_run_order(sort))
    found = [
        run_from_row(RunKind.FLOW_RUN, row) for row in conn.execute(_page(statement, limit, offset))
    ]
    return [run for run in found if isinstance(run, FlowRun)]


def count_flow_runs(
    conn: Connection,
    flows: FlowFilter | None = None,
    flow_runs: FlowRunFilter | None = None,
    task_runs: TaskRunFilter | None = None,
) -> int:
    """How many flow runs ``read_flow_runs`` would find without a limit."""
    return _count(conn, FLOW_RUN, _Conditions(conn).flow_runs_matching(flows, flow_runs, task_runs))


def read_task_runs(
    conn: Connection,
    flows: FlowFilter | None = None,
    flow_runs: FlowRunFilter | None = None,
    task_runs: TaskRunFilter | None = None,
    *,
    sort: TaskRunSort = TaskRunSort.ID_DESC,
    limit: int = 200,
    offset: int = 0,
) -> list[TaskRun]:
    """Task runs, each with its current state, matching the filters (see the module doc)."""
    conditions = _Conditions(conn).task_runs_matching(flows, flow_runs, task_runs)
    statement = select_runs(RunKind.TASK_RUN).where(*conditions).order_by(*_task_run_order(sort))
    found = [
        run_from_row(RunKind.TASK_RUN, row) for row in conn.execute(_page(statement, limit, offset))
    ]
    return [run for run in found if isinstance(run, TaskRun)]


def count_task_runs(
    conn: Connection,
    flows: FlowFilter | None = None,
    flow_runs: FlowRunFilter | None = None,
    task_runs: TaskRunFilter | None = None,
) -> int:
    """How many task runs ``read_task_runs`` would find without a limit."""
    return _count(conn, TASK_RUN, _Conditions(conn).task_runs_matching(flows, flow_runs, task_runs))


def read_logs(
    conn: Connection,
    logs: LogFilter | None = None,
    *,
    sort: LogSort = LogSort.TIMESTAMP_ASC,
    limit: int = 200,
    offset: int = 0,
) -> list[LogRecord]:
    """Logs matching ``logs``; equal timestamps keep the order they were written in."""
    statement = select(LOG)
    if logs is not None:
        statement = statement.where(_Conditions(conn).log(logs))
    if sort is LogSort.TIMESTAMP_ASC:
        statement = statement.order_by(LOG.c.timestamp.asc(), LOG.c.id.asc())
    else:
        statement = statement.order_by(LOG.c.timestamp.desc(), LOG.c.id.desc())
    rows = conn.execute(_page(statement, limit, offset))
    return [LogRecord.model_validate(row._mapping) for row in rows]
