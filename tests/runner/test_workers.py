"""Workers as users run them: ``baton worker start`` processes against a real server."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from baton.cli import app
from baton.client.base import BatonClient
from baton.core.actions import DeploymentFlowRunCreate
from baton.core.models import FlowRun
from baton.core.states import StateType, utcnow
from baton.services import crashed_runs
from baton.settings import get_settings
from baton.storage.database import Database

from .conftest import Deploy, Processes
from .support import pid_in, wait_for

pytestmark = pytest.mark.http


def finished(client: BatonClient, run: FlowRun) -> FlowRun | None:
    found = client.read_flow_run(run.id)
    return found if found.state is not None and found.state.is_final() else None


def run_of(client: BatonClient, deployment_id: object, **parameters: object) -> FlowRun:
    data = DeploymentFlowRunCreate(parameters=parameters)
    return client.create_flow_run_from_deployment(deployment_id, data)  # type: ignore[arg-type]


def test_a_deployment_run_through_a_worker_completes_with_its_logs(
    server_client: BatonClient, deploy: Deploy, processes: Processes
) -> None:
    deployment = deploy(server_client, "greet", job_variables={"env": {"GREETER": "the worker"}})
    run = run_of(server_client, deployment.id, name="Ada")
    worker = processes.worker()

    done = wait_for(lambda: finished(server_client, run), what="the run to finish")
    assert done.state_type is StateType.COMPLETED, done.state
    history = [s.type for s in server_client.read_flow_run_states(run.id)]
    assert history == [
        StateType.SCHEDULED,
        StateType.PENDING,
        StateType.RUNNING,
        StateType.COMPLETED,
    ]
    host, pid = (done.infrastructure_pid or "").rsplit(":", 1)
    assert host == socket.gethostname() and int(pid) > 0

    def messages() -> list[str]:
        return [log.message for log in server_client.read_logs(flow_run_id=run.id)]

    # Over HTTP, logs are shipped in the background: they may land just after the state.
    wait_for(lambda: "Finished in state Completed()" in messages(), what="the run's logs")
    assert "Hello, Ada!" in messages()
    assert "greeting from the worker" in messages()

    worker.send_signal(signal.SIGTERM)
    assert worker.wait(30) == 0
    output = processes.output(worker)
    assert f"Started run {run.name!r}" in output
    assert f"Run {run.name!r} ({run.id}) finished: Completed" in output


@pytest.mark.slow
def test_two_workers_racing_run_each_run_exactly_once(
    server_client: BatonClient, deploy: Deploy, processes: Processes
) -> None:
    deployment = deploy(server_client, "quick")
    runs = [run_of(server_client, deployment.id, n=n) for n in range(200)]
    processes.worker()
    processes.worker()

    def all_finished() -> bool:
        done = server_client.read_flow_runs(state_types=[StateType.COMPLETED], limit=300)
        return len(done) == len(runs)

    wait_for(all_finished, timeout=280, what="every run to complete")
    for run in runs:
        types = [s.type for s in server_client.read_flow_run_states(run.id)]
        assert types.count(StateType.PENDING) == 1, types
        assert types.count(StateType.RUNNING) == 1, types


def test_a_killed_run_process_leaves_its_run_crashed(
    server_client: BatonClient, deploy: Deploy, processes: Processes, tmp_path: Path
) -> None:
    marker = tmp_path / "started"
    run = run_of(server_client, deploy(server_client, "hold").id, marker=str(marker))
    processes.worker()
    pid = pid_in(marker)

    os.kill(pid, signal.SIGKILL)
    done = wait_for(lambda: finished(server_client, run), what="the run to end")
    assert done.state_type is StateType.CRASHED
    assert done.state is not None and "killed by SIGKILL" in (done.state.message or "")


def test_a_run_whose_worker_died_too_is_crashed_by_the_crash_detector(
    server_client: BatonClient, deploy: Deploy, processes: Processes, tmp_path: Path
) -> None:
    marker = tmp_path / "started"
    run = run_of(server_client, deploy(server_client, "hold").id, marker=str(marker))
    worker = processes.worker()
    pid = pid_in(marker)
    worker.kill()
    worker.wait()
    os.kill(pid, signal.SIGKILL)
    assert server_client.read_flow_run(run.id).state_type is StateType.RUNNING

    timeout = dt.timedelta(seconds=get_settings().heartbeat_timeout_seconds)
    db = Database(get_settings().resolved_database_url)
    try:
        assert crashed_runs.run_once(db, utcnow() + timeout + dt.timedelta(seconds=1)) == 1
    finally:
        db.dispose()
    done = server_client.read_flow_run(run.id)
    assert done.state_type is StateType.CRASHED
    assert done.state is not None and "heartbeat" in (done.state.message or "")


def test_cancelling_a_running_run_stops_its_process(
    server_client: BatonClient, deploy: Deploy, processes: Processes, tmp_path: Path
) -> None:
    marker = tmp_path / "started"
    run = run_of(server_client, deploy(server_client, "hold").id, marker=str(marker))
    processes.worker()
    pid = pid_in(marker)

    result = CliRunner().invoke(app, ["flow-run", "cancel", str(run.id)])
    assert result.exit_code == 0, result.output
    assert "is now Cancelling" in result.output

    done = wait_for(lambda: finished(server_client, run), what="the run to end")
    assert done.state_type is StateType.CANCELLED
    wait_for(lambda: not _exists(pid), what="the run's process to end")


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
