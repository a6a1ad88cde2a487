"""The hot path builds models without validation; these tests pin that the
result is indistinguishable from a validated model."""

from __future__ import annotations

import datetime as dt
import json

from baton.core.fast import assign, construct
from baton.core.ids import new_id
from baton.core.models import RetryPolicy, TaskRun
from baton.core.states import (
    Completed,
    Failed,
    Running,
    Scheduled,
    State,
    StateDetails,
    StateType,
)


def test_constructed_states_equal_validated_ones() -> None:
    for state in (Running(), Completed(data=1), Failed(message="boom"), Scheduled()):
        validated = State.model_validate(state.model_dump())
        assert validated.model_dump() == state.model_dump()
        assert validated.model_dump_json() == state.model_dump_json()
        assert validated.model_fields_set == state.model_fields_set


def test_constructed_state_keeps_its_in_memory_value_privately() -> None:
    state = Completed(data={"rows": 3})
    assert state.result() == {"rows": 3}
    assert "rows" not in state.model_dump_json()


def test_constructed_task_run_equals_a_validated_one() -> None:
    now = dt.datetime.now(dt.timezone.utc)
    fields = {
        "id": new_id(),
        "created": now,
        "updated": now,
        "name": "t-0",
        "state_type": None,
        "state_name": None,
        "state": None,
        "run_count": 0,
        "expected_start_time": None,
        "start_time": None,
        "end_time": None,
        "total_run_time": 0.0,
        "tags": ["a"],
        "empirical_policy": RetryPolicy(retries=1),
        "flow_run_id": None,
        "task_key": "mod.t",
        "dynamic_key": "0",
        "cache_key": None,
        "cache_expiration": None,
        "task_version": None,
        "task_inputs": {},
        "flow_run_run_count": 0,
    }
    assert set(fields) == set(TaskRun.model_fields), "construct() needs every field"
    built = construct(TaskRun, dict(fields))
    assert built == TaskRun.model_validate(fields)


def test_assign_changes_fields_like_attribute_assignment() -> None:
    state = Running()
    assign(state, name="Retrying", type=StateType.RUNNING)
    assert state.name == "Retrying"
    assert State.model_validate(state.model_dump()).name == "Retrying"


def test_new_ids_are_unique_time_ordered_version_7() -> None:
    ids = [new_id() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    assert all(i.version == 7 for i in ids)
    assert [i.int >> 80 for i in ids] == sorted(i.int >> 80 for i in ids)


def _rich_details() -> dict[str, object]:
    when = dt.datetime(2026, 11, 21, 12, 30, tzinfo=dt.timezone.utc)
    return {
        "flow_run_id": new_id(),
        "child_flow_run_id": new_id(),
        "scheduled_time": when,
        "cache_key": "k",
        "cache_expiration": when,
        "refresh_cache": True,
        "retriable": False,
        "untrackable_result": True,
    }


def test_proposals_on_the_wire_become_the_states_validation_makes() -> None:
    from baton.api.schemas.states import StateCreate

    stamp = dt.datetime(2026, 11, 21, 12, 0)  # naive on the wire: read as UTC
    rich = _rich_details()
    bodies = [
        {"type": "RUNNING"},
        {"type": "SCHEDULED", "name": "AwaitingRetry", "message": "later"},
        {"type": "COMPLETED", "id": str(new_id()), "timestamp": stamp.isoformat()},
        {"type": "FAILED", "state_details": {**rich, "pause_key": "dropped"}},
        {"type": "COMPLETED", "data": {"storage": "local", "key": "r", "serializer": "json"}},
    ]
    for body in bodies:
        wire = StateCreate.model_validate_json(StateCreate.model_validate(body).model_dump_json())
        state = wire.to_state()
        expected = State.model_validate(state.model_dump())
        assert state == expected
        assert state.name == body.get("name", body["type"].title())
        assert state.model_dump_json() == expected.model_dump_json()
    assert StateCreate.model_validate(bodies[2]).to_state().timestamp.tzinfo is dt.timezone.utc
    details = StateCreate.model_validate(bodies[3]).to_state().state_details
    assert details == StateDetails.model_validate(rich)


def test_states_read_back_from_rows_equal_validated_ones() -> None:
    from baton.storage.queries.rows import details_json, state_from_row, state_row

    written = State.model_validate(
        {"type": "FAILED", "message": "boom", "state_details": _rich_details()}
    )
    row = state_row(written, "flow_run_id", new_id())
    row["state_details"] = json.loads(json.dumps(row["state_details"]))  # as stored
    read = state_from_row(row)
    assert read == written
    assert read.model_dump_json() == written.model_dump_json()
    assert details_json(read.state_details) == row["state_details"]
    plain = state_from_row(state_row(Running(), "task_run_id", new_id()) | {"state_details": {}})
    assert plain.state_details == State(type=StateType.RUNNING).state_details
