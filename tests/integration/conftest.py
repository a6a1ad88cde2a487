"""Fixtures that start Baton children and open readers of the databases they wrote."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from baton.testing import postgres_schema

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
    with postgres_schema(POSTGRES_URL) as url:
        yield url


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
