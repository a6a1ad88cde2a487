"""Runs start on time: a worker wakes up for a run due before its next poll, and hands
each run to an interpreter it started ahead, with Baton already imported."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from baton.client.base import BatonClient
from baton.core.actions import DeploymentFlowRunCreate
from baton.core.models import FlowRun
from baton.core.states import Pending, StateType, utcnow
from baton.runner.process import ReadyInterpreter, RunProcess

from .conftest import Deploy, Processes
from .support import pid_in, wait_for

pytestmark = pytest.mark.http


def finished(client: BatonClient, run: FlowRun) -> FlowRun | None:
    found = client.read_flow_run(run.id)
    return found if found.state is not None and found.state.is_final() else None


def test_a_run_due_before_the_next_poll_starts_without_waiting_for_that_poll(
    server_client: BatonClient, deploy: Deploy, processes: Processes
) -> None:
    deployment = deploy(server_client, "quick")
    due = utcnow() + dt.timedelta(seconds=6)
    soon = DeploymentFlowRunCreate(parameters={"n": 1}, scheduled_time=due)
    run = server_client.create_flow_run_from_deployment(deployment.id, soon)
    processes.start("-m", "baton", "worker", "start", "--pool", "local", "--poll-interval", "300")

    # The worker's first poll sees the run coming; its second poll is minutes away.
    done = wait_for(lambda: finished(server_client, run), timeout=120, what="the run to finish")
    assert done.state_type is StateType.COMPLETED, done.state
    pending = server_client.read_flow_run_states(run.id)[1]
    assert pending.type is StateType.PENDING
    assert pending.timestamp >= due


def test_a_worker_hands_runs_to_an_interpreter_it_started_ahead(
    server_client: BatonClient, deploy: Deploy, processes: Processes, tmp_path: Path
) -> None:
    cmdline = Path("/proc/self/cmdline")
    if not cmdline.exists():
        pytest.skip("needs /proc to read a process's command line")
    deployment = deploy(server_client, "hold")
    processes.worker()
    wait_for(lambda: server_client.read_workers("local"), what="the worker's first poll")
    marker = tmp_path / "started"
    data = DeploymentFlowRunCreate(parameters={"marker": str(marker)})
    run = server_client.create_flow_run_from_deployment(deployment.id, data)

    pid = pid_in(marker)
    command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    (marker.parent / "started.release").write_text("")
    assert b"--stdin" in command
    done = wait_for(lambda: finished(server_client, run), what="the run to finish")
    assert done.state_type is StateType.COMPLETED, done.state
    assert done.infrastructure_pid is not None and done.infrastructure_pid.endswith(f":{pid}")


def test_a_ready_interpreter_runs_the_run_it_is_handed(
    server_client: BatonClient, deploy: Deploy
) -> None:
    deployment = deploy(server_client, "quick")
    data = DeploymentFlowRunCreate(parameters={"n": 7})
    run = server_client.create_flow_run_from_deployment(deployment.id, data)
    server_client.set_flow_run_state(run.id, Pending())  # claimed, as a worker does

    process = RunProcess(run.id, {}, ready=ReadyInterpreter())

    assert process.popen.wait(120) == 0
    done = server_client.read_flow_run(run.id)
    assert done.state_type is StateType.COMPLETED, done.state


def test_a_ready_interpreter_that_is_given_no_run_exits_quietly() -> None:
    ready = ReadyInterpreter()
    ready.discard()
    assert ready.popen.returncode == 0


def test_only_runs_that_leave_the_process_as_it_is_go_to_a_ready_interpreter() -> None:
    assert ReadyInterpreter.fits({}) and ReadyInterpreter.fits({"env": {}, "image": "x"})
    assert not ReadyInterpreter.fits({"env": {"TABLE": "events"}})
    assert not ReadyInterpreter.fits({"working_dir": "/srv/pipelines"})
