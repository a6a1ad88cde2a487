"""Filter bodies as models: unknown keys and malformed values are refused with a clear
message, and Prefect 2's request bodies parse."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from baton.core.filters import (
    FlowFilter,
    FlowRunFilter,
    FlowRunSort,
    FlowSort,
    LogFilter,
    LogSort,
    Operator,
    TaskRunFilter,
    TaskRunSort,
)
from baton.core.states import StateType


@pytest.mark.parametrize(
    ("model", "body"),
    [
        (FlowRunFilter, {"tag": {"all_": ["x"]}}),
        (FlowRunFilter, {"tags": {"any_": ["x"]}}),
        (FlowRunFilter, {"state": {"type": {"any": ["COMPLETED"]}}}),
        (FlowRunFilter, {"end_time": {"before_": "2030-01-01T00:00:00Z"}}),
        (TaskRunFilter, {"subflow_runs": {"exists": True}}),
        (FlowFilter, {"name": {"like": "x"}}),
        (LogFilter, {"level": {"gt_": 10}}),
    ],
)
def test_unknown_keys_are_refused(model: type[Any], body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        model.model_validate(body)


def test_malformed_values_are_refused_with_clear_messages() -> None:
    with pytest.raises(ValidationError, match="'SCHEDULED', 'PENDING'"):
        FlowRunFilter.model_validate({"state": {"type": {"any_": ["DONE"]}}})
    with pytest.raises(ValidationError, match="operator"):
        FlowRunFilter.model_validate({"operator": "xor_"})
    with pytest.raises(ValidationError, match=r"id\.any_\.0"):
        FlowRunFilter.model_validate({"id": {"any_": ["not-a-uuid"]}})
    with pytest.raises(ValidationError, match="valid list"):
        TaskRunFilter.model_validate({"tags": {"all_": "io"}})
    with pytest.raises(ValidationError, match="valid datetime"):
        LogFilter.model_validate({"timestamp": {"after_": "yesterday"}})


def test_filters_parse_prefect_request_bodies() -> None:
    parsed = FlowRunFilter.model_validate(
        {
            "operator": "or_",
            "state": {"type": {"any_": ["FAILED", "CRASHED"]}, "name": {"not_any_": ["Late"]}},
            "start_time": {"after_": "2030-01-01T09:00:00+09:00", "before_": "2030-01-02T00:00:00"},
            "tags": {"all_": ["a"], "is_null_": False},
        }
    )
    assert parsed.operator is Operator.or_
    assert parsed.state is not None
    assert parsed.state.type is not None
    assert parsed.state.type.any_ == [StateType.FAILED, StateType.CRASHED]
    assert parsed.start_time is not None
    assert parsed.start_time.after_ == dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
    assert parsed.start_time.before_ == dt.datetime(2030, 1, 2, tzinfo=dt.timezone.utc)
    assert FlowRunFilter().operator is Operator.and_
    assert FlowRunSort("START_TIME_DESC") is FlowRunSort.START_TIME_DESC
    assert TaskRunSort("END_TIME_DESC") is TaskRunSort.END_TIME_DESC
    assert LogSort("TIMESTAMP_ASC") is LogSort.TIMESTAMP_ASC
    assert FlowSort("CREATED_DESC") is FlowSort.CREATED_DESC
