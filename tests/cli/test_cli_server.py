"""``baton server start`` as users run it: a real process on loopback, flows and the
CLI pointed at it with BATON_API_URL, and runs made earlier with no server in view."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

FLOW = """
import json, sys
from baton import flow, task, get_run_logger

attempts = {"n": 0}

@task(retries=1, retry_delay_seconds=0)
def flaky(x: int) -> int:
    attempts["n"] += 1
    if attempts["n"] == 1:
        raise ValueError("first attempt fails")
    return x * 2

@flow(name=sys.argv[1], log_prints=True)
def pipeline(x: int = 1) -> int:
    y = flaky(x)
    get_run_logger().info("doubled %d", y)
    print("printed from the flow")
    return y

state = pipeline(21, return_state=True)
print(json.dumps({"id": str(state.state_details.flow_run_id), "result": state.result()}))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATON_")}
    env.update(BATON_HOME=str(tmp_path / "home"), BATON_LOGGING_TO_CONSOLE="false")
    (tmp_path / "flow.py").write_text(FLOW)
    return env


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def server(home: dict[str, str], tmp_path: Path) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "baton", "server", "start", "--port", str(port)]
    log = tmp_path / "server.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            command, env=home, cwd=tmp_path, stdout=output, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 60
    try:
        while True:  # wait until it answers, not for a fixed time
            try:
                if httpx.get(f"{url}/health", timeout=2).json() is True:
                    break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("the server did not start") from None
                time.sleep(0.05)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then ends by the signal it was sent.
        assert process.wait(timeout=30) in (0, -signal.SIGTERM)
        assert "Finished server process" in log.read_text()


def test_runs_with_and_without_the_server_share_one_history(
    home: dict[str, str], tmp_path: Path, server: str
) -> None:
    # The server is already up on this home: a run made with no server goes to
    # the same database and is in view through the server.
    embedded = run([sys.executable, "flow.py", "offline"], home, tmp_path)
    assert embedded.returncode == 0, embedded.stderr
    offline = json.loads(embedded.stdout.splitlines()[-1])

    remote_env = {**home, "BATON_API_URL": server}
    remote = run([sys.executable, "flow.py", "online"], remote_env, tmp_path)
    assert remote.returncode == 0, remote.stderr
    online = json.loads(remote.stdout.splitlines()[-1])
    assert online["result"] == offline["result"] == 42

    baton = [sys.executable, "-m", "baton"]
    listed = run([*baton, "flow-run", "ls", "-o", "json"], remote_env, tmp_path)
    assert listed.returncode == 0, listed.stderr
    ids = {run_["id"] for run_ in json.loads(listed.stdout)}
    assert {offline["id"], online["id"]} <= ids

    for run_id in (offline["id"], online["id"]):
        inspected = run([*baton, "flow-run", "inspect", run_id, "-o", "json"], remote_env, tmp_path)
        assert inspected.returncode == 0, inspected.stderr
        assert "RetryFailedTasks" in inspected.stdout
        logs = run(
            [sys.executable, "-m", "baton", "flow-run", "logs", run_id], remote_env, tmp_path
        )
        assert logs.returncode == 0, logs.stderr
        assert "doubled 42" in logs.stdout
        assert "printed from the flow" in logs.stdout
