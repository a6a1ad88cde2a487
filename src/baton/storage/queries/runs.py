"""Flow runs and task runs: one set of queries for both kinds of run."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, Table, bindparam, delete, func, insert, select, update

from baton.core.models import FlowRun, RunKind, RunModel, TaskRun
from baton.core.states import State, StateType
from baton.storage import models as m
from baton.storage.encoding import SqliteQuery, sqlite_writer
from baton.storage.queries.rows import PROGRESS_FIELDS, state_from_row


@dataclass(frozen=True)
class RunTables:
    run: Table
    state: Table
    state_fk: str
    model: type[FlowRun] | type[TaskRun]


TABLES = {
    RunKind.FLOW_RUN: RunTables(
        m.flow_run,
        m.flow_run_state,
        "flow_run_id",
        FlowRun,
    ),
    RunKind.TASK_RUN: RunTables(
        m.task_run,
        m.task_run_state,
        "task_run_id",
        TaskRun,
    ),
}

_STATE_PREFIX = "state__"


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows at once (pre-encoded on SQLite, where this path is hot)."""
    if not rows:
        return
    if conn.dialect.name == "sqlite":
        sqlite_writer(table).insert(conn, rows)
    else:
        conn.execute(insert(table), list(rows))


def insert_runs(conn: Connection, kind: RunKind, rows: Sequence[dict[str, Any]]) -> None:
    insert_rows(conn, TABLES[kind].run, rows)


def insert_states(conn: Connection, kind: RunKind, rows: Sequence[dict[str, Any]]) -> None:
    insert_rows(conn, TABLES[kind].state, rows)


def update_run_progress(conn: Connection, kind: RunKind, rows: Sequence[dict[str, Any]]) -> None:
    """Write the state-driven columns of runs (rows from ``rows.progress_row``)."""
    if not rows:
        return
    table = TABLES[kind].run
    if conn.dialect.name == "sqlite":
        sqlite_writer(table).update(conn, rows, PROGRESS_FIELDS[kind])
        return
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values({name: bindparam(name) for name in PROGRESS_FIELDS[kind]})
    )
    conn.execute(statement, [{**row, "b_id": row["id"]} for row in rows])


@functools.cache
def select_runs(kind: RunKind) -> Select[Any]:
    """Runs joined with their current state (built once: statements are immutable)."""
    tables = TABLES[kind]
    state_columns = [c.label(_STATE_PREFIX + c.name) for c in tables.state.c]
    return select(tables.run, *state_columns).outerjoin(
        tables.state, tables.state.c.id == tables.run.c.state_id
    )


@functools.cache
def _row_layout(kind: RunKind) -> tuple[tuple[str, ...], tuple[str, ...], int]:
    """The names of a ``select_runs`` row's columns: the run's, then its state's; and
    where in the row the state's id is."""
    tables = TABLES[kind]
    run_names = tuple(c.name for c in tables.run.c)
    state_names = tuple(c.name for c in tables.state.c)
    return run_names, state_names, len(run_names) + state_names.index("id")


def run_from_row(kind: RunKind, row: Sequence[Any]) -> RunModel:
    """A run from a row of ``select_runs`` (a result row, or its values in order)."""
    run_names, state_names, state_id = _row_layout(kind)
    values, split = tuple(row), len(run_names)
    run = TABLES[kind].model.model_validate(dict(zip(run_names, values[:split], strict=True)))
    if values[state_id] is not None:
        run.state = state_from_row(dict(zip(state_names, values[split:], strict=True)))
    return run


def read_run(
    conn: Connection, kind: RunKind, run_id: uuid.UUID, *, for_update: bool = False
) -> RunModel | None:
    """One run with its current state; ``for_update`` locks its row (PostgreSQL).

    The lock is taken by a statement of its own: a ``FOR UPDATE`` over the join
    would, after waiting for another transaction, re-read the run but not the
    state it now points to, and the rules would judge a run with no state.
    On SQLite, every transition reads its run: the query goes to the driver.
    """
    if conn.dialect.name == "sqlite":
        values = _sqlite_select_run(kind).first(conn, run_id=run_id)
        return run_from_row(kind, values) if values is not None else None
    if for_update:
        conn.execute(_lock_run(kind), {"run_id": run_id})
    row = conn.execute(_select_run(kind), {"run_id": run_id}).first()
    return run_from_row(kind, row) if row is not None else None


@functools.cache
def _select_run(kind: RunKind) -> Select[Any]:
    return select_runs(kind).where(TABLES[kind].run.c.id == bindparam("run_id"))


@functools.cache
def _sqlite_select_run(kind: RunKind) -> SqliteQuery:
    return SqliteQuery(_select_run(kind), {"run_id": TABLES[kind].run.c.id})


@functools.cache
def _lock_run(kind: RunKind) -> Select[Any]:
    table = TABLES[kind].run
    return select(table.c.id).where(table.c.id == bindparam("run_id")).with_for_update()


def read_runs(
    conn: Connection,
    kind: RunKind,
    *,
    flow_run_id: uuid.UUID | None = None,
    flow_id: uuid.UUID | None = None,
    state_types: Sequence[StateType] = (),
    since: dt.datetime | None = None,
    limit: int = 50,
    offset: int = 0,
    newest_first: bool = True,
) -> list[RunModel]:
    """Runs matching simple filters, newest first by default."""
    table = TABLES[kind].run
    statement = select_runs(kind)
    if flow_run_id is not None:
        statement = statement.where(table.c.flow_run_id == flow_run_id)
    if flow_id is not None:
        statement = statement.where(table.c.flow_id == flow_id)
    if state_types:
        statement = statement.where(table.c.state_type.in_([t.value for t in state_types]))
    if since is not None:
        statement = statement.where(table.c.created >= since)
    order = table.c.created.desc() if newest_first else table.c.created.asc()
    statement = statement.order_by(order, table.c.id).limit(limit).offset(offset)
    return [run_from_row(kind, row) for row in conn.execute(statement)]


def count_runs(
    conn: Connection,
    kind: RunKind,
    *,
    flow_run_id: uuid.UUID | None = None,
    state_types: Sequence[StateType] = (),
) -> int:
    table = TABLES[kind].run
    statement = select(func.count()).select_from(table)
    if flow_run_id is not None:
        statement = statement.where(table.c.flow_run_id == flow_run_id)
    if state_types:
        statement = statement.where(table.c.state_type.in_([t.value for t in state_types]))
    return int(conn.execute(statement).scalar_one())


def read_states(conn: Connection, kind: RunKind, run_id: uuid.UUID) -> list[State]:
    """A run's full state history, oldest first."""
    tables = TABLES[kind]
    statement = (
        select(tables.state)
        .where(tables.state.c[tables.state_fk] == run_id)
        .order_by(tables.state.c.timestamp, tables.state.c.id)
    )
    return [state_from_row(row) for row in conn.execute(statement)]


def delete_run(conn: Connection, kind: RunKind, run_id: uuid.UUID) -> bool:
    result = conn.execute(delete(TABLES[kind].run).where(TABLES[kind].run.c.id == run_id))
    return bool(result.rowcount)


def read_flow_run_by_idempotency_key(
    conn: Connection, flow_id: uuid.UUID, key: str
) -> FlowRun | None:
    """The flow's run made with ``key``, if any: how repeated requests make one run."""
    table = m.flow_run
    run_id = conn.scalar(
        select(table.c.id).where(table.c.flow_id == flow_id, table.c.idempotency_key == key)
    )
    if run_id is None:
        return None
    found = read_run(conn, RunKind.FLOW_RUN, run_id)
    assert isinstance(found, FlowRun)
    return found
