"""How fast the web UI's busiest pages answer on a large SQLite database.

Fills a fresh database with N flow runs (default 1,000,000) spread over the
last ``--days`` days, by bulk inserts: half the flows have a deployment on a
work pool, and their runs belong to it. Then times the server-side handling of
the dashboard, the runs list and the deployment and work pool pages
(in-process requests: routing, queries and template rendering, no network).

    python benchmarks/ui_scale.py                     # 1,000,000 runs
    python benchmarks/ui_scale.py --runs 100000 --repeat 10
    python benchmarks/ui_scale.py --database /tmp/big.db --keep   # reuse later
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
import uuid
import warnings
from pathlib import Path
from typing import Any

from baton.api import create_app
from baton.core.actions import DeploymentCreate, DeploymentScheduleCreate, WorkPoolCreate
from baton.core.deployments import DEFAULT_QUEUE
from baton.core.models import FlowRun, RunKind
from baton.core.states import State, StateType
from baton.orchestrator.deployments import create_deployment
from baton.orchestrator.work_pools import create_work_pool, resolve_work_queue
from baton.storage import models as m
from baton.storage.database import Database
from baton.storage.queries.flows import read_or_create_flow
from baton.storage.queries.rows import run_row, state_row
from baton.storage.queries.runs import insert_rows
from baton.storage.schema import ensure_schema

with warnings.catch_warnings():
    # Starlette's test client warns about its httpx dependency; the timings are unaffected.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

FLOWS = 20
DEPLOYED = 10
"""Flows 0-9 have a deployment on the work pool ``POOL``; their runs belong to it."""
POOL = "bench"
CHUNK = 50_000
STATES = [
    ("COMPLETED", "Completed", 80),
    ("FAILED", "Failed", 8),
    ("CRASHED", "Crashed", 1),
    ("CANCELLED", "Cancelled", 2),
    ("RUNNING", "Running", 3),
    ("PENDING", "Pending", 2),
    ("SCHEDULED", "Scheduled", 3),
    ("SCHEDULED", "Late", 1),
]
MESSAGES = {
    "Failed": "ValueError: bad input",
    "Late": f"Late: no worker is polling work pool {POOL!r} (queue 'default')",
}
TAGS = ["etl", "nightly", "ml", "reports", "prod", "staging"]
PAGES = [
    ("dashboard (day)", "/"),
    ("dashboard (week)", "/?window=week"),
    ("runs list", "/runs"),
    ("runs list, FAILED", "/runs?state=FAILED"),
    ("runs list, FAILED+CRASHED", "/runs?state=FAILED&state=CRASHED"),
    ("runs list, LATE", "/runs?state=LATE"),
    ("runs list, page 50", "/runs?page=50"),
    ("runs list, tag + state", "/runs?tag=nightly&state=FAILED"),
    ("deployments", "/deployments"),
    ("a deployment", "/deployments/{deployment}"),
    ("work pools", "/work-pools"),
    ("a work pool", f"/work-pools/{POOL}"),
]


def _id(moment: dt.datetime, rng: random.Random) -> uuid.UUID:
    """A version-7-like id that sorts with ``moment``, as Baton's ids do."""
    millis = int(moment.timestamp() * 1000)
    return uuid.UUID(int=(millis << 80) | rng.getrandbits(80))


