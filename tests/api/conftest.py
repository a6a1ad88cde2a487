"""Databases for servers under test: a fresh SQLite file, or PostgreSQL on a private schema.

On PostgreSQL, ``baton_test_harness`` gives each server an empty schema of its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from baton.client.http import HttpClient
from baton.testing import baton_test_harness

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


@pytest.fixture(params=BACKENDS)
def server_database_url(request: pytest.FixtureRequest) -> str | None:
    """The database of one test's server (the harness gives PostgreSQL a schema of its own)."""
    return POSTGRES_URL if request.param == "postgres" else None


@pytest.fixture(scope="module", params=BACKENDS)
def module_database_url(request: pytest.FixtureRequest) -> str | None:
    """The database of a module's server."""
    return POSTGRES_URL if request.param == "postgres" else None


@pytest.fixture(scope="module")
def api_url(module_database_url: str | None) -> Iterator[str]:
    """One server per database for the module; every test makes objects of its own."""
    with baton_test_harness(module_database_url, server=True) as client:
        assert isinstance(client, HttpClient)
        yield client.api_url


@pytest.fixture
def api(api_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_url, timeout=30) as http:
        yield http
