"""``baton concurrency-limit``: cap how many task runs with a tag run at once."""

from __future__ import annotations

from typing import Annotated

import typer

from baton.cli import render

app = typer.Typer(
    name="concurrency-limit",
    help="Manage tag-based concurrency limits of task runs.",
    no_args_is_help=True,
)

Tag = Annotated[str, typer.Argument(metavar="TAG", help="Task runs carrying this tag are limited.")]


@app.command("create")
def create(
    tag: Tag,
    limit: Annotated[
        int,
        typer.Argument(
            metavar="LIMIT", min=0, help="How many of them may run at once (0 blocks them)."
        ),
    ],
) -> None:
    """Create the limit for a tag, or change it if it exists."""
    from baton.client import get_client

    created = get_client().create_concurrency_limit(tag, limit)
    render.console().print(f"Concurrency limit for tag {created.tag!r}: {created.limit}")


@app.command("ls")
def list_limits() -> None:
    """Every concurrency limit, with how many of its slots are taken."""
    from baton.client import get_client

    table = render.table("Tag", "Limit", "Active", "Created", wrap=("Tag",))
    for found in get_client().read_concurrency_limits():
        table.add_row(
            found.tag,
            str(found.limit),
            str(len(found.active_slots)),
            render.format_time(found.created),
        )
    render.print_table(table, "No concurrency limits.")


@app.command("delete")
def delete(tag: Tag) -> None:
    """Remove the limit for a tag."""
    from baton.client import get_client

    get_client().delete_concurrency_limit(tag)
    render.console().print(f"Deleted the concurrency limit for tag {tag!r}")
