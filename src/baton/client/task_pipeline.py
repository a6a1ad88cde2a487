"""Task-run transitions judged in this process and shipped to the server in batches.

A task run this process creates is driven only by this process, so, as in the
embedded client, a transition whose rules need nothing but the run (no cache
key, no concurrency tags) is judged here, with the very same policy, and its
outcome is queued. A background thread sends the queue to the server's
``POST /task_runs/ingest`` every fraction of a second; ``flush()`` sends it at
once, and the HTTP client flushes before every other request, so the server
always sees a task run before anything that depends on it, and reads see every
transition made so far. A batch the server did not take is never forgotten
silently: the next ``flush()`` raises, so the flow run cannot complete.
"""

from __future__ import annotations

import atexit
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

from baton.api.schemas.runs import TaskRunResponse
from baton.api.schemas.states import StateResponse
from baton.core.actions import TaskRunCreate
from baton.core.models import OrchestrationDecision, RunKind, TaskRun
from baton.core.orchestration import OrchestrationContext, OrchestrationResult
from baton.core.orchestration.judging import judge
from baton.core.orchestration.policies import TASK_POLICY
from baton.core.states import TERMINAL_TYPES, State
from baton.exceptions import BatonError, ServerError
from baton.orchestrator.runs import new_task_run

logger = logging.getLogger("baton.client")

BATCH_SIZE = 500  # queued transitions that make the shipper send at once
BATCH_SECONDS = 0.2  # the longest a transition waits in the queue otherwise

Send = Callable[[dict[str, Any]], None]


class TaskPipeline:
    """Judges store-free task-run transitions locally and ships their outcome in order."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._live: dict[uuid.UUID, TaskRun] = {}
        self._cond = threading.Condition()
        self._ship_lock = threading.Lock()  # one batch at a time, in order
        self._created: dict[uuid.UUID, TaskRun] = {}
        self._updated: dict[uuid.UUID, TaskRun] = {}
        self._states: list[State] = []
        self._decisions: list[OrchestrationDecision] = []
        self._failure: BaseException | None = None
        self._lost = 0
        self._thread: threading.Thread | None = None
        self._closed = False

    # -- judging -----------------------------------------------------------
    def create(self, data: TaskRunCreate) -> TaskRun | None:
        """The new task run, judged here; ``None`` when the server must judge it."""
        state = data.state
        run = new_task_run(data)
        if state is None or TASK_POLICY.needs_store(run, None, state):
            return None
        ctx = judge(run, RunKind.TASK_RUN, state, store=None)
        self._queue(ctx, created=True)
        return run

    def propose(self, run_id: uuid.UUID, state: State, force: bool) -> OrchestrationResult | None:
        """The rules' answer, judged here; ``None`` when the server must judge it."""
        run = self._live.get(run_id)
        if run is None or TASK_POLICY.needs_store(run, run.state_type, state):
            self._live.pop(run_id, None)  # from now on the server's copy is the current one
            return None
        ctx = judge(run, RunKind.TASK_RUN, state, store=None, force=force)
        self._queue(ctx, created=False)
        return ctx.result()

    def _queue(self, ctx: OrchestrationContext, created: bool) -> None:
        run = ctx.run
        assert isinstance(run, TaskRun)
        if run.state_type in TERMINAL_TYPES:  # finished: memory stays flat
            self._live.pop(run.id, None)
        else:
            self._live[run.id] = run
        snapshot = run.model_copy()  # the run goes on changing; ship it as it is now
        with self._cond:
            if created or run.id in self._created:
                self._created[run.id] = snapshot
            else:
                self._updated[run.id] = snapshot
            if ctx.validated_state is not None:
                self._states.append(ctx.validated_state)
            self._decisions.extend(ctx.records)
            if self._thread is None:
                self._start()
            if len(self._states) >= BATCH_SIZE:
                self._cond.notify_all()

    # -- shipping ----------------------------------------------------------
    def flush(self) -> None:
        """Send everything queued so far; raise if an earlier batch was not taken."""
        self._ship()  # also waits for a batch the shipper is sending
        with self._cond:
            failure, lost = self._failure, self._lost
            self._failure, self._lost = None, 0
        if failure is not None:
            raise ServerError(
                f"{lost} task-run transition(s) judged in this process could not be "
                f"stored by the server: {failure}"
            ) from failure

    def close(self) -> None:
        """Send what is queued and stop the shipper; a failure is logged."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
        try:
            self.flush()
        except BatonError as error:
            logger.error("%s", error)

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="baton-task-shipper", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(
                    lambda: self._closed or len(self._states) >= BATCH_SIZE,
                    timeout=BATCH_SECONDS,
                )
                if self._closed:
                    return
            self._ship()

    def _ship(self) -> None:
        with self._ship_lock:
            with self._cond:
                created, self._created = self._created, {}
                updated, self._updated = self._updated, {}
                states, self._states = self._states, []
                decisions, self._decisions = self._decisions, []
            if not (created or updated or states):
                return
            body = {
                "created": [_run_json(run) for run in created.values()],
                "updated": [_run_json(run) for run in updated.values()],
                "states": [StateResponse.from_state(s).model_dump(mode="json") for s in states],
                "decisions": [d.model_dump(mode="json") for d in decisions],
            }
            try:
                self._send(body)
            except BatonError as error:
                logger.warning("%d task-run transition(s) were not stored: %s", len(states), error)
                with self._cond:
                    self._failure = error
                    self._lost += len(states)


def _run_json(run: TaskRun) -> dict[str, Any]:
    return TaskRunResponse.from_run(run).model_dump(mode="json")
