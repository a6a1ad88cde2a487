"""Mistakes and broken setups: one clear line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from baton.client import reset_client
from baton.client.base import BatonClient
from baton.settings import get_settings, reload_settings

UNKNOWN = uuid.UUID("0190a4f2-0000-7000-8000-000000000000")


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, str], None]]:
    """Set a ``BATON_*`` variable for this process's settings; everything is restored after."""

    def set_variable(name: str, value: str) -> None:
        monkeypatch.setenv(name, value)
        reset_client()
        get_settings.cache_clear()  # read again by the command under test

    yield set_variable
    reset_client()
    monkeypatch.undo()
    reload_settings()


@pytest.mark.parametrize(
    "command",
    [
        ["flow-run", "inspect", str(UNKNOWN)],
        ["flow-run", "inspect", str(UNKNOWN), "--output", "json"],
        ["flow-run", "logs", str(UNKNOWN)],
        ["task-run", "ls", "--flow-run", str(UNKNOWN)],
    ],
)
def test_unknown_flow_run(
    invoke: Callable[..., Any],
    error_line: Callable[[str], str],
    client: BatonClient,
    command: list[str],
) -> None:
    result = invoke(*command)
    assert result.exit_code == 1
    assert error_line(result.stderr) == f"Error: flow run {UNKNOWN} not found"
    assert result.stdout == ""


@pytest.mark.parametrize(
    "command",
    [
        ["flow-run", "inspect", "1234"],
        ["flow-run", "logs", "not-an-id"],
        ["task-run", "ls", "--flow-run", "1234"],
    ],
)
def test_malformed_id(
    invoke: Callable[..., Any], error_line: Callable[[str], str], command: list[str]
) -> None:
    result = invoke(*command)
    assert result.exit_code == 2
    line = error_line(result.stderr)
    bad = command[-1]
    assert f"{bad!r} is not an id" in line


def test_unknown_state(invoke: Callable[..., Any], error_line: Callable[[str], str]) -> None:
    result = invoke("flow-run", "ls", "--state", "DONE")
    assert result.exit_code == 2
    line = error_line(result.stderr)
    assert "'DONE'" in line
    assert "COMPLETED" in line  # the valid choices are listed


def test_unknown_level(invoke: Callable[..., Any], error_line: Callable[[str], str]) -> None:
    result = invoke("flow-run", "logs", str(UNKNOWN), "--level", "LOUD")
    assert result.exit_code == 2
    assert "'LOUD'" in error_line(result.stderr)


def test_unknown_flow_name(
    invoke: Callable[..., Any], error_line: Callable[[str], str], client: BatonClient
) -> None:
    result = invoke("flow-run", "ls", "--flow", "no-such-flow")
    assert result.exit_code == 1
    assert error_line(result.stderr) == "Error: flow 'no-such-flow' not found"


def test_unreachable_database(
    invoke: Callable[..., Any],
    error_line: Callable[[str], str],
    settings_env: Callable[[str, str], None],
) -> None:
    # Nothing listens on port 1; the password must not be shown.
    settings_env("BATON_DATABASE_URL", "postgresql://baton:s3cret@127.0.0.1:1/baton")
    result = invoke("flow-run", "ls")
    assert result.exit_code == 1
    line = error_line(result.stderr)
    assert "127.0.0.1" in line
    assert "s3cret" not in line


def test_unsupported_database_url(
    invoke: Callable[..., Any],
    error_line: Callable[[str], str],
    settings_env: Callable[[str, str], None],
) -> None:
    settings_env("BATON_DATABASE_URL", "mysql://localhost/baton")
    result = invoke("flow-run", "ls")
    assert result.exit_code == 1
    assert "unsupported database" in error_line(result.stderr)


def test_an_unreachable_server_is_one_line_naming_its_url(
    invoke: Callable[..., Any],
    error_line: Callable[[str], str],
    settings_env: Callable[[str, str], None],
) -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/api"
    settings_env("BATON_API_URL", url)
    result = invoke("flow-run", "ls")
    assert result.exit_code == 1
    assert f"cannot reach the Baton server at {url}" in error_line(result.stderr)


def test_an_api_url_that_is_not_http_is_refused(
    invoke: Callable[..., Any],
    error_line: Callable[[str], str],
    settings_env: Callable[[str, str], None],
) -> None:
    settings_env("BATON_API_URL", "localhost:4200")
    result = invoke("flow-run", "ls")
    assert result.exit_code == 1
    assert "BATON_API_URL must be an http" in error_line(result.stderr)


def test_invalid_setting(
    invoke: Callable[..., Any],
    error_line: Callable[[str], str],
    settings_env: Callable[[str, str], None],
) -> None:
    settings_env("BATON_DATABASE_TIMEOUT", "-1")
    result = invoke("flow-run", "ls")
    assert result.exit_code == 1
    assert "database_timeout" in error_line(result.stderr).lower()


def test_corrupt_database_in_a_real_process(
    tmp_path: Path, baton_process: Callable[..., Any], error_line: Callable[[str], str]
) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not a database\n" * 100)
    result = baton_process("flow-run", "ls", env={"BATON_DATABASE_URL": f"sqlite:///{broken}"})
    assert result.returncode == 1
    assert "not a SQLite database" in error_line(result.stderr)
    assert result.stdout == ""


def test_help_does_not_load_the_storage_layer() -> None:
    """``baton --help`` must stay quick: the client and SQLAlchemy load only when a command runs."""
    code = (
        "import sys; from typer.testing import CliRunner; from baton.cli import app; "
        "result = CliRunner().invoke(app, ['--help']); assert result.exit_code == 0; "
        "print(sorted(m for m in ('sqlalchemy', 'baton.client', 'baton.storage') "
        "if m in sys.modules))"
    )
    source = Path(__file__).resolve().parents[2] / "src"
    env = {**os.environ, "PYTHONPATH": str(source)}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "[]"
