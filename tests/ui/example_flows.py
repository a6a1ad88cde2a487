"""Flows the UI tests run for real, and the ids of what they left behind."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass

from baton import flow, get_run_logger, tags, task
from baton.client import get_client


@task
def load(n: int) -> list[int]:
    get_run_logger().info("loaded %d rows", n)
    return list(range(n))


@task
def total(rows: list[int]) -> int:
    return sum(rows)


@flow
def summarise(value: int) -> int:
    get_run_logger().warning("summarising %d", value)
    return value * 2


@flow
def nightly_etl(n: int = 4) -> int:
    get_run_logger().info("starting the nightly load")
    rows = load(n)
    result = total(rows)
    return summarise(result)


@task(retries=1)
def flaky() -> None:
    raise ValueError("the upstream service said no")


@flow
def broken_report() -> None:
    flaky()


@dataclass(frozen=True)
class Runs:
    etl: uuid.UUID
    subflow: uuid.UUID
    broken: uuid.UUID
    etl_flow: uuid.UUID


def _latest(flow_name: str) -> uuid.UUID:
    client = get_client()
    flow_id = client.read_or_create_flow(flow_name).id
    return client.read_flow_runs(flow_id=flow_id, limit=1)[0].id


def make_runs() -> Runs:
    """Run the example flows once each (the broken one fails after a retry)."""
    with tags("nightly"):
        nightly_etl(4)
    with contextlib.suppress(ValueError):
        broken_report()
    get_client().flush()
    return Runs(
        etl=_latest("nightly-etl"),
        subflow=_latest("summarise"),
        broken=_latest("broken-report"),
        etl_flow=get_client().read_or_create_flow("nightly-etl").id,
    )
