"""Services run against a real database: SQLite, and PostgreSQL when configured."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from baton.client.embedded import EmbeddedClient
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
    ]
)
def embedded(request: pytest.FixtureRequest) -> Iterator[EmbeddedClient]:
    """An embedded client (with its ``db``) on a fresh database."""
    url = POSTGRES_URL if request.param == "postgres" else None
    with baton_test_harness(url) as client:
        assert isinstance(client, EmbeddedClient)
        yield client
