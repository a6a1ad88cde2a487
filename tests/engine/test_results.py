"""Results of runs: persisted where asked, readable later, and never a reason to fail a run."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fsspec
import pytest

import baton.results
from baton import flow, task
from baton.client.base import BatonClient
from baton.core.models import TaskRun
from baton.core.states import State, StateType
from baton.exceptions import BatonError, UnfinishedRun


@pytest.fixture
def memory_url() -> Iterator[str]:
    """A fresh folder of fsspec's in-memory filesystem, removed afterwards."""
    name = f"baton-engine-{uuid.uuid4().hex}"
    yield f"memory://{name}"
    fs = fsspec.filesystem("memory")
    if fs.exists(f"/{name}"):
        fs.rm(f"/{name}", recursive=True)


def only_task_run(client: BatonClient) -> TaskRun:
    runs = client.read_task_runs()
    assert len(runs) == 1, [r.name for r in runs]
    return runs[0]


def stored_state(client: BatonClient, run: TaskRun) -> State:
    """The run's final state as read back from the database (no in-memory value)."""
    state = client.read_task_run(run.id).state
    assert state is not None
    assert not state.has_value()
    return state


def test_persist_result_stores_a_reference_loadable_later(
    client: BatonClient, tmp_path: Path
) -> None:
    @task(persist_result=True, result_storage=str(tmp_path))
    def produce() -> dict[str, Any]:
        return {"rows": [1, 2, 3], "ok": True}

    state = produce(return_state=True)
    assert state.result() == {"rows": [1, 2, 3], "ok": True}
    ref = state.result_ref
    assert ref is not None
    assert ref.serializer == "pickle"
    assert ref.storage == tmp_path.absolute().as_uri()
    assert (tmp_path / ref.key).is_file()
    assert baton.results.load(ref) == {"rows": [1, 2, 3], "ok": True}

    recorded = stored_state(client, only_task_run(client))
    assert recorded.result_ref == ref
    assert recorded.result() == {"rows": [1, 2, 3], "ok": True}
    history = client.read_task_run_states(recorded.state_details.task_run_id or uuid.uuid4())
    assert history[-1].result_ref == ref


def test_the_json_serializer_writes_plain_json(client: BatonClient, tmp_path: Path) -> None:
    @task(persist_result=True, result_storage=str(tmp_path), result_serializer="json")
    def produce() -> dict[str, Any]:
        return {"name": "ada", "scores": [1, 2]}

    assert produce() == {"name": "ada", "scores": [1, 2]}
    recorded = stored_state(client, only_task_run(client))
    assert recorded.result_ref is not None
    assert recorded.result_ref.serializer == "json"
    raw = (tmp_path / recorded.result_ref.key).read_bytes()
    assert json.loads(raw) == {"name": "ada", "scores": [1, 2]}
    assert recorded.result() == {"name": "ada", "scores": [1, 2]}


def test_results_can_live_in_an_fsspec_url(client: BatonClient, memory_url: str) -> None:
    @task(persist_result=True, result_storage=memory_url)
    def produce(x: int) -> list[int]:
        return [x] * 3

    assert produce(4) == [4, 4, 4]
    recorded = stored_state(client, only_task_run(client))
    ref = recorded.result_ref
    assert ref is not None and ref.storage == memory_url
    fs = fsspec.filesystem("memory")
    assert fs.exists(f"{memory_url.removeprefix('memory://')}/{ref.key}")
    assert recorded.result() == [4, 4, 4]


def test_a_persisting_flow_persists_its_own_result_and_its_tasks(
    client: BatonClient, tmp_path: Path
) -> None:
    @task
    def part(x: int) -> int:
        return x + 1

    @flow(persist_result=True, result_storage=str(tmp_path))
    def whole() -> int:
        return part(1) + part(2)

    state = whole(return_state=True)
    assert state.result() == 5
    flow_run = client.read_flow_run(state.state_details.flow_run_id or uuid.uuid4())
    assert flow_run.state is not None and flow_run.state.result_ref is not None
    assert flow_run.state.result() == 5

    parts = client.read_task_runs(flow_run_id=flow_run.id)
    assert len(parts) == 2
    for run, expected in zip(sorted(parts, key=lambda r: r.name), [2, 3], strict=True):
        recorded = stored_state(client, run)
        assert recorded.result_ref is not None
        assert recorded.result_ref.storage == tmp_path.absolute().as_uri()
        assert recorded.result() == expected


