"""What routes receive: typed aliases, so a route's signature reads like a sentence."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy import Connection

from baton.storage.database import Database
from baton.storage.writer import BatchWriter


def _database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def _writer(request: Request) -> BatchWriter:  # async: no hop to a worker thread
    writer: BatchWriter = request.app.state.writer
    return writer


async def _known_flows(request: Request) -> set[uuid.UUID]:
    known: set[uuid.UUID] = request.app.state.known_flows
    return known


def _reader(request: Request) -> Iterator[Connection]:
    with _database(request).read() as conn:
        yield conn


DatabaseDep = Annotated[Database, Depends(_database)]
# The server's single writer: write transactions of concurrent requests share commits.
WriterDep = Annotated[BatchWriter, Depends(_writer)]
# Ids of flows the server has seen stored: a new run of one needs no look-up of its flow.
KnownFlows = Annotated[set[uuid.UUID], Depends(_known_flows)]
ReadConn = Annotated[Connection, Depends(_reader)]
RunId = Annotated[uuid.UUID, Path(alias="id", description="The run's id.")]
