"""Liveness and version: what load balancers and clients check first."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from baton._version import __version__
from baton.api.deps import ReadConn

router = APIRouter(tags=["health"])


@router.get("/health")
def health(conn: ReadConn) -> bool:
    """``true`` when the server is up and its database answers."""
    conn.execute(text("SELECT 1"))
    return True


@router.get("/admin/version")
def version() -> str:
    return __version__
