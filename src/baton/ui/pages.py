"""The web UI's pages: server-rendered HTML straight from the storage queries."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy import Connection

from baton.core.models import FlowRun, RunKind, TaskRun
from baton.core.states import StateType, utcnow
from baton.storage.queries import deployments as deployment_queries
from baton.storage.queries import flows as flow_queries
from baton.storage.queries import runs
from baton.storage.queries import work_pools as pool_queries
from baton.ui import detail, fleet, queries
from baton.ui.chart import stacked_bars
from baton.ui.common import ReadConn, as_uuid, bad_request, not_found
from baton.ui.graph import build_graph
from baton.ui.params import (
    PAGE_SIZE,
    WINDOWS,
    BadRequest,
    parse_log_level,
    parse_runs_query,
    parse_window,
)
from baton.ui.states import LATE, is_terminal
from baton.ui.templating import format_time, render, render_fragment
from baton.ui.timeline import build_timeline, upstream_ids

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


DASHBOARD_POOLS = 10
TASK_TABLE_LIMIT = 200
LIVE_LOG_PAGE = 500
SORT_LABELS = [
    ("newest", "Newest first"),
    ("oldest", "Oldest first"),
    ("started", "Most recently started"),
    ("longest", "Longest first"),
    ("name", "Name"),
]


# -- dashboard -----------------------------------------------------------------


@router.get("/")
def dashboard(request: Request, conn: ReadConn) -> HTMLResponse:
    try:
        window = parse_window(request.query_params)
    except BadRequest as error:
        return bad_request(error)
    now = utcnow()
    end = window.end(now)
    buckets = queries.read_run_buckets(conn, end, window.size, window.buckets)
    start = buckets[0].start
    chart = stacked_bars(buckets)
    present: Counter[str] = Counter()
    for bucket in buckets:
        present.update(bucket.counts)
    since_text = start.strftime("%Y-%m-%dT%H:%M")
    failed = present[StateType.FAILED.value] + present[StateType.CRASHED.value]
    late = queries.bounded_count(conn, queries.FLOW_RUN, [queries.late_condition(now)])
    pools = pool_queries.read_work_pools(conn)
    return render(
        "dashboard.html",
        active="dashboard",
        window=window,
        windows=WINDOWS.values(),
        buckets=buckets,
        chart=chart,
        present=present,
        since_text=since_text,
        failed=f"{failed:,}",
        late=late,
        all_href=f"/runs?since={since_text}",
        failed_href=f"/runs?state=FAILED&state=CRASHED&since={since_text}",
        late_href=f"/runs?state={LATE}",
        failures=queries.read_recent_failures(conn, start),
        pools=fleet.read_pool_rows(conn, pools[:DASHBOARD_POOLS], now),
        more_pools=len(pools) if len(pools) > DASHBOARD_POOLS else 0,
    )


# -- runs list -----------------------------------------------------------------


@router.get("/runs")
def runs_list(request: Request, conn: ReadConn) -> HTMLResponse:
    try:
        query = parse_runs_query(request.query_params)
    except BadRequest as error:
        return bad_request(error)
    now = utcnow()
    offset = (query.page - 1) * PAGE_SIZE
    count = queries.count_run_rows(conn, query.spec, now)
    rows = queries.read_run_rows(
        conn,
        query.spec,
        now,
        sort=query.sort,
        limit=PAGE_SIZE + 1,
        offset=offset,
        many=count.capped,
    )
    last_page = None if count.capped else max((count.value + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render(
        "runs.html",
        active="runs",
        query=query,
        rows=rows[:PAGE_SIZE],
        has_next=len(rows) > PAGE_SIZE,
        count=count,
        last_page=last_page,
        flows=flow_queries.read_flows(conn, limit=500),
        sorts=SORT_LABELS,
    )


# -- one flow run --------------------------------------------------------------


def _log_filters(request: Request) -> tuple[int, str, str]:
    level = parse_log_level(request.query_params)
    return (
        level,
        (request.query_params.get("level") or "").lower(),
        request.query_params.get("q", "").strip(),
    )


def _log_lines(rows: list[Any]) -> list[dict[str, Any]]:
    return [{**row._mapping, "level_name": logging.getLevelName(row.level)} for row in rows]


def _progress_context(conn: Connection, run: FlowRun) -> dict[str, Any]:
    now = utcnow()
    tasks = detail.read_task_rows(conn, run.id)
    return {
        "tasks": tasks,
        "task_counts": Counter(t.state_type or "" for t in tasks),
        "timeline": build_timeline(tasks, now),
        "graph": build_graph(tasks),
        "task_table_limit": TASK_TABLE_LIMIT,
        "upstream_count": lambda t: len(upstream_ids(t)) or "—",
        "states": runs.read_states(conn, RunKind.FLOW_RUN, run.id),
        "decisions": detail.read_flow_decisions(conn, run.id),
    }


def _read_flow_run(conn: Connection, run_id: str) -> FlowRun | None:
    parsed = as_uuid(run_id)
    run = detail.read_run(conn, RunKind.FLOW_RUN, parsed) if parsed else None
    return run if isinstance(run, FlowRun) else None


@router.get("/runs/{run_id}")
def flow_run_page(run_id: str, request: Request, conn: ReadConn) -> HTMLResponse:
    run = _read_flow_run(conn, run_id)
    if run is None:
        return not_found("flow run", run_id)
    try:
        level, level_name, text = _log_filters(request)
    except BadRequest as error:
        return bad_request(error)
    logs = detail.read_log_page(conn, flow_run_id=run.id, min_level=level, text=text)
    flow = flow_queries.read_flow(conn, run.flow_id)
    deployment = (
        deployment_queries.read_deployment(conn, run.deployment_id) if run.deployment_id else None
    )
    last = logs[-1] if logs else None
    return render(
        "run.html",
        active="runs",
        run=run,
        flow_name=flow.name if flow else "",
        deployment=deployment,
        parent=detail.read_parent(conn, run.parent_task_run_id),
        duration=run.duration(),
        progress_version=detail.progress_version(conn, run),
        logs=_log_lines(logs),
        logs_truncated=len(logs) >= detail.LOG_PAGE,
        live_logs=True,
        log_cursor=str(detail.LogCursor(last.timestamp, last.id)) if last else "",
        log_level=level,
        log_level_name=level_name,
        log_text=text,
        **_progress_context(conn, run),
    )


@router.get("/runs/{run_id}/progress")
def flow_run_progress(run_id: str, conn: ReadConn) -> HTMLResponse:
    """The parts of a run's page that change while it runs, for live redraws."""
    run = _read_flow_run(conn, run_id)
    if run is None:
        return not_found("flow run", run_id)
    return HTMLResponse(render_fragment("parts/progress.html", **_progress_context(conn, run)))


