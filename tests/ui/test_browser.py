"""The UI in a real headless Chromium: navigation, filters, themes, keyboard, live runs."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from baton import flow, get_run_logger, task
from baton.client import get_client
from baton.engine.context import get_run_context
from baton.testing import baton_test_harness, running_server

from .conftest import Site

pytestmark = pytest.mark.ui


@pytest.fixture(scope="module")
def site(sqlite_site: Site) -> Site:
    """The browser looks at one database: SQLite."""
    return sqlite_site


def expect() -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


def test_dashboard_shows_the_chart_and_leads_to_failed_runs(site: Site, page: Any) -> None:
    page.goto(site.url + "/")
    expect()(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect()(page.locator("svg.bar-chart rect.fill--failed")).to_have_count(1)
    page.locator("a.card--failed").click()
    expect()(page).to_have_url(re.compile(r"/runs\?state=FAILED&state=CRASHED"))
    expect()(page.locator("table.runs-table tbody tr")).to_have_count(1)
    expect()(page.locator("table.runs-table tbody")).to_contain_text("Failed")


def test_filtering_runs_and_saving_the_view(site: Site, page: Any) -> None:
    page.goto(site.url + "/runs")
    expect()(page.locator("table.runs-table tbody tr")).to_have_count(3)
    page.get_by_label("Tags (all of, comma-separated)").fill("nightly")
    page.locator("input[name=state][value=COMPLETED]").check()
    page.get_by_role("button", name="Apply filters").click()
    expect()(page).to_have_url(re.compile(r"state=COMPLETED"))
    expect()(page.locator("table.runs-table tbody tr")).to_have_count(2)
    page.get_by_label("Save these filters as").fill("Nightly successes")
    page.get_by_role("button", name="Save view").click()
    expect()(page.locator("#save-view-status")).to_have_text("Saved “Nightly successes”.")
    page.goto(site.url + "/")
    page.locator("#saved-views summary").click()
    page.get_by_role("link", name="Nightly successes").click()
    expect()(page).to_have_url(re.compile(r"/runs\?.*tag=nightly"))
    expect()(page.locator("table.runs-table tbody tr")).to_have_count(2)


def test_a_run_page_shows_task_runs_logs_and_decisions(site: Site, page: Any) -> None:
    page.goto(site.url + f"/runs/{site.runs.broken}")
    expect()(page.locator("#run-state")).to_contain_text("Failed")
    expect()(page.locator("svg.timeline")).to_contain_text("flaky-0")
    expect()(page.locator("#decisions")).to_contain_text("RetryFailedTasks")
    expect()(page.locator("#log-lines")).to_contain_text("the upstream service said no")
    page.select_option("#log-level", "error")
    page.get_by_role("button", name="Filter logs").click()
    expect()(page).to_have_url(re.compile(r"level=error"))
    expect()(page.locator("#log-lines li.log--info")).to_have_count(0)
    page.goto(site.url + f"/runs/{site.runs.etl}")
    page.get_by_role("link", name="total-0").first.click()
    expect()(page.get_by_role("heading", name="total-0")).to_be_visible()
    expect()(page.get_by_role("link", name="load-0")).to_be_visible()


def test_theme_choice_applies_and_is_remembered(site: Site, page: Any) -> None:
    page.goto(site.url + "/")
    html = page.locator("html")
    expect()(html).to_have_attribute("data-theme", "light")
    page.get_by_label("Theme").select_option("okabe-ito")
    expect()(html).to_have_attribute("data-theme", "okabe-ito")
    completed = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--state-completed')"
    )
    assert completed.strip() == "#009e73"
    page.goto(site.url + "/runs")
    expect()(html).to_have_attribute("data-theme", "okabe-ito")
    page.get_by_label("Theme").select_option("dark")
    page.reload()
    expect()(html).to_have_attribute("data-theme", "dark")
    expect()(page.get_by_label("Theme")).to_have_value("dark")


def test_keyboard_reaches_content_and_navigation(site: Site, page: Any) -> None:
    page.goto(site.url + "/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect()(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect()(page).to_have_url(re.compile(r"#main$"))
    page.goto(site.url + "/")
    for _ in range(4):
        page.keyboard.press("Tab")
    expect()(page.get_by_role("link", name="Flow runs", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect()(page).to_have_url(re.compile(r"/runs$"))
    outline = page.evaluate(
        "(() => { const a = document.querySelector('nav a'); a.focus();"
        " return getComputedStyle(a).outlineStyle; })()"
    )
    assert outline != "none", "focused links show a focus ring"


# -- a run that is still going -------------------------------------------------


class Gate:
    """Lets the test hold a running flow at chosen points and learn its id."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.first = threading.Event()
        self.second = threading.Event()
        self.run_id: uuid.UUID | None = None
        self.error: BaseException | None = None


