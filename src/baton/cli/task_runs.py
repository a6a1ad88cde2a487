"""``baton task-run``: the task runs of a flow run."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer

from baton.cli import reading, render
from baton.cli.render import OutputFormat

app = typer.Typer(name="task-run", help="Inspect task runs.", no_args_is_help=True)


@app.command("ls")
def list_runs(
    flow_run: Annotated[
        uuid.UUID,
        typer.Option(
            "--flow-run",
            parser=reading.parse_id,
            help="Id of the flow run whose task runs to list.",
            show_default=False,
        ),
    ],
    output: Annotated[
        OutputFormat, typer.Option("--output", "-o", help="A table, or JSON for scripts.")
    ] = OutputFormat.TABLE,
) -> None:
    """Task runs of a flow run, in the order they were created."""
    from baton.client import get_client

    client = get_client()
    client.read_flow_run(flow_run)  # an unknown id is an error, not an empty list
    task_runs = reading.task_runs(client, flow_run)
    if output is OutputFormat.JSON:
        render.print_json([task_run.model_dump(mode="json") for task_run in task_runs])
        return
    table = render.table("ID", "Name", "State", "Started", "Duration", "Run count")
    for task_run in task_runs:
        table.add_row(
            str(task_run.id),
            task_run.name,
            render.run_state(task_run),
            render.format_time(task_run.start_time),
            render.format_duration(task_run.duration()),
            str(task_run.run_count),
        )
    render.print_table(table, "No task runs found.")
