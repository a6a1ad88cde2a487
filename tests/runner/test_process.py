"""A run's process: its environment, and stopping it politely, then firmly."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys
import uuid
from pathlib import Path

import pytest

from baton.core.states import utcnow
from baton.runner.process import JobVariablesError, RunProcess, process_options
from baton.settings import reload_settings

from .support import pid_in, wait_for


def ignoring_sigterm(ready: Path) -> list[str]:
    """A process that ignores SIGTERM; ``ready`` appears once it does."""
    return python(
        "import signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        f"open({str(ready)!r}, 'w')\n"
        "time.sleep(60)\n"
    )


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_a_process_that_obeys_sigterm_ends_with_it() -> None:
    process = RunProcess(uuid.uuid4(), {}, python("import time; time.sleep(60)"))
    assert process.terminate(grace_seconds=30) == -signal.SIGTERM


def test_a_process_that_ignores_sigterm_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    process = RunProcess(uuid.uuid4(), {}, ignoring_sigterm(ready))
    wait_for(ready.exists, what="the handler to be installed")
    assert process.terminate(grace_seconds=0.2) == -signal.SIGKILL


def test_stop_then_enforce_kills_only_once_the_deadline_has_passed(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    process = RunProcess(uuid.uuid4(), {}, ignoring_sigterm(ready))
    wait_for(ready.exists, what="the handler to be installed")
    now = utcnow()
    process.stop(now, grace_seconds=5)
    process.enforce(now + dt.timedelta(seconds=4))
    assert process.exit_code() is None  # SIGTERM ignored, and the deadline is not reached
    process.enforce(now + dt.timedelta(seconds=5))
    assert process.popen.wait(30) == -signal.SIGKILL


def test_stopping_a_run_stops_the_processes_it_started(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    code = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(60)\n"
    )
    process = RunProcess(uuid.uuid4(), {}, python(code))
    grandchild = pid_in(pid_file)
    process.terminate(grace_seconds=30)
    # Not our child, so not reaped by us: gone, or a zombie waiting for init.
    wait_for(lambda: not _alive(grandchild), what="the grandchild to end")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_the_run_process_gets_the_job_environment_and_working_directory(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    code = f"import os; open({str(out)!r}, 'w').write(os.environ['GREETING'] + ' ' + os.getcwd())"
    job = {"env": {"GREETING": "hi"}, "working_dir": str(tmp_path)}
    process = RunProcess(uuid.uuid4(), job, python(code))
    assert process.popen.wait(30) == 0
    assert out.read_text() == f"hi {tmp_path}"


def test_the_api_url_is_passed_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATON_API_URL", "http://127.0.0.1:4200/api")
    reload_settings()
    env, working_dir = process_options({"env": {"COUNT": 3}})
    assert env["BATON_API_URL"] == "http://127.0.0.1:4200/api"
    assert env["COUNT"] == "3"
    assert env["PATH"] == os.environ["PATH"]
    assert working_dir is None


@pytest.mark.parametrize(
    ("job", "message"),
    [
        ({"env": ["A=1"]}, "'env' must be a mapping"),
        ({"working_dir": 3}, "'working_dir' must be a path"),
    ],
)
def test_job_variables_that_cannot_configure_a_process_are_refused(
    job: dict[str, object], message: str
) -> None:
    with pytest.raises(JobVariablesError, match=message):
        process_options(job)


def test_a_missing_working_directory_fails_to_start(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        RunProcess(uuid.uuid4(), {"working_dir": str(tmp_path / "nowhere")}, python("pass"))


def test_infrastructure_pid_names_the_host_and_the_pid() -> None:
    process = RunProcess(uuid.uuid4(), {}, python("pass"))
    process.popen.wait(30)
    host, pid = process.infrastructure_pid.rsplit(":", 1)
    assert host and int(pid) == process.pid
