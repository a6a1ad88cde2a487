"""The data the filter tests query: real flows, and the world of runs they leave."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from baton import flow, get_run_logger, task
from baton.core.models import FlowRun, TaskRun
from baton.storage.queries import filters

POSTGRES_URL = os.environ.get("BATON_TEST_POSTGRES_URL")
DEPLOYMENT = uuid.UUID("00000000-0000-4000-8000-00000000d001")


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
