"""The FastAPI application: routers under ``/api``, OpenAPI docs at ``/api/docs``."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from baton._version import __version__
from baton.api import hot_routes
from baton.api.errors import install_error_handlers
from baton.api.routers import (
    concurrency_limits,
    decisions,
    deployments,
    flow_runs,
    flows,
    health,
    logs,
    queries,
    run_states,
    task_runs,
    work_pools,
)
from baton.storage.database import Database
from baton.storage.writer import BatchWriter
from baton.ui import install_ui


class BatonAPI(FastAPI):
    """FastAPI, with the hot routes answered before any of its layers (see ``hot_routes``)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await hot_routes.serve(self.state, super().__call__, scope, receive, send)


def create_app(db: Database | None = None) -> FastAPI:
    """The API on ``db`` (default: the database the settings name, migrated on start)."""
    if db is None:
        from baton.settings import get_settings
        from baton.storage.schema import ensure_schema

        settings = get_settings()
        db = Database(settings.resolved_database_url, timeout=settings.database_timeout)
        ensure_schema(db)
    app = BatonAPI(
        title="Baton",
        version=__version__,
        description="Orchestration API: propose states, read runs, logs and decisions.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.db = db
    app.state.writer = BatchWriter(db, gather_seconds=0)
    app.state.known_flows = set()
    install_error_handlers(app)
    for module in (
        health,
        queries,
        flows,
        flow_runs,
        task_runs,
        run_states,
        logs,
        concurrency_limits,
        decisions,
        deployments,
        work_pools,
    ):
        app.include_router(module.router, prefix="/api")
    install_ui(app)
    return app
