"""Runs Baton's migrations on the connection ``baton.storage.schema`` hands over.

There is no alembic.ini: callers build the configuration in code and put an
open connection, already inside a write transaction, in
``config.attributes["connection"]``; the caller commits.
"""

from __future__ import annotations

from alembic import context

from baton.storage.models import metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if context.is_offline_mode() or connection is None:
        raise RuntimeError("Baton migrations run on a live connection: use baton.storage.schema")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite can ALTER little in place; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
