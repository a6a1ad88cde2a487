"""A server restarted while workers run: they reconnect and carry on, and no run is lost."""

from __future__ import annotations

import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from baton.client import get_client, reset_client
from baton.client.base import BatonClient
from baton.core.actions import DeploymentFlowRunCreate
from baton.core.models import FlowRun
from baton.core.states import StateType

from .conftest import Deploy, Processes
from .support import pid_in, wait_for

pytestmark = pytest.mark.http


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """``baton server start`` in a process of its own, on one port across restarts."""

    def __init__(self, processes: Processes) -> None:
        self.processes = processes
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = self.processes.start(
            "-m", "baton", "server", "start", "--port", str(self.port), "--no-services"
        )
        wait_for(self._healthy, what="the server to answer")

    def stop(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(30)

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False


@pytest.fixture
def server(processes: Processes, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    running = Server(processes)
    running.start()
    monkeypatch.setenv("BATON_API_URL", running.url)  # for this test and the workers it starts
    reset_client()
    yield running
    reset_client()


def completed(client: BatonClient, run: FlowRun) -> bool:
    return client.read_flow_run(run.id).state_type is StateType.COMPLETED


def test_workers_carry_on_across_a_server_restart(
    server: Server, deploy: Deploy, processes: Processes, tmp_path: Path
) -> None:
    client = get_client()
    quick = deploy(client, "quick")
    hold = deploy(client, "hold")
    processes.worker()
    first = client.create_flow_run_from_deployment(
        quick.id, DeploymentFlowRunCreate(parameters={"n": 1})
    )
    wait_for(lambda: completed(client, first), what="the first run")
    marker = tmp_path / "held"
    in_flight = client.create_flow_run_from_deployment(
        hold.id, DeploymentFlowRunCreate(parameters={"marker": str(marker)})
    )
    pid_in(marker)  # the run is executing

    server.stop()
    server.start()
    (tmp_path / "held.release").touch()
    after = client.create_flow_run_from_deployment(
        quick.id, DeploymentFlowRunCreate(parameters={"n": 2})
    )

    wait_for(lambda: completed(client, in_flight), timeout=60, what="the run in flight")
    wait_for(lambda: completed(client, after), timeout=60, what="a run made after the restart")
    for run in (first, in_flight, after):
        types = [state.type for state in client.read_flow_run_states(run.id)]
        assert types.count(StateType.RUNNING) == 1, types
