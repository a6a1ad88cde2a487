"""Prefect-style filters, sorts and pages over flows, runs and logs made by real flows."""

from __future__ import annotations

import datetime as dt
import logging
import os
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Connection, update
from sqlalchemy.engine import make_url

from baton import flow, get_run_logger, tags, task
from baton.client.base import BatonClient
from baton.client.embedded import EmbeddedClient
from baton.core.actions import FlowRunCreate, LogCreate
from baton.core.filters import (
    FlowFilter,
    FlowFilterId,
    FlowFilterName,
    FlowFilterTags,
    FlowRunFilter,
    FlowRunFilterDeploymentId,
    FlowRunFilterExpectedStartTime,
    FlowRunFilterFlowVersion,
    FlowRunFilterId,
    FlowRunFilterName,
    FlowRunFilterParentFlowRunId,
    FlowRunFilterParentTaskRunId,
    FlowRunFilterStartTime,
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
    TaskRunFilter,
    TaskRunFilterFlowRunId,
    TaskRunFilterId,
    TaskRunFilterName,
    TaskRunFilterStartTime,
    TaskRunFilterState,
    TaskRunFilterStateName,
    TaskRunFilterStateType,
    TaskRunFilterSubFlowRuns,
    TaskRunFilterTags,
    TaskRunSort,
)
from baton.core.models import FlowRun, LogRecord, TaskRun
from baton.core.states import Scheduled, StateType
from baton.storage import models as m
from baton.storage.database import Database
from baton.storage.queries import filters

POSTGRES_URL = os.environ.get("BATON_TEST_POSTGRES_URL")
DEPLOYMENT = uuid.UUID("00000000-0000-4000-8000-00000000d001")


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgres",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(not POSTGRES_URL, reason="BATON_TEST_POSTGRES_URL is not set"),
            ],
        ),
    ]
)
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """Overrides the shared fixture: on PostgreSQL, an empty schema of this test's own.

    Exact counts need a database no other test session empties or fills meanwhile.
    """
    if request.param == "sqlite":
        yield None
        return
    assert POSTGRES_URL is not None
    schema = f"baton_filters_{uuid.uuid4().hex[:12]}"
    admin = Database(POSTGRES_URL)
    with admin.write() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-c search_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.write() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


# -- the flows that make the data ---------------------------------------------


@task(tags=["io"])
def extract() -> list[int]:
    get_run_logger().info("extracted")
    return [1, 2, 3]


@task
def transform(rows: list[int]) -> list[int]:
    return [row * 10 for row in rows]


@task(tags=["io", "db"])
def load_rows(rows: list[int]) -> int:
    get_run_logger().warning("loading %d rows", len(rows))
    return len(rows)


@task(tags=["io"])
def render(total: int) -> str:
    return f"total={total}"


@flow(tags=["reports"])
def report(total: int) -> str:
    return render(total)


@flow(tags=["prod", "nightly"], version="1.0")
def etl() -> int:
    get_run_logger().info("etl starting")
    total = load_rows(transform(extract()))
    report(total)
    return total


@task
def boom() -> None:
    raise ValueError("boom")


@flow(tags=["prod"], version="2.0")
def flaky() -> None:
    boom()


@flow(name="Cleanup-Job")
def cleanup() -> None:
    """A flow with no tags and no task runs."""


