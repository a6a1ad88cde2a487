"""Retry delays and the default cache key of a task's inputs."""

from __future__ import annotations

import threading
from typing import Any, cast

import pytest

from baton.client.base import BatonClient
from baton.core.models import RetryPolicy, TaskRun
from baton.engine.context import TaskRunContext
from baton.tasks import Task, exponential_backoff, task, task_input_hash


@task
def double(x: Any) -> Any:
    return x * 2


@task
def triple(x: Any) -> Any:
    return x * 3


class Opaque:
    """An object JSON cannot encode, with a ``str`` that hides its content."""

    def __init__(self, payload: int) -> None:
        self.payload = payload

    def __str__(self) -> str:
        return "Opaque"


class Plain:
    """An object JSON cannot encode, whose default ``str`` shows its memory address."""

    def __init__(self, payload: int) -> None:
        self.payload = payload


def key(for_task: Task[..., Any], arguments: dict[str, Any]) -> str | None:
    """``task_input_hash`` for ``for_task``; it reads only the task from its context."""
    run = TaskRun(name=f"{for_task.name}-0", task_key=for_task.task_key)
    context = TaskRunContext(
        task=for_task, task_run=run, client=cast(BatonClient, None), parameters=arguments
    )
    return task_input_hash(context, arguments)


def circular(*items: Any) -> list[Any]:
    """A list that contains itself: JSON refuses it, pickle does not."""
    values = list(items)
    values.append(values)
    return values


class TestRetryPolicyDelays:
    def test_no_delays_means_retry_at_once(self) -> None:
        policy = RetryPolicy(retries=3)
        assert [policy.delay_for(n) for n in (1, 2, 3)] == [0.0, 0.0, 0.0]

    def test_each_attempt_takes_its_own_delay(self) -> None:
        policy = RetryPolicy(retries=3, retry_delay=[1, 5, 30])
        assert [policy.delay_for(n) for n in (1, 2, 3)] == [1, 5, 30]

    def test_the_last_delay_is_reused_when_the_list_is_shorter(self) -> None:
        policy = RetryPolicy(retries=5, retry_delay=[2, 4])
        assert [policy.delay_for(n) for n in (1, 2, 3, 4, 5)] == [2, 4, 4, 4, 4]

    def test_a_single_delay_applies_to_every_attempt(self) -> None:
        policy = RetryPolicy(retries=3, retry_delay=[7.5])
        assert [policy.delay_for(n) for n in (1, 2, 3)] == [7.5, 7.5, 7.5]


class TestExponentialBackoff:
    def test_delays_double_from_the_backoff_factor(self) -> None:
        assert exponential_backoff(backoff_factor=2)(4) == [2, 4, 8, 16]

    def test_a_fractional_factor_doubles_too(self) -> None:
        assert exponential_backoff(0.5)(3) == [0.5, 1.0, 2.0]

    def test_one_delay_per_retry(self) -> None:
        delays = exponential_backoff(10)
        assert delays(0) == []
        assert len(delays(6)) == 6

    def test_the_delays_feed_a_retry_policy(self) -> None:
        policy = RetryPolicy(retries=3, retry_delay=exponential_backoff(1)(3))
        assert [policy.delay_for(n) for n in (1, 2, 3, 4)] == [1, 2, 4, 4]


class TestTaskInputHash:
    def test_the_same_inputs_give_the_same_key(self) -> None:
        first = key(double, {"x": [1, 2, {"a": "b"}]})
        assert first is not None
        assert len(first) == 64
        assert int(first, 16) >= 0
        assert key(double, {"x": [1, 2, {"a": "b"}]}) == first

    def test_argument_order_does_not_matter(self) -> None:
        assert key(double, {"a": 1, "b": 2}) == key(double, {"b": 2, "a": 1})

    def test_different_inputs_give_different_keys(self) -> None:
        keys = {key(double, {"x": value}) for value in (1, 2, "1", [1], None, 1.5)}
        assert len(keys) == 6
        assert None not in keys

    def test_different_tasks_give_different_keys_for_the_same_inputs(self) -> None:
        assert key(double, {"x": 1}) != key(triple, {"x": 1})

    def test_inputs_json_refuses_fall_back_to_pickle(self) -> None:
        first = key(double, {"x": circular(1, 2)})
        assert first is not None
        assert key(double, {"x": circular(1, 2)}) == first
        assert key(double, {"x": circular(1, 3)}) != first

    def test_mixed_key_types_json_cannot_sort_fall_back_to_pickle(self) -> None:
        first = key(double, {"x": {1: "one", "two": 2}})
        assert first is not None
        assert key(double, {"x": {1: "one", "two": 2}}) == first
        assert key(double, {"x": {1: "uno", "two": 2}}) != first

    def test_objects_json_cannot_encode_are_hashed_by_content(self) -> None:
        assert key(double, {"x": Opaque(1)}) != key(double, {"x": Opaque(2)})

    def test_equal_objects_json_cannot_encode_give_the_same_key(self) -> None:
        assert key(double, {"x": Opaque(1)}) == key(double, {"x": Opaque(1)})

    def test_equal_objects_with_a_default_str_give_the_same_key(self) -> None:
        assert key(double, {"x": Plain(1)}) == key(double, {"x": Plain(1)})

    def test_inputs_nothing_can_hash_give_no_key(self) -> None:
        assert key(double, {"x": circular(threading.Lock())}) is None

    @pytest.mark.parametrize("arguments", [{}, {"x": None}])
    def test_trivial_inputs_still_have_a_key(self, arguments: dict[str, Any]) -> None:
        assert key(double, arguments) is not None
