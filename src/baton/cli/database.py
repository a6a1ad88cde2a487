"""``baton database``: create, upgrade or wipe the database Baton is configured to use.

These commands work on the database directly (not through the client): they
change its schema, which no client operation does.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

import typer

from baton.cli import render

if TYPE_CHECKING:
    from baton.storage.database import Database

app = typer.Typer(name="database", help="Manage Baton's database.", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Apply the migrations the database lacks (creating its tables if it has none)."""
    from baton.storage import schema

    with _configured_database() as db:
        before = schema.current_revision(db)
        schema.upgrade(db)
        after = schema.current_revision(db)
    if before == after:
        message = f"Database {db.describe()} is up to date (schema revision {after})"
    else:
        message = f"Upgraded {db.describe()} from schema revision {before} to {after}"
    render.console().print(message)


@app.command("reset")
def reset(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete every run, log and concurrency limit, leaving an empty database."""
    from baton.storage import schema

    with _configured_database() as db:
        if not yes:
            # Without a terminal nobody can answer: refuse rather than wait for input.
            if sys.stdin is None or not sys.stdin.isatty():
                render.print_error(
                    f"refusing to reset {db.describe()} without confirmation: "
                    "pass --yes to reset it"
                )
                raise typer.Exit(1)
            typer.confirm(f"Delete all data in {db.describe()}?", abort=True)
        schema.reset(db)
        revision = schema.current_revision(db)
    render.console().print(f"Reset {db.describe()} (schema revision {revision})")


@contextlib.contextmanager
def _configured_database() -> Iterator[Database]:
    """The database the settings name, its connections closed afterwards."""
    from baton.settings import get_settings
    from baton.storage.database import Database

    settings = get_settings()
    db = Database(settings.resolved_database_url, timeout=settings.database_timeout)
    try:
        yield db
    finally:
        db.dispose()


def describe_url(url: str) -> str:
    """The database URL with any password hidden, without connecting to it."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from baton.exceptions import ConfigurationError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError as error:
        raise ConfigurationError(f"invalid database URL {url!r}: {error}") from None
