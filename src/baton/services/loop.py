"""Run the background services on an interval, in a thread of the server process."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from baton.core.states import utcnow
from baton.storage.database import Database

logger = logging.getLogger("baton.services")


def default_services() -> dict[str, Callable[..., int]]:
    from baton.services import crashed_runs, late_runs, scheduler

    return {
        "scheduler": scheduler.run_once,
        "late runs": late_runs.run_once,
        "crashed runs": crashed_runs.run_once,
    }


class ServiceLoop:
    """Each service once per ``interval`` seconds until ``stop()``; one failing pass is
    logged and the loop goes on, so a database outage does not end the services."""

    def __init__(
        self,
        db: Database,
        interval: float,
        services: dict[str, Callable[..., int]] | None = None,
    ) -> None:
        self.db = db
        self.interval = interval
        self.services = services if services is not None else default_services()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="baton-services", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def run_pass(self, names: Sequence[str] | None = None) -> dict[str, int]:
        """One pass of each service (all, or those named): what each did."""
        done: dict[str, int] = {}
        for name, service in self.services.items():
            if names is not None and name not in names:
                continue
            try:
                done[name] = service(self.db, utcnow())
            except Exception:
                logger.exception("service %s failed; it runs again in %s s", name, self.interval)
        return done

    def _run(self) -> None:
        while not self._stopping.is_set():
            self.run_pass()
            self._stopping.wait(self.interval)
