"""Run flows against a throwaway database: the harness Baton's own tests use.

In a test module or ``conftest.py``::

    pytest_plugins = ["baton.testing"]

    def test_my_flow(baton_test_harness):
        assert my_flow() == 42

or anywhere, as a context manager::

    with baton_test_harness():
        my_flow()
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator

from baton.client import get_client, reset_client
from baton.client.base import BatonClient
from baton.settings import reload_settings

_VARIABLES = ("BATON_HOME", "BATON_DATABASE_URL", "BATON_API_URL", "BATON_RESULTS_STORAGE")


@contextlib.contextmanager
def baton_test_harness(database_url: str | None = None) -> Iterator[BatonClient]:
    """Point Baton at a fresh home (and database) for the block; restore everything after.

    ``database_url`` selects another database (e.g. PostgreSQL); by default a
    new SQLite file in a temporary home is used.
    """
    saved = {name: os.environ.get(name) for name in _VARIABLES}
    reset_client()
    with tempfile.TemporaryDirectory(prefix="baton-test-") as home:
        os.environ["BATON_HOME"] = home
        os.environ.pop("BATON_API_URL", None)
        os.environ.pop("BATON_RESULTS_STORAGE", None)
        if database_url:
            os.environ["BATON_DATABASE_URL"] = database_url
        else:
            os.environ.pop("BATON_DATABASE_URL", None)
        reload_settings()
        try:
            yield get_client()
        finally:
            reset_client()
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            reload_settings()


try:
    import pytest
except ImportError:  # pragma: no cover - pytest is optional for users
    pass
else:

    @pytest.fixture(name="baton_test_harness")
    def _baton_test_harness_fixture() -> Iterator[BatonClient]:
        """A throwaway Baton home and database for one test; yields the client."""
        with baton_test_harness() as client:
            yield client
