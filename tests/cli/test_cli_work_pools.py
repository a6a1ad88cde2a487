"""``baton work-pool`` and ``baton work-queue``: each command's effect, read back through the
client, and its mistakes reported in one line."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from baton.client.base import BatonClient
from baton.testing import baton_test_harness

Invoke = Callable[..., Any]


def test_a_pool_is_created_changed_and_deleted(invoke: Invoke, sqlite_client: BatonClient) -> None:
    created = invoke("work-pool", "create", "etl", "--concurrency-limit", "3", "--paused")
    assert created.exit_code == 0, created.output
    assert "Created work pool 'etl'" in created.stdout
    pool = sqlite_client.read_work_pool("etl")
    assert (pool.type, pool.concurrency_limit, pool.is_paused) == ("process", 3, True)

    assert invoke("work-pool", "resume", "etl").exit_code == 0
    assert not sqlite_client.read_work_pool("etl").is_paused
    assert invoke("work-pool", "pause", "etl").exit_code == 0
    assert sqlite_client.read_work_pool("etl").is_paused

    assert invoke("work-pool", "set-concurrency-limit", "etl", "5").exit_code == 0
    assert sqlite_client.read_work_pool("etl").concurrency_limit == 5
    assert invoke("work-pool", "clear-concurrency-limit", "etl").exit_code == 0
    assert sqlite_client.read_work_pool("etl").concurrency_limit is None

    deleted = invoke("work-pool", "delete", "etl")
    assert deleted.exit_code == 0
    assert [p.name for p in sqlite_client.read_work_pools()] == []


def test_ls_shows_every_pool(invoke: Invoke, sqlite_client: BatonClient) -> None:
    assert invoke("work-pool", "ls").stdout.strip() == "No work pools."
    invoke("work-pool", "create", "b-pool")
    invoke("work-pool", "create", "a-pool", "--concurrency-limit", "2", "--paused")
    listed = invoke("work-pool", "ls")
    rows = [line.split() for line in listed.stdout.splitlines() if "-pool" in line]
    assert [row[0] for row in rows] == ["a-pool", "b-pool"]
    assert rows[0][2:] == ["process", "2", "paused"]
    assert rows[1][2:] == ["process", "-", "ready"]
    as_json = json.loads(invoke("work-pool", "ls", "-o", "json").stdout)
    assert [pool["name"] for pool in as_json] == ["a-pool", "b-pool"]


def test_inspect_shows_queues_in_priority_order_and_workers(
    invoke: Invoke, sqlite_client: BatonClient
) -> None:
    invoke("work-pool", "create", "etl", "--concurrency-limit", "4")
    invoke("work-queue", "create", "slow", "--pool", "etl", "--priority", "5")
    created = invoke("work-queue", "create", "urgent", "--pool", "etl", "--priority", "2")
    assert created.exit_code == 0, created.output
    sqlite_client.worker_heartbeat("etl", "worker-on-host-a", heartbeat_interval_seconds=30)

    inspected = invoke("work-pool", "inspect", "etl")
    assert inspected.exit_code == 0, inspected.output
    out = inspected.stdout
    assert "Concurrency limit  4" in out
    rows = [line.split() for line in out.splitlines()]
    queues = [row[:2] for row in rows if row[:1] in (["urgent"], ["default"], ["slow"])]
    assert queues == [["default", "1"], ["urgent", "2"], ["slow", "5"]]
    (worker_row,) = [line for line in out.splitlines() if "worker-on-host-a" in line]
    assert "online" in worker_row
    assert "30.0 s" in worker_row

    data = json.loads(invoke("work-pool", "inspect", "etl", "-o", "json").stdout)
    assert data["work_pool"]["concurrency_limit"] == 4
    assert [q["name"] for q in data["work_queues"]] == ["default", "urgent", "slow"]
    assert [w["name"] for w in data["workers"]] == ["worker-on-host-a"]


def test_queues_are_created_listed_paused_and_deleted(
    invoke: Invoke, sqlite_client: BatonClient
) -> None:
    invoke("work-pool", "create", "etl")
    created = invoke("work-queue", "create", "nightly", "--pool", "etl", "--priority", "3")
    assert created.exit_code == 0, created.output
    assert "priority 3" in created.stdout

    assert invoke("work-queue", "pause", "nightly", "--pool", "etl").exit_code == 0
    queues = {q.name: q for q in sqlite_client.read_work_queues("etl")}
    assert queues["nightly"].is_paused and not queues["default"].is_paused
    assert invoke("work-queue", "resume", "nightly", "--pool", "etl").exit_code == 0
    assert not {q.name: q for q in sqlite_client.read_work_queues("etl")}["nightly"].is_paused

    listed = invoke("work-queue", "ls", "--pool", "etl")
    names = [line.split()[0] for line in listed.stdout.splitlines()[2:]]
    assert sorted(names) == ["default", "nightly"]
    as_json = json.loads(invoke("work-queue", "ls", "--pool", "etl", "-o", "json").stdout)
    assert {q["name"]: q["priority"] for q in as_json}["nightly"] == 3

    assert invoke("work-queue", "delete", "nightly", "--pool", "etl").exit_code == 0
    assert [q.name for q in sqlite_client.read_work_queues("etl")] == ["default"]


@pytest.mark.parametrize(
    "command",
    [
        ["work-pool", "inspect", "nowhere"],
        ["work-pool", "pause", "nowhere"],
        ["work-pool", "delete", "nowhere"],
        ["work-pool", "set-concurrency-limit", "nowhere", "2"],
        ["work-queue", "ls", "--pool", "nowhere"],
        ["work-queue", "create", "q", "--pool", "nowhere"],
    ],
)
def test_an_unknown_pool_is_one_line_error(
    invoke: Invoke,
    error_line: Callable[[str], str],
    sqlite_client: BatonClient,
    command: list[str],
) -> None:
    result = invoke(*command)
    assert result.exit_code == 1
    assert "'nowhere'" in error_line(result.stderr)
    assert "not found" in result.stderr


def test_an_unknown_queue_is_one_line_error(
    invoke: Invoke, error_line: Callable[[str], str], sqlite_client: BatonClient
) -> None:
    invoke("work-pool", "create", "etl")
    result = invoke("work-queue", "pause", "missing", "--pool", "etl")
    assert result.exit_code == 1
    assert "'missing'" in error_line(result.stderr)


def test_bad_limits_are_usage_errors(invoke: Invoke, sqlite_client: BatonClient) -> None:
    assert invoke("work-pool", "create", "etl", "--concurrency-limit", "-1").exit_code == 2
    invoke("work-pool", "create", "etl")
    assert invoke("work-pool", "set-concurrency-limit", "etl", "many").exit_code == 2
    assert invoke("work-queue", "create", "q", "--pool", "etl", "--priority", "0").exit_code == 2
    assert invoke("work-queue", "create", "q").exit_code == 2  # --pool is required
    assert sqlite_client.read_work_pool("etl").concurrency_limit is None


def test_work_pools_through_a_server(invoke: Invoke) -> None:
    with baton_test_harness(server=True) as client:
        assert invoke("work-pool", "create", "remote", "--concurrency-limit", "2").exit_code == 0
        assert invoke("work-queue", "create", "fast", "--pool", "remote").exit_code == 0
        assert invoke("work-pool", "pause", "remote").exit_code == 0
        pool = client.read_work_pool("remote")
        assert (pool.concurrency_limit, pool.is_paused) == (2, True)
        inspected = invoke("work-pool", "inspect", "remote")
        assert inspected.exit_code == 0, inspected.output
        assert "fast" in inspected.stdout
        missing = invoke("work-pool", "inspect", "nowhere")
        assert missing.exit_code == 1
        assert "'nowhere'" in missing.stderr
        assert invoke("work-pool", "delete", "remote").exit_code == 0
        assert client.read_work_pools() == []
