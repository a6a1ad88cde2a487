"""Deployments and pools for service tests, made through the client like users make them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from baton.client.base import BatonClient
from baton.core.actions import DeploymentCreate, DeploymentScheduleCreate, WorkPoolCreate
from baton.core.deployments import Deployment


def now() -> dt.datetime:
    """The present, to the second: run bookkeeping uses the real clock, so tests do too."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


PARAMETER_SCHEMA = {
    "type": "object",
    "properties": {"day": {"type": "string", "format": "date"}, "limit": {"type": "integer"}},
    "required": ["day"],
}


def deployment(
    client: BatonClient,
    name: str = "nightly",
    *,
    flow: str = "etl",
    schedules: list[dict[str, Any]] | None = None,
    pool: str | None = "local",
    **fields: Any,
) -> Deployment:
    if pool is not None and pool not in {p.name for p in client.read_work_pools()}:
        client.create_work_pool(WorkPoolCreate(name=pool))
    flow_id = client.read_or_create_flow(flow).id
    return client.create_deployment(
        DeploymentCreate(
            flow_id=flow_id,
            name=name,
            entrypoint="flows.py:etl",
            work_pool_name=pool,
            schedules=[DeploymentScheduleCreate(schedule=s) for s in schedules or []],
            **fields,
        )
    )
