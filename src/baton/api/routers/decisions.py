"""Recorded orchestration decisions (Baton): why each run did what it did."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import Field

from baton.api.deps import ReadConn
from baton.api.schemas.states import WireModel
from baton.core.models import OrchestrationDecision
from baton.storage.queries import decisions

router = APIRouter(prefix="/decisions", tags=["decisions"])


class DecisionFilterBody(WireModel):
    run_ids: list[uuid.UUID] = Field(max_length=10_000, description="Flow or task run ids.")


@router.post("/filter")
def read_decisions(body: DecisionFilterBody, conn: ReadConn) -> list[OrchestrationDecision]:
    """Every non-trivial decision about these runs, oldest first."""
    return decisions.read_decisions(conn, body.run_ids)
