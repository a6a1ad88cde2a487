"""Time from a deployment run's scheduled time to its flow code starting, warm worker.

Starts ``baton server start`` and ``baton worker start --pool bench`` as processes of
their own, waits until the worker has polled once, then makes N runs of a deployment
whose flow writes ``time.time()`` on its first line, each scheduled a little later
than the one before so they do not queue behind each other. Per run it prints where
the time went:

- poll wait: scheduled time -> the worker proposes Pending (the claim's state timestamp)
- claim + spawn: -> the run's process exists (its start time, from ``/proc``); nothing
  when the worker handed the run to an interpreter it had started ahead
- start + load flow: -> the flow's file is imported (interpreter and Baton unless started
  ahead, reading the run and its deployment)
- flow engine: -> the flow function's first line (Running proposed, engine set up)

It also counts the runs that went to an interpreter started ahead ("ready").

    python benchmarks/deployment_latency.py                     # 20 runs, SQLite
    python benchmarks/deployment_latency.py --runs 10 --poll-interval 2
    python benchmarks/deployment_latency.py --worker-src before=/path/to/old/src
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api_throughput import free_port, start_server

FLOW_FILE = """
    import os
    import time
    from pathlib import Path

    from baton import flow

    IMPORTED = time.time()


    def process_start() -> float:
        \"\"\"When this process was created (Linux /proc; 10 ms resolution), else NaN.\"\"\"
        try:
            fields = Path("/proc/self/stat").read_text().rpartition(")")[2].split()
        except OSError:
            return float("nan")
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - int(fields[19]) / os.sysconf("SC_CLK_TCK")
        return time.time() - age


    @flow
    def stamp(out: str) -> None:
        started = time.time()
        Path(out).write_text(f"{started} {IMPORTED} {process_start()}")
