"""A deployment run's operating-system process: started, watched, stopped.

Each run executes in ``python -m baton.runner <flow run id>``, in a session of
its own: a Ctrl-C meant for the worker does not reach it, and stopping it
stops whatever it started too (the signal goes to its whole process group).
Stopping is polite first (SIGTERM), then firm (SIGKILL) once a grace period
has passed.

Starting an interpreter and importing Baton takes most of a second, so a
long-running worker keeps a ``ReadyInterpreter`` waiting: started ahead with the
worker's own environment, it only needs the run id, and a claimed run's flow
starts a few hundred milliseconds sooner.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Sequence
from typing import Any

from baton.core.states import utcnow
from baton.settings import get_settings


class JobVariablesError(ValueError):
    """A run's ``job_variables`` cannot configure a process."""


def process_options(job_variables: dict[str, Any]) -> tuple[dict[str, str], str | None]:
    """The environment and working directory ``job_variables`` ask for.

    ``env`` (a mapping) is added to this process's environment; ``working_dir``
    is where the run starts. The API URL this process uses is passed on, so
    the run reports to the same server.
    """
    env = dict(os.environ)
    api_url = get_settings().api_url
    if api_url:
        env["BATON_API_URL"] = api_url
    extra = job_variables.get("env") or {}
    if not isinstance(extra, dict):
        raise JobVariablesError(f"job variable 'env' must be a mapping, got {extra!r}")
    env.update({str(name): str(value) for name, value in extra.items()})
    working_dir = job_variables.get("working_dir")
    if working_dir is not None and not isinstance(working_dir, str):
        raise JobVariablesError(f"job variable 'working_dir' must be a path, got {working_dir!r}")
    return env, working_dir


class ReadyInterpreter:
    """``python -m baton.runner --stdin``: Baton imported, waiting to be told which run to run."""

    def __init__(self) -> None:
        env, _ = process_options({})
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "baton.runner", "--stdin"],
            env=env,
            stdin=subprocess.PIPE,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.popen.poll() is None

    @staticmethod
    def fits(job_variables: dict[str, Any]) -> bool:
        """Whether a run's job variables leave the process as this one was started."""
        return not job_variables.get("env") and job_variables.get("working_dir") is None

    def take(self, flow_run_id: uuid.UUID) -> subprocess.Popen[bytes]:
        """Hand it the run: from now on it is that run's process."""
        assert self.popen.stdin is not None
        with self.popen.stdin:
            self.popen.stdin.write(f"{flow_run_id}\n".encode())
        return self.popen

    def discard(self) -> None:
        """Let it go: its input closes with no run id, and it exits by itself."""
        if self.popen.stdin is not None:
            with contextlib.suppress(OSError):
                self.popen.stdin.close()
        try:
            self.popen.wait(10)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


class RunProcess:
    """The process executing one flow run."""

    def __init__(
        self,
        flow_run_id: uuid.UUID,
        job_variables: dict[str, Any],
        command: Sequence[str] | None = None,
        *,
        ready: ReadyInterpreter | None = None,
    ) -> None:
        """Start ``command`` (default: ``python -m baton.runner <flow run id>``), or hand the
        run to ``ready``, which must fit its job variables."""
        self.flow_run_id = flow_run_id
        if ready is not None:
            self.popen = ready.take(flow_run_id)
        else:
            env, working_dir = process_options(job_variables)
            self.popen = subprocess.Popen(
                command or [sys.executable, "-m", "baton.runner", str(flow_run_id)],
                env=env,
                cwd=working_dir,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.kill_at: dt.datetime | None = None

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def infrastructure_pid(self) -> str:
        """``host:pid``: where to find the process, as recorded on the run."""
        return f"{socket.gethostname()}:{self.pid}"

    def exit_code(self) -> int | None:
        """The exit code once the process has ended, else ``None``."""
        return self.popen.poll()

    def stop(self, now: dt.datetime, grace_seconds: float) -> None:
        """Ask the process to end (SIGTERM); ``enforce`` kills it once ``grace_seconds`` pass."""
        if self.kill_at is None:
            self.kill_at = now + dt.timedelta(seconds=grace_seconds)
            self._signal(signal.SIGTERM)

    def enforce(self, now: dt.datetime) -> None:
        """Kill a process asked to stop that is still there after its grace period."""
        if self.kill_at is not None and now >= self.kill_at:
            self._signal(signal.SIGKILL)

    def terminate(self, grace_seconds: float) -> int:
        """Stop the process and wait for it to end; killed if still there after the grace period.

        A process already asked to stop keeps the deadline it was given then.
        """
        self.stop(utcnow(), grace_seconds)
        assert self.kill_at is not None
        try:
            return self.popen.wait(max(0.0, (self.kill_at - utcnow()).total_seconds()))
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            return self.popen.wait()

    def _signal(self, signum: signal.Signals) -> None:
        if self.popen.poll() is not None:
            return  # already ended (and reaped): its group id may belong to others now
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signum)