@task
def step(n: int) -> int:
    return n + 1


def blocking_flow(gate: Gate) -> None:
    @flow(name="held-open")
    def held_open() -> None:
        logger = get_run_logger()
        gate.run_id = get_run_context().flow_run.id
        step(1)
        logger.info("waiting for the first signal")
        get_client().flush()
        gate.started.set()
        gate.first.wait(60)
        logger.info("first signal received")
        step(2)
        gate.second.wait(60)

    try:
        held_open()
    except BaseException as error:
        gate.error = error


@pytest.fixture
def held_run() -> Iterator[tuple[str, Gate]]:
    """A server, and a flow run blocked in a background thread against its database."""
    with baton_test_harness(), running_server() as api_url:
        gate = Gate()
        thread = threading.Thread(target=blocking_flow, args=(gate,), daemon=True)
        thread.start()
        assert gate.started.wait(60), "the flow did not start"
        try:
            yield api_url.removesuffix("/api"), gate
        finally:
            gate.first.set()
            gate.second.set()
            thread.join(60)
            get_client().flush()


def test_a_running_run_updates_live_and_can_be_cancelled(
    held_run: tuple[str, Gate], page: Any
) -> None:
    site, gate = held_run
    page.goto(f"{site}/runs/{gate.run_id}")
    expect()(page.locator("#run-state")).to_contain_text("Running")
    expect()(page.locator("#log-lines")).to_contain_text("waiting for the first signal")
    expect()(page.locator("svg.timeline")).to_contain_text("step-0")

    gate.first.set()
    expect()(page.locator("#log-lines")).to_contain_text("first signal received")
    expect()(page.locator("svg.timeline")).to_contain_text("step-1")

    # A running run is asked to stop: Cancelling. No worker drives this one (the
    # flow runs in a thread of the test), so it stays Cancelling, as the page says.
    page.get_by_role("button", name="Cancel this run").click()
    expect()(page.locator("#cancel-answer")).to_contain_text(
        "Cancelling: the orchestrator accepted."
    )
    expect()(page.locator("#run-state")).to_contain_text("Cancelling")
    expect()(page.get_by_role("button", name="Cancel this run")).to_be_hidden()
    expect()(page.locator("#progress")).to_contain_text("Cancelled from the web UI")
    expect()(page.locator("#retry-note")).to_be_hidden()
    assert gate.run_id is not None
    assert get_client().read_flow_run(gate.run_id).state_name == "Cancelling"


@flow(name="chatty")
def chatty(lines: int) -> None:
    logger = get_run_logger()
    for number in range(lines):
        logger.info("line %05d", number)


def test_a_finished_runs_long_log_arrives_in_full(page: Any) -> None:
    with baton_test_harness(), running_server() as api_url:
        chatty(1_200)
        get_client().flush()
        run_id = get_client().read_flow_runs(limit=1)[0].id
        page.goto(f"{api_url.removesuffix('/api')}/runs/{run_id}")
        expect()(page.locator("#log-lines")).to_contain_text("line 01199")
        expect()(page.locator("#log-lines li", has_text="line 00500")).to_have_count(1)
