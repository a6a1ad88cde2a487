"""The world of runs every filter test queries."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from filter_world import (
    ALL_FLOW_RUNS,
    ALL_TASK_RUNS,
    DEPLOYMENT,
    World,
    cleanup,
    etl,
    flaky,
    transform,
)

from baton import tags
from baton.client.base import BatonClient
from baton.client.embedded import EmbeddedClient
from baton.core.actions import FlowRunCreate
from baton.core.states import Scheduled
from baton.storage.database import Database
from baton.storage.queries import filters
from baton.storage.schema import ensure_schema

POSTGRES_URL = os.environ.get("BATON_TEST_POSTGRES_URL")


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
def database_url(request: pytest.FixtureRequest) -> str | None:
    """These tests query storage directly, so they run on the embedded client only."""
    return POSTGRES_URL if request.param == "postgres" else None


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


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    """A fresh SQLite database, for what only SQLite does."""
    database = Database(f"sqlite:///{tmp_path / 'baton.db'}", timeout=10)
    ensure_schema(database)
    yield database
    database.dispose()
