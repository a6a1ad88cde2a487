"""Mount the web UI on the API's application: pages at ``/``, assets at ``/ui/static``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.responses import Response

from baton.ui import fleet_pages, pages
from baton.ui.templating import STATIC, STATIC_URL, render


def install_ui(app: FastAPI) -> None:
    """Serve the UI beside the API; unknown pages get a page, the API keeps JSON errors."""
    app.include_router(pages.router)
    app.include_router(fleet_pages.router)
    app.mount(STATIC_URL, StaticFiles(directory=STATIC), name="ui-static")

    @app.exception_handler(HTTPException)
    async def _page_errors(request: Request, error: HTTPException) -> Response:
        if request.url.path.startswith("/api") or error.status_code != 404:
            return await http_exception_handler(request, error)
        return render(
            "message.html",
            404,
            heading="Page not found",
            message=f"Nothing lives at {request.url.path!r}.",
            hint="Use the navigation above to find your way.",
        )
