"""``baton flow-run``: list flow runs, and explain one: its states, decisions and logs."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from baton.cli import reading, render
from baton.cli.render import OutputFormat

if TYPE_CHECKING:
    from baton.core.models import FlowRun, OrchestrationDecision, TaskRun
    from baton.core.states import State

app = typer.Typer(name="flow-run", help="Inspect flow runs.", no_args_is_help=True)

RunId = Annotated[
    uuid.UUID,
    typer.Argument(
        metavar="ID", parser=reading.parse_id, help="Id of the flow run.", show_default=False
    ),
]
Output = Annotated[
    OutputFormat, typer.Option("--output", "-o", help="A table, or JSON for scripts.")
]

LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "WARN": 30, "ERROR": 40, "CRITICAL": 50}


@app.command("ls")
def list_runs(
    limit: Annotated[int, typer.Option(min=1, help="How many runs to show.")] = 20,
    state: Annotated[
        list[str] | None,
        typer.Option(
            help="Only runs in this state type (e.g. COMPLETED); repeat for several.",
            show_default=False,
        ),
    ] = None,
    flow: Annotated[
        str | None, typer.Option(help="Only runs of the flow with this name.", show_default=False)
    ] = None,
    output: Output = OutputFormat.TABLE,
) -> None:
    """Recent flow runs, newest first."""
    from baton.client import get_client

    types = reading.state_types(state or [])
    client = get_client()
    flow_id = reading.flow_id(client, flow) if flow is not None else None
    runs = client.read_flow_runs(flow_id=flow_id, state_types=types, limit=limit)
    names = reading.flow_names(client) if runs else {}
    for run in runs:
        run.flow_name = run.flow_name or names.get(run.flow_id)
    if output is OutputFormat.JSON:
        render.print_json([run.model_dump(mode="json") for run in runs])
        return
    table = render.table("ID", "Flow", "Name", "State", "Started", "Duration")
    for run in runs:
        table.add_row(
            str(run.id),
            run.flow_name or str(run.flow_id),
            run.name,
            render.run_state(run),
            render.format_time(run.start_time),
            render.format_duration(run.duration()),
        )
    render.print_table(table, "No flow runs found.")


@app.command("inspect")
def inspect(run_id: RunId, output: Output = OutputFormat.TABLE) -> None:
    """A flow run's details, state history, and why the orchestrator decided what it did.

    Decisions cover the flow run and its task runs: retries, cache hits, waits for
    concurrency slots, and anything else a rule changed.
    """
    from baton.client import get_client

    client = get_client()
    run = client.read_flow_run(run_id)
    run.flow_name = run.flow_name or reading.flow_names(client).get(run.flow_id)
    states = client.read_flow_run_states(run_id)
    task_runs = reading.task_runs(client, run_id)
    decisions = reading.decisions(client, [run_id, *(task_run.id for task_run in task_runs)])
    run_names = {run.id: run.name, **{task_run.id: task_run.name for task_run in task_runs}}
    if output is OutputFormat.JSON:
        render.print_json(
            {
                "flow_run": run.model_dump(mode="json"),
                "states": [s.model_dump(mode="json") for s in states],
                "decisions": [
                    {**d.model_dump(mode="json"), "run_name": run_names.get(d.run_id)}
                    for d in decisions
                ],
                "task_runs": [t.model_dump(mode="json") for t in task_runs],
            }
        )
        return
    out = render.console()
    out.print(_details(run, task_runs))
    out.print()
    render.print_table(_history(states))
    out.print()
    if decisions:
        out.print(_decisions(decisions, run, run_names))
    else:
        out.print("No orchestration decisions: every proposed state was accepted as is.")


@app.command("logs")
def logs(
    run_id: RunId,
    level: Annotated[
        str, typer.Option(help="Lowest level shown: DEBUG, INFO, WARNING, ERROR, CRITICAL.")
    ] = "INFO",
    limit: Annotated[
        int | None,
        typer.Option(min=1, help="Show only the first N lines.", show_default=False),
    ] = None,
) -> None:
    """A flow run's logs, its task runs' included, oldest first."""
    from baton.client import get_client

    min_level = _parse_level(level)
    client = get_client()
    run = client.read_flow_run(run_id)
    records = reading.logs(client, run_id, min_level, limit)
    names = {run.id: run.name}
    if any(record.task_run_id is not None for record in records):
        names.update((t.id, t.name) for t in reading.task_runs(client, run_id))
    out = render.console()
    for record in records:
        source = names.get(record.task_run_id or run.id, str(record.task_run_id))
        if not record.name.startswith("baton."):
            source = f"{source} ({record.name})"
        line = Text()
        line.append(render.format_time(record.timestamp, milliseconds=True), style="grey50")
        line.append(" | ")
        line.append_text(render.level_text(record.level))
        line.append(" | ")
        line.append(source, style="bold")
        line.append(" | ")
        line.append(record.message)
        out.print(line, soft_wrap=True)
    if not records:
        out.print("No logs found.")


@app.command("cancel")
def cancel(run_id: RunId) -> None:
    """Cancel a flow run: a scheduled one at once, a running one by having its worker stop it.

    A running run moves to Cancelling; the worker (or ``serve``) running it stops its
    process and marks it Cancelled.
    """
    from baton.client import get_client
    from baton.core.models import Decision
    from baton.core.states import Cancelled, Cancelling

    client = get_client()
    run = client.read_flow_run(run_id)
    if run.state is None or run.state.is_final() or run.state.is_cancelling():
        render.print_error(
            f"flow run {run.name!r} is {run.state_name or 'not started'}: not cancelled"
        )
        raise typer.Exit(1)
    waiting = run.state.is_scheduled() or run.state.is_paused()
    message = "Cancelled by a user."
    answer = client.set_flow_run_state(
        run.id, Cancelled(message=message) if waiting else Cancelling(message=message)
    )
    if answer.status is not Decision.ACCEPT or answer.state is None:
        render.print_error(f"flow run {run.name!r} was not cancelled: {answer.reason}")
        raise typer.Exit(1)
    line = Text(f"Flow run {run.name!r} ({run.id}) is now ")
    line.append_text(render.state_text(answer.state.type.value, answer.state.name))
    render.console().print(line)


def _parse_level(value: str) -> int:
    """A level name (any case) or number."""
    if value.isdigit():
        return int(value)
    level = LEVELS.get(value.upper())
    if level is None:
        raise typer.BadParameter(
            f"unknown level {value!r}; use DEBUG, INFO, WARNING, ERROR, CRITICAL or a number",
            param_hint="'--level'",
        )
    return level


def _details(run: FlowRun, task_runs: list[TaskRun]) -> Group:
    state = Text()
    state.append_text(render.run_state(run))
    if run.state is not None and run.state.message:
        state.append(f"  {run.state.message}")
    rows: list[tuple[str, Any]] = [
        ("ID", run.id),
        ("Name", run.name),
        ("Flow", f"{run.flow_name or '?'} ({run.flow_id})"),
        ("State", state),
        ("Parameters", _json(run.parameters)),
        ("Tags", ", ".join(run.tags) or render.EMPTY),
        ("Created", render.format_time(run.created, milliseconds=True)),
        ("Expected start", render.format_time(run.expected_start_time, milliseconds=True)),
        ("Started", render.format_time(run.start_time, milliseconds=True)),
        ("Ended", render.format_time(run.end_time, milliseconds=True)),
        ("Duration", render.format_duration(run.duration())),
        ("Run count", run.run_count),
        ("Parent task run", run.parent_task_run_id or render.EMPTY),
        ("Task runs", _task_run_summary(task_runs)),
    ]
    if run.deployment_id is not None:
        rows += _deployment_rows(run)
    return Group(Text("Flow run", style="bold underline"), render.key_values(rows))


def _deployment_rows(run: FlowRun) -> list[tuple[str, Any]]:
    """Where a deployment's run went and ran: its queue, its process and its code."""
    queue = f"{run.work_pool_name} / {run.work_queue_name}" if run.work_pool_name else None
    return [
        ("Deployment", run.deployment_id),
        ("Work pool / queue", queue or render.EMPTY),
        ("Process", run.infrastructure_pid or render.EMPTY),
        ("Code revision", run.code_revision or render.EMPTY),
        ("Last heartbeat", render.format_time(run.heartbeat_time, milliseconds=True)),
    ]


