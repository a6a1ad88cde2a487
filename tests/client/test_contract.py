"""The contract of ``BatonClient``: every implementation answers every call alike.

Each test takes the ``client`` fixture, so it runs in-process on SQLite and on
PostgreSQL, and over HTTP against a real server on loopback.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from contract_support import (
    assert_accepted,
    history,
    new_flow_run,
    new_task_run,
    running_flow_run,
)

from baton.client.base import BatonClient
from baton.core.actions import FlowRunCreate, LogCreate
from baton.core.models import Decision, FlowRun, RetryPolicy, RunInput, RunKind
from baton.core.states import State, StateType, utcnow
from baton.exceptions import ObjectNotFound
from baton.states import Completed, Failed, Pending, Running, Scheduled

# -- flows --------------------------------------------------------------------


def test_read_or_create_flow_is_idempotent_by_name(client: BatonClient) -> None:
    first = client.read_or_create_flow("etl")
    again = client.read_or_create_flow("etl")
    other = client.read_or_create_flow("report")

    assert first.name == again.name == "etl"
    assert again.id == first.id
    assert other.id != first.id
    assert [flow.id for flow in client.read_flows()].count(first.id) == 1


def test_read_flows_orders_by_name_and_pages(client: BatonClient) -> None:
    names = ["delta", "alpha", "echo", "charlie", "bravo"]
    ids = {name: client.read_or_create_flow(name).id for name in names}

    found = client.read_flows()
    assert [flow.name for flow in found] == sorted(names)
    assert [flow.id for flow in found] == [ids[name] for name in sorted(names)]
    assert [flow.name for flow in client.read_flows(limit=2, offset=1)] == ["bravo", "charlie"]
    assert client.read_flows(offset=5) == []


# -- creating runs ------------------------------------------------------------


def test_create_flow_run_without_a_state_stores_it_as_given(client: BatonClient) -> None:
    flow = client.read_or_create_flow("plain")
    run = client.create_flow_run(
        FlowRunCreate(
            flow_id=flow.id,
            name="as-given",
            parameters={"n": 3, "items": ["a", "b"], "nested": {"x": None}},
            tags=["nightly", "etl"],
            flow_version="1.2",
            empirical_policy=RetryPolicy(retries=2, retry_delay=[3.0]),
        )
    )

    assert run.state is None and run.state_type is None
    stored = client.read_flow_run(run.id)
    assert stored.id == run.id
    assert stored.flow_id == flow.id
    assert stored.name == "as-given"
    assert stored.parameters == {"n": 3, "items": ["a", "b"], "nested": {"x": None}}
    assert stored.tags == ["nightly", "etl"]
    assert stored.flow_version == "1.2"
    assert stored.empirical_policy == RetryPolicy(retries=2, retry_delay=[3.0])
    assert stored.state is None and stored.state_type is None and stored.state_name is None
    assert stored.run_count == 0
    assert stored.start_time is None and stored.end_time is None
    assert client.read_flow_run_states(run.id) == []


@pytest.mark.parametrize(
    "policy",
    [
        RetryPolicy(),
        RetryPolicy(retries=0, retry_delay=[0.0]),  # what a flow without retries sends
        RetryPolicy(retries=3, retry_delay=[2.5]),
    ],
    ids=["default", "zero-delay", "delay"],
)
def test_a_retry_policy_reads_back_as_given(client: BatonClient, policy: RetryPolicy) -> None:
    flow_run = new_flow_run(client, empirical_policy=policy, state=Pending())
    task_run = new_task_run(client, flow_run.id, empirical_policy=policy)
    assert client.read_flow_run(flow_run.id).empirical_policy == policy
    assert client.read_task_run(task_run.id).empirical_policy == policy


def test_create_flow_run_names_an_unnamed_run(client: BatonClient) -> None:
    run = new_flow_run(client)
    assert run.name
    assert client.read_flow_run(run.id).name == run.name


def test_create_flow_run_with_an_initial_state_orchestrates_it(client: BatonClient) -> None:
    run = new_flow_run(client, state=Pending())

    assert run.state_type is StateType.PENDING
    stored = client.read_flow_run(run.id)
    assert stored.state_type is StateType.PENDING
    assert stored.state_name == "Pending"
    assert stored.state is not None
    assert stored.state.state_details.flow_run_id == run.id
    assert history(client.read_flow_run_states(run.id)) == [("PENDING", "Pending")]


def test_create_flow_run_in_a_scheduled_state_expects_it_then(client: BatonClient) -> None:
    when = utcnow() + dt.timedelta(hours=2)
    run = new_flow_run(client, state=Scheduled(when))

    stored = client.read_flow_run(run.id)
    assert stored.state_type is StateType.SCHEDULED
    assert stored.expected_start_time == when
    assert stored.state is not None
    assert stored.state.state_details.scheduled_time == when


def test_create_flow_run_keeps_the_id_it_is_given(client: BatonClient) -> None:
    wanted = uuid.uuid4()
    run = new_flow_run(client, id=wanted, state=Pending())

    assert run.id == wanted
    assert client.read_flow_run(wanted).id == wanted


def test_create_flow_run_of_an_unknown_flow_raises_object_not_found(client: BatonClient) -> None:
    missing = uuid.uuid4()
    with pytest.raises(ObjectNotFound) as raised:
        client.create_flow_run(FlowRunCreate(flow_id=missing, state=Pending()))
    assert str(missing) in str(raised.value)
    assert client.read_flow_runs() == []


def test_create_task_run_stores_it_as_given(client: BatonClient) -> None:
    flow_run = running_flow_run(client)
    upstream = new_task_run(client, flow_run.id, key="extract", state=Pending())
    wanted = uuid.uuid4()
    run = new_task_run(
        client,
        flow_run.id,
        key="load",
        index=4,
        id=wanted,
        tags=["db"],
        cache_key="k-1",
        task_version="7",
        empirical_policy=RetryPolicy(retries=3, retry_delay=[1.0, 2.0], retry_jitter_factor=0.5),
        task_inputs={
            "rows": [RunInput(input_type="task_run", id=upstream.id)],
            "table": [RunInput(input_type="parameter", name="table")],
        },
    )

    assert run.id == wanted
    assert run.state is None
    stored = client.read_task_run(wanted)
    assert stored.flow_run_id == flow_run.id
    assert (stored.name, stored.task_key, stored.dynamic_key) == ("load-4", "load", "4")
    assert stored.tags == ["db"]
    assert stored.cache_key == "k-1"
    assert stored.task_version == "7"
    assert stored.empirical_policy == RetryPolicy(
        retries=3, retry_delay=[1.0, 2.0], retry_jitter_factor=0.5
    )
    assert stored.task_inputs == {
        "rows": [RunInput(input_type="task_run", id=upstream.id)],
        "table": [RunInput(input_type="parameter", name="table")],
    }
    assert stored.state is None and stored.state_type is None
    assert client.read_task_run_states(wanted) == []


def test_create_task_run_with_an_initial_state_orchestrates_it(client: BatonClient) -> None:
    flow_run = running_flow_run(client)
    run = new_task_run(client, flow_run.id, state=Pending())

    assert run.state_type is StateType.PENDING
    stored = client.read_task_run(run.id)
    assert stored.state_type is StateType.PENDING
    assert stored.state is not None
    assert stored.state.state_details.task_run_id == run.id
    assert history(client.read_task_run_states(run.id)) == [("PENDING", "Pending")]


def test_a_task_run_outside_any_flow_run(client: BatonClient) -> None:
    run = new_task_run(client, None, state=Pending())
    assert_accepted(client.set_task_run_state(run.id, Running()), StateType.RUNNING)
    assert client.read_task_run(run.id).flow_run_id is None


# -- proposing states ---------------------------------------------------------


def test_accepted_states_move_the_run_and_keep_its_progress(client: BatonClient) -> None:
    run = new_flow_run(client, state=Pending())

    running = assert_accepted(client.set_flow_run_state(run.id, Running()), StateType.RUNNING)
    assert running.name == "Running"
    assert running.state_details.flow_run_id == run.id
    mid = client.read_flow_run(run.id)
    assert mid.state_type is StateType.RUNNING
    assert mid.run_count == 1
    assert mid.start_time == running.timestamp
    assert mid.end_time is None

    done = assert_accepted(
        client.set_flow_run_state(run.id, Completed(message="all rows loaded")),
        StateType.COMPLETED,
    )
    assert done.message == "all rows loaded"
    stored = client.read_flow_run(run.id)
    assert stored.state_type is StateType.COMPLETED
    assert stored.state is not None and stored.state.id == done.id
    assert stored.end_time == done.timestamp
    assert stored.total_run_time == pytest.approx(
        (done.timestamp - running.timestamp).total_seconds()
    )
    assert client.read_decisions([run.id]) == []


def test_task_run_states_are_accepted_in_order(client: BatonClient) -> None:
    flow_run = running_flow_run(client)
    run = new_task_run(client, flow_run.id, state=Pending())

    running = assert_accepted(client.set_task_run_state(run.id, Running()), StateType.RUNNING)
    assert running.state_details.task_run_id == run.id
    assert_accepted(client.set_task_run_state(run.id, Completed()), StateType.COMPLETED)

    stored = client.read_task_run(run.id)
    assert stored.state_type is StateType.COMPLETED
    assert stored.run_count == 1
    assert stored.start_time is not None and stored.end_time is not None


def test_a_failed_flow_run_with_retries_left_is_rejected_into_awaiting_retry(
    client: BatonClient,
) -> None:
    run = running_flow_run(client, empirical_policy=RetryPolicy(retries=1))

    result = client.set_flow_run_state(run.id, Failed(message="disk full"))
    assert result.status is Decision.REJECT
    assert result.state is not None
    assert (result.state.type, result.state.name) == (StateType.SCHEDULED, "AwaitingRetry")
    assert result.rule == "RetryFailedFlows"
    assert result.reason is not None and "disk full" in result.reason
    assert client.read_flow_run(run.id).state_name == "AwaitingRetry"

    rerun = assert_accepted(client.set_flow_run_state(run.id, Running()), StateType.RUNNING)
    assert rerun.name == "Retrying"
    assert_accepted(client.set_flow_run_state(run.id, Failed(message="again")), StateType.FAILED)
    assert client.read_flow_run(run.id).run_count == 2

    [decision] = client.read_decisions([run.id])
    assert decision.run_id == run.id
    assert decision.run_kind is RunKind.FLOW_RUN
    assert (decision.rule, decision.decision) == ("RetryFailedFlows", Decision.REJECT)
    assert decision.initial_state_type is StateType.RUNNING
    assert decision.proposed_state_type is StateType.FAILED
    assert decision.resulting_state_type is StateType.SCHEDULED
    assert decision.resulting_state_name == "AwaitingRetry"


def test_a_failed_task_run_with_retries_left_is_rejected_into_awaiting_retry(
    client: BatonClient,
) -> None:
    flow_run = running_flow_run(client)
    run = new_task_run(
        client, flow_run.id, state=Pending(), empirical_policy=RetryPolicy(retries=2)
    )
    states: list[State] = []
    for attempt in (1, 2, 3):
        states.append(
            assert_accepted(client.set_task_run_state(run.id, Running()), StateType.RUNNING)
        )
        result = client.set_task_run_state(run.id, Failed(message=f"boom {attempt}"))
        if attempt < 3:
            assert result.status is Decision.REJECT
            assert result.state is not None and result.state.name == "AwaitingRetry"
            assert result.rule == "RetryFailedTasks"
            assert result.reason is not None and f"boom {attempt}" in result.reason
        else:
            assert_accepted(result, StateType.FAILED)

    assert [state.name for state in states] == ["Running", "Retrying", "Retrying"]
    assert client.read_task_run(run.id).run_count == 3
    decisions = client.read_decisions([run.id])
    assert [(d.rule, d.decision) for d in decisions] == [("RetryFailedTasks", Decision.REJECT)] * 2
    assert history(client.read_task_run_states(run.id)) == [
        ("PENDING", "Pending"),
        ("RUNNING", "Running"),
        ("SCHEDULED", "AwaitingRetry"),
        ("RUNNING", "Retrying"),
        ("SCHEDULED", "AwaitingRetry"),
        ("RUNNING", "Retrying"),
        ("FAILED", "Failed"),
    ]


def test_a_run_scheduled_in_the_future_is_told_to_wait(client: BatonClient) -> None:
    run = new_flow_run(client, state=Scheduled(utcnow() + dt.timedelta(hours=1)))

    result = client.set_flow_run_state(run.id, Running())
    assert result.status is Decision.WAIT
    assert result.rule == "WaitForScheduledTime"
    assert result.delay_seconds is not None and 3500 < result.delay_seconds <= 3600
    assert result.reason
    assert client.read_flow_run(run.id).state_type is StateType.SCHEDULED
    assert history(client.read_flow_run_states(run.id)) == [("SCHEDULED", "Scheduled")]
    [decision] = client.read_decisions([run.id])
    assert decision.decision is Decision.WAIT
    assert decision.delay_seconds == pytest.approx(result.delay_seconds)


def test_a_duplicate_running_proposal_is_aborted(client: BatonClient) -> None:
    flow_run = running_flow_run(client)
    task_run = new_task_run(client, flow_run.id, state=Pending())
    assert_accepted(client.set_task_run_state(task_run.id, Running()), StateType.RUNNING)

    for result in (
        client.set_flow_run_state(flow_run.id, Running()),
        client.set_task_run_state(task_run.id, Running()),
    ):
        assert result.status is Decision.ABORT
        assert result.rule == "PreventDuplicateTransitions"
        assert result.reason is not None and "already RUNNING" in result.reason

    assert history(client.read_flow_run_states(flow_run.id)) == [
        ("PENDING", "Pending"),
        ("RUNNING", "Running"),
    ]
    assert client.read_flow_run(flow_run.id).run_count == 1
    assert client.read_task_run(task_run.id).run_count == 1
    decisions = client.read_decisions([flow_run.id, task_run.id])
    assert sorted((d.run_kind.value, d.decision.value) for d in decisions) == [
        ("flow_run", "ABORT"),
        ("task_run", "ABORT"),
    ]


def test_a_finished_run_stays_finished_unless_forced(client: BatonClient) -> None:
    run = running_flow_run(client)
    assert_accepted(client.set_flow_run_state(run.id, Completed()), StateType.COMPLETED)

    refused = client.set_flow_run_state(run.id, Running())
    assert refused.status is Decision.ABORT
    assert refused.rule == "PreventTransitionsFromTerminalStates"
    assert client.read_flow_run(run.id).state_type is StateType.COMPLETED

    forced = assert_accepted(
        client.set_flow_run_state(run.id, Running(), force=True), StateType.RUNNING
    )
    stored = client.read_flow_run(run.id)
    assert stored.state is not None and stored.state.id == forced.id
    assert stored.end_time is None
    assert stored.run_count == 2


def test_force_skips_every_rule(client: BatonClient) -> None:
    flow_run = new_flow_run(client, state=Scheduled(utcnow() + dt.timedelta(hours=1)))
    assert_accepted(
        client.set_flow_run_state(flow_run.id, Running(), force=True), StateType.RUNNING
    )
    task_run = new_task_run(
        client, flow_run.id, state=Pending(), empirical_policy=RetryPolicy(retries=5)
    )
    assert_accepted(client.set_task_run_state(task_run.id, Running()), StateType.RUNNING)
    assert_accepted(client.set_task_run_state(task_run.id, Failed(), force=True), StateType.FAILED)
    assert client.read_decisions([flow_run.id, task_run.id]) == []


def test_proposing_for_an_unknown_run_raises_object_not_found(client: BatonClient) -> None:
    missing = uuid.uuid4()
    with pytest.raises(ObjectNotFound) as flow_error:
        client.set_flow_run_state(missing, Running())
    with pytest.raises(ObjectNotFound) as task_error:
        client.set_task_run_state(missing, Running())
    assert str(flow_error.value) == f"flow run {missing} not found"
    assert str(task_error.value) == f"task run {missing} not found"


# -- reading ------------------------------------------------------------------

READERS: list[tuple[str, Callable[[BatonClient, uuid.UUID], object]]] = [
    ("flow run", lambda client, run_id: client.read_flow_run(run_id)),
    ("task run", lambda client, run_id: client.read_task_run(run_id)),
    ("flow run", lambda client, run_id: client.read_flow_run_states(run_id)),
    ("task run", lambda client, run_id: client.read_task_run_states(run_id)),
]


@pytest.mark.parametrize(
    ("kind", "read"), READERS, ids=["run", "task-run", "run-states", "task-run-states"]
)
def test_reading_an_unknown_run_raises_object_not_found(
    client: BatonClient, kind: str, read: Callable[[BatonClient, uuid.UUID], object]
) -> None:
    missing = uuid.uuid4()
    with pytest.raises(ObjectNotFound) as raised:
        read(client, missing)
    assert raised.value.kind == kind
    assert str(raised.value) == f"{kind} {missing} not found"


def test_a_run_of_the_other_kind_is_not_found(client: BatonClient) -> None:
    flow_run = running_flow_run(client)
    task_run = new_task_run(client, flow_run.id, state=Pending())
    with pytest.raises(ObjectNotFound):
        client.read_task_run(flow_run.id)
    with pytest.raises(ObjectNotFound):
        client.read_flow_run(task_run.id)


def test_read_flow_runs_filters_and_lists_newest_first(client: BatonClient) -> None:
    etl = client.read_or_create_flow("etl")
    report = client.read_or_create_flow("report")
    created: list[FlowRun] = []
    for flow_id, name in [(etl.id, "e1"), (report.id, "r1"), (etl.id, "e2"), (etl.id, "e3")]:
        created.append(
            client.create_flow_run(FlowRunCreate(flow_id=flow_id, name=name, state=Pending()))
        )
    assert_accepted(client.set_flow_run_state(created[2].id, Running()), StateType.RUNNING)
    assert_accepted(client.set_flow_run_state(created[1].id, Running()), StateType.RUNNING)

    def names(runs: list[FlowRun]) -> list[str]:
        return [run.name for run in runs]

    assert names(client.read_flow_runs()) == ["e3", "e2", "r1", "e1"]
    assert names(client.read_flow_runs(flow_id=etl.id)) == ["e3", "e2", "e1"]
    assert names(client.read_flow_runs(state_types=[StateType.RUNNING])) == ["e2", "r1"]
    assert names(client.read_flow_runs(flow_id=etl.id, state_types=[StateType.RUNNING])) == ["e2"]
    assert names(client.read_flow_runs(state_types=[StateType.RUNNING, StateType.PENDING])) == [
        "e3",
        "e2",
        "r1",
        "e1",
    ]
    assert names(client.read_flow_runs(limit=2)) == ["e3", "e2"]
    assert names(client.read_flow_runs(limit=2, offset=1)) == ["e2", "r1"]
    assert client.read_flow_runs(offset=4) == []
    assert client.read_flow_runs(flow_id=uuid.uuid4()) == []
    [stored] = client.read_flow_runs(state_types=[StateType.RUNNING], flow_id=report.id)
    assert stored.id == created[1].id
    assert stored.state is not None and stored.state.type is StateType.RUNNING


def test_read_task_runs_of_a_flow_run_oldest_first_and_count_them(client: BatonClient) -> None:
    first = running_flow_run(client)
    second = running_flow_run(client)
    ours = [new_task_run(client, first.id, index=i, state=Pending()) for i in range(4)]
    theirs = new_task_run(client, second.id, state=Pending())
    for run in ours[:2]:
        assert_accepted(client.set_task_run_state(run.id, Running()), StateType.RUNNING)
    assert_accepted(client.set_task_run_state(ours[0].id, Completed()), StateType.COMPLETED)

    assert [run.id for run in client.read_task_runs(flow_run_id=first.id)] == [r.id for r in ours]
    assert [run.id for run in client.read_task_runs()] == [r.id for r in ours] + [theirs.id]
    assert [run.id for run in client.read_task_runs(flow_run_id=first.id, limit=2, offset=1)] == [
        ours[1].id,
        ours[2].id,
    ]
    assert client.count_task_runs() == 5
    assert client.count_task_runs(flow_run_id=first.id) == 4
    assert client.count_task_runs(flow_run_id=second.id) == 1
    assert client.count_task_runs(flow_run_id=first.id, state_types=[StateType.PENDING]) == 2
    assert client.count_task_runs(state_types=[StateType.RUNNING, StateType.COMPLETED]) == 2
    assert client.count_task_runs(flow_run_id=uuid.uuid4()) == 0


def test_runs_with_ids_chosen_by_the_caller_are_listed_in_creation_order(
    client: BatonClient,
) -> None:
    """Callers may bring their own (random) ids; the order is still the order of creation."""
    flow_id = client.read_or_create_flow("own-ids").id
    flow_runs = [
        client.create_flow_run(FlowRunCreate(flow_id=flow_id, id=uuid.uuid4(), state=Pending()))
        for _ in range(8)
    ]
    parent = flow_runs[0].id
    task_runs = [
        new_task_run(client, parent, index=i, id=uuid.uuid4(), state=Pending()) for i in range(8)
    ]

    newest_first = [run.id for run in reversed(flow_runs)]
    assert [run.id for run in client.read_flow_runs(flow_id=flow_id)] == newest_first
    assert [run.id for run in client.read_task_runs(flow_run_id=parent)] == [
        run.id for run in task_runs
    ]


def test_reads_reach_past_one_page_of_the_api(client: BatonClient) -> None:
    flow_run = running_flow_run(client)
    created = [new_task_run(client, flow_run.id, index=i) for i in range(210)]

    found = client.read_task_runs(flow_run_id=flow_run.id, limit=1000)
    assert [run.id for run in found] == [run.id for run in created]
    assert [run.id for run in client.read_task_runs(limit=205, offset=3)] == [
        run.id for run in created[3:208]
    ]
    assert client.count_task_runs(flow_run_id=flow_run.id) == 210


def test_state_histories_are_oldest_first(client: BatonClient) -> None:
    flow_run = new_flow_run(client, state=Pending())
    results = [
        client.set_flow_run_state(flow_run.id, Running()),
        client.set_flow_run_state(flow_run.id, Running()),
        client.set_flow_run_state(flow_run.id, Completed()),
    ]
    states = client.read_flow_run_states(flow_run.id)

    assert history(states) == [
        ("PENDING", "Pending"),
        ("RUNNING", "Running"),
        ("COMPLETED", "Completed"),
    ]
    accepted = [r.state for r in results if r.status is Decision.ACCEPT]
    assert [state.id for state in states[1:]] == [s.id for s in accepted if s is not None]
    assert all(a.timestamp <= b.timestamp for a, b in itertools.pairwise(states))
    assert all(state.state_details.flow_run_id == flow_run.id for state in states)


def test_read_decisions_lists_the_non_trivial_ones_of_the_runs_asked_for(
    client: BatonClient,
) -> None:
    aborted = running_flow_run(client)
    client.set_flow_run_state(aborted.id, Running())
    retried = running_flow_run(client, empirical_policy=RetryPolicy(retries=1))
    client.set_flow_run_state(retried.id, Failed())
    quiet = running_flow_run(client)
    client.set_flow_run_state(quiet.id, Completed())

    both = client.read_decisions([aborted.id, retried.id, quiet.id])
    assert [(d.run_id, d.decision) for d in both] == [
        (aborted.id, Decision.ABORT),
        (retried.id, Decision.REJECT),
    ]
    assert both[0].timestamp <= both[1].timestamp
    assert [d.run_id for d in client.read_decisions([retried.id])] == [retried.id]
    assert client.read_decisions([quiet.id]) == []
    assert client.read_decisions([uuid.uuid4()]) == []
    assert client.read_decisions([]) == []


# -- logs ---------------------------------------------------------------------


def test_logs_round_trip_and_filter_by_level_and_run(client: BatonClient) -> None:
    flow_run = running_flow_run(client)
    task_run = new_task_run(client, flow_run.id, state=Pending())
    other = running_flow_run(client)
    start = utcnow().replace(microsecond=0)

    def log(offset: int, level: int, message: str, **ids: uuid.UUID) -> LogCreate:
        moment = start + dt.timedelta(seconds=offset)
        return LogCreate(name="baton.test", level=level, message=message, timestamp=moment, **ids)

    client.create_logs(
        [
            log(3, 40, "task error", flow_run_id=flow_run.id, task_run_id=task_run.id),
            log(0, 10, "flow debug", flow_run_id=flow_run.id),
            log(1, 20, "task info", flow_run_id=flow_run.id, task_run_id=task_run.id),
            log(2, 30, "flow warning", flow_run_id=flow_run.id),
        ]
    )
    client.create_logs([log(4, 50, "elsewhere", flow_run_id=other.id)])
    client.flush()

    def messages(**query: Any) -> list[str]:
        return [record.message for record in client.read_logs(**query)]

    everything = client.read_logs(flow_run_id=flow_run.id)
    assert [r.message for r in everything] == [
        "flow debug",
        "task info",
        "flow warning",
        "task error",
    ]
    assert [r.level for r in everything] == [10, 20, 30, 40]
    assert everything[0].timestamp == start
    assert everything[0].name == "baton.test"
    assert everything[1].task_run_id == task_run.id and everything[1].flow_run_id == flow_run.id
    assert messages(flow_run_id=flow_run.id, min_level=30) == ["flow warning", "task error"]
    assert messages(task_run_id=task_run.id) == ["task info", "task error"]
    assert messages(task_run_id=task_run.id, min_level=21) == ["task error"]
    assert messages(min_level=45) == ["elsewhere"]
    assert messages(flow_run_id=flow_run.id, limit=2, offset=1) == ["task info", "flow warning"]
    assert len(client.read_logs()) == 5
    assert client.read_logs(flow_run_id=uuid.uuid4()) == []


# -- concurrency limits -------------------------------------------------------


def test_concurrency_limits_are_created_changed_read_and_deleted(client: BatonClient) -> None:
    created = client.create_concurrency_limit("db", 2)
    assert (created.tag, created.limit, created.active_slots) == ("db", 2, [])
    client.create_concurrency_limit("api", 5)

    changed = client.create_concurrency_limit("db", 3)
    assert changed.id == created.id
    assert changed.limit == 3

    assert [(c.tag, c.limit) for c in client.read_concurrency_limits()] == [("api", 5), ("db", 3)]
    client.delete_concurrency_limit("db")
    assert [c.tag for c in client.read_concurrency_limits()] == ["api"]


def test_deleting_an_unknown_concurrency_limit_raises_object_not_found(
    client: BatonClient,
) -> None:
    client.create_concurrency_limit("db", 1)
    with pytest.raises(ObjectNotFound) as raised:
        client.delete_concurrency_limit("nope")
    assert "'nope'" in str(raised.value)
    assert [c.tag for c in client.read_concurrency_limits()] == ["db"]


def test_a_held_slot_is_visible_to_readers(client: BatonClient) -> None:
    client.create_concurrency_limit("db", 1)
    flow_run = running_flow_run(client)
    holder = new_task_run(client, flow_run.id, state=Pending(), tags=["db"])
    assert_accepted(client.set_task_run_state(holder.id, Running()), StateType.RUNNING)
    [limit] = client.read_concurrency_limits()
    assert limit.active_slots == [holder.id]

    waiter = new_task_run(client, flow_run.id, index=1, state=Pending(), tags=["db"])
    result = client.set_task_run_state(waiter.id, Running())
    assert result.status is Decision.WAIT
    assert result.delay_seconds is not None and result.delay_seconds > 0

    assert_accepted(client.set_task_run_state(holder.id, Completed()), StateType.COMPLETED)
    assert client.read_concurrency_limits()[0].active_slots == []
    assert_accepted(client.set_task_run_state(waiter.id, Running()), StateType.RUNNING)
