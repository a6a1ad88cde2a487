"""Concurrency limits by tag: how many task runs with a tag may run at once."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from baton.api.deps import DatabaseDep, ReadConn
from baton.api.schemas.other import ConcurrencyLimitCreateBody, ConcurrencyLimitResponse
from baton.exceptions import ObjectNotFound
from baton.storage.queries import concurrency

router = APIRouter(prefix="/concurrency_limits", tags=["concurrency limits"])


@router.post("/", status_code=status.HTTP_200_OK)
def create_concurrency_limit(
    body: ConcurrencyLimitCreateBody, db: DatabaseDep
) -> ConcurrencyLimitResponse:
    """Create the limit for a tag, or change its size (held slots are kept)."""
    with db.write() as conn:
        limit = concurrency.upsert_concurrency_limit(conn, body.tag, body.concurrency_limit)
    return ConcurrencyLimitResponse.from_limit(limit)


@router.get("/tag/{tag}")
def read_concurrency_limit(tag: str, conn: ReadConn) -> ConcurrencyLimitResponse:
    limit = concurrency.read_concurrency_limit(conn, tag)
    if limit is None:
        raise ObjectNotFound("concurrency limit for tag", repr(tag))
    return ConcurrencyLimitResponse.from_limit(limit)


@router.delete("/tag/{tag}", status_code=status.HTTP_204_NO_CONTENT)
def delete_concurrency_limit(tag: str, db: DatabaseDep) -> Response:
    with db.write() as conn:
        if not concurrency.delete_concurrency_limit(conn, tag):
            raise ObjectNotFound("concurrency limit for tag", repr(tag))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/filter")
def read_concurrency_limits(conn: ReadConn) -> list[ConcurrencyLimitResponse]:
    return [
        ConcurrencyLimitResponse.from_limit(limit)
        for limit in concurrency.read_concurrency_limits(conn)
    ]