@dataclass
class World:
    """What the flows made, with a short label for every run to assert on."""

    conn: Connection
    labels: dict[uuid.UUID, str] = field(default_factory=dict)
    ids: dict[str, uuid.UUID] = field(default_factory=dict)
    flow_runs: dict[str, FlowRun] = field(default_factory=dict)
    task_runs: dict[str, TaskRun] = field(default_factory=dict)
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))

    def name(self, items: Iterable[Any]) -> list[str]:
        return [self.labels[item.id] for item in items]

    def flow_runs_where(self, **kwargs: Any) -> set[str]:
        """Labels of the flow runs found, checked against the count of the same filters."""
        found = filters.read_flow_runs(self.conn, **kwargs)
        assert filters.count_flow_runs(self.conn, **kwargs) == len(found)
        return set(self.name(found))

    def task_runs_where(self, **kwargs: Any) -> set[str]:
        found = filters.read_task_runs(self.conn, **kwargs)
        assert filters.count_task_runs(self.conn, **kwargs) == len(found)
        return set(self.name(found))

    def flows_where(self, **kwargs: Any) -> set[str]:
        found = filters.read_flows(self.conn, **kwargs)
        assert filters.count_flows(self.conn, **kwargs) == len(found)
        return {flow.name for flow in found}


ALL_FLOW_RUNS = {"etl", "report", "flaky", "cleanup", "backfill", "soon"}
ALL_TASK_RUNS = {
    "extract",
    "transform",
    "load_rows",
    "report-node",
    "render",
    "boom",
    "orphan",
}
ALL_FLOWS = {"etl", "report", "flaky", "Cleanup-Job", "scheduled-flow"}


@pytest.fixture
def world(client: BatonClient) -> Iterator[World]:
    """Flow runs: etl (with tasks and a report subflow), flaky (failed), cleanup (tagged
    "adhoc" from a tags block, no tasks), and two runs scheduled for later; plus a task
    run called outside any flow."""
    assert isinstance(client, EmbeddedClient)
    assert etl() == 3
    with pytest.raises(ValueError, match="boom"):
        flaky()
    with tags("adhoc"):
        cleanup()
    assert transform([1]) == [10]
    scheduled = client.read_or_create_flow("scheduled-flow")
    now = dt.datetime.now(dt.timezone.utc)
    client.create_flow_run(
        FlowRunCreate(
            flow_id=scheduled.id,
            name="Nightly-Backfill",
            tags=["backfill", "prod"],
            deployment_id=DEPLOYMENT,
            state=Scheduled(now + dt.timedelta(hours=2)),
        )
    )
    client.create_flow_run(
        FlowRunCreate(
            flow_id=scheduled.id, name="soon_run", state=Scheduled(now + dt.timedelta(hours=1))
        )
    )
    client.flush()
    with client.db.read() as conn:
        made = World(conn, now=now)
        flow_names = {f.id: f.name for f in filters.read_flows(conn)}
        for run in filters.read_flow_runs(conn):
            label = {
                "etl": "etl",
                "report": "report",
                "flaky": "flaky",
                "Cleanup-Job": "cleanup",
            }.get(flow_names[run.flow_id]) or ("backfill" if "Backfill" in run.name else "soon")
            made.flow_runs[label] = run
        for task_run in filters.read_task_runs(conn):
            label = task_run.name.rsplit("-", 1)[0]
            if task_run.flow_run_id is None:
                label = "orphan"
            elif label == "report":
                label = "report-node"
            made.task_runs[label] = task_run
        for label, item in [*made.flow_runs.items(), *made.task_runs.items()]:
            made.labels[item.id] = label
            made.ids[label] = item.id
        assert set(made.flow_runs) == ALL_FLOW_RUNS
        assert set(made.task_runs) == ALL_TASK_RUNS
        yield made


# -- flow runs ---------------------------------------------------------------


def test_no_filter_reads_every_flow_run_with_its_current_state(world: World) -> None:
    assert world.flow_runs_where() == ALL_FLOW_RUNS
    assert world.flow_runs_where(flow_runs=FlowRunFilter()) == ALL_FLOW_RUNS
    etl_run = world.flow_runs["etl"]
    assert etl_run.state is not None
    assert etl_run.state.type is StateType.COMPLETED
    assert etl_run.state_type is StateType.COMPLETED
    backfill = world.flow_runs["backfill"]
    assert backfill.state is not None
    assert backfill.state.state_details.scheduled_time == backfill.expected_start_time


