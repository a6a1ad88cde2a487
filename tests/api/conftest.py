"""Databases for servers under test: a fresh SQLite file, or PostgreSQL on a private schema.

Other test sessions on the same PostgreSQL server empty the shared tables
between their tests; a schema of its own keeps a test's rows in place.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import make_url

from baton.client.http import HttpClient
from baton.storage.database import Database
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


@contextlib.contextmanager
def database_for(backend: str) -> Iterator[str | None]:
    """``None`` (the harness's fresh SQLite file) or a URL on an empty private schema."""
    if backend == "sqlite":
        yield None
        return
    assert POSTGRES_URL is not None
    schema = f"baton_api_{uuid.uuid4().hex[:12]}"
    admin = Database(POSTGRES_URL)
    with admin.write() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-c search_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.write() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def server_database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The database of one test's server."""
    with database_for(request.param) as url:
        yield url


@pytest.fixture(scope="module", params=BACKENDS)
def module_database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The database of a server shared by a module's tests."""
    with database_for(request.param) as url:
        yield url


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
