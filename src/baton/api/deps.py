"""What routes receive: typed aliases, so a route's signature reads like a sentence."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy import Connection

from baton.storage.database import Database


def _database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _reader(request: Request) -> Iterator[Connection]:
    with _database(request).read() as conn:
        yield conn


DatabaseDep = Annotated[Database, Depends(_database)]
ReadConn = Annotated[Connection, Depends(_reader)]
RunId = Annotated[uuid.UUID, Path(alias="id", description="The run's id.")]