def fill(db: Database, runs: int, days: float, seed: int = 7) -> None:
    rng = random.Random(seed)
    now = dt.datetime.now(dt.timezone.utc)
    start = now - dt.timedelta(days=days)
    with db.write() as conn:
        flow_ids = [read_or_create_flow(conn, f"flow-{i:02d}").id for i in range(FLOWS)]
        create_work_pool(conn, WorkPoolCreate(name=POOL))
        queue = resolve_work_queue(conn, POOL, DEFAULT_QUEUE)
        hourly = DeploymentScheduleCreate(schedule={"cron": "0 * * * *"})
        deployment_ids = [
            create_deployment(
                conn,
                DeploymentCreate(
                    flow_id=flow_ids[i], name="hourly", schedules=[hourly], work_pool_name=POOL
                ),
                now,
            ).id
            for i in range(DEPLOYED)
        ]
    choices = [s for s in STATES for _ in range(s[2])]
    step = (now - start) / runs
    made = 0
    while made < runs:
        count = min(CHUNK, runs - made)
        run_rows: list[dict[str, Any]] = []
        state_rows: list[dict[str, Any]] = []
        for i in range(made, made + count):
            created = start + step * i
            state_type, state_name, _ = rng.choice(choices)
            finished = state_type in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")
            began = state_type not in ("PENDING", "SCHEDULED")
            seconds = rng.uniform(0.5, 600)
            end = created + dt.timedelta(seconds=seconds) if finished else None
            state = State(
                id=_id(created, rng),
                type=StateType(state_type),
                name=state_name,
                timestamp=end or created,
                message=MESSAGES.get(state_name),
            )
            deployed = i % FLOWS < DEPLOYED
            run = FlowRun(
                id=_id(created, rng),
                flow_id=flow_ids[i % FLOWS],
                deployment_id=deployment_ids[i % FLOWS] if deployed else None,
                work_queue_id=queue.id if deployed else None,
                work_pool_name=POOL if deployed else None,
                work_queue_name=DEFAULT_QUEUE if deployed else None,
                name=f"run-{i}",
                parameters={"n": i},
                state=state,
                state_type=state.type,
                state_name=state_name,
                run_count=1 if began else 0,
                expected_start_time=created,
                start_time=created if began else None,
                end_time=end,
                total_run_time=seconds if finished else 0.0,
                tags=rng.sample(TAGS, 2),
                created=created,
                updated=end or created,
            )
            run_rows.append(run_row(RunKind.FLOW_RUN, run))
            state_rows.append(state_row(state, "flow_run_id", run.id))
        with db.write() as conn:
            insert_rows(conn, m.flow_run, run_rows)
            insert_rows(conn, m.flow_run_state, state_rows)
        made += count
        print(f"  {made:,} runs", end="\r", flush=True)
    print()


def time_pages(db: Database, repeat: int) -> list[tuple[str, str, float, float]]:
    app = create_app(db)
    with db.read() as conn:
        deployment = conn.scalar(m.deployment.select().with_only_columns(m.deployment.c.id))
    figures = []
    with TestClient(app) as http:
        for label, template in PAGES:
            path = template.format(deployment=deployment)
            answer = http.get(path)
            assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
            times = []
            for _ in range(repeat):
                began = time.perf_counter()
                http.get(path)
                times.append((time.perf_counter() - began) * 1000)
            figures.append((label, path, statistics.median(times), max(times)))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1_000_000, help="flow runs to create")
    parser.add_argument("--days", type=float, default=30.0, help="spread runs over this many days")
    parser.add_argument("--repeat", type=int, default=5, help="timed requests per page")
    parser.add_argument("--database", type=Path, help="SQLite file (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="reuse --database if already filled")
    args = parser.parse_args()

    folder = tempfile.TemporaryDirectory(prefix="baton-ui-scale-")
    path = args.database or Path(folder.name) / "baton.db"
    reuse = args.keep and path.exists()
    db = Database(f"sqlite:///{path}")
    ensure_schema(db)
    if not reuse:
        print(f"Filling {path} with {args.runs:,} flow runs over {args.days:g} days ...")
        began = time.perf_counter()
        fill(db, args.runs, args.days)
        print(f"  done in {time.perf_counter() - began:.1f} s")
    print(f"\nServer-side time per page, {args.repeat} requests each (ms):")
    print(f"  {'page':<26} {'median':>8} {'max':>8}  path")
    for label, page, median, worst in time_pages(db, args.repeat):
        print(f"  {label:<26} {median:8.1f} {worst:8.1f}  {page}")
    db.dispose()
    folder.cleanup()


if __name__ == "__main__":
    main()
