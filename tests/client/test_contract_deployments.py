"""The contract of ``BatonClient`` for deployments, work pools, queues and workers.

Each test takes the ``client`` fixture, so it runs in-process on SQLite and on
PostgreSQL, and over HTTP against a real server on loopback.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from baton.client.base import BatonClient
from baton.core.actions import (
    DeploymentCreate,
    DeploymentFlowRunCreate,
    DeploymentScheduleCreate,
    DeploymentScheduleUpdate,
    DeploymentUpdate,
    FlowRunCreate,
    FlowRunUpdate,
    WorkPoolCreate,
    WorkPoolUpdate,
    WorkQueueCreate,
    WorkQueueUpdate,
)
from baton.core.deployments import DEFAULT_QUEUE, Deployment, GitSource
from baton.core.models import Decision
from baton.core.states import StateType, utcnow
from baton.exceptions import ObjectNotFound, OrchestrationError, ParameterValidationError
from baton.states import Pending, Running

SCHEMA = {
    "type": "object",
    "properties": {"n": {"type": "integer"}, "label": {"type": "string"}},
    "required": ["n"],
}
HOURLY = {"cron": "0 * * * *"}


def deploy(
    client: BatonClient, name: str = "nightly", flow: str = "etl", **fields: Any
) -> Deployment:
    flow_id = client.read_or_create_flow(flow).id
    return client.create_deployment(DeploymentCreate(flow_id=flow_id, name=name, **fields))


def pooled(client: BatonClient, pool: str = "pool", **fields: Any) -> Deployment:
    client.create_work_pool(WorkPoolCreate(name=pool))
    return deploy(client, work_pool_name=pool, **fields)


# -- deployments ----------------------------------------------------------------


def test_a_deployment_reads_back_as_registered_by_id_and_by_name(client: BatonClient) -> None:
    client.create_work_pool(WorkPoolCreate(name="pool"))
    client.create_work_queue("pool", WorkQueueCreate(name="fast"))
    made = deploy(
        client,
        description="every night",
        version="1.2",
        tags=["etl", "nightly"],
        entrypoint="flows.py:etl",
        path="/srv/code",
        source=GitSource(repository="https://example.com/repo.git", branch="main"),
        parameters={"n": 3},
        parameter_openapi_schema=SCHEMA,
        schedules=[DeploymentScheduleCreate(schedule=HOURLY)],
        work_pool_name="pool",
        work_queue_name="fast",
        job_variables={"env": {"A": "1"}},
        concurrency_limit=2,
        crash_retries=1,
    )

    by_id = client.read_deployment(made.id)
    assert by_id == client.read_deployment_by_name("etl/nightly")
    assert by_id.name == "nightly" and by_id.flow_name == "etl"
    assert by_id.description == "every night" and by_id.version == "1.2"
    assert by_id.tags == ["etl", "nightly"]
    assert (by_id.entrypoint, by_id.path) == ("flows.py:etl", "/srv/code")
    assert by_id.source == GitSource(repository="https://example.com/repo.git", branch="main")
    assert by_id.parameters == {"n": 3}
    assert by_id.parameter_openapi_schema == SCHEMA
    assert (by_id.work_pool_name, by_id.work_queue_name) == ("pool", "fast")
    assert by_id.work_queue_id == client.read_work_queues("pool")[1].id
    assert by_id.job_variables == {"env": {"A": "1"}}
    assert (by_id.concurrency_limit, by_id.crash_retries) == (2, 1)
    assert [s.schedule["cron"] for s in by_id.schedules] == ["0 * * * *"]
    assert by_id.schedules[0].active and by_id.schedules[0].deployment_id == made.id
    assert by_id.paused is False


def test_registering_a_deployment_again_replaces_it_in_place(client: BatonClient) -> None:
    first = deploy(client, tags=["old"], schedules=[DeploymentScheduleCreate(schedule=HOURLY)])
    again = deploy(client, tags=["new"], parameters={"n": 1})

    assert again.id == first.id
    stored = client.read_deployment(first.id)
    assert stored.tags == ["new"] and stored.parameters == {"n": 1}
    assert stored.schedules == []
    assert [d.id for d in client.read_deployments()] == [first.id]


def test_read_deployments_by_flow_ordered_by_full_name_and_paged(client: BatonClient) -> None:
    made = {
        (flow, name): deploy(client, name=name, flow=flow).id
        for flow, name in [("b-flow", "x"), ("a-flow", "z"), ("a-flow", "y"), ("b-flow", "w")]
    }

    every = [(d.flow_name, d.name) for d in client.read_deployments()]
    assert every == [("a-flow", "y"), ("a-flow", "z"), ("b-flow", "w"), ("b-flow", "x")]
    assert [d.name for d in client.read_deployments(limit=2, offset=1)] == ["z", "w"]
    b_flow = client.read_or_create_flow("b-flow").id
    assert [d.id for d in client.read_deployments(flow_id=b_flow)] == [
        made[("b-flow", "w")],
        made[("b-flow", "x")],
    ]


def test_update_changes_only_the_fields_given(client: BatonClient) -> None:
    made = deploy(
        client,
        description="kept",
        tags=["a"],
        parameters={"n": 1},
        schedules=[DeploymentScheduleCreate(schedule=HOURLY)],
    )

    changed = client.update_deployment(
        made.id,
        DeploymentUpdate(
            paused=True,
            parameters={"n": 2},
            schedules=[DeploymentScheduleCreate(schedule={"interval": 600}, active=False)],
        ),
    )

    assert changed == client.read_deployment(made.id)
    assert changed.paused is True and changed.parameters == {"n": 2}
    assert changed.description == "kept" and changed.tags == ["a"]
    assert [(s.schedule["interval"], s.active) for s in changed.schedules] == [(600.0, False)]
    cleared = client.update_deployment(made.id, DeploymentUpdate(tags=None, description=None))
    assert cleared.tags == [] and cleared.description is None and cleared.paused is True


def test_a_bad_schedule_is_refused_with_its_reason(client: BatonClient) -> None:
    with pytest.raises(ValueError, match="cron"):
        deploy(client, schedules=[DeploymentScheduleCreate(schedule={"cron": "every day"})])
    assert client.read_deployments() == []

    made = deploy(client)
    with pytest.raises(ValueError, match="cron"):
        client.update_deployment(
            made.id, DeploymentUpdate(schedules=[DeploymentScheduleCreate(schedule={"cron": "x"})])
        )
    assert client.read_deployment(made.id).schedules == []


def test_one_schedule_is_paused_changed_and_deleted_by_its_id(client: BatonClient) -> None:
    daily = {"cron": "0 9 * * *", "timezone": "Europe/London"}
    made = deploy(
        client,
        schedules=[
            DeploymentScheduleCreate(schedule=HOURLY),
            DeploymentScheduleCreate(schedule=daily),
        ],
    )
    hourly_id, daily_id = (s.id for s in made.schedules)

    client.update_deployment_schedule(made.id, hourly_id, DeploymentScheduleUpdate(active=False))
    client.update_deployment_schedule(
        made.id, daily_id, DeploymentScheduleUpdate(schedule={"interval": 600})
    )
    changed = client.read_deployment(made.id).schedules
    assert [(s.id, s.active) for s in changed] == [(hourly_id, False), (daily_id, True)]
    assert changed[1].schedule["interval"] == 600.0

    client.delete_deployment_schedule(made.id, hourly_id)
    assert [s.id for s in client.read_deployment(made.id).schedules] == [daily_id]
    with pytest.raises(ObjectNotFound):
        client.delete_deployment_schedule(made.id, hourly_id)
    with pytest.raises(ValueError, match="invalid cron expression"):
        client.update_deployment_schedule(
            made.id, daily_id, DeploymentScheduleUpdate(schedule={"cron": "61 * * * *"})
        )


def test_deleting_a_deployment_keeps_its_past_runs(client: BatonClient) -> None:
    made = deploy(client)
    run = client.create_flow_run_from_deployment(made.id, DeploymentFlowRunCreate())

    client.delete_deployment(made.id)

    with pytest.raises(ObjectNotFound):
        client.read_deployment(made.id)
    assert client.read_deployments() == []
    assert client.read_flow_run(run.id).deployment_id == made.id


def test_unknown_deployments_flows_and_pools_raise_object_not_found(client: BatonClient) -> None:
    missing = uuid.uuid4()
    with pytest.raises(ObjectNotFound):
        client.read_deployment(missing)
    with pytest.raises(ObjectNotFound):
        client.read_deployment_by_name("etl/nowhere")
    with pytest.raises(ObjectNotFound):
        client.read_deployment_by_name("no-slash")
    with pytest.raises(ObjectNotFound):
        client.update_deployment(missing, DeploymentUpdate(paused=True))
    with pytest.raises(ObjectNotFound):
        client.delete_deployment(missing)
    with pytest.raises(ObjectNotFound):
        client.create_flow_run_from_deployment(missing, DeploymentFlowRunCreate())
    with pytest.raises(ObjectNotFound):
        client.create_deployment(DeploymentCreate(flow_id=missing, name="x"))
    with pytest.raises(ObjectNotFound):
        deploy(client, work_pool_name="no-such-pool")
    assert client.read_deployments() == []


# -- runs of a deployment ---------------------------------------------------------


def test_a_deployment_run_is_scheduled_with_its_defaults_overridden(client: BatonClient) -> None:
    made = pooled(
        client,
        tags=["etl"],
        parameters={"n": 1, "label": "default"},
        parameter_openapi_schema=SCHEMA,
        job_variables={"image": "a", "cpu": 1},
        version="7",
    )
    when = utcnow() + dt.timedelta(hours=1)

    run = client.create_flow_run_from_deployment(
        made.id,
        DeploymentFlowRunCreate(
            name="by-hand",
            parameters={"n": 5},
            tags=["manual"],
            job_variables={"cpu": 2},
            scheduled_time=when,
        ),
    )

    stored = client.read_flow_run(run.id)
    assert stored == run
    assert stored.state_type is StateType.SCHEDULED
    assert stored.state is not None and stored.state.state_details.scheduled_time == when
    assert stored.name == "by-hand" and stored.deployment_id == made.id
    assert stored.parameters == {"n": 5, "label": "default"}
    assert set(stored.tags) == {"etl", "manual"}
    assert stored.job_variables == {"image": "a", "cpu": 2}
    assert (stored.work_pool_name, stored.work_queue_name) == ("pool", DEFAULT_QUEUE)
    assert stored.work_queue_id == made.work_queue_id
    assert stored.flow_version == "7" and stored.auto_scheduled is False


def test_bad_run_parameters_are_refused_and_make_no_run(client: BatonClient) -> None:
    made = deploy(client, parameter_openapi_schema=SCHEMA)

    with pytest.raises(ParameterValidationError, match="'n'"):
        client.create_flow_run_from_deployment(
            made.id, DeploymentFlowRunCreate(parameters={"n": "many"})
        )
    with pytest.raises(ParameterValidationError, match="'n'"):
        client.create_flow_run_from_deployment(made.id, DeploymentFlowRunCreate())
    assert client.read_flow_runs() == []


def test_a_repeated_idempotency_key_returns_the_first_run(client: BatonClient) -> None:
    made = deploy(client)
    first = client.create_flow_run_from_deployment(
        made.id, DeploymentFlowRunCreate(idempotency_key="2024-05-01")
    )
    again = client.create_flow_run_from_deployment(
        made.id, DeploymentFlowRunCreate(idempotency_key="2024-05-01", name="other")
    )

    assert again.id == first.id and again.name == first.name
    assert [run.id for run in client.read_flow_runs()] == [first.id]


def test_create_flow_run_honours_an_idempotency_key_per_flow(client: BatonClient) -> None:
    etl = client.read_or_create_flow("etl").id
    report = client.read_or_create_flow("report").id
    first = client.create_flow_run(FlowRunCreate(flow_id=etl, idempotency_key="k"))
    again = client.create_flow_run(FlowRunCreate(flow_id=etl, idempotency_key="k", name="x"))
    other_flow = client.create_flow_run(FlowRunCreate(flow_id=report, idempotency_key="k"))

    assert again.id == first.id
    assert client.read_flow_run(first.id).idempotency_key == "k"
    assert other_flow.id != first.id


def test_update_flow_run_records_where_and_what_it_runs(client: BatonClient) -> None:
    run = client.create_flow_run_from_deployment(deploy(client).id, DeploymentFlowRunCreate())

    updated = client.update_flow_run(
        run.id, FlowRunUpdate(infrastructure_pid="host:123", code_revision="abc123")
    )
    renamed = client.update_flow_run(run.id, FlowRunUpdate(name="renamed", tags=["t"]))

    assert (updated.infrastructure_pid, updated.code_revision) == ("host:123", "abc123")
    assert renamed == client.read_flow_run(run.id)
    assert renamed.name == "renamed" and renamed.tags == ["t"]
    assert renamed.infrastructure_pid == "host:123"
    with pytest.raises(ObjectNotFound):
        client.update_flow_run(uuid.uuid4(), FlowRunUpdate(name="x"))


# -- work pools and queues --------------------------------------------------------


def test_a_work_pool_comes_with_its_default_queue(client: BatonClient) -> None:
    pool = client.create_work_pool(
        WorkPoolCreate(name="pool", description="d", base_job_template={"a": 1})
    )

    assert client.read_work_pool("pool") == pool
    assert (pool.type, pool.description, pool.base_job_template) == ("process", "d", {"a": 1})
    queues = client.read_work_queues("pool")
    assert [(q.name, q.priority) for q in queues] == [(DEFAULT_QUEUE, 1)]
    assert pool.default_queue_id == queues[0].id
    assert queues[0].work_pool_id == pool.id and queues[0].work_pool_name == "pool"
    with pytest.raises(OrchestrationError, match="pool"):
        client.create_work_pool(WorkPoolCreate(name="pool"))


def test_work_pools_are_listed_by_name_changed_and_deleted(client: BatonClient) -> None:
    for name in ("b", "a", "c"):
        client.create_work_pool(WorkPoolCreate(name=name))

    assert [pool.name for pool in client.read_work_pools()] == ["a", "b", "c"]
    changed = client.update_work_pool("b", WorkPoolUpdate(is_paused=True, concurrency_limit=3))
    assert changed == client.read_work_pool("b")
    assert changed.is_paused and changed.concurrency_limit == 3
    unlimited = client.update_work_pool("b", WorkPoolUpdate(concurrency_limit=None))
    assert unlimited.concurrency_limit is None and unlimited.is_paused

    client.delete_work_pool("b")
    assert [pool.name for pool in client.read_work_pools()] == ["a", "c"]
    for call in (
        lambda: client.read_work_pool("b"),
        lambda: client.update_work_pool("b", WorkPoolUpdate(is_paused=False)),
        lambda: client.delete_work_pool("b"),
        lambda: client.read_work_queues("b"),
        lambda: client.read_workers("b"),
    ):
        with pytest.raises(ObjectNotFound):
            call()


def test_queues_in_priority_order_changed_and_deleted(client: BatonClient) -> None:
    client.create_work_pool(WorkPoolCreate(name="pool"))
    low = client.create_work_queue("pool", WorkQueueCreate(name="low"))
    urgent = client.create_work_queue("pool", WorkQueueCreate(name="urgent", priority=1))

    assert low.priority == 2 and urgent.priority == 1
    names = [queue.name for queue in client.read_work_queues("pool")]
    assert names.index("urgent") < names.index("low")
    assert names[-1] == "low"

    changed = client.update_work_queue(
        "pool", "low", WorkQueueUpdate(is_paused=True, concurrency_limit=1, description="slow")
    )
    assert (changed.is_paused, changed.concurrency_limit, changed.description) == (True, 1, "slow")
    assert changed.id == low.id

    with pytest.raises(OrchestrationError):
        client.create_work_queue("pool", WorkQueueCreate(name="low"))
    with pytest.raises(OrchestrationError):
        client.delete_work_queue("pool", DEFAULT_QUEUE)
    client.delete_work_queue("pool", "low")
    assert "low" not in [queue.name for queue in client.read_work_queues("pool")]
    with pytest.raises(ObjectNotFound):
        client.update_work_queue("pool", "low", WorkQueueUpdate(is_paused=False))
    with pytest.raises(ObjectNotFound):
        client.delete_work_queue("pool", "low")
    with pytest.raises(ObjectNotFound):
        client.create_work_queue("nowhere", WorkQueueCreate(name="q"))


# -- workers ----------------------------------------------------------------------


def test_scheduled_runs_due_are_offered_and_claimed_once(client: BatonClient) -> None:
    made = pooled(client)
    due = client.create_flow_run_from_deployment(made.id, DeploymentFlowRunCreate())
    later = client.create_flow_run_from_deployment(
        made.id, DeploymentFlowRunCreate(scheduled_time=utcnow() + dt.timedelta(hours=1))
    )

    offered = client.get_scheduled_flow_runs("pool")
    assert [run.id for run in offered] == [due.id]
    assert offered[0].work_pool_name == "pool"
    horizon = utcnow() + dt.timedelta(hours=2)
    both = client.get_scheduled_flow_runs("pool", scheduled_before=horizon)
    assert [run.id for run in both] == [due.id, later.id]
    assert client.get_scheduled_flow_runs("pool", scheduled_before=horizon, limit=1) == both[:1]
    queue = client.read_work_queues("pool")[0]
    assert queue.last_polled is not None

    assert client.set_flow_run_state(due.id, Pending()).status is Decision.ACCEPT
    assert client.set_flow_run_state(due.id, Pending()).status is not Decision.ACCEPT
    assert client.get_scheduled_flow_runs("pool") == []


def test_paused_pools_queues_and_deployments_hold_their_runs(client: BatonClient) -> None:
    made = pooled(client)
    client.create_flow_run_from_deployment(made.id, DeploymentFlowRunCreate())

    client.update_deployment(made.id, DeploymentUpdate(paused=True))
    assert client.get_scheduled_flow_runs("pool") == []
    client.update_deployment(made.id, DeploymentUpdate(paused=False))
    client.update_work_queue("pool", DEFAULT_QUEUE, WorkQueueUpdate(is_paused=True))
    assert client.get_scheduled_flow_runs("pool") == []
    client.update_work_queue("pool", DEFAULT_QUEUE, WorkQueueUpdate(is_paused=False))
    client.update_work_pool("pool", WorkPoolUpdate(is_paused=True))
    assert client.get_scheduled_flow_runs("pool") == []
    client.update_work_pool("pool", WorkPoolUpdate(is_paused=False))
    assert len(client.get_scheduled_flow_runs("pool")) == 1


def test_scheduled_runs_of_named_queues_only(client: BatonClient) -> None:
    made = pooled(client)
    client.create_work_queue("pool", WorkQueueCreate(name="other"))
    run = client.create_flow_run_from_deployment(made.id, DeploymentFlowRunCreate())

    assert client.get_scheduled_flow_runs("pool", queue_names=["other"]) == []
    assert [r.id for r in client.get_scheduled_flow_runs("pool", queue_names=[DEFAULT_QUEUE])] == [
        run.id
    ]
    with pytest.raises(ObjectNotFound):
        client.get_scheduled_flow_runs("pool", queue_names=["missing"])
    with pytest.raises(ObjectNotFound):
        client.get_scheduled_flow_runs("no-such-pool")


def test_heartbeats_record_the_worker_and_its_runs(client: BatonClient) -> None:
    made = pooled(client)
    run = client.create_flow_run_from_deployment(made.id, DeploymentFlowRunCreate())
    assert client.set_flow_run_state(run.id, Pending()).status is Decision.ACCEPT
    assert client.set_flow_run_state(run.id, Running()).status is Decision.ACCEPT
    before = utcnow()

    client.worker_heartbeat("pool", "worker-1", heartbeat_interval_seconds=15)
    client.worker_heartbeat("pool", "worker-1", flow_run_ids=[run.id])

    workers = client.read_workers("pool")
    assert [w.name for w in workers] == ["worker-1"]
    assert workers[0].last_heartbeat_time >= before
    assert workers[0].work_pool_id == client.read_work_pool("pool").id
    heartbeat = client.read_flow_run(run.id).heartbeat_time
    assert heartbeat is not None and heartbeat >= before
    with pytest.raises(ObjectNotFound):
        client.worker_heartbeat("no-such-pool", "worker-1")


def test_served_deployments_are_polled_by_id_and_their_runs_heartbeat(
    client: BatonClient,
) -> None:
    served = deploy(client, "served", concurrency_limit=1)
    other = deploy(client, "other")
    past = utcnow() - dt.timedelta(minutes=1)
    first, second = (
        client.create_flow_run_from_deployment(
            served.id, DeploymentFlowRunCreate(scheduled_time=past + dt.timedelta(seconds=i))
        )
        for i in range(2)
    )
    client.create_flow_run_from_deployment(other.id, DeploymentFlowRunCreate(scheduled_time=past))
    later = utcnow() + dt.timedelta(hours=1)
    client.create_flow_run_from_deployment(served.id, DeploymentFlowRunCreate(scheduled_time=later))
    before = utcnow()

    due = client.get_scheduled_flow_runs_for_deployments([served.id], limit=10)
    assert [r.id for r in due] == [first.id]  # earliest first, within its limit of one
    assert client.read_deployment(served.id).last_polled is not None
    client.set_flow_run_state(first.id, Pending())
    assert client.get_scheduled_flow_runs_for_deployments([served.id]) == []  # limit full

    client.heartbeat_flow_runs([first.id])
    heartbeat = client.read_flow_run(first.id).heartbeat_time
    assert heartbeat is not None and heartbeat >= before
    assert client.read_flow_run(second.id).heartbeat_time is None
