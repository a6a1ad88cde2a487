"""Work pools, their queues and workers (Prefect 2's ``/work_pools`` routes).

A worker polls ``get_scheduled_flow_runs`` and sends heartbeats here; it claims
a run it was given by proposing ``Pending`` on the flow run, not here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from sqlalchemy import Connection

from baton.api.deps import DatabaseDep, ReadConn
from baton.api.schemas.deployment_filters import (
    WorkerFilterBody,
    WorkPoolFilterBody,
    WorkQueueFilterBody,
)
from baton.api.schemas.work_pools import (
    ScheduledRunsBody,
    WorkerFlowRunResponse,
    WorkerHeartbeatBody,
    WorkerResponse,
    WorkPoolCreateBody,
    WorkPoolResponse,
    WorkPoolUpdateBody,
    WorkQueueCreateBody,
    WorkQueueResponse,
    WorkQueueUpdateBody,
)
from baton.core.deployments import WorkPool
from baton.core.states import utcnow
from baton.orchestrator import work_pools

router = APIRouter(prefix="/work_pools", tags=["work pools"])
PoolName = Annotated[str, Path(alias="name", description="The work pool's name.")]
WorkPoolName = Annotated[str, Path(alias="work_pool_name", description="The work pool's name.")]
QueueName = Annotated[str, Path(alias="name", description="The queue's name in its pool.")]


def _no_content() -> Response:
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _pool_answer(conn: Connection, pool: WorkPool) -> WorkPoolResponse:
    """The pool with its status, which depends on whether its workers are alive."""
    workers = work_pools.read_workers(conn, pool.name)
    return WorkPoolResponse.from_pool(pool, workers, utcnow())


# -- pools ------------------------------------------------------------------------


@router.post("/", status_code=status.HTTP_201_CREATED)
def create_work_pool(body: WorkPoolCreateBody, db: DatabaseDep) -> WorkPoolResponse:
    """A new pool, with its ``default`` queue; a name already taken is a 409."""
    with db.write() as conn:
        return _pool_answer(conn, work_pools.create_work_pool(conn, body.to_action()))


@router.post("/filter")
def read_work_pools(body: WorkPoolFilterBody, conn: ReadConn) -> list[WorkPoolResponse]:
    """Pools by name."""
    found = body.select(work_pools.read_work_pools(conn))
    return [_pool_answer(conn, pool) for pool in found]


@router.post("/count")
def count_work_pools(body: WorkPoolFilterBody, conn: ReadConn) -> int:
    return len(body.select(work_pools.read_work_pools(conn)))


@router.get("/{name}")
def read_work_pool(name: PoolName, conn: ReadConn) -> WorkPoolResponse:
    return _pool_answer(conn, work_pools.read_work_pool(conn, name))


@router.patch("/{name}", status_code=status.HTTP_204_NO_CONTENT)
def update_work_pool(name: PoolName, body: WorkPoolUpdateBody, db: DatabaseDep) -> Response:
    with db.write() as conn:
        work_pools.update_work_pool(conn, name, body.to_action(), utcnow())
    return _no_content()


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_work_pool(name: PoolName, db: DatabaseDep) -> Response:
    """Delete the pool with its queues and workers; its deployments keep no queue."""
    with db.write() as conn:
        work_pools.delete_work_pool(conn, name)
    return _no_content()


@router.post("/{name}/get_scheduled_flow_runs")
def get_scheduled_flow_runs(
    name: PoolName, body: ScheduledRunsBody, db: DatabaseDep
) -> list[WorkerFlowRunResponse]:
    """Runs due that the pool's workers may start now, queues in priority order.

    Reading is not claiming: a worker claims a run by proposing ``Pending``,
    which only one proposal wins. The queues read are marked as polled.
    """
    with db.write() as conn:
        runs = work_pools.get_scheduled_flow_runs(
            conn,
            name,
            queue_names=body.work_queue_names or (),
            scheduled_before=body.scheduled_before,
            limit=body.limit,
            now=utcnow(),
        )
        pool = work_pools.read_work_pool(conn, name)
    return [WorkerFlowRunResponse.from_run(run, pool) for run in runs]


# -- queues -----------------------------------------------------------------------


@router.post("/{work_pool_name}/queues", status_code=status.HTTP_201_CREATED)
def create_work_queue(
    pool_name: WorkPoolName, body: WorkQueueCreateBody, db: DatabaseDep
) -> WorkQueueResponse:
    """A new queue; without a priority it goes after the pool's others."""
    with db.write() as conn:
        queue = work_pools.create_work_queue(conn, pool_name, body.to_action())
    return WorkQueueResponse.from_queue(queue, utcnow())


@router.post("/{work_pool_name}/queues/filter")
def read_work_queues(
    pool_name: WorkPoolName, body: WorkQueueFilterBody, conn: ReadConn
) -> list[WorkQueueResponse]:
    """The pool's queues in priority order (1 first)."""
    now = utcnow()
    found = body.of(work_pools.read_work_queues(conn, pool_name))
    return [WorkQueueResponse.from_queue(queue, now) for queue in found]


@router.get("/{work_pool_name}/queues/{name}")
def read_work_queue(pool_name: WorkPoolName, name: QueueName, conn: ReadConn) -> WorkQueueResponse:
    return WorkQueueResponse.from_queue(work_pools.read_work_queue(conn, pool_name, name), utcnow())


@router.patch("/{work_pool_name}/queues/{name}", status_code=status.HTTP_204_NO_CONTENT)
def update_work_queue(
    pool_name: WorkPoolName, name: QueueName, body: WorkQueueUpdateBody, db: DatabaseDep
) -> Response:
    with db.write() as conn:
        work_pools.update_work_queue(conn, pool_name, name, body.to_action(), utcnow())
    return _no_content()


@router.delete("/{work_pool_name}/queues/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_work_queue(pool_name: WorkPoolName, name: QueueName, db: DatabaseDep) -> Response:
    """Delete a queue; the pool's default queue cannot be deleted (409)."""
    with db.write() as conn:
        work_pools.delete_work_queue(conn, pool_name, name)
    return _no_content()


# -- workers ----------------------------------------------------------------------


@router.post("/{work_pool_name}/workers/heartbeat", status_code=status.HTTP_204_NO_CONTENT)
def worker_heartbeat(
    pool_name: WorkPoolName, body: WorkerHeartbeatBody, db: DatabaseDep
) -> Response:
    """The worker is alive, and so are the runs it names (``flow_run_ids``, Baton)."""
    with db.write() as conn:
        work_pools.worker_heartbeat(
            conn,
            pool_name,
            body.name,
            heartbeat_interval_seconds=body.heartbeat_interval_seconds,
            flow_run_ids=body.flow_run_ids,
            now=utcnow(),
        )
    return _no_content()


@router.post("/{work_pool_name}/workers/filter")
def read_workers(
    pool_name: WorkPoolName, body: WorkerFilterBody, conn: ReadConn
) -> list[WorkerResponse]:
    """The pool's workers, the one heard from last first."""
    now = utcnow()
    found = body.of(work_pools.read_workers(conn, pool_name))
    return [WorkerResponse.from_worker(worker, now) for worker in found]
