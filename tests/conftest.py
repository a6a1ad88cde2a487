"""Shared fixtures: every test gets a throwaway Baton home.

Tests that take the ``client`` fixture run once on SQLite and once on
PostgreSQL when ``BATON_TEST_POSTGRES_URL`` names a server (``.ci/run`` starts
one); the PostgreSQL database is emptied before each test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from baton.client.base import BatonClient
from baton.testing import baton_test_harness

POSTGRES_URL = os.environ.get("BATON_TEST_POSTGRES_URL")


def _empty_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        tables = (
            conn.execute(text("select tablename from pg_tables where schemaname = 'public'"))
            .scalars()
            .all()
        )
        names = [t for t in tables if t != "alembic_version"]
        if names:
            conn.execute(text(f"TRUNCATE {', '.join(names)} CASCADE"))
    engine.dispose()


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
    """``None`` for the default SQLite file; the PostgreSQL URL, emptied, otherwise."""
    if request.param == "postgres":
        assert POSTGRES_URL is not None
        from baton.storage.database import Database
        from baton.storage.schema import ensure_schema

        db = Database(POSTGRES_URL)
        ensure_schema(db)
        db.dispose()
        _empty_postgres(POSTGRES_URL)
        return POSTGRES_URL
    return None


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
