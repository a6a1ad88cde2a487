"""Fixtures that start Baton children and open readers of the databases they wrote."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from baton.storage.database import Database

from .support import Child, Records

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
    ]
)
def backend_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """``None`` for a fresh SQLite home; else a PostgreSQL URL on an empty schema of its own.

    The schema is private to the test, so other test sessions on the same server,
    which empty the shared tables, cannot remove runs from under a child.
    """
    if request.param == "sqlite":
        yield None
        return
    assert POSTGRES_URL is not None
    schema = f"baton_it_{uuid.uuid4().hex[:12]}"
    admin = Database(POSTGRES_URL)
    with admin.write() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-c search_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.write() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture
def make_child(tmp_path: Path) -> Callable[[str | None], Child]:
    """``make_child(url)``: a child runner on ``url``, or on a fresh SQLite home for ``None``."""
    return lambda database_url=None: Child(tmp_path, database_url)


@pytest.fixture
def open_records() -> Iterator[Callable[[str], Records]]:
    """``open_records(url)``: a reader of that database, closed after the test."""
    opened: list[Records] = []

    def open_(url: str) -> Records:
        records = Records(url)
        opened.append(records)
        return records

    yield open_
    for records in opened:
        records.db.dispose()
