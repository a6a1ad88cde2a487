"""Fuzzing every operation of the server's own OpenAPI document: no request is a 5xx.

Schemathesis sends valid and invalid requests built from the document to a real
server on loopback. Whatever a client sends, the answer is a response that says
what was wrong with the request, never a server error. The run is bounded and
derandomized, so a failure reproduces.

The document is built when the module is collected (one test per operation);
the test checks that the running server serves that very document.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error

from baton.api import create_app
from baton.client.http import HttpClient
from baton.storage.database import Database
from baton.testing import baton_test_harness


def _document() -> dict[str, Any]:
    """The OpenAPI document of the app; it never touches its database."""
    db = Database("sqlite://")
    try:
        return create_app(db).openapi()
    finally:
        db.dispose()


DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
)


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    """A server on a throwaway SQLite database; its URL without the ``/api`` prefix."""
    with baton_test_harness(server=True) as client:
        assert isinstance(client, HttpClient)
        served = httpx.get(f"{client.api_url}/openapi.json", timeout=30)
        assert served.json() == DOCUMENT
        yield client.api_url.removesuffix("/api")


@schema.parametrize()
@settings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_request_gets_a_server_error(case: schemathesis.Case, server_url: str) -> None:
    case.call_and_validate(base_url=server_url, checks=[not_a_server_error], timeout=30)
