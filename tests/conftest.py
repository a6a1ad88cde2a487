"""Shared fixtures: every test gets a throwaway Baton home.

Tests that take the ``client`` fixture run once on SQLite and once on
PostgreSQL when ``BATON_TEST_POSTGRES_URL`` names a server (``.ci/run`` starts
one); there the harness gives each test an empty schema of its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from baton.client.base import BatonClient
from baton.testing import baton_test_harness

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
        pytest.param("sqlite-http", marks=[pytest.mark.http]),
    ]
)
def database_url(request: pytest.FixtureRequest) -> str | None:
    """``None`` for the default SQLite file; the PostgreSQL server's URL otherwise."""
    return POSTGRES_URL if request.param == "postgres" else None


@pytest.fixture
def client(request: pytest.FixtureRequest, database_url: str | None) -> Iterator[BatonClient]:
    """A client on a fresh database: embedded on SQLite and on PostgreSQL (when available),
    and over HTTP to a real server on loopback (``sqlite-http``)."""
    over_http = request.node.callspec.params.get("database_url") == "sqlite-http"
    with baton_test_harness(database_url, server=over_http) as baton_client:
        yield baton_client


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Never touch the developer's ~/.baton, even in tests that take no client."""
    from baton.client import reset_client
    from baton.settings import reload_settings

    monkeypatch.setenv("BATON_HOME", str(tmp_path))
    reload_settings()
    yield
    reset_client()
    monkeypatch.undo()
    reload_settings()