"""

PARTS = ("poll wait", "claim + spawn", "start + load flow", "flow engine")


@dataclass
class RunTimes:
    """Seconds from the scheduled time to each milestone of one run."""

    total: float
    parts: dict[str, float]
    ready: bool


def start_worker(api: str, home: Path, pool: str, poll: float | None, src: str | None) -> Any:
    env = {**os.environ, "BATON_API_URL": api, "BATON_HOME": str(home)}
    if src:  # an other source tree, for the worker and the runs it starts
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "baton", "worker", "start", "--pool", pool]
    if poll is not None:
        command += ["--poll-interval", str(poll)]
    log = (home / "worker.log").open("wb")
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


def _warm_up(src: str | None) -> None:
    """Import what a run imports once, so bytecode caches exist before anything is timed."""
    env = {**os.environ, "PYTHONPATH": src or ""}
    modules = "import baton.cli, baton.runner.__main__, baton.runner.execute, baton.client.http"
    subprocess.run([sys.executable, "-c", modules], env=env, check=True)


def wait_for(condition: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise SystemExit(f"timed out after {timeout:g} s waiting for {what}")


def measure_phase(
    client: Any, api: str, home: Path, project: Path, *, args: argparse.Namespace, label: str
) -> list[RunTimes]:
    from baton.core.actions import DeploymentCreate, DeploymentFlowRunCreate, WorkPoolCreate
    from baton.core.states import utcnow

    pool = f"bench-{label}"
    client.create_work_pool(WorkPoolCreate(name=pool))
    deployment = client.create_deployment(
        DeploymentCreate(
            flow_id=client.read_or_create_flow("stamp").id,
            name=f"latency-{label}",
            entrypoint="flows.py:stamp",
            path=str(project),
            work_pool_name=pool,
        )
    )
    home.mkdir(parents=True)
    _warm_up(args.sources.get(label))
    worker = start_worker(api, home, pool, args.poll_interval, args.sources.get(label))
    try:
        wait_for(lambda: client.read_workers(pool), 60, "the worker's first poll")
        first = utcnow().timestamp() + args.lead
        runs = []
        for i in range(args.runs):
            when = first + i * args.spacing
            out = home / f"run-{i}.txt"
            data = DeploymentFlowRunCreate(
                parameters={"out": str(out)},
                scheduled_time=_utc(when),
            )
            runs.append((client.create_flow_run_from_deployment(deployment.id, data), out))
        deadline = args.lead + args.runs * args.spacing + 120
        for run, _ in runs:
            wait_for(lambda run=run: _final(client, run.id), deadline, f"run {run.name} to finish")
        return [_times(client, run.id, out) for run, out in runs]
    finally:
        worker.terminate()
        worker.wait(timeout=60)


def _utc(timestamp: float) -> Any:
    import datetime as dt

    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc)


def _final(client: Any, run_id: uuid.UUID) -> bool:
    state = client.read_flow_run(run_id).state
    if state is not None and state.is_final() and not state.is_completed():
        raise SystemExit(f"run {run_id} ended {state.name}: {state.message}")
    return state is not None and state.is_final()


def _times(client: Any, run_id: uuid.UUID, out: Path) -> RunTimes:
    states = client.read_flow_run_states(run_id)
    scheduled = states[0].state_details.scheduled_time.timestamp()
    pending = next(s for s in states if s.type.value == "PENDING").timestamp.timestamp()
    flow_start, imported, spawned = (float(value) for value in out.read_text().split())
    milestones = [scheduled, pending, max(spawned, pending), imported, flow_start]
    parts = {
        name: later - earlier
        for name, earlier, later in zip(PARTS, milestones[:-1], milestones[1:], strict=True)
    }
    # /proc counts in clock ticks: a process started on the claim may seem a little older.
    ready = spawned < pending - 0.1
    return RunTimes(total=flow_start - scheduled, parts=parts, ready=ready)


def summary(label: str, times: list[RunTimes]) -> dict[str, Any]:
    totals = sorted(t.total for t in times)
    p95 = totals[min(len(totals) - 1, round(0.95 * (len(totals) - 1)))]
    return {
        "worker": label,
        "runs": len(times),
        "ready": sum(t.ready for t in times),
        "median_s": round(statistics.median(totals), 3),
        "p95_s": round(p95, 3),
        "max_s": round(totals[-1], 3),
        "median_parts_s": {
            name: round(statistics.median(t.parts[name] for t in times), 3) for name in PARTS
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--poll-interval", type=float, help="the worker's --poll-interval (default: its own)"
    )
    parser.add_argument("--lead", type=float, default=2.0, help="seconds before the first run")
    parser.add_argument("--spacing", type=float, default=2.5, help="seconds between runs")
    parser.add_argument("--database-url", help="default: SQLite in a fresh temporary home")
    parser.add_argument(
        "--worker-src",
        action="append",
        default=[],
        metavar="LABEL=PATH",
        help="also measure a worker running another source tree (repeatable)",
    )
    args = parser.parse_args()
    args.sources = {"this": None}
    for item in args.worker_src:
        label, _, path = item.partition("=")
        args.sources[label] = path
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # else every run compiles Baton again
    print(f"load average at start: {os.getloadavg()[0]:.2f}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="baton-bench-") as tmp:
        home = Path(tmp)
        os.environ["BATON_HOME"] = str(home / "client")
        os.environ["BATON_LOGGING_TO_CONSOLE"] = "false"
        project = home / "project"
        project.mkdir()
        (project / "flows.py").write_text(textwrap.dedent(FLOW_FILE))
        port = free_port()
        server = start_server(home / "server", args.database_url, port)
        api = f"http://127.0.0.1:{port}/api"
        from baton.client.http import HttpClient

        client = HttpClient(api)
        try:
            for label in args.sources:
                times = measure_phase(client, api, home / label, project, args=args, label=label)
                print(json.dumps(summary(label, times)), flush=True)
        finally:
            client.close()
            server.terminate()
            server.wait(timeout=30)
    print(f"load average at end: {os.getloadavg()[0]:.2f}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
