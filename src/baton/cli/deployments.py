"""``baton deployment``: list, inspect, run, pause and delete deployments."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Group
from rich.text import Text

from baton.cli import render
from baton.cli.render import OutputFormat

if TYPE_CHECKING:
    from baton.client.base import BatonClient
    from baton.core.deployments import Deployment, DeploymentSchedule
    from baton.core.models import FlowRun

app = typer.Typer(name="deployment", help="Manage deployments.", no_args_is_help=True)

Name = Annotated[
    str,
    typer.Argument(
        metavar="NAME",
        help="FLOW/DEPLOYMENT, or just DEPLOYMENT when only one flow has a deployment so named.",
        show_default=False,
    ),
]
Output = Annotated[
    OutputFormat, typer.Option("--output", "-o", help="A table, or JSON for scripts.")
]

UPCOMING = 5
"""Scheduled runs shown by ``inspect``."""


@app.command("ls")
def list_deployments(output: Output = OutputFormat.TABLE) -> None:
    """Every deployment, by flow and name."""
    from baton.client import get_client

    client = get_client()
    deployments = _all_deployments(client)
    if output is OutputFormat.JSON:
        render.print_json([d.model_dump(mode="json") for d in deployments])
        return
    table = render.table("Name", "ID", "Work pool", "Schedules", "Status", wrap=("Schedules",))
    for deployment in deployments:
        table.add_row(
            _full_name(deployment),
            str(deployment.id),
            _pool(deployment),
            "; ".join(_describe(s) for s in deployment.schedules) or render.EMPTY,
            _status(deployment.paused),
        )
    render.print_table(table, "No deployments.")


@app.command("inspect")
def inspect(name: Name, output: Output = OutputFormat.TABLE) -> None:
    """A deployment's settings, schedules (with their next time) and upcoming runs."""
    from baton.client import get_client

    client = get_client()
    deployment = find_deployment(client, name)
    upcoming = _upcoming_runs(client, deployment)
    if output is OutputFormat.JSON:
        render.print_json(
            {
                "deployment": deployment.model_dump(mode="json"),
                "upcoming_runs": [run.model_dump(mode="json") for run in upcoming],
            }
        )
        return
    out = render.console()
    out.print(_details(deployment))
    out.print()
    schedules = render.table("Schedule", "Next", "Active", wrap=("Schedule",), title="Schedules")
    for item in deployment.schedules:
        schedules.add_row(_describe(item, inactive=""), _next_time(item), _yes_no(item.active))
    render.print_table(schedules, "No schedules: runs start only when asked for.")
    out.print()
    runs = render.table("ID", "Name", "State", "Scheduled for", title="Upcoming runs")
    for run in upcoming:
        runs.add_row(
            str(run.id), run.name, render.run_state(run), render.format_time(_scheduled_time(run))
        )
    render.print_table(runs, "No upcoming runs.")


@app.command("run")
def run(
    name: Name,
    *,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            metavar="KEY=VALUE",
            help="A parameter; VALUE is read as JSON when it parses, else as a string. Repeatable.",
            show_default=False,
        ),
    ] = None,
    params_json: Annotated[
        str | None,
        typer.Option("--params-json", help="Parameters as one JSON object.", show_default=False),
    ] = None,
    start_in: Annotated[
        str | None,
        typer.Option(help="Start after this long: 90s, 10m, 1h30m, 2d.", show_default=False),
    ] = None,
    start_at: Annotated[
        str | None,
        typer.Option(
            help="Start at this ISO 8601 time (local time when it has no offset).",
            show_default=False,
        ),
    ] = None,
    watch: Annotated[
        bool, typer.Option("--watch", help="Follow the run's state until it ends.")
    ] = False,
    watch_interval: Annotated[
        float, typer.Option(min=0.01, help="Seconds between checks with --watch.")
    ] = 2.0,
) -> None:
    """Ask for a run of a deployment; a worker of its pool starts it when it is due.

    Parameters not given keep the deployment's defaults. Prints the run's id;
    with --watch, follows it and exits non-zero unless it completes.
    """
    from baton.client import get_client
    from baton.core.actions import DeploymentFlowRunCreate

    parameters = parse_parameters(param or [], params_json)
    scheduled_time = _start_time(start_in, start_at)
    client = get_client()
    deployment = find_deployment(client, name)
    created = client.create_flow_run_from_deployment(
        deployment.id,
        DeploymentFlowRunCreate(parameters=parameters, scheduled_time=scheduled_time),
    )
    out = render.console()
    when = render.format_time(_scheduled_time(created) or scheduled_time)
    out.print(f"Created flow run {created.name!r} of {_full_name(deployment)}, starting {when}")
    out.print(str(created.id))
    if watch:
        _watch(client, created, watch_interval)


