"""What workers are offered, and how a run is claimed exactly once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from services_support import deployment, now

from baton.client.embedded import EmbeddedClient
from baton.core.actions import (
    DeploymentFlowRunCreate,
    DeploymentUpdate,
    WorkPoolUpdate,
    WorkQueueCreate,
    WorkQueueUpdate,
)
from baton.core.models import Decision
from baton.core.states import Pending, Running, StateType
from baton.exceptions import ObjectNotFound


def due_run(client: EmbeddedClient, deployment_id: object, **fields: object):  # type: ignore[no-untyped-def]
    data = DeploymentFlowRunCreate(scheduled_time=now() - dt.timedelta(seconds=1), **fields)
    return client.create_flow_run_from_deployment(deployment_id, data)  # type: ignore[arg-type]


def test_due_runs_come_in_queue_priority_order(embedded: EmbeddedClient) -> None:
    d = deployment(embedded)
    embedded.create_work_queue("local", WorkQueueCreate(name="urgent", priority=1))
    embedded.update_work_queue("local", "default", WorkQueueUpdate(priority=5))
    normal = due_run(embedded, d.id)
    urgent = due_run(embedded, d.id, work_queue_name="urgent")
    later = embedded.create_flow_run_from_deployment(
        d.id, DeploymentFlowRunCreate(scheduled_time=now() + dt.timedelta(hours=1))
    )

    offered = embedded.get_scheduled_flow_runs("local")

    assert [r.id for r in offered] == [urgent.id, normal.id]
    assert later.id not in [r.id for r in offered]
    assert [q.name for q in embedded.read_work_queues("local")] == ["urgent", "default"]
    assert all(q.last_polled is not None for q in embedded.read_work_queues("local"))


def test_paused_pools_queues_and_deployments_hold_runs_back(embedded: EmbeddedClient) -> None:
    d = deployment(embedded)
    due_run(embedded, d.id)

    embedded.update_work_pool("local", WorkPoolUpdate(is_paused=True))
    assert embedded.get_scheduled_flow_runs("local") == []
    embedded.update_work_pool("local", WorkPoolUpdate(is_paused=False))
    embedded.update_work_queue("local", "default", WorkQueueUpdate(is_paused=True))
    assert embedded.get_scheduled_flow_runs("local") == []
    embedded.update_work_queue("local", "default", WorkQueueUpdate(is_paused=False))
    embedded.update_deployment(d.id, DeploymentUpdate(paused=True))
    assert embedded.get_scheduled_flow_runs("local") == []
    embedded.update_deployment(d.id, DeploymentUpdate(paused=False))
    assert len(embedded.get_scheduled_flow_runs("local")) == 1


@pytest.mark.parametrize("where", ["pool", "queue", "deployment"])
def test_a_full_concurrency_limit_holds_runs_back(embedded: EmbeddedClient, where: str) -> None:
    d = deployment(embedded)
    if where == "pool":
        embedded.update_work_pool("local", WorkPoolUpdate(concurrency_limit=1))
    elif where == "queue":
        embedded.update_work_queue("local", "default", WorkQueueUpdate(concurrency_limit=1))
    else:
        embedded.update_deployment(d.id, DeploymentUpdate(concurrency_limit=1))
    first, _ = due_run(embedded, d.id), due_run(embedded, d.id)

    assert len(embedded.get_scheduled_flow_runs("local")) == 1
    embedded.set_flow_run_state(first.id, Pending())
    assert embedded.get_scheduled_flow_runs("local") == []


def test_racing_claims_start_a_run_once(embedded: EmbeddedClient) -> None:
    d = deployment(embedded)
    run = due_run(embedded, d.id)
    barrier = threading.Barrier(8)
    answers: list[Decision] = []

    def claim() -> None:
        barrier.wait()
        answers.append(embedded.set_flow_run_state(run.id, Pending()).status)

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert answers.count(Decision.ACCEPT) == 1
    assert embedded.read_flow_run(run.id).state_type is StateType.PENDING


def test_a_late_claim_of_a_running_run_is_aborted(embedded: EmbeddedClient) -> None:
    d = deployment(embedded)
    run = due_run(embedded, d.id)
    embedded.set_flow_run_state(run.id, Pending())
    embedded.set_flow_run_state(run.id, Running())

    result = embedded.set_flow_run_state(run.id, Pending())

    assert result.status is Decision.ABORT
    assert "claimed by another worker" in (result.reason or "")


def test_unknown_pools_and_queues_are_named(embedded: EmbeddedClient) -> None:
    deployment(embedded)
    with pytest.raises(ObjectNotFound, match="work pool 'nope'"):
        embedded.get_scheduled_flow_runs("nope")
    with pytest.raises(ObjectNotFound, match="'missing'"):
        embedded.get_scheduled_flow_runs("local", queue_names=["missing"])


def test_heartbeats_register_workers(embedded: EmbeddedClient) -> None:
    deployment(embedded)
    embedded.worker_heartbeat("local", "w1", heartbeat_interval_seconds=5)
    embedded.worker_heartbeat("local", "w1", heartbeat_interval_seconds=5)
    embedded.worker_heartbeat("local", "w2")

    assert sorted(w.name for w in embedded.read_workers("local")) == ["w1", "w2"]
