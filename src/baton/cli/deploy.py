"""``baton deploy``: register the deployments a project's ``baton.yaml`` describes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from baton.cli import render


def deploy(
    names: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[NAME]...",
            help="Deployments of the file to register (by their name in it).",
            show_default=False,
        ),
    ] = None,
    deploy_all: Annotated[
        bool, typer.Option("--all", help="Register every deployment in the file.")
    ] = False,
    file: Annotated[
        Path,
        typer.Option("--file", "-f", help="The project file; its directory is the project's root."),
    ] = Path("baton.yaml"),
) -> None:
    """Register deployments from baton.yaml (create them, or update ones of the same name).

    Each flow is imported from its entrypoint to learn its name and parameters;
    nothing is registered unless every chosen deployment checks out.
    """
    from baton.deploy_config import deploy_project, load_project_config

    config = load_project_config(file)
    available = [deployment.name for deployment in config.deployments]
    chosen = list(names or [])
    if chosen and deploy_all:
        raise typer.BadParameter("give deployment names or --all, not both")
    unknown = [name for name in chosen if name not in available]
    if unknown:
        raise typer.BadParameter(
            f"{file.name} has no deployment {', '.join(map(repr, unknown))}; "
            f"it has {', '.join(map(repr, available))}"
        )
    if not chosen and not deploy_all and len(available) > 1:
        raise typer.BadParameter(
            f"{file.name} has {len(available)} deployments "
            f"({', '.join(available)}): name the ones to deploy, or use --all"
        )
    deployed = deploy_project(config, file.resolve().parent, chosen)
    out = render.console()
    for full_name, deployment_id in deployed:
        out.print(f"Deployed {full_name} ({deployment_id})")
    if len(deployed) == 1:
        out.print(f"Run it with: baton deployment run {deployed[0][0]}")
