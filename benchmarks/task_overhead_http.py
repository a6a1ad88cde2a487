"""Per-task cost of a flow that runs against a Baton server on loopback.

A flow calls a task (``2 * x``) N times inline; it is timed on its second call
in the process, like ``inline-2000`` in ``run.py``, with ``BATON_API_URL``
pointing at ``baton server start`` in another process. The time includes
sending every task run's states to the server: the flow run completes only
once the server has them.

    python benchmarks/task_overhead_http.py                 # 2,000 tasks, SQLite
    python benchmarks/task_overhead_http.py --tasks 500 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from api_throughput import free_port, start_server


def measure(api: str, tasks: int, repeat: int) -> list[float]:
    """Seconds per flow call, second call onwards, in this process."""
    os.environ["BATON_API_URL"] = api
    from baton import flow, task
    from baton.client import get_client

    @task
    def double(x: int) -> int:
        return 2 * x

    @flow
    def inline(n: int) -> int:
        return sum(double(i) for i in range(n))

    expected = sum(2 * i for i in range(tasks))
    assert inline(tasks) == expected  # warm up
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        assert inline(tasks) == expected
        seconds.append(time.perf_counter() - start)
    client = get_client()
    stored = client.read_flow_runs(limit=1)[0]
    assert client.count_task_runs(flow_run_id=stored.id) == tasks
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--database-url", help="default: SQLite in a fresh temporary home")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="baton-bench-") as home:
        os.environ["BATON_HOME"] = str(Path(home) / "client")
        os.environ["BATON_LOGGING_TO_CONSOLE"] = "false"
        port = free_port()
        server = start_server(Path(home), args.database_url, port)
        try:
            seconds = measure(f"http://127.0.0.1:{port}/api", args.tasks, args.repeat)
        finally:
            server.terminate()
            server.wait(timeout=30)
    for value in seconds:
        result = {
            "tasks": args.tasks,
            "seconds": round(value, 3),
            "ms_per_task": round(value * 1000 / args.tasks, 3),
        }
        print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
