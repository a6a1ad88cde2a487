"""``baton database`` on the configured database, SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect

from baton import flow
from baton.client import reset_client
from baton.client.base import BatonClient
from baton.settings import reload_settings
from baton.storage import schema
from baton.storage.database import Database
from baton.storage.models import metadata
from baton.testing import postgres_schema


@flow
def keep_me() -> str:
    return "data"


def make_run() -> uuid.UUID:
    state = keep_me(return_state=True)
    assert state.result() == "data"
    run_id = state.state_details.flow_run_id
    assert run_id is not None
    return run_id


def test_reset_without_yes_and_no_terminal_refuses(
    invoke: Callable[..., Any], error_line: Callable[[str], str], client: BatonClient
) -> None:
    run_id = make_run()
    result = invoke("database", "reset")
    assert result.exit_code == 1
    line = error_line(result.stderr)
    assert "refusing" in line and "--yes" in line
    assert client.read_flow_run(run_id).id == run_id


def test_reset_in_a_real_process_without_a_terminal_refuses(
    sqlite_client: BatonClient,
    baton_process: Callable[..., Any],
    error_line: Callable[[str], str],
) -> None:
    """Cron jobs and CI get a refusal, not a prompt: a stdin that never ends is no hang."""
    run_id = make_run()
    sqlite_client.flush()
    reader, writer = os.pipe()
    try:
        result = baton_process("database", "reset", stdin=reader)
    finally:
        os.close(reader)
        os.close(writer)
    assert result.returncode == 1
    assert "--yes" in error_line(result.stderr)
    assert sqlite_client.read_flow_run(run_id).id == run_id


def test_reset_with_yes_deletes_everything(invoke: Callable[..., Any], client: BatonClient) -> None:
    make_run()
    client.create_concurrency_limit("db", 2)
    result = invoke("database", "reset", "--yes")
    assert result.exit_code == 0, result.output
    assert f"schema revision {schema.HEAD_REVISION}" in result.stdout
    assert client.read_flow_runs() == []
    assert client.read_flows() == []
    assert client.read_concurrency_limits() == []


@pytest.mark.parametrize(("answer", "deleted"), [("n", False), ("y", True)])
def test_reset_asks_at_a_terminal(
    sqlite_client: BatonClient, baton_process: Callable[..., Any], answer: str, deleted: bool
) -> None:
    run_id = make_run()
    sqlite_client.flush()
    controller, terminal = os.openpty()
    try:
        os.write(controller, f"{answer}\n".encode())
        result = baton_process("database", "reset", stdin=terminal)
    finally:
        os.close(terminal)
        os.close(controller)
    assert "Delete all data" in result.stdout
    assert "Traceback" not in result.stderr
    if deleted:
        assert result.returncode == 0, result.stderr
        assert sqlite_client.read_flow_runs() == []
    else:
        assert result.returncode == 1
        assert sqlite_client.read_flow_run(run_id).id == run_id


@contextlib.contextmanager
def configured(url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Make ``url`` Baton's database for the block."""
    monkeypatch.setenv("BATON_DATABASE_URL", url)
    reset_client()
    reload_settings()
    try:
        yield url
    finally:
        reset_client()
        monkeypatch.undo()
        reload_settings()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_database_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """An empty database, configured as Baton's (on PostgreSQL: a schema of its own)."""
    if request.param == "sqlite":
        with configured(f"sqlite:///{tmp_path / 'fresh.db'}", monkeypatch) as url:
            yield url
        return
    server = os.environ.get("BATON_TEST_POSTGRES_URL")
    if not server:
        pytest.skip("BATON_TEST_POSTGRES_URL is not set")
    with postgres_schema(server) as isolated, configured(isolated, monkeypatch) as url:
        yield url


def test_upgrade_creates_a_fresh_database(
    invoke: Callable[..., Any], fresh_database_url: str
) -> None:
    db = Database(fresh_database_url)
    try:
        assert schema.current_revision(db) is None
        result = invoke("database", "upgrade")
        assert result.exit_code == 0, result.output
        assert f"to {schema.HEAD_REVISION}" in result.stdout
        assert schema.current_revision(db) == schema.HEAD_REVISION
        with db.read() as conn:
            assert set(metadata.tables) <= set(inspect(conn).get_table_names())

        again = invoke("database", "upgrade")
        assert again.exit_code == 0, again.output
        assert "up to date" in again.stdout
    finally:
        db.dispose()

    # The upgraded database is usable: runs can be recorded and listed.
    run_id = make_run()
    listed = invoke("flow-run", "ls")
    assert str(run_id) in listed.stdout


def test_upgrade_reports_an_unreachable_database(
    invoke: Callable[..., Any], error_line: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with configured("postgresql://u:pw@127.0.0.1:1/x", monkeypatch):
        result = invoke("database", "upgrade")
    assert result.exit_code == 1
    line = error_line(result.stderr)
    assert "127.0.0.1" in line and ":pw@" not in line
