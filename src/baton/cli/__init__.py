"""The ``baton`` command: look into runs and look after the database from a terminal.

Every command reads and writes through ``baton.client.get_client()``, so it
works the same in embedded mode and against a server; only ``baton database``
opens the database itself. Commands import the client and the storage layer
when they run, which keeps ``baton --help`` quick.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from baton.cli import (
    concurrency,
    database,
    deploy,
    deployments,
    flow_runs,
    render,
    server,
    task_runs,
    work_pools,
    workers,
)
from baton.exceptions import BatonError


class BatonGroup(TyperGroup):
    """The root command: turns Baton's own errors into one line on stderr, never a traceback."""

    def invoke(self, ctx: Any) -> Any:
        # ``ctx`` is typer's (or, for older typer, click's) Context: left untyped for both.
        try:
            return super().invoke(ctx)
        except BatonError as error:
            render.print_error(str(error))
            raise typer.Exit(1) from None
        except typer.BadParameter as error:
            render.print_error(error.format_message())
            raise typer.Exit(2) from None


app = typer.Typer(
    name="baton",
    cls=BatonGroup,
    help="Baton: workflow orchestration for Python.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(flow_runs.app)
app.add_typer(task_runs.app)
app.add_typer(concurrency.app)
app.add_typer(database.app)
app.add_typer(server.app)
app.add_typer(deployments.app)
app.add_typer(work_pools.app)
app.add_typer(work_pools.queue_app)
app.add_typer(workers.app)
app.command("deploy")(deploy.deploy)


@app.command("version")
def version() -> None:
    """Versions, and which database and API this environment uses."""
    import platform

    from baton import __version__
    from baton.settings import get_settings

    settings = get_settings()
    api = f"server at {settings.api_url}" if settings.api_url else "embedded (no server)"
    rows = [
        ("Version", __version__),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("Database", database.describe_url(settings.resolved_database_url)),
        ("API", api),
        ("Home", str(settings.resolved_home)),
    ]
    render.console().print(render.key_values(rows))


def main() -> None:
    """Entry point of the ``baton`` console script."""
    app(prog_name="baton")


__all__ = ["app", "main"]
