"""Nothing a process orchestrated is lost when it exits right after its work.

Task states are committed in the background, so these children return from
their flow (or last task) and exit at once, without flushing: whatever was
still queued must reach the database before the interpreter is gone.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from .support import Child, Records

N = 1000
EXPECTED = sum(2 * i for i in range(N))

SCRIPT = f"""
import asyncio
import json
import sys

from baton import flow, task
from baton.engine.context import get_run_context

N = {N}
flow_runs = []
task_runs = []  # appended from worker threads; list.append is atomic


@task
def double(x: int) -> int:
    task_runs.append(str(get_run_context().task_run.id))
    return 2 * x


@task
async def double_async(x: int) -> int:
    task_runs.append(str(get_run_context().task_run.id))
    return 2 * x


def note_flow_run() -> None:
    flow_runs.append(str(get_run_context().flow_run.id))


@flow
def inline() -> int:
    note_flow_run()
    return sum(double(i) for i in range(N))


@flow
def submitted() -> int:
    note_flow_run()
    futures = [double.submit(i) for i in range(N)]
    return sum(future.result() for future in futures)


@flow
def mapped() -> int:
    note_flow_run()
    return sum(future.result() for future in double.map(range(N)))


@flow
async def gathered() -> int:
    note_flow_run()
    return sum(await asyncio.gather(*(double_async(i) for i in range(N))))


mode = sys.argv[1]
if mode == "async":
    result = asyncio.run(gathered())
elif mode == "no-flow":
    result = sum(double(i) for i in range(N))
else:
    result = {{"inline": inline, "submit": submitted, "map": mapped}}[mode]()
print(json.dumps({{"result": result, "flow_runs": flow_runs, "task_runs": task_runs}}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["inline", "submit", "map", "async"])
def test_every_task_run_of_a_flow_survives_the_process_exit(
    mode: str,
    backend_url: str | None,
    make_child: Callable[[str | None], Child],
    open_records: Callable[[str], Records],
) -> None:
    child = make_child(backend_url)
    report = child.report(child.run(SCRIPT, mode))
    assert report["result"] == EXPECTED
    [flow_run_id] = [uuid.UUID(run_id) for run_id in report["flow_runs"]]

    records = open_records(child.database_url)
    recorded = records.assert_completed_flow_run(flow_run_id, task_count=N)
    assert set(recorded) == {uuid.UUID(run_id) for run_id in report["task_runs"]}
    assert sum(map(len, records.task_run_histories(recorded).values())) == 3 * N


@pytest.mark.slow
def test_task_runs_outside_any_flow_survive_the_process_exit(
    backend_url: str | None,
    make_child: Callable[[str | None], Child],
    open_records: Callable[[str], Records],
) -> None:
    child = make_child(backend_url)
    report = child.report(child.run(SCRIPT, "no-flow"))
    assert report["result"] == EXPECTED
    assert report["flow_runs"] == []
    task_runs = {uuid.UUID(run_id) for run_id in report["task_runs"]}
    assert len(task_runs) == N

    records = open_records(child.database_url)
    records.assert_completed_task_runs(sorted(task_runs))
