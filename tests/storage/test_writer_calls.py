"""The writer's calls from an event loop: run on the loop's thread in groups, or,
when another writer holds the database, queued for the writer thread."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, event

from baton.storage import models as m
from baton.storage.database import Database
from baton.storage.queries import flows
from baton.storage.writer import BatchWriter


def _flow_names(db: Database) -> set[str]:
    with db.read() as conn:
        return {row.name for row in conn.execute(m.flow.select())}


def _make_flow(name: str, threads: list[int]) -> Any:
    def fn(conn: Connection) -> str:
        threads.append(threading.get_ident())
        return flows.read_or_create_flow(conn, name).name

    return fn


def test_calls_of_one_turn_share_a_transaction_on_the_loops_thread(db: Database) -> None:
    writer = BatchWriter(db, gather_seconds=0)
    commits: list[None] = []
    event.listen(db.engine, "commit", lambda conn: commits.append(None))
    threads: list[int] = []

    async def main() -> list[str]:
        names = [f"flow-{i}" for i in range(5)]
        return await asyncio.gather(*(writer.call_async(_make_flow(n, threads)) for n in names))

    try:
        assert asyncio.run(main()) == [f"flow-{i}" for i in range(5)]
    finally:
        writer.close()
    assert set(threads) == {threading.get_ident()}
    assert len(commits) == 1
    assert _flow_names(db) == {f"flow-{i}" for i in range(5)}


def test_a_failing_call_in_a_group_undoes_only_its_own_writes(db: Database) -> None:
    writer = BatchWriter(db, gather_seconds=0)

    def fails(conn: Connection) -> None:
        flows.read_or_create_flow(conn, "undone")
        raise ValueError("no such thing")

    async def main() -> list[Any]:
        calls = [
            writer.call_async(_make_flow("before", [])),
            writer.call_async(fails),
            writer.call_async(_make_flow("after", [])),
        ]
        return await asyncio.gather(*calls, return_exceptions=True)

    try:
        before, error, after = asyncio.run(main())
    finally:
        writer.close()
    assert (before, after) == ("before", "after")
    assert isinstance(error, ValueError) and str(error) == "no such thing"
    assert _flow_names(db) == {"before", "after"}


def test_a_call_waits_for_the_writer_thread_while_another_process_writes(
    db: Database, tmp_path: Path
) -> None:
    """The loop is never blocked by another writer's lock: the call is queued instead."""
    writer = BatchWriter(db, gather_seconds=0)
    other = sqlite3.connect(tmp_path / "baton.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    threads: list[int] = []

    async def main() -> str:
        call = asyncio.ensure_future(writer.call_async(_make_flow("queued", threads)))
        loop_turns = 0
        while not writer._busy:  # the writer thread took the call and waits for the lock
            await asyncio.sleep(0.01)
            loop_turns += 1
            assert loop_turns < 1000, "the call never reached the writer thread"
        assert not call.done()
        other.execute("COMMIT")
        return await call

    try:
        assert asyncio.run(main()) == "queued"
    finally:
        other.close()
        writer.close()
    assert threads and threads[0] != threading.get_ident()
    assert _flow_names(db) == {"queued"}
