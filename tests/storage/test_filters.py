"""Prefect-style filters, sorts and pages over flows, runs and logs made by real flows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from filter_world import (
    ALL_FLOW_RUNS,
    ALL_FLOWS,
    ALL_TASK_RUNS,
    DEPLOYMENT,
    World,
)
from sqlalchemy import update

from baton.client.base import BatonClient
from baton.client.embedded import EmbeddedClient
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
)
from baton.core.states import StateType
from baton.storage import models as m
from baton.storage.queries import filters

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