def test_a_task_can_opt_out_of_its_flows_persistence(client: BatonClient, tmp_path: Path) -> None:
    @task(persist_result=False)
    def ephemeral() -> int:
        return 1

    @flow(persist_result=True, result_storage=str(tmp_path))
    def whole() -> int:
        return ephemeral()

    assert whole() == 1
    assert stored_state(client, only_task_run(client)).result_ref is None


def test_a_result_json_cannot_hold_still_completes_and_reaches_the_caller(
    client: BatonClient, tmp_path: Path
) -> None:
    lock = threading.Lock()

    @task(persist_result=True, result_storage=str(tmp_path), result_serializer="json")
    def produce() -> Any:
        return lock

    @flow
    def pipeline() -> bool:
        return produce() is lock

    assert pipeline() is True
    run = only_task_run(client)
    assert run.state_type is StateType.COMPLETED
    recorded = stored_state(client, run)
    assert recorded.result_ref is None
    assert recorded.message is not None
    assert "the result was not persisted" in recorded.message
    assert "json" in recorded.message
    assert list(tmp_path.iterdir()) == []


def test_a_result_that_cannot_be_persisted_is_not_cached(client: BatonClient) -> None:
    calls: list[int] = []

    @task(cache_key_fn=lambda ctx, params: "fixed-key", result_serializer="json")
    def produce() -> Any:
        calls.append(1)
        return threading.Lock()

    first = produce(return_state=True)
    second = produce(return_state=True)
    assert isinstance(first.result(), type(threading.Lock()))
    assert isinstance(second.result(), type(threading.Lock()))
    assert calls == [1, 1]
    assert [r.state_name for r in client.read_task_runs()] == ["Completed", "Completed"]


def test_an_unwritable_result_storage_still_completes_and_reaches_the_caller(
    client: BatonClient, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a regular file")

    @task(persist_result=True, result_storage=str(blocker / "results"))
    def produce() -> str:
        return "value"

    state = produce(return_state=True)
    assert state.is_completed()
    assert state.result() == "value"
    run = only_task_run(client)
    assert run.state_type is StateType.COMPLETED
    recorded = stored_state(client, run)
    assert recorded.result_ref is None
    assert recorded.message is not None
    assert "the result was not persisted" in recorded.message
    assert str(blocker) in recorded.message


def test_an_unpersisted_result_read_back_later_says_how_to_keep_it(client: BatonClient) -> None:
    @task
    def produce() -> int:
        return 3

    assert produce() == 3
    recorded = stored_state(client, only_task_run(client))
    assert recorded.is_completed()
    assert recorded.result_ref is None
    with pytest.raises(UnfinishedRun, match="persist_result"):
        recorded.result()


def test_an_unpersisted_flow_result_read_back_later_says_how_to_keep_it(
    client: BatonClient,
) -> None:
    @flow
    def produce() -> int:
        return 3

    assert produce() == 3
    [run] = client.read_flow_runs()
    assert run.state is not None
    with pytest.raises(UnfinishedRun, match="persist_result"):
        run.state.result()


def test_a_persisted_result_that_disappeared_raises_a_baton_error(
    client: BatonClient, tmp_path: Path
) -> None:
    @task(persist_result=True, result_storage=str(tmp_path))
    def produce() -> int:
        return 3

    assert produce() == 3
    recorded = stored_state(client, only_task_run(client))
    assert recorded.result_ref is not None
    (tmp_path / recorded.result_ref.key).unlink()
    with pytest.raises(BatonError, match="not found"):
        recorded.result()


def test_a_result_of_a_cached_task_is_read_back_from_storage(
    client: BatonClient, tmp_path: Path
) -> None:
    calls: list[int] = []

    @task(cache_key_fn=lambda ctx, params: "fixed-key", result_storage=str(tmp_path))
    def produce() -> dict[str, int]:
        calls.append(1)
        return {"answer": 42}

    assert produce() == {"answer": 42}
    second = produce(return_state=True)
    assert second.name == "Cached"
    assert second.result() == {"answer": 42}
    assert calls == [1]
    assert second.result_ref is not None
    assert second.result_ref.storage == tmp_path.absolute().as_uri()
