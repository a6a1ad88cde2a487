"""The loop that starts deployment runs: claim what is due, run each in a process, watch it.

``RunLoop`` is what a worker and ``serve()`` have in common; they differ only
in where due runs come from (a ``RunSource``). One iteration (``run_once``)
does everything once and never sleeps, so tests drive it step by step:

1. Processes that ended are settled: a run they left unfinished becomes
   Crashed (with the exit code), a run being cancelled becomes Cancelled.
2. Runs of this loop that someone moved to Cancelling get their process
   stopped: SIGTERM, then SIGKILL after ``cancel_grace`` seconds.
3. Unless stopping, due runs are claimed by proposing Pending (only one
   claimant's proposal wins; a loser skips the run) and started. Runs due
   before the next poll are fetched too, and ``start()`` wakes up at their
   scheduled time to claim them, so a run starts on time, not up to a poll
   interval late.
4. A heartbeat names the runs being driven, so the server can tell a run
   whose worker died.

On SIGTERM or SIGINT, ``start()`` stops claiming, lets running runs finish for
up to ``shutdown_grace`` seconds (a second signal cuts this short), then stops
their processes and marks the runs Crashed: a worker going away is an
infrastructure failure, which deployments with ``crash_retries`` retry. Handing
the runs back as Scheduled would re-run code that may have had side effects
without anyone asking for it.
"""

from __future__ import annotations

import abc
import datetime as dt
import signal
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any

from rich.console import Console
from rich.text import Text

from baton.client.base import BatonClient
from baton.core.actions import FlowRunUpdate
from baton.core.models import Decision, FlowRun
from baton.core.states import Cancelled, Crashed, Pending, State, StateType, utcnow
from baton.exceptions import BatonError
from baton.runner.process import JobVariablesError, ReadyInterpreter, RunProcess

DEFAULT_POLL_INTERVAL = 1.0
DEFAULT_HEARTBEAT_INTERVAL = 10.0
DEFAULT_CANCEL_GRACE = 10.0
DEFAULT_SHUTDOWN_GRACE = 30.0
CLAIM_BATCH = 10
"""Runs asked for per poll when the loop has no limit."""

_UNFINISHED = (StateType.PENDING, StateType.RUNNING)


class RunSource(abc.ABC):
    """Where a loop finds the runs it may start, and whom it tells that it is alive."""

    def prepare(self, client: BatonClient) -> None:  # noqa: B027 - optional hook
        """Get ready before the first poll (e.g. make sure the work pool exists)."""

    @abc.abstractmethod
    def due_runs(self, client: BatonClient, due_by: dt.datetime, limit: int) -> list[FlowRun]:
        """Scheduled runs due by ``due_by``, earliest first, at most ``limit``; not yet claimed."""

    @abc.abstractmethod
    def heartbeat(
        self,
        client: BatonClient,
        name: str,
        interval_seconds: float,
        flow_run_ids: Sequence[uuid.UUID],
    ) -> None:
        """Say that this loop, and the runs it is driving, are alive."""

    @abc.abstractmethod
    def describe(self) -> str: ...


@dataclass
class _Active:
    """A claimed run and the process executing it."""

    flow_run: FlowRun
    process: RunProcess
    cancelling: bool = False