def test_flow_runs_by_id_and_name(world: World) -> None:
    ids = world.ids
    assert world.flow_runs_where(
        flow_runs=FlowRunFilter(id=FlowRunFilterId(any_=[ids["etl"], ids["flaky"], ids["render"]]))
    ) == {"etl", "flaky"}
    assert world.flow_runs_where(
        flow_runs=FlowRunFilter(id=FlowRunFilterId(not_any_=[ids["etl"], ids["flaky"]]))
    ) == ALL_FLOW_RUNS - {"etl", "flaky"}
    assert world.flow_runs_where(flow_runs=FlowRunFilter(id=FlowRunFilterId(any_=[]))) == set()
    names = [world.flow_runs["report"].name, "no-such-run"]
    assert world.flow_runs_where(flow_runs=FlowRunFilter(name=FlowRunFilterName(any_=names))) == {
        "report"
    }
    like = FlowRunFilter(name=FlowRunFilterName(like_="nightLY-b"))
    assert world.flow_runs_where(flow_runs=like) == {"backfill"}
    # like_ is a plain substring: "_" and "%" are not wildcards.
    assert world.flow_runs_where(flow_runs=FlowRunFilter(name=FlowRunFilterName(like_="n_r"))) == {
        "soon"
    }
    assert (
        world.flow_runs_where(flow_runs=FlowRunFilter(name=FlowRunFilterName(like_="%"))) == set()
    )


def test_flow_runs_by_tags(world: World) -> None:
    def where(**kwargs: Any) -> set[str]:
        return world.flow_runs_where(flow_runs=FlowRunFilter(tags=FlowRunFilterTags(**kwargs)))

    assert where(all_=["prod"]) == {"etl", "flaky", "backfill"}
    assert where(all_=["prod", "nightly"]) == {"etl"}
    assert where(all_=["nightly", "prod", "nightly"]) == {"etl"}
    assert where(all_=["prod", "reports"]) == set()
    assert where(all_=["adhoc"]) == {"cleanup"}
    assert where(all_=["pro"]) == set()
    assert where(all_=[]) == ALL_FLOW_RUNS
    assert where(is_null_=True) == {"soon"}
    assert where(is_null_=False) == ALL_FLOW_RUNS - {"soon"}
    assert where(all_=["prod"], is_null_=True) == set()
    assert where(all_=["reports"], is_null_=True, operator=Operator.or_) == {"report", "soon"}


def test_flow_runs_by_state(world: World) -> None:
    def where(**kwargs: Any) -> set[str]:
        return world.flow_runs_where(flow_runs=FlowRunFilter(state=FlowRunFilterState(**kwargs)))

    completed = FlowRunFilterStateType(any_=[StateType.COMPLETED])
    assert where(type=completed) == {"etl", "report", "cleanup"}
    assert where(type=FlowRunFilterStateType(any_=[StateType.FAILED, StateType.SCHEDULED])) == {
        "flaky",
        "backfill",
        "soon",
    }
    assert where(type=FlowRunFilterStateType(not_any_=[StateType.COMPLETED])) == {
        "flaky",
        "backfill",
        "soon",
    }
    assert where(name=FlowRunFilterStateName(any_=["Failed"])) == {"flaky"}
    assert where(name=FlowRunFilterStateName(not_any_=["Scheduled", "Failed"])) == {
        "etl",
        "report",
        "cleanup",
    }
    failed_name = FlowRunFilterStateName(any_=["Failed"])
    assert where(type=completed, name=failed_name) == set()
    assert where(type=completed, name=failed_name, operator=Operator.or_) == {
        "etl",
        "report",
        "cleanup",
        "flaky",
    }


