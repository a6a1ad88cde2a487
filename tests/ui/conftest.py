"""A server with real runs in its database, and a headless Chromium to look at it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from baton.testing import baton_test_harness, running_server

from .example_flows import Runs, make_runs
from .fleet_data import Fleet, make_fleet

POSTGRES_URL = os.environ.get("BATON_TEST_POSTGRES_URL")
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not POSTGRES_URL, reason="BATON_TEST_POSTGRES_URL is not set"),
        ],
    ),
]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "ui: drives the web UI in headless Chromium")


@dataclass
class Site:
    url: str
    """The server's root, e.g. ``http://127.0.0.1:8123``."""
    runs: Runs

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, timeout=30)


@contextlib.contextmanager
def serve_example_runs(database_url: str | None) -> Iterator[Site]:
    """A server on a fresh database holding the example runs."""
    with baton_test_harness(database_url) as client, running_server() as api_url:
        runs = make_runs()
        client.flush()
        yield Site(api_url.removesuffix("/api"), runs)


@pytest.fixture(scope="module", params=BACKENDS)
def site(request: pytest.FixtureRequest) -> Iterator[Site]:
    """One server per database for the module."""
    with serve_example_runs(POSTGRES_URL if request.param == "postgres" else None) as served:
        yield served


@pytest.fixture(scope="module")
def sqlite_site() -> Iterator[Site]:
    """One server on SQLite for the module (the browser tests look at one database)."""
    with serve_example_runs(None) as served:
        yield served


@dataclass
class FleetSite:
    url: str
    fleet: Fleet

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, timeout=30)

    def api(self, path: str, body: Any = None) -> Any:
        """The API's JSON answer: a GET, or a POST of ``body``."""
        url = f"{self.url}/api{path}"
        answer = httpx.get(url, timeout=30) if body is None else httpx.post(url, json=body)
        answer.raise_for_status()
        return answer.json()


@contextlib.contextmanager
def serve_fleet(database_url: str | None) -> Iterator[FleetSite]:
    """A server on a fresh database holding deployments, a work pool and their runs."""
    with baton_test_harness(database_url), running_server() as api_url:
        yield FleetSite(api_url.removesuffix("/api"), make_fleet())


@pytest.fixture(scope="module", params=BACKENDS)
def fleet_site(request: pytest.FixtureRequest) -> Iterator[FleetSite]:
    with serve_fleet(POSTGRES_URL if request.param == "postgres" else None) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module. Playwright's synchronous API keeps an event loop
    running in this thread while it is open, which ``asyncio.run`` in tests run after
    it would trip over, so it is closed with the module that used it."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context per test: its own localStorage, nothing shared."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()
