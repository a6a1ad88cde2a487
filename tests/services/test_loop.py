"""The services loop of ``baton server start``: every service on an interval, failures survived."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from services_support import deployment

from baton.client.embedded import EmbeddedClient
from baton.services.loop import ServiceLoop, default_services
from baton.storage.database import Database


def test_the_server_runs_the_scheduler_and_the_markers() -> None:
    assert list(default_services()) == ["scheduler", "late runs", "crashed runs"]


def test_a_failing_service_is_logged_and_the_others_still_run(
    embedded: EmbeddedClient, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(db: Database, now: dt.datetime) -> int:
        raise RuntimeError("the database went away")

    def fine(db: Database, now: dt.datetime) -> int:
        return 7

    loop = ServiceLoop(embedded.db, interval=60, services={"broken": broken, "fine": fine})

    assert loop.run_pass() == {"fine": 7}
    assert "service broken failed" in caplog.text


def test_started_services_make_scheduled_runs_until_stopped(embedded: EmbeddedClient) -> None:
    made = deployment(embedded, schedules=[{"interval": 3600}])
    passes = threading.Semaphore(0)
    real = default_services()

    def scheduler(db: Database, now: dt.datetime) -> int:
        count = real["scheduler"](db, now)
        passes.release()
        return count

    loop = ServiceLoop(embedded.db, interval=0.05, services={"scheduler": scheduler})
    loop.start()
    try:
        assert passes.acquire(timeout=30) and passes.acquire(timeout=30)  # two passes
    finally:
        loop.stop(timeout=30)

    runs = [r for r in embedded.read_flow_runs(limit=500) if r.deployment_id == made.id]
    assert runs and all(r.auto_scheduled for r in runs)
    assert len({r.idempotency_key for r in runs}) == len(runs)
    assert not passes.acquire(timeout=0.3), "a pass ran after stop()"
