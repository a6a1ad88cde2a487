"""Fixtures of the filter tests: a private PostgreSQL schema per test, and the world of
runs every filter test queries."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from filter_world import (
    ALL_FLOW_RUNS,
    ALL_TASK_RUNS,
    DEPLOYMENT,
    POSTGRES_URL,
    World,
    cleanup,
    etl,
    flaky,
    transform,
)
from sqlalchemy.engine import make_url

from baton import tags
from baton.client.base import BatonClient
from baton.client.embedded import EmbeddedClient
from baton.core.actions import FlowRunCreate
from baton.core.states import Scheduled
from baton.storage.database import Database
from baton.storage.queries import filters


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
