"""The ``client`` fixture of the whole suite, with PostgreSQL runs on a schema of their own.

Other test sessions on the same PostgreSQL server empty the shared tables
between their tests; a private schema keeps the rows these tests read in place.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import make_url

from baton.storage.database import Database

POSTGRES_URL = os.environ.get("BATON_TEST_POSTGRES_URL")


@contextlib.contextmanager
def private_postgres_schema(url: str) -> Iterator[str]:
    """A URL of ``url``'s database whose search path is a new, empty schema; dropped after."""
    schema = f"baton_client_{uuid.uuid4().hex[:12]}"
    admin = Database(url)
    with admin.write() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        private = make_url(url).update_query_dict({"options": f"-c search_path={schema}"})
        yield private.render_as_string(hide_password=False)
    finally:
        with admin.write() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


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
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """``None`` for a fresh SQLite home (embedded or behind a server); else a private schema."""
    if request.param != "postgres":
        yield None
        return
    assert POSTGRES_URL is not None
    with private_postgres_schema(POSTGRES_URL) as url:
        yield url


@pytest.fixture
def private_postgres_url() -> Iterator[str | None]:
    """A private PostgreSQL schema's URL, or ``None`` when no server is configured."""
    if not POSTGRES_URL:
        yield None
        return
    with private_postgres_schema(POSTGRES_URL) as url:
        yield url
