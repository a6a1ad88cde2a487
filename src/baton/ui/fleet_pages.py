"""Pages for deployments and work pools: what runs by itself, and who runs it."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from baton.core.states import utcnow
from baton.storage.queries import deployments as deployment_queries
from baton.storage.queries import flows as flow_queries
from baton.storage.queries import work_pools as pool_queries
from baton.ui import fleet
from baton.ui.common import ReadConn, as_uuid, bad_request, not_found
from baton.ui.forms import build_form
from baton.ui.params import BadRequest
from baton.ui.templating import render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

DEPLOYMENTS_PAGE = 100
UPCOMING_RUNS = 10
COMING_DATES = 5
RECENT_RUNS = 10
POOL_RUNS = 50


def _page_number(request: Request) -> int:
    text = request.query_params.get("page") or "1"
    if not text.isdigit() or int(text) < 1:
        raise BadRequest(f"page must be a whole number from 1, not {text!r}")
    return int(text)


@router.get("/deployments")
def deployments_page(request: Request, conn: ReadConn) -> HTMLResponse:
    try:
        page = _page_number(request)
    except BadRequest as error:
        return bad_request(error)
    found = deployment_queries.read_deployments(
        conn, limit=DEPLOYMENTS_PAGE + 1, offset=(page - 1) * DEPLOYMENTS_PAGE
    )
    return render(
        "deployments.html",
        active="deployments",
        rows=fleet.read_deployment_rows(conn, found[:DEPLOYMENTS_PAGE], utcnow()),
        has_next=len(found) > DEPLOYMENTS_PAGE,
        page=page,
        total=fleet.count_deployments(conn),
    )


@router.get("/deployments/{deployment_id}")
def deployment_page(deployment_id: str, conn: ReadConn) -> HTMLResponse:
    parsed = as_uuid(deployment_id)
    deployment = deployment_queries.read_deployment(conn, parsed) if parsed else None
    if deployment is None:
        return not_found("deployment", deployment_id, back_href="/deployments")
    now = utcnow()
    return render(
        "deployment.html",
        active="deployments",
        deployment=deployment,
        flow=flow_queries.read_flow(conn, deployment.flow_id),
        schedules=[fleet.describe_schedule(s) for s in deployment.schedules],
        upcoming=fleet.next_runs(conn, deployment.id, UPCOMING_RUNS),
        coming=[] if deployment.paused else fleet.coming_dates(deployment, now, COMING_DATES),
        recent=fleet.recent_runs(conn, deployment.id, RECENT_RUNS),
        fields=build_form(deployment.parameter_openapi_schema, deployment.parameters),
        parameters_json=json.dumps(deployment.parameters, indent=2, sort_keys=True),
    )


@router.get("/work-pools")
def work_pools_page(conn: ReadConn) -> HTMLResponse:
    pools = pool_queries.read_work_pools(conn)
    return render(
        "work_pools.html",
        active="work-pools",
        rows=fleet.read_pool_rows(conn, pools, utcnow()),
    )


@router.get("/work-pools/{name}")
def work_pool_page(name: str, conn: ReadConn) -> HTMLResponse:
    pool = pool_queries.read_work_pool(conn, name)
    if pool is None:
        return not_found("work pool", name, back_href="/work-pools", key="name")
    row = fleet.read_pool_rows(conn, [pool], utcnow())[0]
    runs = fleet.read_pool_runs(conn, row, POOL_RUNS)
    return render(
        "work_pool.html",
        active="work-pools",
        row=row,
        runs=runs,
        runs_limit=POOL_RUNS,
    )
