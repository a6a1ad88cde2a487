"""``baton worker start``: execute a work pool's deployment runs on this machine."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(name="worker", help="Run deployment runs from a work pool.", no_args_is_help=True)


@app.command("start")
def start(
    pool: Annotated[
        str,
        typer.Option(
            "--pool", "-p", help="The work pool to poll (created if missing).", show_default=False
        ),
    ],
    name: Annotated[
        str | None,
        typer.Option(help="Name of this worker (default: worker-HOST-PID).", show_default=False),
    ] = None,
    queue: Annotated[
        list[str] | None,
        typer.Option(
            "--queue",
            "-q",
            help="Only this queue of the pool; repeat for several.",
            show_default=False,
        ),
    ] = None,
    poll_interval: Annotated[
        float | None,
        typer.Option(min=0.01, help="Seconds between polls (default: 1).", show_default=False),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            min=1, help="Most runs executed at once (default: no limit).", show_default=False
        ),
    ] = None,
) -> None:
    """Poll the pool and run each due run in a process of its own, until Ctrl-C or SIGTERM.

    On the first Ctrl-C the worker stops taking runs and waits for its running
    runs to finish; a second Ctrl-C stops them (they end Crashed).
    """
    from baton.cli import render
    from baton.runner.loop import DEFAULT_POLL_INTERVAL
    from baton.runner.worker import Worker

    Worker(
        pool,
        name,
        queue_names=queue or (),
        poll_interval=poll_interval or DEFAULT_POLL_INTERVAL,
        limit=limit,
        console=render.console(),
    ).start()
