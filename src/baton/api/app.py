"""The FastAPI application: routers under ``/api``, OpenAPI docs at ``/api/docs``."""

from __future__ import annotations

from fastapi import FastAPI

from baton._version import __version__
from baton.api.errors import install_error_handlers
from baton.api.routers import (
    concurrency_limits,
    decisions,
    flow_runs,
    flows,
    health,
    logs,
    queries,
    task_runs,
)
from baton.storage.database import Database


def create_app(db: Database | None = None) -> FastAPI:
    """The API on ``db`` (default: the database the settings name, migrated on start)."""
    if db is None:
        from baton.settings import get_settings
        from baton.storage.schema import ensure_schema

        settings = get_settings()
        db = Database(settings.resolved_database_url, timeout=settings.database_timeout)
        ensure_schema(db)
    app = FastAPI(
        title="Baton",
        version=__version__,
        description="Orchestration API: propose states, read runs, logs and decisions.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.db = db
    install_error_handlers(app)
    for module in (
        health,
        queries,
        flows,
        flow_runs,
        task_runs,
        logs,
        concurrency_limits,
        decisions,
    ):
        app.include_router(module.router, prefix="/api")
    return app