def test_flow_runs_by_start_and_expected_start_time(world: World) -> None:
    runs = world.flow_runs
    etl_start, flaky_start = runs["etl"].start_time, runs["flaky"].start_time
    assert etl_start is not None
    assert flaky_start is not None
    assert runs["report"].start_time is not None
    assert etl_start < runs["report"].start_time < flaky_start

    def started(**kwargs: Any) -> set[str]:
        return world.flow_runs_where(
            flow_runs=FlowRunFilter(start_time=FlowRunFilterStartTime(**kwargs))
        )

    assert started(before_=etl_start) == {"etl"}
    assert started(after_=flaky_start) == {"flaky", "cleanup"}
    assert started(after_=etl_start, before_=flaky_start) == {"etl", "report", "flaky"}
    assert started(after_=flaky_start, before_=etl_start) == set()
    assert started(is_null_=True) == {"backfill", "soon"}
    assert started(is_null_=False) == ALL_FLOW_RUNS - {"backfill", "soon"}
    naive_utc = flaky_start.astimezone(dt.timezone.utc).replace(tzinfo=None)
    assert started(after_=naive_utc) == {"flaky", "cleanup"}
    in_tokyo = flaky_start.astimezone(dt.timezone(dt.timedelta(hours=9)))
    assert started(after_=in_tokyo) == {"flaky", "cleanup"}

    def expected(**kwargs: Any) -> set[str]:
        return world.flow_runs_where(
            flow_runs=FlowRunFilter(expected_start_time=FlowRunFilterExpectedStartTime(**kwargs))
        )

    in_90_minutes = world.now + dt.timedelta(minutes=90)
    assert expected(before_=in_90_minutes) == {"soon"}
    assert expected(after_=in_90_minutes) == {"backfill"}
    assert expected(after_=world.now) == {"soon", "backfill"}


def test_flow_runs_by_parents_deployment_and_version(world: World) -> None:
    ids = world.ids

    def where(**kwargs: Any) -> set[str]:
        return world.flow_runs_where(flow_runs=FlowRunFilter(**kwargs))

    assert world.flow_runs["report"].parent_task_run_id == ids["report-node"]
    assert where(parent_task_run_id=FlowRunFilterParentTaskRunId(any_=[ids["report-node"]])) == {
        "report"
    }
    assert where(parent_task_run_id=FlowRunFilterParentTaskRunId(is_null_=False)) == {"report"}
    assert where(
        parent_task_run_id=FlowRunFilterParentTaskRunId(is_null_=True)
    ) == ALL_FLOW_RUNS - {"report"}
    assert where(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[ids["etl"]])) == {"report"}
    assert where(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[ids["flaky"]])) == set()
    assert where(deployment_id=FlowRunFilterDeploymentId(any_=[DEPLOYMENT])) == {"backfill"}
    assert where(deployment_id=FlowRunFilterDeploymentId(is_null_=True)) == ALL_FLOW_RUNS - {
        "backfill"
    }
    assert where(flow_version=FlowRunFilterFlowVersion(any_=["1.0", "2.0"])) == {"etl", "flaky"}
    assert where(flow_version=FlowRunFilterFlowVersion(any_=["3.0"])) == set()


def test_flow_run_criteria_combine_with_the_operator(world: World) -> None:
    prod = FlowRunFilterTags(all_=["prod"])
    failed = FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.FAILED]))
    subflows = FlowRunFilterParentTaskRunId(is_null_=False)
    assert world.flow_runs_where(flow_runs=FlowRunFilter(tags=prod, state=failed)) == {"flaky"}
    assert world.flow_runs_where(
        flow_runs=FlowRunFilter(tags=prod, parent_task_run_id=subflows, operator=Operator.or_)
    ) == {"etl", "flaky", "backfill", "report"}
    # An empty criterion matches everything, so "or" with it matches everything too.
    assert (
        world.flow_runs_where(
            flow_runs=FlowRunFilter(state=failed, tags=FlowRunFilterTags(), operator=Operator.or_)
        )
        == ALL_FLOW_RUNS
    )


