"""Run flows against a throwaway database: the harness Baton's own tests use.

In a test module or ``conftest.py``::

    pytest_plugins = ["baton.testing"]

    def test_my_flow(baton_test_harness):
        assert my_flow() == 42

or anywhere, as a context manager::

    with baton_test_harness():
        my_flow()

``baton_test_harness(server=True)`` also starts a real Baton server on a free
loopback port and points the SDK at it over HTTP, as ``BATON_API_URL`` does.
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
def baton_test_harness(
    database_url: str | None = None, server: bool = False
) -> Iterator[BatonClient]:
    """Point Baton at a fresh home (and database) for the block; restore everything after.

    ``database_url`` selects another database; on PostgreSQL the block gets a
    new schema of that database, dropped after, so it starts empty and leaves
    nothing behind. By default a new SQLite file in a temporary home is used.
    With ``server=True`` flows talk to a real server on loopback, started for
    the block.
    """
    if database_url and database_url.startswith("postgresql"):
        with postgres_schema(database_url) as private_url, _harness(private_url, server) as client:
            yield client
    else:
        with _harness(database_url, server) as client:
            yield client


@contextlib.contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """``url`` with a new, empty schema as its search path; the schema is dropped after.

    Lets tests (or several test sessions) share one PostgreSQL server without
    seeing or emptying each other's rows.
    """
    from sqlalchemy.engine import make_url

    from baton.core.ids import new_id
    from baton.storage.database import Database

    schema = f"baton_test_{new_id().hex[-12:]}"
    admin = Database(url)
    try:
        with admin.write() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        private = make_url(url).update_query_dict({"options": f"-c search_path={schema}"})
        yield private.render_as_string(hide_password=False)
    finally:
        with admin.write() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


@contextlib.contextmanager
def _harness(database_url: str | None, server: bool) -> Iterator[BatonClient]:
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
            if server:
                with running_server() as url:
                    os.environ["BATON_API_URL"] = url
                    reload_settings()
                    reset_client()
                    try:
                        yield get_client()
                    finally:
                        reset_client()
            else:
                yield get_client()
        finally:
            reset_client()
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            reload_settings()


@contextlib.contextmanager
def running_server(host: str = "127.0.0.1") -> Iterator[str]:
    """A Baton server on a free port of ``host`` for the block; yields its API URL.

    It serves the database the settings name, like ``baton server start``.
    """
    import socket
    import threading

    import uvicorn

    from baton.api import create_app

    app = create_app()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Answers go out at once (no Nagle delay); accepted connections inherit this.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off")
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(
        target=uvicorn_server.run, kwargs={"sockets": [sock]}, name="baton-test-server"
    )
    thread.start()
    try:
        while not uvicorn_server.started:
            if not thread.is_alive():
                raise RuntimeError("the test server did not start")
            thread.join(0.01)
        yield f"http://{host}:{port}/api"
    finally:
        uvicorn_server.should_exit = True
        thread.join()
        sock.close()
        app.state.db.dispose()


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
