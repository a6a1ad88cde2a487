"""``baton.testing``: the harness gives every block a database of its own."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from baton import flow
from baton.storage.database import Database
from baton.testing import baton_test_harness

POSTGRES_URL = os.environ.get("BATON_TEST_POSTGRES_URL")


@flow
def hello() -> str:
    return "hi"


def schemas(url: str) -> set[str]:
    db = Database(url)
    try:
        with db.read() as conn:
            rows = conn.execute(text("SELECT schema_name FROM information_schema.schemata"))
            return {row[0] for row in rows}
    finally:
        db.dispose()


def test_each_sqlite_block_starts_empty() -> None:
    with baton_test_harness() as client:
        hello()
        assert len(client.read_flow_runs()) == 1
    with baton_test_harness() as client:
        assert client.read_flow_runs() == []


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="BATON_TEST_POSTGRES_URL is not set")
def test_postgres_blocks_are_isolated_and_leave_nothing_behind() -> None:
    assert POSTGRES_URL is not None
    before = schemas(POSTGRES_URL)
    with baton_test_harness(POSTGRES_URL) as outer:
        hello()
        with baton_test_harness(POSTGRES_URL) as inner:
            assert inner.read_flow_runs() == []
            assert len(schemas(POSTGRES_URL) - before) == 2
    with baton_test_harness(POSTGRES_URL) as later:
        assert later.read_flow_runs() == []
    assert outer is not later
    assert schemas(POSTGRES_URL) == before