def test_flow_runs_by_their_flow_and_their_task_runs(world: World) -> None:
    scheduled = FlowFilter(name=FlowFilterName(any_=["scheduled-flow"]))
    assert world.flow_runs_where(flows=scheduled) == {"backfill", "soon"}
    assert world.flow_runs_where(flows=FlowFilter(name=FlowFilterName(like_="CLEAN"))) == {
        "cleanup"
    }
    # Flow runs having at least one task run matching.
    db_tasks = TaskRunFilter(tags=TaskRunFilterTags(all_=["db"]))
    assert world.flow_runs_where(task_runs=db_tasks) == {"etl"}
    failed_tasks = TaskRunFilter(
        state=TaskRunFilterState(type=TaskRunFilterStateType(any_=[StateType.FAILED]))
    )
    assert world.flow_runs_where(task_runs=failed_tasks) == {"flaky"}
    io_tasks = TaskRunFilter(tags=TaskRunFilterTags(all_=["io"]))
    assert world.flow_runs_where(task_runs=io_tasks) == {"etl", "report"}
    # An empty task run filter still asks for a task run to exist.
    assert world.flow_runs_where(task_runs=TaskRunFilter()) == {"etl", "report", "flaky"}
    with_subflows = TaskRunFilter(subflow_runs=TaskRunFilterSubFlowRuns(exists_=True))
    assert world.flow_runs_where(task_runs=with_subflows) == {"etl"}
    etl_flow = FlowFilter(name=FlowFilterName(any_=["etl"]))
    assert world.flow_runs_where(flows=etl_flow, task_runs=io_tasks) == {"etl"}
    assert world.flow_runs_where(flows=etl_flow, task_runs=failed_tasks) == set()


# -- task runs ---------------------------------------------------------------


def test_task_runs_by_their_own_fields(world: World) -> None:
    ids = world.ids

    def where(**kwargs: Any) -> set[str]:
        return world.task_runs_where(task_runs=TaskRunFilter(**kwargs))

    assert world.task_runs_where() == ALL_TASK_RUNS
    assert where(id=TaskRunFilterId(any_=[ids["boom"], ids["etl"]])) == {"boom"}
    assert where(name=TaskRunFilterName(any_=["extract-0", "render-0"])) == {"extract", "render"}
    assert where(name=TaskRunFilterName(like_="LOAD")) == {"load_rows"}
    assert where(name=TaskRunFilterName(like_="_")) == {"load_rows"}
    assert where(tags=TaskRunFilterTags(all_=["io"])) == {"extract", "load_rows", "render"}
    assert where(tags=TaskRunFilterTags(all_=["io", "db"])) == {"load_rows"}
    assert where(tags=TaskRunFilterTags(all_=["reports"])) == {"report-node"}
    assert where(tags=TaskRunFilterTags(is_null_=True)) == {"transform", "boom", "orphan"}
    failed = TaskRunFilterStateType(any_=[StateType.FAILED])
    assert where(state=TaskRunFilterState(type=failed)) == {"boom"}
    assert where(state=TaskRunFilterState(name=TaskRunFilterStateName(any_=["Completed"]))) == (
        ALL_TASK_RUNS - {"boom"}
    )
    assert where(subflow_runs=TaskRunFilterSubFlowRuns(exists_=True)) == {"report-node"}
    assert where(subflow_runs=TaskRunFilterSubFlowRuns(exists_=False)) == (
        ALL_TASK_RUNS - {"report-node"}
    )
    etl_and_flaky = [ids["etl"], ids["flaky"]]
    assert where(flow_run_id=TaskRunFilterFlowRunId(any_=etl_and_flaky)) == {
        "extract",
        "transform",
        "load_rows",
        "report-node",
        "boom",
    }
    assert where(flow_run_id=TaskRunFilterFlowRunId(is_null_=True)) == {"orphan"}
    assert where(flow_run_id=TaskRunFilterFlowRunId(is_null_=False)) == ALL_TASK_RUNS
    either = TaskRunFilterFlowRunId(any_=[ids["report"]], is_null_=True, operator=Operator.or_)
    assert where(flow_run_id=either) == {"render", "orphan"}