@router.get("/runs/{run_id}/live.json", response_class=JSONResponse)
def flow_run_live(run_id: str, request: Request, conn: ReadConn) -> JSONResponse:
    """What a run's open page polls: its state, whether to redraw, and new log lines."""
    run = _read_flow_run(conn, run_id)
    if run is None:
        return JSONResponse({"detail": f"no flow run with id {run_id!r}"}, status_code=404)
    try:
        level, _, text = _log_filters(request)
    except BadRequest as error:
        return JSONResponse({"detail": str(error)}, status_code=400)
    after = detail.LogCursor.parse(request.query_params.get("after", ""))
    logs = detail.read_log_page(
        conn, flow_run_id=run.id, min_level=level, text=text, after=after, limit=LIVE_LOG_PAGE
    )
    cursor = (
        str(detail.LogCursor(logs[-1].timestamp, logs[-1].id))
        if logs
        else (str(after) if after else "")
    )
    badge = render_fragment(
        "parts/badge.html", state=run.state, state_type=run.state_type, state_name=run.state_name
    )
    return JSONResponse(
        {
            "state_type": run.state_type.value if run.state_type else None,
            "state_name": run.state_name,
            "state_html": badge,
            "message": run.state.message if run.state else None,
            "terminal": is_terminal(run.state_type),
            "duration": render_fragment("parts/duration.html", seconds=run.duration()),
            "ended": render_fragment("parts/time.html", moment=run.end_time),
            "version": detail.progress_version(conn, run),
            "logs": [
                {
                    "timestamp": line["timestamp"].isoformat(),
                    "time": format_time(line["timestamp"]),
                    "level": line["level_name"],
                    "message": line["message"],
                    "task_run_id": str(line["task_run_id"]) if line["task_run_id"] else None,
                    "task_run_name": line["task_run_name"],
                }
                for line in _log_lines(logs)
            ],
            "cursor": cursor,
            "more_logs": len(logs) >= LIVE_LOG_PAGE,
        }
    )


