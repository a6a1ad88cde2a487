"""``baton server start``: the orchestration API in one process."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(name="server", help="Run the Baton server.", no_args_is_help=True)


@app.command("start")
def start(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 4200,
    log_level: Annotated[str, typer.Option(help="uvicorn's log level.")] = "info",
    access_log: Annotated[
        bool, typer.Option(help="Log every request (costs CPU on a busy server).")
    ] = False,
    services: Annotated[
        bool,
        typer.Option(
            help="Run the background services: the scheduler, and the markers of late "
            "and crashed runs. Turn off on all but one of several replicas.",
        ),
    ] = True,
) -> None:
    """Serve the API at http://HOST:PORT/api (docs at /api/docs) on the configured database.

    Runs made earlier with no server are in the same database and show up at once.
    Stops cleanly on Ctrl-C or SIGTERM.
    """
    import uvicorn

    from baton.api import create_app
    from baton.cli import render
    from baton.services.loop import ServiceLoop
    from baton.settings import get_settings

    application = create_app()
    render.console().print(
        f"Baton server on http://{host}:{port}/api — docs at http://{host}:{port}/api/docs\n"
        f"Point flows at it with: BATON_API_URL=http://{host}:{port}/api"
    )
    loop = ServiceLoop(application.state.db, get_settings().services_interval_seconds)
    if services:
        loop.start()
    try:
        uvicorn.run(application, host=host, port=port, log_level=log_level, access_log=access_log)
    finally:
        loop.stop(timeout=10)
