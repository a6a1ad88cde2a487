"""One worker iteration at a time (``run_once``), with real run processes, on SQLite."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from baton.client.base import BatonClient
from baton.core.actions import DeploymentFlowRunCreate
from baton.core.deployments import GitSource
from baton.core.models import FlowRun
from baton.core.states import StateType
from baton.runner.worker import Worker
from baton.testing import baton_test_harness

from .conftest import Deploy
from .support import commit_file, new_repo, wait_for

VERSIONED = """
    from baton import flow
    from version import VERSION


    @flow
    def quick(n: int) -> int:
        return VERSION
"""


@pytest.fixture
def embedded() -> Iterator[BatonClient]:
    with baton_test_harness() as client:
        yield client


def drive(worker: Worker, run: FlowRun) -> FlowRun:
    """Iterate until ``run`` was started and its process has ended and been settled."""

    def settled() -> FlowRun | None:
        worker.run_once()
        found = worker.client.read_flow_run(run.id)
        return found if not worker.active and found.state_type is not StateType.SCHEDULED else None

    return wait_for(settled, timeout=60, what="the run to be settled")


def test_a_git_deployment_runs_the_latest_commit_and_records_it(
    embedded: BatonClient, deploy: Deploy, tmp_path: Path
) -> None:
    origin = new_repo(tmp_path / "origin")
    commit_file(origin, "flows.py", VERSIONED)
    first = commit_file(origin, "version.py", "VERSION = 1\n")
    deployment = deploy(embedded, "quick", source=GitSource(repository=str(origin)))
    output = io.StringIO()
    worker = Worker("local", client=embedded, console=Console(file=output, width=200))

    run = embedded.create_flow_run_from_deployment(
        deployment.id, DeploymentFlowRunCreate(parameters={"n": 0})
    )
    done = drive(worker, run)
    assert done.state_type is StateType.COMPLETED, done.state
    assert done.code_revision == first

    second = commit_file(origin, "version.py", "VERSION = 2\n")
    run = embedded.create_flow_run_from_deployment(
        deployment.id, DeploymentFlowRunCreate(parameters={"n": 0})
    )
    done = drive(worker, run)
    assert done.state_type is StateType.COMPLETED, done.state
    assert done.code_revision == second
    assert f"Run {run.name!r} ({run.id}) finished: Completed" in output.getvalue()


def test_a_run_whose_flow_cannot_be_found_ends_crashed_saying_why(
    embedded: BatonClient, deploy: Deploy
) -> None:
    deployment = deploy(embedded, "quick", entrypoint="flows.py:missing")
    run = embedded.create_flow_run_from_deployment(
        deployment.id, DeploymentFlowRunCreate(parameters={"n": 1})
    )
    done = drive(Worker("local", client=embedded, console=Console(file=io.StringIO())), run)
    assert done.state_type is StateType.CRASHED
    assert done.state is not None
    assert "could not start: 'flows.py' has no 'missing'" in (done.state.message or "")