@app.command("pause")
def pause(name: Name) -> None:
    """Stop scheduling runs of a deployment; runs already scheduled wait until it resumes."""
    _set_paused(name, paused=True)


@app.command("resume")
def resume(name: Name) -> None:
    """Schedule runs of a paused deployment again."""
    _set_paused(name, paused=False)


@app.command("delete")
def delete(name: Name) -> None:
    """Remove a deployment and its schedules (runs it made are kept)."""
    from baton.client import get_client

    client = get_client()
    deployment = find_deployment(client, name)
    client.delete_deployment(deployment.id)
    render.console().print(f"Deleted deployment {_full_name(deployment)}")


def find_deployment(client: BatonClient, name: str) -> Deployment:
    """The deployment ``FLOW/DEPLOYMENT``, or the only one called ``DEPLOYMENT``."""
    from baton.exceptions import ObjectNotFound

    if "/" in name:
        return client.read_deployment_by_name(name)
    matches = [d for d in _all_deployments(client) if d.name == name]
    if not matches:
        raise ObjectNotFound("deployment", repr(name))
    if len(matches) > 1:
        names = ", ".join(_full_name(d) for d in matches)
        raise typer.BadParameter(f"several deployments are called {name!r} ({names}): name one")
    return matches[0]


def parse_parameters(pairs: list[str], params_json: str | None) -> dict[str, Any]:
    """``--params-json`` overridden by each ``--param KEY=VALUE``, VALUE read as JSON if it can."""
    parameters: dict[str, Any] = {}
    if params_json is not None:
        try:
            loaded = json.loads(params_json)
        except json.JSONDecodeError as error:
            raise typer.BadParameter(
                f"not valid JSON: {error.msg} (column {error.colno})", param_hint="'--params-json'"
            ) from None
        if not isinstance(loaded, dict):
            raise typer.BadParameter("must be a JSON object", param_hint="'--params-json'")
        parameters.update(loaded)
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key.strip():
            raise typer.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="'--param'")
        try:
            parameters[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            parameters[key.strip()] = value
    return parameters


def _start_time(start_in: str | None, start_at: str | None) -> dt.datetime | None:
    from baton.deploy_config import parse_duration

    if start_in is not None and start_at is not None:
        raise typer.BadParameter("give --start-in or --start-at, not both")
    now = dt.datetime.now(dt.timezone.utc)
    if start_in is not None:
        try:
            return now + parse_duration(start_in)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="'--start-in'") from None
    if start_at is not None:
        try:
            moment = dt.datetime.fromisoformat(start_at.strip())
        except ValueError:
            raise typer.BadParameter(
                f"{start_at!r} is not an ISO 8601 time (e.g. 2024-05-01T14:30)",
                param_hint="'--start-at'",
            ) from None
        return moment if moment.tzinfo is not None else moment.astimezone()
    return None


def _watch(client: BatonClient, run: FlowRun, interval: float) -> None:
    """Print each state the run enters until a final one; exit 1 unless it completed."""
    out = render.console()
    seen: tuple[str | None, str | None] | None = None
    while True:
        current = (run.state_type.value if run.state_type else None, run.state_name)
        if current != seen:
            seen = current
            line = Text(render.format_time(dt.datetime.now(dt.timezone.utc)), style="grey50")
            line.append("  ")
            line.append_text(render.run_state(run))
            if run.state is not None and run.state.message:
                line.append(f"  {run.state.message}")
            out.print(line, soft_wrap=True)
        if run.state is not None and run.state.is_final():
            break
        time.sleep(interval)
        run = client.read_flow_run(run.id)
    if not run.state.is_completed():
        render.print_error(f"flow run {run.name!r} ended {run.state.name}")
        raise typer.Exit(1)


