"""A run's process talking to a server imports neither the API server nor the database layer.

Every deployment run starts a new interpreter, and what it imports is paid
before the flow's first line: FastAPI and SQLAlchemy alone cost about a second.
"""

from __future__ import annotations

import os
import subprocess
import sys

HEAVY = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "jinja2")


def modules_loaded_by(code: str) -> set[str]:
    """Which of ``HEAVY`` a fresh interpreter has imported after running ``code``."""
    env = {**os.environ, "BATON_API_URL": "http://127.0.0.1:9/api"}
    check = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", check], env=env, capture_output=True, text=True, check=True
    )
    return set(done.stdout.split())


def test_a_run_process_over_http_imports_no_server_or_database_code() -> None:
    code = (
        "import baton.runner.__main__, baton.runner.execute, baton.engine.flow_engine\n"
        "from baton.client import get_client\n"
        "get_client()"
    )
    assert modules_loaded_by(code) == set()


def test_the_http_client_and_the_wire_shapes_do_not_import_the_app() -> None:
    code = "import baton.client.http, baton.api.schemas.deployments"
    assert modules_loaded_by(code) == set()


def test_the_app_is_still_reachable_from_the_api_package() -> None:
    assert "fastapi" in modules_loaded_by("from baton.api import create_app")