# -- one task run --------------------------------------------------------------


@router.get("/flow-runs/flow-run/{run_id}")
def prefect_flow_run_link(run_id: str) -> RedirectResponse:
    """Where a Prefect 2 client says a run can be seen: the same run here."""
    return RedirectResponse(f"/runs/{run_id}", status_code=308)


@router.get("/runs/task-run/{run_id}")
def prefect_task_run_link(run_id: str) -> RedirectResponse:
    return RedirectResponse(f"/task-runs/{run_id}", status_code=308)


@router.get("/task-runs/{run_id}")
def task_run_page(run_id: str, conn: ReadConn) -> HTMLResponse:
    parsed = as_uuid(run_id)
    task = detail.read_run(conn, RunKind.TASK_RUN, parsed) if parsed else None
    if not isinstance(task, TaskRun):
        return not_found("task run", run_id)
    flow_run = (
        detail.read_run(conn, RunKind.FLOW_RUN, task.flow_run_id) if task.flow_run_id else None
    )
    upstream = {
        item.id for inputs in task.task_inputs.values() for item in inputs if item.id is not None
    }
    logs = detail.read_log_page(conn, task_run_id=task.id)
    return render(
        "task_run.html",
        active="runs",
        task=task,
        flow_run_name=flow_run.name if flow_run else None,
        duration=task.duration(),
        upstream=detail.read_task_names(conn, upstream),
        subflow=detail.read_subflow_of(conn, task.id),
        states=runs.read_states(conn, RunKind.TASK_RUN, task.id),
        decisions=detail.read_run_decisions(conn, task.id),
        logs=_log_lines(logs),
        logs_truncated=len(logs) >= detail.LOG_PAGE,
        log_level=0,
        log_text="",
    )


# -- flows -----------------------------------------------------------------------

FLOWS_PAGE = 100


@router.get("/flows")
def flows_page(request: Request, conn: ReadConn) -> HTMLResponse:
    page_text = request.query_params.get("page") or "1"
    if not page_text.isdigit() or int(page_text) < 1:
        return bad_request(BadRequest(f"page must be a whole number from 1, not {page_text!r}"))
    page = int(page_text)
    found = queries.read_flow_rows(conn, limit=FLOWS_PAGE + 1, offset=(page - 1) * FLOWS_PAGE)
    return render(
        "flows.html",
        active="flows",
        flows=found[:FLOWS_PAGE],
        has_next=len(found) > FLOWS_PAGE,
        page=page,
        total=queries.count_flows(conn),
    )


@router.get("/flows/{flow_id}")
def flow_page(flow_id: str, conn: ReadConn) -> HTMLResponse:
    parsed = as_uuid(flow_id)
    flow = queries.read_flow_row(conn, parsed) if parsed else None
    if flow is None:
        return not_found("flow", flow_id, back_href="/flows")
    now = utcnow()
    spec = queries.RunFilter(flow_ids=(flow.id,))
    failed = queries.RunFilter(
        flow_ids=(flow.id,), states=(StateType.FAILED.value, StateType.CRASHED.value)
    )
    return render(
        "flow.html",
        active="flows",
        flow=flow,
        runs=queries.read_run_rows(conn, spec, now, limit=20),
        runs_count=queries.count_run_rows(conn, spec, now),
        failed_count=queries.count_run_rows(conn, failed, now),
    )


# -- concurrency -----------------------------------------------------------------


@router.get("/concurrency")
def concurrency_page(conn: ReadConn) -> HTMLResponse:
    return render("concurrency.html", active="concurrency", limits=queries.read_limit_rows(conn))
