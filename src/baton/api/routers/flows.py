"""Flows: the named functions runs belong to."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, status

from baton.api.deps import DatabaseDep, ReadConn
from baton.api.schemas.runs import FlowCreateBody, FlowResponse
from baton.exceptions import ObjectNotFound
from baton.storage.queries import flows

router = APIRouter(prefix="/flows", tags=["flows"])


@router.post("/", status_code=status.HTTP_201_CREATED)
def create_flow(body: FlowCreateBody, db: DatabaseDep) -> FlowResponse:
    """Create a flow, or return the existing flow of that name."""
    with db.write() as conn:
        return FlowResponse.from_flow(flows.read_or_create_flow(conn, body.name, body.tags))


@router.get("/{id}")
def read_flow(flow_id: Annotated[uuid.UUID, Path(alias="id")], conn: ReadConn) -> FlowResponse:
    flow = flows.read_flow(conn, flow_id)
    if flow is None:
        raise ObjectNotFound("flow", flow_id)
    return FlowResponse.from_flow(flow)


@router.get("/name/{name}")
def read_flow_by_name(name: str, conn: ReadConn) -> FlowResponse:
    flow = flows.read_flow_by_name(conn, name)
    if flow is None:
        raise ObjectNotFound("flow named", repr(name))
    return FlowResponse.from_flow(flow)
