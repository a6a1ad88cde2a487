"""Fixtures of the runner tests: a project directory with flows, and real worker processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from baton.client.base import BatonClient
from baton.core.actions import DeploymentCreate, WorkPoolCreate
from baton.core.deployments import Deployment, GitSource
from baton.testing import baton_test_harness

from .support import write

FLOWS = """
    import os
    import time
    from pathlib import Path

    from baton import flow, get_run_logger


    @flow(log_prints=True)
    def greet(name: str = "world") -> str:
        print(f"Hello, {name}!")
        get_run_logger().info("greeting from %s", os.environ.get("GREETER", "nobody"))
        return name


    @flow
    def quick(n: int) -> int:
        return n


    @flow
    def hold(marker: str) -> None:
        \"\"\"Say it started (writing its pid to ``marker``), then wait up to a minute.\"\"\"
        Path(marker).write_text(str(os.getpid()))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not Path(marker + ".release").exists():
            time.sleep(0.05)
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A directory of flow code, as a deployment with a local ``path`` names it."""
    directory = tmp_path / "project"
    write(directory / "flows.py", FLOWS)
    return directory


@pytest.fixture
def server_client() -> Iterator[BatonClient]:
    """A client talking to a real server on loopback; processes started now inherit its URL."""
    with baton_test_harness(server=True) as client:
        yield client


Deploy = Callable[..., Deployment]


@pytest.fixture
def deploy(project: Path) -> Deploy:
    def make(
        client: BatonClient,
        function: str,
        *,
        pool: str = "local",
        source: GitSource | None = None,
        entrypoint: str | None = None,
        **fields: object,
    ) -> Deployment:
        if pool not in {p.name for p in client.read_work_pools()}:
            client.create_work_pool(WorkPoolCreate(name=pool))
        return client.create_deployment(
            DeploymentCreate(
                flow_id=client.read_or_create_flow(function).id,
                name=f"{function}-deployment",
                entrypoint=entrypoint or f"flows.py:{function}",
                path=None if source else str(project),
                source=source,
                work_pool_name=pool,
                **fields,
            )
        )

    return make


class Processes:
    """Processes a test starts; whatever is still running at the end is stopped."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str, cwd: Path | None = None) -> subprocess.Popen[bytes]:
        log = (self.directory / f"process-{len(self.started)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, *args], cwd=cwd, stdout=log, stderr=subprocess.STDOUT, env=os.environ
        )
        log.close()
        self.started.append(process)
        return process

    def worker(self, pool: str = "local", *options: str) -> subprocess.Popen[bytes]:
        return self.start(
            "-m", "baton", "worker", "start", "--pool", pool, "--poll-interval", "0.1", *options
        )

    def output(self, process: subprocess.Popen[bytes]) -> str:
        index = self.started.index(process)
        return (self.directory / f"process-{index}.log").read_text()

    def stop_all(self) -> None:
        """SIGTERM, then SIGTERM again (a worker then stops its runs at once), then SIGKILL."""
        for attempt in (signal.SIGTERM, signal.SIGTERM, signal.SIGKILL):
            running = [process for process in self.started if process.poll() is None]
            for process in running:
                process.send_signal(attempt)
            for process in running:
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    continue


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    started = Processes(tmp_path)
    yield started
    started.stop_all()
