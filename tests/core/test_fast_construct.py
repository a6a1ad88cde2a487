"""The hot path builds models without validation; these tests pin that the
result is indistinguishable from a validated model."""

from __future__ import annotations

import datetime as dt

from baton.core.fast import assign, construct
from baton.core.ids import new_id
from baton.core.models import RetryPolicy, TaskRun
from baton.core.states import Completed, Failed, Running, Scheduled, State, StateType


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
