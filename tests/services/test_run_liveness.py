"""Late runs say why they are late; runs whose heartbeat stopped end Crashed or Cancelled."""

from __future__ import annotations

import datetime as dt

from services_support import deployment, now

from baton.client.embedded import EmbeddedClient
from baton.core.actions import DeploymentFlowRunCreate, WorkPoolUpdate, WorkQueueUpdate
from baton.core.models import FlowRun
from baton.core.states import Cancelling, Pending, Running, StateType
from baton.services import crashed_runs, late_runs

GRACE = dt.timedelta(seconds=15)
TIMEOUT = dt.timedelta(seconds=90)


def overdue_run(client: EmbeddedClient, deployment_id: object) -> FlowRun:
    data = DeploymentFlowRunCreate(scheduled_time=now() - dt.timedelta(minutes=5))
    return client.create_flow_run_from_deployment(deployment_id, data)  # type: ignore[arg-type]


def late_message(client: EmbeddedClient, run: FlowRun) -> str:
    current = client.read_flow_run(run.id)
    assert current.state is not None and current.state.name == "Late"
    return current.state.message or ""


def test_a_run_nobody_polls_for_is_late_for_that_reason(embedded: EmbeddedClient) -> None:
    run = overdue_run(embedded, deployment(embedded).id)

    assert late_runs.run_once(embedded.db, now(), GRACE) == 1
    assert "no worker is polling work pool 'local'" in late_message(embedded, run)
    assert late_runs.run_once(embedded.db, now(), GRACE) == 0  # marked once


def test_a_paused_pool_is_named_as_the_reason(embedded: EmbeddedClient) -> None:
    run = overdue_run(embedded, deployment(embedded).id)
    embedded.update_work_pool("local", WorkPoolUpdate(is_paused=True))

    late_runs.run_once(embedded.db, now(), GRACE)

    assert "work pool 'local' is paused" in late_message(embedded, run)


def test_a_full_queue_limit_is_named_as_the_reason(embedded: EmbeddedClient) -> None:
    d = deployment(embedded)
    embedded.update_work_queue("local", "default", WorkQueueUpdate(concurrency_limit=1))
    busy, waiting = overdue_run(embedded, d.id), overdue_run(embedded, d.id)
    embedded.set_flow_run_state(busy.id, Pending())
    embedded.get_scheduled_flow_runs("local")  # a worker polls

    late_runs.run_once(embedded.db, now(), GRACE)

    assert "concurrency limit of work queue 'default' is full (1/1)" in late_message(
        embedded, waiting
    )


def test_a_late_run_can_still_be_claimed(embedded: EmbeddedClient) -> None:
    run = overdue_run(embedded, deployment(embedded).id)
    late_runs.run_once(embedded.db, now(), GRACE)

    assert embedded.set_flow_run_state(run.id, Pending()).state.type is StateType.PENDING  # type: ignore[union-attr]


def test_a_run_without_heartbeats_crashes_with_the_reason(embedded: EmbeddedClient) -> None:
    run = overdue_run(embedded, deployment(embedded).id)
    embedded.set_flow_run_state(run.id, Pending())
    embedded.set_flow_run_state(run.id, Running())
    embedded.worker_heartbeat("local", "w1", flow_run_ids=[run.id])

    assert crashed_runs.run_once(embedded.db, now(), TIMEOUT) == 0  # still beating
    assert crashed_runs.run_once(embedded.db, now() + 2 * TIMEOUT, TIMEOUT) == 1

    ended = embedded.read_flow_run(run.id)
    assert ended.state_type is StateType.CRASHED
    assert "no heartbeat for" in (ended.state.message or "")  # type: ignore[union-attr]


def test_a_silent_cancelling_run_ends_cancelled(embedded: EmbeddedClient) -> None:
    run = overdue_run(embedded, deployment(embedded).id)
    for state in (Pending(), Running(), Cancelling()):
        embedded.set_flow_run_state(run.id, state)
    embedded.worker_heartbeat("local", "w1", flow_run_ids=[run.id])

    crashed_runs.run_once(embedded.db, now() + 2 * TIMEOUT, TIMEOUT)

    assert embedded.read_flow_run(run.id).state_type is StateType.CANCELLED


def test_a_deployment_can_retry_crashed_runs(embedded: EmbeddedClient) -> None:
    run = overdue_run(embedded, deployment(embedded, crash_retries=1).id)

    def crash() -> None:
        embedded.set_flow_run_state(run.id, Pending())
        embedded.set_flow_run_state(run.id, Running())
        embedded.worker_heartbeat("local", "w1", flow_run_ids=[run.id])
        crashed_runs.run_once(embedded.db, now() + 2 * TIMEOUT, TIMEOUT)

    crash()
    retried = embedded.read_flow_run(run.id)
    assert (retried.state_type, retried.state_name) == (StateType.SCHEDULED, "Rescheduled")
    assert [r.id for r in embedded.get_scheduled_flow_runs("local")] == [run.id]
    crash()
    assert embedded.read_flow_run(run.id).state_type is StateType.CRASHED


def test_runs_nobody_heartbeats_for_are_left_alone(embedded: EmbeddedClient) -> None:
    flow_id = embedded.read_or_create_flow("adhoc").id
    from baton.core.actions import FlowRunCreate

    run = embedded.create_flow_run(FlowRunCreate(flow_id=flow_id, state=Running()))

    assert crashed_runs.run_once(embedded.db, now() + 10 * TIMEOUT, TIMEOUT) == 0
    assert embedded.read_flow_run(run.id).state_type is StateType.RUNNING
