"""Sort orders, pages and log filters, on the same world of runs as the filter tests."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from filter_world import (
    ALL_FLOWS,
    World,
    cleanup,
)
from sqlalchemy import Connection

from baton.client.base import BatonClient
from baton.client.embedded import EmbeddedClient
from baton.core.actions import FlowRunCreate, LogCreate
from baton.core.filters import (
    FlowRunFilter,
    FlowRunFilterId,
    FlowRunFilterState,
    FlowRunFilterStateName,
    FlowRunFilterStateType,
    FlowRunFilterTags,
    FlowRunSort,
    FlowSort,
    LogFilter,
    LogFilterFlowRunId,
    LogFilterLevel,
    LogFilterTaskRunId,
    LogFilterTimestamp,
    LogSort,
    Operator,
    TaskRunSort,
)
from baton.core.models import LogRecord
from baton.core.states import StateType
from baton.storage.queries import filters

# -- sorting and pages -------------------------------------------------------


def _nulls_last(value: dt.datetime | None) -> tuple[bool, dt.datetime]:
    return (value is None, value or dt.datetime.min.replace(tzinfo=dt.timezone.utc))


def test_flow_run_sort_orders(world: World) -> None:
    def order(sort: FlowRunSort) -> list[str]:
        return world.name(filters.read_flow_runs(world.conn, sort=sort))

    runs = list(world.flow_runs.values())
    by_id = sorted(runs, key=lambda r: r.id, reverse=True)
    assert order(FlowRunSort.ID_DESC) == world.name(by_id)
    assert order(FlowRunSort.ID_ASC) == world.name(reversed(by_id))

    started = sorted(runs, key=lambda r: (_nulls_last(r.start_time or r.expected_start_time), r.id))
    assert order(FlowRunSort.START_TIME_ASC) == world.name(started)
    assert order(FlowRunSort.START_TIME_ASC) == [
        "etl",
        "report",
        "flaky",
        "cleanup",
        "soon",
        "backfill",
    ]
    assert order(FlowRunSort.START_TIME_DESC) == world.name(reversed(started))

    # Runs never scheduled have no expected start: last going up, first going down.
    expected = order(FlowRunSort.EXPECTED_START_TIME_ASC)
    assert expected[:2] == ["soon", "backfill"]
    unscheduled = sorted(["etl", "report", "flaky", "cleanup"], key=lambda label: world.ids[label])
    assert expected[2:] == unscheduled
    assert order(FlowRunSort.EXPECTED_START_TIME_DESC) == list(reversed(expected))
    assert order(FlowRunSort.NEXT_SCHEDULED_START_TIME_ASC) == expected

    by_name = sorted(runs, key=lambda r: (r.name, r.id))
    assert order(FlowRunSort.NAME_ASC) == world.name(by_name)
    assert order(FlowRunSort.NAME_DESC) == world.name(reversed(by_name))

    ended = order(FlowRunSort.END_TIME_DESC)
    assert set(ended[:2]) == {"soon", "backfill"}
    assert ended[2:] == ["cleanup", "flaky", "etl", "report"]


def test_task_run_sort_orders(world: World) -> None:
    def order(sort: TaskRunSort) -> list[str]:
        return world.name(filters.read_task_runs(world.conn, sort=sort))

    runs = list(world.task_runs.values())
    assert order(TaskRunSort.ID_DESC) == world.name(sorted(runs, key=lambda r: r.id, reverse=True))
    assert order(TaskRunSort.ID_ASC) == world.name(sorted(runs, key=lambda r: r.id))
    by_name = world.name(sorted(runs, key=lambda r: (r.name, r.id)))
    assert order(TaskRunSort.NAME_ASC) == by_name
    assert order(TaskRunSort.NAME_DESC) == list(reversed(by_name))
    by_end = world.name(sorted(runs, key=lambda r: (_nulls_last(r.end_time), r.id), reverse=True))
    assert order(TaskRunSort.END_TIME_DESC) == by_end
    assert order(TaskRunSort.END_TIME_DESC)[0] == "orphan"
    # No task run was ever scheduled: these orders fall back to the id.
    by_id = world.name(sorted(runs, key=lambda r: r.id))
    assert order(TaskRunSort.EXPECTED_START_TIME_ASC) == by_id
    assert order(TaskRunSort.EXPECTED_START_TIME_DESC) == list(reversed(by_id))
    assert order(TaskRunSort.NEXT_SCHEDULED_START_TIME_ASC) == by_id


def test_flow_sort_orders(world: World) -> None:
    def order(sort: FlowSort) -> list[str]:
        return [f.name for f in filters.read_flows(world.conn, sort=sort)]

    assert order(FlowSort.NAME_ASC) == sorted(ALL_FLOWS)
    assert order(FlowSort.NAME_DESC) == sorted(ALL_FLOWS, reverse=True)
    assert order(FlowSort.CREATED_DESC) == [
        "scheduled-flow",
        "Cleanup-Job",
        "flaky",
        "report",
        "etl",
    ]
    assert len(order(FlowSort.UPDATED_DESC)) == len(ALL_FLOWS)


def test_pages_cover_every_run_once_in_order(world: World) -> None:
    conn = world.conn
    for limit in (1, 2, 4):
        for sort in (FlowRunSort.ID_DESC, FlowRunSort.END_TIME_DESC, FlowRunSort.NAME_ASC):
            whole = [r.id for r in filters.read_flow_runs(conn, sort=sort)]
            paged = [
                run.id
                for offset in range(0, len(whole) + limit, limit)
                for run in filters.read_flow_runs(conn, sort=sort, limit=limit, offset=offset)
            ]
            assert paged == whole
        task_ids = [r.id for r in filters.read_task_runs(conn, sort=TaskRunSort.NAME_ASC)]
        first = filters.read_task_runs(conn, sort=TaskRunSort.NAME_ASC, limit=limit)
        assert [r.id for r in first] == task_ids[:limit]
        rest = filters.read_task_runs(conn, sort=TaskRunSort.NAME_ASC, offset=limit)
        assert [r.id for r in rest] == task_ids[limit:]
        flows = filters.read_flows(conn, limit=limit, offset=1)
        assert [f.name for f in flows] == sorted(ALL_FLOWS)[1 : 1 + limit]
        prod = FlowRunFilter(tags=FlowRunFilterTags(all_=["prod"]))
        assert len(filters.read_flow_runs(conn, flow_runs=prod, limit=limit)) == min(limit, 3)
    assert filters.count_flow_runs(conn, flow_runs=FlowRunFilter(tags=prod.tags)) == 3


def test_excluding_states_keeps_runs_that_have_none(client: BatonClient) -> None:
    """A run created without a state has no state type, so it has none of those excluded."""
    assert isinstance(client, EmbeddedClient)
    cleanup()
    stateless = client.create_flow_run(
        FlowRunCreate(flow_id=client.read_or_create_flow("Cleanup-Job").id, name="stateless")
    )
    client.flush()
    with client.db.read() as conn:

        def names(state: FlowRunFilterState) -> set[str]:
            found = filters.read_flow_runs(conn, flow_runs=FlowRunFilter(state=state))
            assert filters.count_flow_runs(conn, flow_runs=FlowRunFilter(state=state)) == len(found)
            return {run.name for run in found}

        only = FlowRunFilter(id=FlowRunFilterId(any_=[stateless.id]))
        [stored] = filters.read_flow_runs(conn, flow_runs=only)
        assert stored.state is None
        completed = [StateType.COMPLETED]
        assert names(FlowRunFilterState(type=FlowRunFilterStateType(not_any_=completed))) == {
            "stateless"
        }
        assert names(FlowRunFilterState(name=FlowRunFilterStateName(not_any_=["Completed"]))) == {
            "stateless"
        }
        assert "stateless" not in names(
            FlowRunFilterState(type=FlowRunFilterStateType(any_=list(StateType)))
        )


# -- logs --------------------------------------------------------------------

T0 = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
RUN_A, RUN_B = uuid.UUID(int=0xA), uuid.UUID(int=0xB)
TASK_A = uuid.UUID(int=0xA1)


@pytest.fixture
def log_conn(client: BatonClient) -> Iterator[Connection]:
    """Five log lines a second apart: (A, INFO), (A/task, DEBUG), (A/task, ERROR),
    (B, WARNING), (B, INFO); then a connection to read them."""
    assert isinstance(client, EmbeddedClient)
    lines = [
        (RUN_A, None, logging.INFO),
        (RUN_A, TASK_A, logging.DEBUG),
        (RUN_A, TASK_A, logging.ERROR),
        (RUN_B, None, logging.WARNING),
        (RUN_B, None, logging.INFO),
    ]
    client.create_logs(
        [
            LogCreate(
                name="test",
                level=level,
                message=f"line {i}",
                timestamp=T0 + dt.timedelta(seconds=i),
                flow_run_id=run,
                task_run_id=task_run,
            )
            for i, (run, task_run, level) in enumerate(lines)
        ]
    )
    client.flush()
    with client.db.read() as conn:
        yield conn


def _lines(records: list[LogRecord]) -> list[int]:
    return [int(record.message.split()[1]) for record in records]


def test_logs_by_run_level_and_time(log_conn: Connection) -> None:
    def where(**kwargs: Any) -> list[int]:
        return _lines(filters.read_logs(log_conn, LogFilter(**kwargs)))

    assert _lines(filters.read_logs(log_conn)) == [0, 1, 2, 3, 4]
    assert where(flow_run_id=LogFilterFlowRunId(any_=[RUN_A])) == [0, 1, 2]
    assert where(flow_run_id=LogFilterFlowRunId(any_=[RUN_A, RUN_B])) == [0, 1, 2, 3, 4]
    assert where(task_run_id=LogFilterTaskRunId(any_=[TASK_A])) == [1, 2]
    assert where(level=LogFilterLevel(ge_=logging.WARNING)) == [2, 3]
    assert where(level=LogFilterLevel(le_=logging.INFO)) == [0, 1, 4]
    assert where(level=LogFilterLevel(ge_=logging.INFO, le_=logging.WARNING)) == [0, 3, 4]
    assert where(level=LogFilterLevel(ge_=logging.ERROR, le_=logging.DEBUG)) == []
    second = dt.timedelta(seconds=1)
    assert where(timestamp=LogFilterTimestamp(after_=T0 + second, before_=T0 + 3 * second)) == [
        1,
        2,
        3,
    ]
    assert where(timestamp=LogFilterTimestamp(before_=T0.replace(tzinfo=None))) == [0]
    assert where(
        flow_run_id=LogFilterFlowRunId(any_=[RUN_B]),
        level=LogFilterLevel(ge_=logging.ERROR),
        operator=Operator.or_,
    ) == [2, 3, 4]


def test_log_sort_and_pages(log_conn: Connection) -> None:
    newest_first = filters.read_logs(log_conn, sort=LogSort.TIMESTAMP_DESC)
    assert _lines(newest_first) == [4, 3, 2, 1, 0]
    page = filters.read_logs(log_conn, sort=LogSort.TIMESTAMP_DESC, limit=2, offset=2)
    assert _lines(page) == [2, 1]
    a_only = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[RUN_A]))
    assert _lines(filters.read_logs(log_conn, a_only, limit=2, offset=1)) == [1, 2]


def test_logs_of_real_runs_carry_their_flow_run(world: World) -> None:
    etl_run = world.ids["etl"]
    etl_logs = filters.read_logs(
        world.conn, LogFilter(flow_run_id=LogFilterFlowRunId(any_=[etl_run]))
    )
    messages = [record.message for record in etl_logs]
    assert "etl starting" in messages
    assert "extracted" in messages
    warnings = filters.read_logs(
        world.conn,
        LogFilter(
            flow_run_id=LogFilterFlowRunId(any_=[etl_run]),
            level=LogFilterLevel(ge_=logging.WARNING),
        ),
    )
    assert [r.message for r in warnings] == ["loading 3 rows"]
    assert warnings[0].task_run_id == world.ids["load_rows"]
    timestamps = [record.timestamp for record in etl_logs]
    assert timestamps == sorted(timestamps)
