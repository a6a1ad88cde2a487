"""SQLite's fast paths: the driver-level statements, the kept write connection,
and write transactions that refuse to wait."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import exc

from baton.core.actions import FlowRunCreate
from baton.core.models import RetryPolicy, RunKind
from baton.core.states import Failed, Pending
from baton.orchestrator import transitions
from baton.orchestrator.runs import new_flow_run
from baton.storage import checkpoints
from baton.storage import models as m
from baton.storage.database import WRITE_CACHE_KIB, Database, WriterBusy
from baton.storage.encoding import execute_on_driver
from baton.storage.queries import flows, runs


def _stored_run(db: Database) -> uuid.UUID:
    """A flow run whose columns hold every kind of value: UUIDs, datetimes, JSON, booleans."""
    with db.write() as conn:
        flow = flows.read_or_create_flow(conn, "paths")
        run = new_flow_run(
            FlowRunCreate(
                flow_id=flow.id,
                name="every-type",
                parameters={"n": 3, "nested": {"when": "2026-01-01"}},
                tags=["a", "b"],
                parent_task_run_id=uuid.uuid4(),
                idempotency_key="key-1",
                auto_scheduled=True,
                work_queue_name="default",
                job_variables={"env": {"A": "1"}},
                empirical_policy=RetryPolicy(retries=2, retry_delay=[1.0, 5.0]),
            )
        )
        transitions.create_run(conn, RunKind.FLOW_RUN, run, Pending())
    with db.write() as conn:
        failed = Failed(message="boom")
        transitions.set_run_state(conn, RunKind.FLOW_RUN, run.id, failed)
    return run.id


def test_a_run_read_through_the_driver_equals_the_run_sqlalchemy_reads(db: Database) -> None:
    run_id = _stored_run(db)
    with db.read() as conn:
        fast = runs.read_run(conn, RunKind.FLOW_RUN, run_id)
        row = conn.execute(runs._select_run(RunKind.FLOW_RUN), {"run_id": run_id}).first()
        slow = runs.run_from_row(RunKind.FLOW_RUN, row)
    assert fast is not None and fast.state is not None
    assert fast == slow
    assert fast.auto_scheduled is True
    assert fast.parameters == {"n": 3, "nested": {"when": "2026-01-01"}}
    assert fast.empirical_policy.retry_delay == [1.0, 5.0]
    assert isinstance(fast.created, dt.datetime) and fast.created.tzinfo is dt.timezone.utc


def test_an_unknown_run_reads_as_none(db: Database) -> None:
    with db.read() as conn:
        assert runs.read_run(conn, RunKind.FLOW_RUN, uuid.uuid4()) is None


def test_a_driver_level_insert_fails_with_sqlalchemys_error(db: Database) -> None:
    run_id = _stored_run(db)
    with db.read() as conn:
        run = runs.read_run(conn, RunKind.FLOW_RUN, run_id)
        before = runs.read_states(conn, RunKind.FLOW_RUN, run_id)
    assert run is not None and run.state is not None
    row = {"id": run.state.id, "flow_run_id": run_id, "type": "FAILED", "name": "Failed"}
    row.update(timestamp=run.created, state_details={})
    with pytest.raises(exc.IntegrityError, match="UNIQUE"), db.write() as conn:
        runs.insert_states(conn, RunKind.FLOW_RUN, [row])
    with db.read() as conn:  # the failed transaction left nothing behind
        assert runs.read_states(conn, RunKind.FLOW_RUN, run_id) == before


def test_writes_share_one_connection_kept_open_between_them(db: Database) -> None:
    seen = set()
    for _ in range(3):
        with db.write() as conn:
            seen.add(id(conn.connection.driver_connection))
        assert db.engine.pool.checkedout() == 1  # kept, not given back to the pool
    assert len(seen) == 1
    db.dispose()
    assert db.engine.pool.checkedout() == 0


def test_a_failed_write_is_rolled_back_and_the_next_one_works(db: Database) -> None:
    with pytest.raises(RuntimeError), db.write() as conn:
        flows.read_or_create_flow(conn, "undone")
        raise RuntimeError("changed my mind")
    with db.write() as conn:
        flows.read_or_create_flow(conn, "kept")
    with db.read() as conn:
        names = {row.name for row in conn.execute(m.flow.select())}
    assert names == {"kept"}


def test_not_waiting_while_another_process_writes_is_writer_busy(
    db: Database, tmp_path: Path
) -> None:
    other = sqlite3.connect(tmp_path / "baton.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(WriterBusy), db.write(wait=False):
            pytest.fail("entered a transaction while another connection holds the lock")
    finally:
        other.execute("COMMIT")
        other.close()
    with db.write(wait=False) as conn:  # free again, and the busy timeout is back
        flows.read_or_create_flow(conn, "after")
        timeout = conn.connection.driver_connection.execute("PRAGMA busy_timeout").fetchone()
    assert timeout == (10_000,)


def test_not_waiting_while_another_thread_writes_is_writer_busy(db: Database) -> None:
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with db.write():
            inside.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert inside.wait(10)
    try:
        with pytest.raises(WriterBusy), db.write(wait=False):
            pytest.fail("entered a transaction while another thread writes")
    finally:
        release.set()
        holder.join()


def _checkpoint_threads() -> int:
    return sum(thread.name == "baton-wal-checkpoints" for thread in threading.enumerate())


def test_commits_leave_wal_checkpoints_to_a_thread_of_their_own(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoints, "CHECKPOINT_EVERY", 5)
    assert db.checkpointer is not None
    database_file = tmp_path / "baton.db"
    size = database_file.stat().st_size
    for i in range(4):
        with db.write() as conn:  # each adds pages to the log, none to the file
            flows.read_or_create_flow(conn, f"flow-{i}-" + "x" * 4000)
            autocheckpoint = execute_on_driver(conn, "PRAGMA wal_autocheckpoint").fetchone()
    assert autocheckpoint == (0,)
    assert database_file.stat().st_size == size
    threads = _checkpoint_threads()

    with db.write() as conn:
        flows.read_or_create_flow(conn, "fifth")

    assert db.checkpointer.wait_for(1, timeout=10)
    assert database_file.stat().st_size > size  # the log's pages are in the file now
    assert _checkpoint_threads() == threads + 1
    db.dispose()
    assert _checkpoint_threads() == threads


def test_a_database_in_memory_has_no_checkpointer() -> None:
    assert Database("sqlite://").checkpointer is None
    assert Database("sqlite:///:memory:").checkpointer is None


def test_the_write_connection_caches_more_pages_than_sqlites_default(db: Database) -> None:
    with db.write() as conn:
        cache = execute_on_driver(conn, "PRAGMA cache_size").fetchone()
    assert cache == (-WRITE_CACHE_KIB,)
    with db.read() as conn:  # readers keep SQLite's default
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() != -WRITE_CACHE_KIB
