"""``baton flow-run`` and ``baton task-run`` on runs made by real flows."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from baton import flow, get_run_logger, task
from baton.client.base import BatonClient
from baton.tasks import task_input_hash

# How many times ``flaky`` has been called for a token: it fails on the first call only.
_calls: dict[str, int] = {}

LINE_START = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \| ")


@task(retries=1, retry_delay_seconds=0)
def flaky(token: str) -> int:
    _calls[token] = _calls.get(token, 0) + 1
    if _calls[token] == 1:
        raise ValueError(f"first attempt fails for {token}")
    get_run_logger().info("flaky succeeded for %s", token)
    return 1


@task(cache_key_fn=task_input_hash)
def double(x: int) -> int:
    return 2 * x


@flow(log_prints=True)
def pipeline(token: str) -> int:
    get_run_logger().info("logged line %s", token)
    print(f"printed line {token}")
    return flaky(token) + double(2) + double(2)


@flow
def failing() -> None:
    raise RuntimeError("deliberate failure")


@dataclass
class Runs:
    token: str
    pipeline_id: uuid.UUID
    failing_id: uuid.UUID


@pytest.fixture
def runs(client: BatonClient) -> Runs:
    """A completed run with a retried task and a cache hit, then a failed run."""
    token = uuid.uuid4().hex
    state = pipeline(token, return_state=True)
    assert state.result() == 9
    failed = failing(return_state=True)
    assert failed.is_failed()
    pipeline_id = state.state_details.flow_run_id
    failing_id = failed.state_details.flow_run_id
    assert pipeline_id is not None and failing_id is not None
    return Runs(token, pipeline_id, failing_id)


def words(text: str) -> str:
    """Text with every run of whitespace made one space, so wrapping does not matter."""
    return " ".join(text.split())


def row_of(output: str, run_id: uuid.UUID) -> str:
    (line,) = [line for line in output.splitlines() if str(run_id) in line]
    return line


# -- flow-run ls -------------------------------------------------------------


def test_ls_shows_runs_newest_first(invoke: Callable[..., Any], runs: Runs) -> None:
    result = invoke("flow-run", "ls")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    positions = {
        run_id: next(i for i, line in enumerate(lines) if str(run_id) in line)
        for run_id in (runs.pipeline_id, runs.failing_id)
    }
    assert positions[runs.failing_id] < positions[runs.pipeline_id]
    pipeline_row = row_of(result.stdout, runs.pipeline_id).split()
    assert "pipeline" in pipeline_row
    assert "Completed" in pipeline_row
    failing_row = row_of(result.stdout, runs.failing_id).split()
    assert "failing" in failing_row
    assert "Failed" in failing_row
    # A start time and a duration were shown, not placeholders.
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row_of(result.stdout, runs.failing_id))
    assert re.search(r"\d+(\.\d)? m?s\b", row_of(result.stdout, runs.pipeline_id))


def test_ls_filters_by_state_and_flow(invoke: Callable[..., Any], runs: Runs) -> None:
    failed = invoke("flow-run", "ls", "--state", "failed")
    assert failed.exit_code == 0, failed.output
    assert str(runs.failing_id) in failed.stdout
    assert str(runs.pipeline_id) not in failed.stdout

    both = invoke("flow-run", "ls", "--state", "COMPLETED", "--state", "FAILED")
    assert str(runs.failing_id) in both.stdout and str(runs.pipeline_id) in both.stdout

    by_flow = invoke("flow-run", "ls", "--flow", "pipeline")
    assert by_flow.exit_code == 0, by_flow.output
    assert str(runs.pipeline_id) in by_flow.stdout
    assert str(runs.failing_id) not in by_flow.stdout

    nothing = invoke("flow-run", "ls", "--state", "RUNNING")
    assert nothing.exit_code == 0
    assert "No flow runs found" in nothing.stdout


def test_ls_limit(invoke: Callable[..., Any], runs: Runs) -> None:
    result = invoke("flow-run", "ls", "--limit", "1", "--output", "json")
    assert result.exit_code == 0, result.output
    assert [run["id"] for run in json.loads(result.stdout)] == [str(runs.failing_id)]


def test_ls_json(invoke: Callable[..., Any], runs: Runs) -> None:
    result = invoke("flow-run", "ls", "--output", "json")
    assert result.exit_code == 0, result.output
    found = {run["id"]: run for run in json.loads(result.stdout)}
    assert set(found) == {str(runs.pipeline_id), str(runs.failing_id)}
    assert found[str(runs.pipeline_id)]["flow_name"] == "pipeline"
    assert found[str(runs.pipeline_id)]["state_type"] == "COMPLETED"
    assert found[str(runs.pipeline_id)]["parameters"] == {"token": runs.token}
    assert found[str(runs.failing_id)]["state_type"] == "FAILED"


def test_ls_on_an_empty_database(invoke: Callable[..., Any], client: BatonClient) -> None:
    table = invoke("flow-run", "ls")
    assert table.exit_code == 0
    assert "No flow runs found" in table.stdout
    as_json = invoke("flow-run", "ls", "-o", "json")
    assert json.loads(as_json.stdout) == []


# -- flow-run inspect --------------------------------------------------------


def test_inspect_explains_retries_and_cache_hits(
    invoke: Callable[..., Any], client: BatonClient, runs: Runs
) -> None:
    result = invoke("flow-run", "inspect", str(runs.pipeline_id))
    assert result.exit_code == 0, result.output
    text = words(result.stdout)
    assert str(runs.pipeline_id) in text
    assert "pipeline" in text
    assert runs.token in text  # the parameters
    assert re.search(r"PENDING Pending .* RUNNING Running .* COMPLETED Completed", text)

    task_runs = {t.id: t for t in client.read_task_runs(flow_run_id=runs.pipeline_id)}
    decisions = client.read_decisions(list(task_runs))
    retry = next(d for d in decisions if d.rule == "RetryFailedTasks")
    cache_hit = next(d for d in decisions if d.rule == "UseCachedResults")
    assert task_runs[retry.run_id].name == "flaky-0"
    # The retry: which task, which rule, what it decided and why.
    assert re.search(r"flaky-0 RetryFailedTasks REJECT Failed -> AwaitingRetry", text)
    assert words(retry.reason) in text
    assert f"first attempt fails for {runs.token}" in text
    # The cache hit.
    assert re.search(
        rf"{task_runs[cache_hit.run_id].name} UseCachedResults REJECT Running -> Cached", text
    )
    assert words(cache_hit.reason) in text


def test_inspect_failed_run_shows_its_message(invoke: Callable[..., Any], runs: Runs) -> None:
    result = invoke("flow-run", "inspect", str(runs.failing_id))
    assert result.exit_code == 0, result.output
    text = words(result.stdout)
    assert "FAILED Failed" in text
    assert "RuntimeError: deliberate failure" in text
    assert "No orchestration decisions" in text


def test_inspect_json(invoke: Callable[..., Any], client: BatonClient, runs: Runs) -> None:
    result = invoke("flow-run", "inspect", str(runs.pipeline_id), "--output", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["flow_run"]["id"] == str(runs.pipeline_id)
    assert document["flow_run"]["flow_name"] == "pipeline"
    assert document["flow_run"]["state_type"] == "COMPLETED"
    assert [s["type"] for s in document["states"]] == ["PENDING", "RUNNING", "COMPLETED"]
    task_runs = client.read_task_runs(flow_run_id=runs.pipeline_id)
    assert [t["id"] for t in document["task_runs"]] == [str(t.id) for t in task_runs]
    by_rule = {d["rule"]: d for d in document["decisions"]}
    assert by_rule["RetryFailedTasks"]["run_name"] == "flaky-0"
    assert by_rule["RetryFailedTasks"]["decision"] == "REJECT"
    assert by_rule["RetryFailedTasks"]["resulting_state_name"] == "AwaitingRetry"
    assert runs.token in by_rule["RetryFailedTasks"]["reason"]
    assert by_rule["UseCachedResults"]["resulting_state_name"] == "Cached"


# -- flow-run logs -----------------------------------------------------------


def test_logs_show_logged_and_printed_lines_oldest_first(
    invoke: Callable[..., Any], runs: Runs
) -> None:
    result = invoke("flow-run", "logs", str(runs.pipeline_id))
    assert result.exit_code == 0, result.output
    out = result.stdout
    logged = out.index(f"logged line {runs.token}")
    printed = out.index(f"printed line {runs.token}")
    from_task = out.index(f"flaky succeeded for {runs.token}")
    assert logged < printed < from_task
    (task_line,) = [line for line in out.splitlines() if "flaky succeeded" in line]
    assert re.search(r"\| INFO +\| flaky-0 \| flaky succeeded", task_line)


def log_lines(output: str) -> list[str]:
    """The first line of each log record (tracebacks continue on lines of their own)."""
    return [line for line in output.splitlines() if LINE_START.match(line)]


def test_logs_level_and_limit(invoke: Callable[..., Any], runs: Runs) -> None:
    errors = invoke("flow-run", "logs", str(runs.pipeline_id), "--level", "error")
    assert errors.exit_code == 0, errors.output
    assert f"first attempt fails for {runs.token}" in errors.stdout
    assert "logged line" not in errors.stdout
    records = log_lines(errors.stdout)
    assert records
    assert all(re.search(r"\| ERROR +\| flaky-0 \|", line) for line in records)

    everything = log_lines(invoke("flow-run", "logs", str(runs.pipeline_id)).stdout)
    assert len(everything) > 2
    first = invoke("flow-run", "logs", str(runs.pipeline_id), "--limit", "2")
    assert first.exit_code == 0, first.output
    assert log_lines(first.stdout) == everything[:2]


# -- task-run ls -------------------------------------------------------------


def test_task_run_ls(invoke: Callable[..., Any], client: BatonClient, runs: Runs) -> None:
    task_runs = client.read_task_runs(flow_run_id=runs.pipeline_id)
    assert len(task_runs) == 3
    result = invoke("task-run", "ls", "--flow-run", str(runs.pipeline_id))
    assert result.exit_code == 0, result.output
    rows = {t.name: row_of(result.stdout, t.id).split() for t in task_runs}
    assert rows["flaky-0"][1:3] == ["flaky-0", "Completed"]
    assert rows["flaky-0"][-1] == "2"  # run count: it ran twice
    assert rows["double-1"][1:3] == ["double-1", "Cached"]
    assert rows["double-1"][-1] == "0"  # never ran: its result came from the cache


def test_task_run_ls_json(invoke: Callable[..., Any], client: BatonClient, runs: Runs) -> None:
    result = invoke("task-run", "ls", "--flow-run", str(runs.pipeline_id), "-o", "json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    expected = client.read_task_runs(flow_run_id=runs.pipeline_id)
    assert [t["id"] for t in listed] == [str(t.id) for t in expected]
    assert [t["state_name"] for t in listed] == ["Completed", "Completed", "Cached"]


def test_task_run_ls_of_a_run_without_tasks(invoke: Callable[..., Any], runs: Runs) -> None:
    result = invoke("task-run", "ls", "--flow-run", str(runs.failing_id))
    assert result.exit_code == 0, result.output
    assert "No task runs found" in result.stdout


# -- the real command --------------------------------------------------------


def test_console_script_lists_runs_as_json(
    sqlite_client: BatonClient, baton_process: Callable[..., Any]
) -> None:
    token = uuid.uuid4().hex
    completed = pipeline(token, return_state=True).state_details.flow_run_id
    failed = failing(return_state=True).state_details.flow_run_id
    sqlite_client.flush()
    result = baton_process("flow-run", "ls", "--output", "json")
    assert result.returncode == 0, result.stderr
    assert [run["id"] for run in json.loads(result.stdout)] == [str(failed), str(completed)]