def test_task_runs_by_start_time(world: World) -> None:
    runs = world.task_runs
    starts = {label: run.start_time for label, run in runs.items()}
    assert all(start is not None for start in starts.values())
    extract_start = starts["extract"]
    assert extract_start is not None
    later = {label for label, start in starts.items() if start and start >= extract_start}
    assert "orphan" in later
    assert (
        world.task_runs_where(
            task_runs=TaskRunFilter(start_time=TaskRunFilterStartTime(after_=extract_start))
        )
        == later
    )
    assert world.task_runs_where(
        task_runs=TaskRunFilter(start_time=TaskRunFilterStartTime(before_=extract_start))
    ) == (ALL_TASK_RUNS - later) | {"extract"}
    assert (
        world.task_runs_where(
            task_runs=TaskRunFilter(start_time=TaskRunFilterStartTime(is_null_=True))
        )
        == set()
    )


def test_task_runs_by_their_flow_run_and_flow(world: World) -> None:
    failed_runs = FlowRunFilter(
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.FAILED]))
    )
    assert world.task_runs_where(flow_runs=failed_runs) == {"boom"}
    nightly = FlowRunFilter(tags=FlowRunFilterTags(all_=["nightly"]))
    assert world.task_runs_where(flow_runs=nightly) == {
        "extract",
        "transform",
        "load_rows",
        "report-node",
    }
    subflow_runs = FlowRunFilter(
        parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[world.ids["etl"]])
    )
    assert world.task_runs_where(flow_runs=subflow_runs) == {"render"}
    report_flow = FlowFilter(name=FlowFilterName(any_=["report"]))
    assert world.task_runs_where(flows=report_flow) == {"render"}
    # Task runs outside any flow run have neither, so any flow (run) filter drops them.
    assert world.task_runs_where(flow_runs=FlowRunFilter()) == ALL_TASK_RUNS - {"orphan"}
    io = TaskRunFilter(tags=TaskRunFilterTags(all_=["io"]))
    assert world.task_runs_where(flows=report_flow, flow_runs=nightly, task_runs=io) == set()
    assert world.task_runs_where(
        flows=FlowFilter(name=FlowFilterName(any_=["etl"])), task_runs=io
    ) == {
        "extract",
        "load_rows",
    }


# -- flows -------------------------------------------------------------------


def test_flows_by_their_fields_runs_and_task_runs(world: World) -> None:
    assert world.flows_where() == ALL_FLOWS
    flow_ids = {f.name: f.id for f in filters.read_flows(world.conn)}
    by_id = FlowFilter(id=FlowFilterId(any_=[flow_ids["etl"], flow_ids["report"]]))
    assert world.flows_where(flows=by_id) == {"etl", "report"}
    assert world.flows_where(flows=FlowFilter(name=FlowFilterName(like_="-"))) == {
        "Cleanup-Job",
        "scheduled-flow",
    }
    assert world.flows_where(flows=FlowFilter(name=FlowFilterName(like_="job"))) == {"Cleanup-Job"}
    failed = FlowRunFilter(
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.FAILED]))
    )
    assert world.flows_where(flow_runs=failed) == {"flaky"}
    assert world.flows_where(flow_runs=FlowRunFilter()) == ALL_FLOWS
    io = TaskRunFilter(tags=TaskRunFilterTags(all_=["io"]))
    assert world.flows_where(task_runs=io) == {"etl", "report"}
    assert world.flows_where(flow_runs=failed, task_runs=io) == set()
    assert world.flows_where(task_runs=TaskRunFilter()) == {"etl", "report", "flaky"}


