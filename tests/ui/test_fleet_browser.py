"""Deployments and work pools in a real headless Chromium: run, retry, pause, cancel."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import FleetSite, serve_fleet
from .fleet_data import POOL

pytestmark = pytest.mark.ui

RUN_URL = re.compile(r"/runs/([0-9a-f-]{36})$")


@pytest.fixture(scope="module")
def site() -> Iterator[FleetSite]:
    with serve_fleet(None) as served:
        yield served


def expect() -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


def field(page: Any, name: str) -> Any:
    return page.locator(f'.form-field[data-name="{name}"]')


def run_count(site: FleetSite) -> int:
    count: int = site.api("/flow_runs/count", {})
    return count


def test_run_form_checks_values_then_creates_the_run(site: FleetSite, page: Any) -> None:
    page.goto(f"{site.url}/deployments/{site.fleet.deployment}")
    before = run_count(site)
    field(page, "rows").locator("input").fill("ten")
    page.get_by_role("button", name="Run", exact=True).click()
    expect()(field(page, "rows").locator(".field-error")).to_have_text(
        "rows must be a whole number, such as 42."
    )
    expect()(field(page, "day").locator(".field-error")).to_have_text("day is required.")
    expect()(page.locator("#run-form-summary")).to_contain_text("2 fields need fixing")
    expect()(field(page, "day").locator("input")).to_be_focused()
    assert run_count(site) == before, "nothing reached the server"

    field(page, "day").locator("input").fill("2024-06-01")
    field(page, "rows").locator("input").fill("7")
    field(page, "sources").locator("textarea").fill('["orders", 3]')
    page.get_by_role("button", name="Run", exact=True).click()
    answer = page.locator("#run-form-answer")
    expect()(answer).to_contain_text("The server refused to create the run (HTTP 422):")
    expect()(answer.locator(".server-message")).to_have_text(
        "parameter 'sources.1': 3 is not of type 'string'"
    )
    assert run_count(site) == before

    field(page, "sources").locator("textarea").fill('["orders", "stock"]')
    field(page, "mode").locator("select").select_option(label="slow")
    field(page, "strict").get_by_role("checkbox").check()
    page.get_by_role("button", name="Run", exact=True).click()
    expect()(page).to_have_url(RUN_URL)
    run_id = uuid.UUID(RUN_URL.search(page.url).group(1))  # type: ignore[union-attr]
    expect()(page.locator("#run-state")).to_contain_text("Scheduled")
    run = site.api(f"/flow_runs/{run_id}")
    assert run["deployment_id"] == str(site.fleet.deployment)
    assert run["parameters"] == {
        "day": "2024-06-01",
        "rows": 7,
        "ratio": 0.5,
        "strict": True,
        "mode": "slow",
        "sources": ["orders", "stock"],
    }


def test_retry_starts_a_new_run_with_the_same_parameters(site: FleetSite, page: Any) -> None:
    failed = site.api(f"/flow_runs/{site.fleet.failed_run}")
    page.goto(f"{site.url}/runs/{site.fleet.failed_run}")
    expect()(page.get_by_role("button", name="Cancel this run")).to_be_hidden()
    page.get_by_role("button", name="Retry").click()
    expect()(page).not_to_have_url(re.compile(str(site.fleet.failed_run)))
    expect()(page).to_have_url(RUN_URL)
    new_id = uuid.UUID(RUN_URL.search(page.url).group(1))  # type: ignore[union-attr]
    assert new_id != site.fleet.failed_run
    retried = site.api(f"/flow_runs/{new_id}")
    assert retried["deployment_id"] == failed["deployment_id"]
    assert retried["parameters"] == failed["parameters"]
    assert retried["state_type"] == "SCHEDULED"


def test_pausing_and_resuming_a_work_pool(site: FleetSite, page: Any) -> None:
    page.goto(f"{site.url}/work-pools")
    row = page.locator("table.pools tbody tr", has_text=POOL)
    expect()(row).to_contain_text("Ready")
    page.get_by_role("button", name=f"Pause work pool {POOL}").click()
    expect()(row).to_contain_text("Paused")
    assert site.api(f"/work_pools/{POOL}")["is_paused"] is True
    page.get_by_role("button", name=f"Resume work pool {POOL}").click()
    expect()(row).to_contain_text("Ready")
    assert site.api(f"/work_pools/{POOL}")["is_paused"] is False


def test_a_scheduled_run_is_cancelled_at_once(site: FleetSite, page: Any) -> None:
    page.goto(f"{site.url}/runs/{site.fleet.waiting_run}")
    expect()(page.locator("#run-state")).to_contain_text("Scheduled")
    page.get_by_role("button", name="Cancel this run").click()
    expect()(page.locator("#cancel-answer")).to_have_text("Cancelled: the orchestrator accepted.")
    expect()(page.locator("#run-state")).to_contain_text("Cancelled")
    expect()(page.get_by_role("button", name="Retry")).to_be_visible()
