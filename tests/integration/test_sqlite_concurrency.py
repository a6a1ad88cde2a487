"""Many writers on one database: no "database is locked", no lost state.

Two processes start on a SQLite file that does not exist yet, so they race on
creating the schema as well as on every write after it; threads of one process
run flows side by side. Each child reports the flow runs it made, and every one
of them must be in the database, finished, with every state it went through.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable

import pytest

from .support import Child, Records

FLOWS = """
import json
import sys
import threading

from baton import ThreadPoolTaskRunner, flow, task
from baton.engine.context import get_run_context

flow_runs = {}  # flow run id -> number of task runs it made


@task
def square(x: int) -> int:
    return x * x


@flow(task_runner=ThreadPoolTaskRunner(max_workers=8))
def fan_out(n: int) -> int:
    flow_runs[str(get_run_context().flow_run.id)] = n
    futures = [square.submit(i) for i in range(n)]
    return sum(future.result() for future in futures)


@flow
def in_turn(n: int) -> int:
    flow_runs[str(get_run_context().flow_run.id)] = n
    return sum(square(i) for i in range(n))


def expected(n: int) -> int:
    return sum(i * i for i in range(n))
"""

RACE = (
    FLOWS
    + """
print("ready", flush=True)
sys.stdin.readline()  # the test releases both processes together
for _ in range(4):
    assert fan_out(200) == expected(200)
    assert in_turn(25) == expected(25)
print(json.dumps({"flow_runs": flow_runs}))
"""
)

THREADS = (
    FLOWS
    + """
barrier = threading.Barrier(8)
failures = []


def call_flow() -> None:
    barrier.wait()
    try:
        assert fan_out(100) == expected(100)
        assert in_turn(10) == expected(10)
    except BaseException as error:
        failures.append(repr(error))


threads = [threading.Thread(target=call_flow) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
assert not failures, failures
print(json.dumps({"flow_runs": flow_runs}))
"""
)


def assert_all_recorded(records: Records, reports: list[dict[str, dict[str, int]]]) -> None:
    """Exactly the reported flow runs exist, each completed with all its task runs."""
    flow_runs: dict[uuid.UUID, int] = {}
    for report in reports:
        flow_runs.update({uuid.UUID(k): n for k, n in report["flow_runs"].items()})
    assert len(flow_runs) == sum(len(report["flow_runs"]) for report in reports)
    assert records.flow_run_ids() == set(flow_runs)
    for run_id, task_count in flow_runs.items():
        records.assert_completed_flow_run(run_id, task_count)
    assert records.count_task_runs() == sum(flow_runs.values())
    assert records.count_task_run_states() == 3 * sum(flow_runs.values())


@pytest.mark.slow
def test_two_processes_racing_on_a_new_sqlite_file_lose_nothing(
    make_child: Callable[[str | None], Child], open_records: Callable[[str], Records]
) -> None:
    child = make_child(None)
    assert not child.home.exists()
    processes = [child.start(RACE) for _ in range(2)]
    try:
        for process in processes:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready", process.communicate()[1]
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        outputs = [process.communicate(timeout=120) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()

    reports = []
    for process, (stdout, stderr) in zip(processes, outputs, strict=True):
        assert "database is locked" not in stderr.lower()
        finished = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
        reports.append(Child.report(finished))
    assert all(len(report["flow_runs"]) == 8 for report in reports)
    assert_all_recorded(open_records(child.database_url), reports)


@pytest.mark.slow
def test_threads_calling_flows_together_lose_nothing(
    backend_url: str | None,
    make_child: Callable[[str | None], Child],
    open_records: Callable[[str], Records],
) -> None:
    child = make_child(backend_url)
    process = child.run(THREADS)
    assert "database is locked" not in process.stderr.lower()
    report = child.report(process)
    assert len(report["flow_runs"]) == 16
    assert_all_recorded(open_records(child.database_url), [report])