def _set_paused(name: str, *, paused: bool) -> None:
    from baton.client import get_client
    from baton.core.actions import DeploymentUpdate

    client = get_client()
    deployment = find_deployment(client, name)
    client.update_deployment(deployment.id, DeploymentUpdate(paused=paused))
    verb = "Paused" if paused else "Resumed"
    render.console().print(f"{verb} deployment {_full_name(deployment)}")


def _all_deployments(client: BatonClient) -> list[Deployment]:
    from baton.cli.reading import pages

    found = list(pages(lambda limit, offset: client.read_deployments(limit=limit, offset=offset)))
    if any(d.flow_name is None for d in found):
        from baton.cli.reading import flow_names

        names = flow_names(client)
        for deployment in found:
            deployment.flow_name = deployment.flow_name or names.get(deployment.flow_id)
    return sorted(found, key=_full_name)


def _upcoming_runs(client: BatonClient, deployment: Deployment) -> list[FlowRun]:
    """The deployment's scheduled runs, soonest first."""
    from baton.cli.reading import pages
    from baton.core.states import StateType

    scheduled = pages(
        lambda limit, offset: client.read_flow_runs(
            flow_id=deployment.flow_id,
            state_types=[StateType.SCHEDULED],
            limit=limit,
            offset=offset,
        )
    )
    mine = [run for run in scheduled if run.deployment_id == deployment.id]
    far = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
    return sorted(mine, key=lambda run: _scheduled_time(run) or far)[:UPCOMING]


def _scheduled_time(run: FlowRun) -> dt.datetime | None:
    if run.state is not None and run.state.state_details.scheduled_time is not None:
        return run.state.state_details.scheduled_time
    return run.expected_start_time


def _details(deployment: Deployment) -> Group:
    source: str = render.EMPTY
    if deployment.source is not None:
        git = deployment.source
        pin = git.commit or git.branch
        source = f"git {git.repository}" + (f" @ {pin}" if pin else "")
    elif deployment.path is not None:
        source = deployment.path
    limit = deployment.concurrency_limit
    rows: list[tuple[str, Any]] = [
        ("ID", deployment.id),
        ("Name", _full_name(deployment)),
        ("Description", deployment.description or render.EMPTY),
        ("Version", deployment.version or render.EMPTY),
        ("Tags", ", ".join(deployment.tags) or render.EMPTY),
        ("Status", _status(deployment.paused)),
        ("Entrypoint", deployment.entrypoint or render.EMPTY),
        ("Source", source),
        ("Work pool", deployment.work_pool_name or render.EMPTY),
        ("Work queue", deployment.work_queue_name or render.EMPTY),
        ("Job variables", json.dumps(deployment.job_variables)),
        ("Parameters", json.dumps(deployment.parameters, default=str)),
        ("Concurrency limit", render.EMPTY if limit is None else limit),
        ("Crash retries", deployment.crash_retries),
        ("Created", render.format_time(deployment.created)),
        ("Updated", render.format_time(deployment.updated)),
    ]
    return Group(Text("Deployment", style="bold underline"), render.key_values(rows))


def _describe(item: DeploymentSchedule, inactive: str = " (inactive)") -> str:
    """The schedule in words, followed by ``inactive`` when it is switched off."""
    from baton.core.schedules import parse_schedule

    text = parse_schedule(item.schedule).describe()
    return text if item.active else f"{text}{inactive}"


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _next_time(item: DeploymentSchedule) -> str:
    from baton.core.schedules import parse_schedule

    dates = parse_schedule(item.schedule).get_dates(1, start=dt.datetime.now(dt.timezone.utc))
    return render.format_time(dates[0]) if dates else render.EMPTY


def _full_name(deployment: Deployment) -> str:
    return f"{deployment.flow_name or deployment.flow_id}/{deployment.name}"


def _pool(deployment: Deployment) -> str:
    if deployment.work_pool_name is None:
        return render.EMPTY
    from baton.core.deployments import DEFAULT_QUEUE

    return f"{deployment.work_pool_name}/{deployment.work_queue_name or DEFAULT_QUEUE}"


def _status(paused: bool) -> str:
    return "paused" if paused else "active"