def _task_run_summary(task_runs: list[TaskRun]) -> str:
    """``5 (3 Completed, 2 Cached)``: how many task runs ended up in which state."""
    if not task_runs:
        return "0"
    counts: dict[str, int] = {}
    for task_run in task_runs:
        name = task_run.state_name or render.EMPTY
        counts[name] = counts.get(name, 0) + 1
    parts = ", ".join(f"{count} {name}" for name, count in counts.items())
    return f"{len(task_runs)} ({parts})"


def _history(states: list[State]) -> Table:
    table = render.table(
        "Time", "Type", "Name", "Message", wrap=("Message",), title="State history"
    )
    for state in states:
        table.add_row(
            render.format_time(state.timestamp, milliseconds=True),
            state.type.value,
            render.state_text(state.type.value, state.name),
            state.message or "",
        )
    return table


def _decisions(
    decisions: list[OrchestrationDecision], run: FlowRun, run_names: dict[uuid.UUID, str]
) -> Group:
    """One entry per decision: when, which run, which rule said what, then why (indented).

    Entries rather than a table, because reasons are long and a table of them is
    unreadable in a terminal of ordinary width.
    """
    entries: list[Any] = [Text("Orchestration decisions", style="bold underline")]
    for decision in decisions:
        name = run_names.get(decision.run_id, str(decision.run_id))
        if decision.run_id == run.id:
            name = f"{name} (flow run)"
        line = Text()
        line.append(render.format_time(decision.timestamp, milliseconds=True), style="grey50")
        line.append("  ")
        line.append(name, style="bold")
        line.append("  ")
        line.append(decision.rule, style="cyan")
        line.append("  ")
        line.append(decision.decision.value, style="bold")
        line.append(f"  {decision.proposed_state_name}")
        if decision.resulting_state_type is not None:
            line.append(" -> ")
            line.append_text(
                render.state_text(
                    decision.resulting_state_type.value, decision.resulting_state_name
                )
            )
        if decision.delay_seconds is not None:
            line.append(f"  delay {render.format_duration(decision.delay_seconds)}", style="bold")
        entries.append(line)
        entries.append(Padding(Text(decision.reason), (0, 0, 0, 4), expand=False))
    return Group(*entries)


def _json(value: Any) -> str:
    return json.dumps(value, default=str)