def test_flows_by_tags(world: World, client: BatonClient) -> None:
    assert isinstance(client, EmbeddedClient)
    flow_table = m.flow
    # Flows made by calling flows carry no tags of their own; give two some.
    with client.db.write() as conn:
        conn.execute(
            update(flow_table).where(flow_table.c.name == "etl").values(tags=["data", "x"])
        )
        conn.execute(update(flow_table).where(flow_table.c.name == "report").values(tags=["data"]))
    with client.db.read() as conn:
        world.conn = conn
        assert world.flows_where(flows=FlowFilter(tags=FlowFilterTags(all_=["data"]))) == {
            "etl",
            "report",
        }
        assert world.flows_where(flows=FlowFilter(tags=FlowFilterTags(all_=["x", "data"]))) == {
            "etl"
        }
        assert world.flows_where(flows=FlowFilter(tags=FlowFilterTags(is_null_=True))) == (
            ALL_FLOWS - {"etl", "report"}
        )
        tagged_or_clean = FlowFilter(
            tags=FlowFilterTags(all_=["x"]),
            name=FlowFilterName(like_="clean"),
            operator=Operator.or_,
        )
        assert world.flows_where(flows=tagged_or_clean) == {"etl", "Cleanup-Job"}


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


# -- validation --------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "body"),
    [
        (FlowRunFilter, {"tag": {"all_": ["x"]}}),
        (FlowRunFilter, {"tags": {"any_": ["x"]}}),
        (FlowRunFilter, {"state": {"type": {"any": ["COMPLETED"]}}}),
        (FlowRunFilter, {"end_time": {"before_": "2030-01-01T00:00:00Z"}}),
        (TaskRunFilter, {"subflow_runs": {"exists": True}}),
        (FlowFilter, {"name": {"like": "x"}}),
        (LogFilter, {"level": {"gt_": 10}}),
    ],
)
def test_unknown_keys_are_refused(model: type[Any], body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        model.model_validate(body)


def test_malformed_values_are_refused_with_clear_messages() -> None:
    with pytest.raises(ValidationError, match="'SCHEDULED', 'PENDING'"):
        FlowRunFilter.model_validate({"state": {"type": {"any_": ["DONE"]}}})
    with pytest.raises(ValidationError, match="operator"):
        FlowRunFilter.model_validate({"operator": "xor_"})
    with pytest.raises(ValidationError, match=r"id\.any_\.0"):
        FlowRunFilter.model_validate({"id": {"any_": ["not-a-uuid"]}})
    with pytest.raises(ValidationError, match="valid list"):
        TaskRunFilter.model_validate({"tags": {"all_": "io"}})
    with pytest.raises(ValidationError, match="valid datetime"):
        LogFilter.model_validate({"timestamp": {"after_": "yesterday"}})


def test_filters_parse_prefect_request_bodies() -> None:
    parsed = FlowRunFilter.model_validate(
        {
            "operator": "or_",
            "state": {"type": {"any_": ["FAILED", "CRASHED"]}, "name": {"not_any_": ["Late"]}},
            "start_time": {"after_": "2030-01-01T09:00:00+09:00", "before_": "2030-01-02T00:00:00"},
            "tags": {"all_": ["a"], "is_null_": False},
        }
    )
    assert parsed.operator is Operator.or_
    assert parsed.state is not None
    assert parsed.state.type is not None
    assert parsed.state.type.any_ == [StateType.FAILED, StateType.CRASHED]
    assert parsed.start_time is not None
    assert parsed.start_time.after_ == dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
    assert parsed.start_time.before_ == dt.datetime(2030, 1, 2, tzinfo=dt.timezone.utc)
    assert FlowRunFilter().operator is Operator.and_
    assert FlowRunSort("START_TIME_DESC") is FlowRunSort.START_TIME_DESC
    assert TaskRunSort("END_TIME_DESC") is TaskRunSort.END_TIME_DESC
    assert LogSort("TIMESTAMP_ASC") is LogSort.TIMESTAMP_ASC
    assert FlowSort("CREATED_DESC") is FlowSort.CREATED_DESC
