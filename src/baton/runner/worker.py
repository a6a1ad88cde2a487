"""Workers: processes that poll a work pool and execute its deployments' due runs.

Start one with ``baton worker start --pool NAME`` (or ``Worker("NAME").start()``);
start as many as you like, on as many machines: each run is claimed by exactly
one of them. What a worker does in one iteration is described in ``loop``.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import Sequence

from rich.console import Console

from baton.client.base import BatonClient
from baton.core.actions import WorkPoolCreate
from baton.core.models import FlowRun
from baton.exceptions import BatonError, ObjectNotFound
from baton.runner.loop import (
    DEFAULT_CANCEL_GRACE,
    DEFAULT_HEARTBEAT_INTERVAL,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_SHUTDOWN_GRACE,
    RunLoop,
    RunSource,
)


class WorkPoolSource(RunSource):
    """Due runs of a work pool's queues (all of them unless ``queue_names`` are given)."""

    def __init__(self, pool_name: str, queue_names: Sequence[str] = ()) -> None:
        self.pool_name = pool_name
        self.queue_names = tuple(queue_names)

    def prepare(self, client: BatonClient) -> None:
        """Create the pool if nobody has yet, so a worker can be started first."""
        try:
            client.read_work_pool(self.pool_name)
        except ObjectNotFound:
            try:
                client.create_work_pool(WorkPoolCreate(name=self.pool_name))
            except BatonError:
                client.read_work_pool(self.pool_name)  # another worker made it meanwhile

    def due_runs(self, client: BatonClient, due_by: dt.datetime, limit: int) -> list[FlowRun]:
        return client.get_scheduled_flow_runs(
            self.pool_name, queue_names=self.queue_names, scheduled_before=due_by, limit=limit
        )

    def heartbeat(
        self,
        client: BatonClient,
        name: str,
        interval_seconds: float,
        flow_run_ids: Sequence[uuid.UUID],
    ) -> None:
        client.worker_heartbeat(
            self.pool_name,
            name,
            heartbeat_interval_seconds=interval_seconds,
            flow_run_ids=flow_run_ids,
        )

    def describe(self) -> str:
        queues = f" (queues {', '.join(self.queue_names)})" if self.queue_names else ""
        return f"work pool {self.pool_name!r}{queues}"


class Worker(RunLoop):
    """Polls work pool ``pool_name`` and runs each due run in a process of its own.

    ``limit`` caps how many runs it executes at once; ``run_once(now)`` does one
    iteration, ``start()`` loops until SIGTERM or SIGINT.
    """

    def __init__(
        self,
        pool_name: str,
        name: str | None = None,
        *,
        queue_names: Sequence[str] = (),
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        heartbeat_interval: float = DEFAULT_HEARTBEAT_INTERVAL,
        limit: int | None = None,
        cancel_grace: float = DEFAULT_CANCEL_GRACE,
        shutdown_grace: float = DEFAULT_SHUTDOWN_GRACE,
        client: BatonClient | None = None,
        console: Console | None = None,
    ) -> None:
        super().__init__(
            WorkPoolSource(pool_name, queue_names),
            name=name or default_worker_name(),
            client=client,
            poll_interval=poll_interval,
            heartbeat_interval=heartbeat_interval,
            limit=limit,
            cancel_grace=cancel_grace,
            shutdown_grace=shutdown_grace,
            console=console,
        )


def default_worker_name() -> str:
    """``worker-<host>-<pid>``: unique among the workers running now."""
    return f"worker-{socket.gethostname()}-{os.getpid()}"
