"""Big runs and big tables: pages stay small, counts stay bounded."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from baton import flow, task
from baton.client import get_client
from baton.core.models import FlowRun, RunKind
from baton.core.states import StateType
from baton.settings import get_settings
from baton.storage import models as m
from baton.storage.database import Database
from baton.storage.queries.rows import run_row
from baton.storage.queries.runs import insert_rows
from baton.testing import baton_test_harness, running_server
from baton.ui.detail import TaskRow
from baton.ui.graph import MAX_GROUPS, build_graph
from baton.ui.timeline import BUCKETS, MAX_LANES, build_timeline

WIDE = 10_000


def task_rows(count: int, keys: int) -> list[TaskRow]:
    """``count`` finished task runs of ``keys`` tasks, each fed by the previous one."""
    start = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)
    rows: list[TaskRow] = []
    for i in range(count):
        began = start + dt.timedelta(milliseconds=i)
        inputs = {"x": [{"input_type": "task_run", "id": str(rows[-1].id)}]} if rows else {}
        rows.append(
            TaskRow(
                id=uuid.uuid4(),
                name=f"task{i % keys}-{i // keys}",
                task_key=f"module.task{i % keys}",
                state_type="FAILED" if i % 97 == 0 else "COMPLETED",
                state_name=None,
                created=began,
                start_time=began,
                end_time=began + dt.timedelta(milliseconds=50),
                task_inputs=inputs,
            )
        )
    return rows


def test_small_runs_get_a_bar_per_task_run() -> None:
    timeline = build_timeline(task_rows(30, 3), dt.datetime.now(dt.timezone.utc))
    assert not timeline.aggregated
    assert len(timeline.bars) == 30
    graph = build_graph(task_rows(30, 3))
    assert not graph.summarised and len(graph.nodes) == 30 and len(graph.edges) == 29


def test_big_runs_are_drawn_in_lanes_and_buckets() -> None:
    rows = task_rows(WIDE, 40)
    timeline = build_timeline(rows, dt.datetime.now(dt.timezone.utc))
    assert timeline.aggregated and timeline.total == WIDE
    assert len(timeline.lanes) == MAX_LANES + 1, "the smallest tasks share an 'others' lane"
    assert len(timeline.bars) <= (MAX_LANES + 1) * BUCKETS
    assert any(bar.css == "failed" for bar in timeline.bars), "failures stay visible"
    graph = build_graph(rows)
    assert graph.summarised
    assert len(graph.nodes) == min(40, MAX_GROUPS)
    assert "runs" in graph.nodes[0].detail


@task
def double(n: int) -> int:
    return 2 * n


@task
def add_up(values: list[int]) -> int:
    return sum(values)


@flow
def wide(n: int) -> int:
    return add_up(double.map(range(n)))


@pytest.fixture(scope="module")
def wide_site() -> Iterator[tuple[str, uuid.UUID]]:
    """A server whose database holds one flow run of 10,001 task runs."""
    with baton_test_harness(), running_server() as api_url:
        assert wide(WIDE) == WIDE * (WIDE - 1)
        get_client().flush()
        run_id = get_client().read_flow_runs(limit=1)[0].id
        yield api_url.removesuffix("/api"), run_id


def test_a_run_of_ten_thousand_tasks_renders_a_bounded_page(
    wide_site: tuple[str, uuid.UUID],
) -> None:
    site, run_id = wide_site
    answer = httpx.get(f"{site}/runs/{run_id}", timeout=60)
    assert answer.status_code == 200
    html = answer.text
    assert "10,001 task runs, drawn as one lane per task" in html
    assert "Summarised: one node per task" in html
    assert html.count("<rect") < 2_000
    assert len(html) < 1_500_000


@pytest.mark.ui
def test_a_run_of_ten_thousand_tasks_opens_in_the_browser(
    wide_site: tuple[str, uuid.UUID], page: Any
) -> None:
    from playwright.sync_api import expect

    site, run_id = wide_site
    page.goto(f"{site}/runs/{run_id}")
    expect(page.locator("svg.timeline")).to_contain_text("double")
    expect(page.locator("svg.graph")).to_contain_text("10,000 runs")
    page.get_by_role("heading", name="Logs").scroll_into_view_if_needed()


def bulk_runs(count: int) -> None:
    """``count`` completed flow runs written straight into the harness's database."""
    db = Database(get_settings().resolved_database_url)
    now = dt.datetime.now(dt.timezone.utc)
    flow_id = get_client().read_or_create_flow("bulk").id
    rows = [
        run_row(
            RunKind.FLOW_RUN,
            FlowRun(
                flow_id=flow_id,
                name=f"bulk-{i}",
                state_type=StateType.COMPLETED,
                state_name="Completed",
                tags=["bulk"],
                created=now - dt.timedelta(seconds=i),
            ),
        )
        for i in range(count)
    ]
    try:
        with db.write() as conn:
            insert_rows(conn, m.flow_run, rows)
    finally:
        db.dispose()


def test_counts_stop_at_ten_thousand() -> None:
    with baton_test_harness(), running_server() as api_url:
        bulk_runs(10_050)
        site = api_url.removesuffix("/api")
        html = httpx.get(f"{site}/runs", timeout=30).text
        assert "10,000+ matching" in html
        assert re.search(r"<span>Page 1</span>", html), "no last page is promised"
        assert 'rel="next"' in html
        last = httpx.get(f"{site}/runs?page=201", timeout=30).text
        assert "Page 201" in last and "bulk-10049" in last
        assert 'rel="next"' not in last
        flows = httpx.get(f"{site}/flows", timeout=30).text
        assert "10,000+" in flows
