"""Run logs: clients send them in batches."""

from __future__ import annotations

from fastapi import APIRouter, status

from baton.api.deps import DatabaseDep
from baton.api.schemas.other import LogCreateBody
from baton.core.ids import new_id
from baton.storage.queries import logs

router = APIRouter(prefix="/logs", tags=["logs"])


@router.post("/", status_code=status.HTTP_201_CREATED)
def create_logs(body: list[LogCreateBody], db: DatabaseDep) -> None:
    """Store a batch of log records."""
    rows = [{**record.to_action().model_dump(), "id": new_id()} for record in body]
    with db.write() as conn:
        logs.insert_logs(conn, rows)
