"""``baton database``: create, upgrade or wipe the database Baton is configured to use.

These commands work on the database directly (not through the client): they
change its schema, which no client operation does.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from baton.cli import render

if TYPE_CHECKING:
    from baton.storage.database import Database

app = typer.Typer(name="database", help="Manage Baton's database.", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Apply the migrations the database lacks (creating it if needed)."""
    from baton.storage import schema

    _with_database(schema.upgrade, "Upgraded")


@app.command("reset")
def reset(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete every run, log and setting, and create an empty database."""
    from baton.storage import schema

    if not yes:
        from baton.settings import get_settings

        url = describe_url(get_settings().resolved_database_url)
        if sys.stdin is None or not sys.stdin.isatty():
            render.print_error(
                f"refusing to reset {url} without confirmation: pass --yes to reset it"
            )
            raise typer.Exit(1)
        typer.confirm(f"Delete all data in {url}?", abort=True)
    _with_database(schema.reset, "Reset")


def _with_database(change: Callable[[Database], None], done: str) -> None:
    from baton.settings import get_settings
    from baton.storage.database import Database
    from baton.storage.schema import current_revision

    settings = get_settings()
    db = Database(settings.resolved_database_url, timeout=settings.database_timeout)
    try:
        change(db)
        revision = current_revision(db)
    finally:
        db.dispose()
    render.console().print(f"{done} {db.describe()} (schema revision {revision})")


def describe_url(url: str) -> str:
    """The database URL with any password hidden, without connecting to it."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from baton.exceptions import ConfigurationError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError as error:
        raise ConfigurationError(f"invalid database URL {url!r}: {error}") from None
