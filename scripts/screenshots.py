"""Take the screenshots of the web UI in docs/images/ (needs /usr/bin/chromium).

Runs a few example flows against a throwaway database, registers a deployment
on a work pool, serves it all on loopback and photographs the dashboard, a flow
run and the deployment with its Run form in headless Chromium:

    python scripts/screenshots.py [--out docs/images]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import random
import time
from pathlib import Path
from typing import Literal

from playwright.sync_api import sync_playwright

from baton import flow, get_run_logger, tags, task
from baton.client import get_client
from baton.client.embedded import EmbeddedClient
from baton.core.actions import (
    DeploymentCreate,
    DeploymentFlowRunCreate,
    DeploymentScheduleCreate,
    WorkPoolCreate,
    WorkQueueCreate,
)
from baton.core.states import StateType
from baton.engine.parameters import parameter_schema
from baton.services import late_runs
from baton.testing import baton_test_harness, running_server

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@task
def extract(source: str) -> list[int]:
    get_run_logger().info("extracted %s", source)
    time.sleep(random.uniform(0.02, 0.08))
    return [len(source)] * 3


@task(retries=1)
def validate(rows: list[int], strict: bool) -> list[int]:
    if strict:
        raise ValueError(f"{len(rows)} rows failed the schema check")
    time.sleep(0.03)
    return rows


@task
def load(batches: list[list[int]]) -> int:
    get_run_logger().info("loading %d batches", len(batches))
    time.sleep(0.05)
    return sum(map(sum, batches))


@flow
def publish_report(total: int) -> str:
    get_run_logger().info("report total is %d", total)
    return f"total={total}"


@flow
def nightly_etl(
    sources: tuple[str, ...] = ("orders", "customers", "stock"),
    strict: bool = False,
    batch_size: int = 500,
    mode: Literal["append", "replace"] = "append",
    day: dt.date | None = None,
) -> str:
    get_run_logger().info("starting the nightly load of %d sources", len(sources))
    batches = [validate(extract(source), strict and source == sources[-1]) for source in sources]
    return publish_report(load(batches))


def make_history() -> str:
    """Runs for the pictures; returns the id of a failed run, the most telling one."""
    random.seed(3)
    with tags("nightly", "warehouse"):
        for _ in range(6):
            nightly_etl()
    for _ in range(2):
        with contextlib.suppress(ValueError):
            nightly_etl(strict=True)
    nightly_etl(("orders", "customers", "stock", "returns", "suppliers"))
    get_client().flush()
    failed = get_client().read_flow_runs(state_types=[StateType.FAILED], limit=1)
    return str(failed[0].id)


def make_deployment() -> str:
    """A scheduled deployment of ``nightly_etl`` on a work pool, one run of it late."""
    client = get_client()
    assert isinstance(client, EmbeddedClient)
    now = dt.datetime.now(dt.timezone.utc)
    client.create_work_pool(WorkPoolCreate(name="warehouse", concurrency_limit=4))
    client.create_work_queue("warehouse", WorkQueueCreate(name="urgent"))
    client.worker_heartbeat("warehouse", "etl-box-1", heartbeat_interval_seconds=30)
    deployment = client.create_deployment(
        DeploymentCreate(
            flow_id=client.read_or_create_flow("nightly-etl").id,
            name="nightly",
            description="Load the night's orders, customers and stock into the warehouse.",
            version="3",
            tags=["nightly", "warehouse"],
            entrypoint="flows/etl.py:nightly_etl",
            parameters={"sources": ["orders", "customers", "stock"]},
            parameter_openapi_schema=parameter_schema(nightly_etl.fn),
            schedules=[
                DeploymentScheduleCreate(
                    schedule={"cron": "0 2 * * *", "timezone": "Europe/Paris"}
                ),
                DeploymentScheduleCreate(schedule={"interval": 21600}, active=False),
            ],
            work_pool_name="warehouse",
        )
    )
    early = DeploymentFlowRunCreate(scheduled_time=now - dt.timedelta(minutes=20))
    client.create_flow_run_from_deployment(deployment.id, early)
    late_runs.run_once(client.db, now, after=dt.timedelta(minutes=5))
    client.flush()
    return str(deployment.id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with baton_test_harness(), running_server() as api_url, sync_playwright() as playwright:
        run_id = make_history()
        deployment_id = make_deployment()
        site = api_url.removesuffix("/api")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{site}/")
        page.screenshot(path=args.out / "ui-dashboard.png", full_page=True)
        page.goto(f"{site}/runs/{run_id}")
        page.screenshot(path=args.out / "ui-flow-run.png", full_page=True)
        page.goto(f"{site}/deployments/{deployment_id}")
        page.locator('.form-field[data-name="batch_size"] input').fill("lots")
        page.get_by_role("button", name="Run", exact=True).click()
        page.locator("#run-form-summary").wait_for()
        page.screenshot(path=args.out / "ui-deployment.png", full_page=True)
        page.select_option("#theme-select", "okabe-ito-dark")
        page.goto(f"{site}/runs?state=FAILED&state=COMPLETED")
        page.screenshot(path=args.out / "ui-runs-dark.png", full_page=False)
        browser.close()
    for name in ("ui-dashboard.png", "ui-flow-run.png", "ui-deployment.png", "ui-runs-dark.png"):
        print(args.out / name)


if __name__ == "__main__":
    main()
