"""Faults of storage and outsized results, met by a real process.

A damaged or unreachable database must end the run with one clear
``StorageError`` (not a driver's traceback as the last word) in bounded time,
and must never be "repaired" by overwriting the user's file. A result far
larger than usual must come back whole and, when asked, be persisted whole.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from baton.results.persistence import ResultRef, load
from baton.storage.models import task_run_state

from .support import Child, Records

ONE_FLOW = """
from baton import flow, task


@task
def one() -> int:
    return 1


@flow
def tiny() -> int:
    return one()


print(tiny())
"""

UNREACHABLE_TIMEOUT = 30
"""Seconds after which a child still waiting for an unreachable database counts as hung."""


def final_error(stderr: str) -> str:
    """The line naming the exception the child died of (tracebacks indent everything else)."""
    lines = [line for line in stderr.splitlines() if line and not line[0].isspace()]
    assert lines, "the child printed no error"
    return lines[-1]


def run_unreachable(child: Child, url: str, timeout: str) -> subprocess.CompletedProcess[str]:
    try:
        return child.run(
            ONE_FLOW,
            timeout=UNREACHABLE_TIMEOUT,
            BATON_DATABASE_URL=url,
            BATON_DATABASE_TIMEOUT=timeout,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(
            f"with BATON_DATABASE_TIMEOUT={timeout} the flow still waited for {url} "
            f"after {UNREACHABLE_TIMEOUT} s"
        )


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts TCP connections and never says a word: a hung database server."""
    with socket.create_server(("127.0.0.1", 0), backlog=64) as server:
        yield server.getsockname()[1]


def damage_pages(path: Path) -> None:
    """Keep the SQLite header page, overwrite everything after it with noise."""
    size = path.stat().st_size
    with path.open("r+b") as file:
        file.seek(4096)
        file.write(os.urandom(size - 4096))


def test_a_file_that_is_not_a_database_gives_a_clear_error_and_is_kept(
    make_child: Callable[[str | None], Child],
) -> None:
    child = make_child(None)
    child.home.mkdir()
    database = child.home / "baton.db"
    noise = os.urandom(64 * 1024)
    database.write_bytes(noise)

    process = child.run(ONE_FLOW)

    assert process.returncode != 0
    error = final_error(process.stderr)
    assert error.startswith("baton.exceptions.StorageError: "), error
    assert str(database) in error and "not a SQLite database" in error
    assert database.read_bytes() == noise


def test_a_database_with_damaged_pages_gives_a_clear_error_and_is_kept(
    make_child: Callable[[str | None], Child],
) -> None:
    child = make_child(None)
    assert child.report(child.run(ONE_FLOW)) == 1
    database = child.home / "baton.db"
    damage_pages(database)
    damaged = database.read_bytes()

    process = child.run(ONE_FLOW)

    assert process.returncode != 0
    error = final_error(process.stderr)
    assert error.startswith("baton.exceptions.StorageError: "), error
    assert "malformed" in error
    assert database.read_bytes() == damaged


def test_a_refused_postgres_connection_gives_a_clear_error(
    make_child: Callable[[str | None], Child],
) -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:1/x"
    process = run_unreachable(make_child(None), url, timeout="2")

    assert process.returncode != 0
    error = final_error(process.stderr)
    assert error.startswith("baton.exceptions.StorageError: "), error
    assert "127.0.0.1:1" in error


@pytest.mark.parametrize("timeout", ["2", "0.5"])
def test_a_postgres_server_that_never_answers_gives_a_clear_error(
    timeout: str, silent_server: int, make_child: Callable[[str | None], Child]
) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{silent_server}/x"
    process = run_unreachable(make_child(None), url, timeout=timeout)

    assert process.returncode != 0
    error = final_error(process.stderr)
    assert error.startswith("baton.exceptions.StorageError: "), error
    assert f"127.0.0.1:{silent_server}" in error


HUGE_RESULT = """
import hashlib
import json
import os
import sys

from baton import flow, task
from baton.engine.context import get_run_context

SIZE = 100 * 2**20
task_runs = []


@task(persist_result=sys.argv[1] == "persist")
def make_blob() -> bytes:
    task_runs.append(str(get_run_context().task_run.id))
    blob = os.urandom(SIZE)
    print(hashlib.sha256(blob).hexdigest())
    return blob


@flow
def produce() -> bytes:
    return make_blob()


blob = produce()
digest = hashlib.sha256(blob).hexdigest()
print(json.dumps({"size": len(blob), "sha256": digest, "task_runs": task_runs}))
"""

HUGE_SIZE = 100 * 2**20


def completed_result_ref(records: Records, task_run_id: uuid.UUID) -> object:
    with records.db.read() as conn:
        return conn.scalar(
            select(task_run_state.c.result_ref).where(
                task_run_state.c.task_run_id == task_run_id, task_run_state.c.type == "COMPLETED"
            )
        )


def stored_files(child: Child) -> list[Path]:
    storage = child.home / "storage"
    return [path for path in storage.rglob("*") if path.is_file()] if storage.exists() else []


@pytest.mark.slow
def test_a_huge_result_comes_back_whole_and_stays_in_memory_by_default(
    make_child: Callable[[str | None], Child], open_records: Callable[[str], Records]
) -> None:
    child = make_child(None)
    process = child.run(HUGE_RESULT, "memory")
    report = child.report(process)
    produced = process.stdout.splitlines()[0]

    assert report["size"] == HUGE_SIZE
    assert report["sha256"] == produced
    [task_run_id] = [uuid.UUID(run_id) for run_id in report["task_runs"]]
    records = open_records(child.database_url)
    records.assert_completed_task_runs([task_run_id])
    assert completed_result_ref(records, task_run_id) is None
    assert stored_files(child) == []


@pytest.mark.slow
def test_a_huge_result_is_persisted_whole_when_asked(
    make_child: Callable[[str | None], Child], open_records: Callable[[str], Records]
) -> None:
    child = make_child(None)
    process = child.run(HUGE_RESULT, "persist")
    report = child.report(process)
    produced = process.stdout.splitlines()[0]

    assert report["size"] == HUGE_SIZE
    assert report["sha256"] == produced
    [task_run_id] = [uuid.UUID(run_id) for run_id in report["task_runs"]]
    records = open_records(child.database_url)
    records.assert_completed_task_runs([task_run_id])
    ref = completed_result_ref(records, task_run_id)
    assert ref is not None, "the completed state has no reference to a persisted result"
    [stored] = stored_files(child)
    assert HUGE_SIZE <= stored.stat().st_size <= HUGE_SIZE + 1024
    assert hashlib.sha256(load(ResultRef.model_validate(ref))).hexdigest() == produced