class RunLoop:
    """Claims due runs from a source and executes each in a process of its own."""

    def __init__(
        self,
        source: RunSource,
        *,
        name: str,
        client: BatonClient | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        heartbeat_interval: float = DEFAULT_HEARTBEAT_INTERVAL,
        limit: int | None = None,
        cancel_grace: float = DEFAULT_CANCEL_GRACE,
        shutdown_grace: float = DEFAULT_SHUTDOWN_GRACE,
        console: Console | None = None,
    ) -> None:
        if poll_interval <= 0 or heartbeat_interval <= 0:
            raise ValueError("poll_interval and heartbeat_interval must be positive")
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be 1 or more, got {limit}")
        if client is None:
            from baton.client import get_client

            client = get_client()
        self.source = source
        self.name = name
        self.client = client
        self.poll_interval = poll_interval
        self.heartbeat_interval = heartbeat_interval
        self.limit = limit
        self.cancel_grace = cancel_grace
        self.shutdown_grace = shutdown_grace
        self.console = console or Console(highlight=False, markup=False, emoji=False)
        self.active: dict[uuid.UUID, _Active] = {}
        self._prepared = False
        self._last_heartbeat: dt.datetime | None = None
        self._not_before: dict[uuid.UUID, dt.datetime] = {}
        self._stopping = threading.Event()
        self._hurry = threading.Event()
        self._keep_ready = False
        self._ready: ReadyInterpreter | None = None

    # -- one iteration ---------------------------------------------------------
    def run_once(self, now: dt.datetime | None = None) -> None:
        """Settle ended processes, enforce cancellations, claim and start due runs, heartbeat."""
        now = now or utcnow()
        if not self._prepared:
            self.source.prepare(self.client)
            self._prepared = True
        self._settle_ended(now)
        self._enforce_cancellations(now)
        started = False if self._stopping.is_set() else self._claim(now)
        heartbeat_due = (
            self._last_heartbeat is None
            or (now - self._last_heartbeat).total_seconds() >= self.heartbeat_interval
        )
        if started or heartbeat_due:
            self.source.heartbeat(self.client, self.name, self.heartbeat_interval, [*self.active])
            self._last_heartbeat = now
        if self._keep_ready and self._ready is None and not self._stopping.is_set():
            try:
                self._ready = ReadyInterpreter()
            except OSError as error:  # runs start the slow way until it works again
                self._say(Text(f"Error (will retry): {error}", style="red"))

    def _settle_ended(self, now: dt.datetime) -> None:
        ended: list[_Active] = []
        for active in self.active.values():
            if active.process.exit_code() is None:
                active.process.enforce(now)
            else:
                ended.append(active)
        for active in ended:
            del self.active[active.flow_run.id]
            self._settle(active, "")

    def _settle(self, active: _Active, cause: str) -> None:
        """Make sure the run of an ended process is not left looking alive."""
        run = self.client.read_flow_run(active.flow_run.id)
        state_type = run.state_type
        if state_type is StateType.CANCELLING or (active.cancelling and state_type in _UNFINISHED):
            answer = self.client.set_flow_run_state(
                run.id, Cancelled(message="The run was cancelled and its process stopped.")
            )
            self._report(run, answer.state)
        elif state_type in _UNFINISHED:
            message = cause or f"The run's process {_exit_description(active.process)}"
            answer = self.client.set_flow_run_state(run.id, Crashed(message=message))
            self._report(run, answer.state)
        else:
            self._report(run, run.state)

    def _enforce_cancellations(self, now: dt.datetime) -> None:
        """Stop the processes of runs that were moved to Cancelling."""
        if not self.active:
            return
        cancelling = self.client.read_flow_runs(state_types=[StateType.CANCELLING], limit=1000)
        for run in cancelling:
            active = self.active.get(run.id)
            if active is not None and not active.cancelling:
                active.cancelling = True
                active.process.stop(now, self.cancel_grace)
                self._say(Text(f"Cancelling run {run.name!r} ({run.id}): stopping its process"))

    def _claim(self, now: dt.datetime) -> bool:
        """Claim and start due runs; whether any started."""
        self._not_before = {id_: when for id_, when in self._not_before.items() if when > now}
        room = CLAIM_BATCH if self.limit is None else self.limit - len(self.active)
        if room <= 0:
            return False
        started = False
        due_by = now + dt.timedelta(seconds=self.poll_interval)
        for run in self.source.due_runs(self.client, due_by, room):
            scheduled = _scheduled_time(run)
            if scheduled is not None and scheduled > now:
                self._not_before[run.id] = scheduled  # start() wakes up then
                continue
            if run.id in self.active or self._not_before.get(run.id, now) > now:
                continue
            answer = self.client.set_flow_run_state(run.id, Pending())
            if answer.status is Decision.WAIT:
                delay = dt.timedelta(seconds=answer.delay_seconds or self.poll_interval)
                self._not_before[run.id] = now + delay
            elif answer.status is Decision.ACCEPT:
                self._not_before.pop(run.id, None)
                started = self._start(run) or started
            if self.limit is not None and len(self.active) >= self.limit:
                break
        return started

    def _start(self, run: FlowRun) -> bool:
        """Start the process of a claimed run; a run that cannot start ends Crashed."""
        try:
            process = RunProcess(run.id, run.job_variables, ready=self._take_ready(run))
        except (OSError, JobVariablesError) as error:
            message = f"The run's process could not start: {error}"
            answer = self.client.set_flow_run_state(run.id, Crashed(message=message))
            self._report(run, answer.state)
            return False
        self.active[run.id] = _Active(run, process)
        self.client.update_flow_run(
            run.id, FlowRunUpdate(infrastructure_pid=process.infrastructure_pid)
        )
        self._say(Text(f"Started run {run.name!r} ({run.id}), pid {process.pid}"))
        return True

    def _take_ready(self, run: FlowRun) -> ReadyInterpreter | None:
        """The interpreter kept ready, if it is alive and fits the run."""
        ready = self._ready
        if ready is None or not ready.fits(run.job_variables):
            return None
        self._ready = None
        if ready.alive():
            return ready
        ready.discard()
        return None

    # -- the long-running loop ---------------------------------------------------
    def start(self) -> None:
        """Poll until SIGTERM, SIGINT or ``stop()``; then shut down gracefully.

        Meanwhile one interpreter is kept ready to take the next run (see ``process``).
        """
        restore = self._handle_signals()
        self._keep_ready = True
        try:
            self._say(Text(f"{self.name} is polling {self.source.describe()}; Ctrl-C to stop"))
            while not self._stopping.is_set():
                self._iterate()
                self._stopping.wait(self._pause())
            self._shut_down()
        finally:
            self._keep_ready = False
            ready, self._ready = self._ready, None
            if ready is not None:
                ready.discard()
            restore()

    def _pause(self) -> float:
        """Seconds until the next iteration: a poll interval, or less if a run falls due sooner."""
        now = utcnow()
        upcoming = [when for when in self._not_before.values() if when > now]
        if not upcoming:
            return self.poll_interval
        return min(self.poll_interval, (min(upcoming) - now).total_seconds())

    def stop(self) -> None:
        """Stop claiming runs and shut down (a second call stops running runs at once)."""
        if self._stopping.is_set():
            self._hurry.set()
        self._stopping.set()

    def _iterate(self) -> None:
        """One iteration that survives a server or database hiccup (it is retried next time)."""
        try:
            self.run_once()
        except BatonError as error:
            self._say(Text(f"Error (will retry): {error}", style="red"))

    def _shut_down(self) -> None:
        if self.active:
            self._say(
                Text(
                    f"Shutting down: waiting up to {self.shutdown_grace:g} s for "
                    f"{len(self.active)} run(s) to finish (Ctrl-C again to stop them now)"
                )
            )
        deadline = utcnow() + dt.timedelta(seconds=self.shutdown_grace)
        while self.active and utcnow() < deadline and not self._hurry.is_set():
            self._iterate()
            self._hurry.wait(self.poll_interval)
        remaining = list(self.active.values())
        self.active.clear()
        for active in remaining:
            active.process.stop(utcnow(), self.cancel_grace)
        for active in remaining:
            active.process.terminate(self.cancel_grace)
            self._settle(active, "The worker shut down before the run finished.")
        self._say(Text(f"{self.name} stopped"))

    def _handle_signals(self) -> Any:
        """Turn SIGTERM and SIGINT into ``stop()``; returns what puts the old handlers back."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None

        def handler(signum: int, frame: FrameType | None) -> None:
            self.stop()

        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}

        def restore() -> None:
            for sig, old in previous.items():
                signal.signal(sig, old)

        return restore

    # -- output ---------------------------------------------------------------
    def _report(self, run: FlowRun, state: State | None) -> None:
        from baton.cli.render import state_text

        line = Text(f"Run {run.name!r} ({run.id}) finished: ")
        if state is None:
            line.append("unknown state")
        else:
            line.append_text(state_text(state.type.value, state.name))
            if state.message and not state.is_completed():
                line.append(f" - {state.message}")
        self._say(line)

    def _say(self, line: Text) -> None:
        stamp = Text(utcnow().astimezone().strftime("%H:%M:%S "), style="grey50")
        self.console.print(stamp + line, soft_wrap=True)


def _scheduled_time(run: FlowRun) -> dt.datetime | None:
    details = run.state.state_details if run.state is not None else None
    return details.scheduled_time if details is not None else run.expected_start_time


def _exit_description(process: RunProcess) -> str:
    code = process.exit_code()
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by {name} before the run finished."
    return f"exited with code {code} before the run finished."
