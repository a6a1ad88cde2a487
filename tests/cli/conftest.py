"""Running ``baton`` commands in-process (typer's runner) and as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from baton.cli import app
from baton.client.base import BatonClient
from baton.testing import baton_test_harness

# Where ``baton`` is imported from, for child processes (it may not be installed).
BATON_IMPORT_ROOT = Path(__file__).resolve().parents[2] / "src"

Invoke = Callable[..., Result]


@pytest.fixture
def invoke() -> Invoke:
    """``invoke("flow-run", "ls")`` runs the command in this process, on the test's database.

    Exceptions that escape the command are raised, not folded into an exit
    code, so a traceback can never pass for a handled error. ``COLUMNS`` is
    unset so output is formatted the way it is for a pipe.
    """

    def run(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(
            app, list(args), input=input, env={"COLUMNS": None}, catch_exceptions=False
        )

    return run


def _run_baton(
    *args: str, env: dict[str, str] | None = None, stdin: int | None = subprocess.DEVNULL
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **(env or {})}
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(BATON_IMPORT_ROOT), environment.get("PYTHONPATH", "")]
    )
    environment.pop("COLUMNS", None)
    return subprocess.run(
        [sys.executable, "-m", "baton", *args],
        env=environment,
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("Error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.fixture
def sqlite_client() -> Iterator[BatonClient]:
    """The embedded client on a fresh SQLite database only: for tests that start processes,
    whose behaviour does not depend on the database (the ``client`` fixture covers both)."""
    with baton_test_harness() as client:
        yield client


@pytest.fixture
def baton_process() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``baton_process("flow-run", "ls")`` runs ``python -m baton`` as a child process.

    It inherits the environment, so it uses the test's database; flush the
    client first so that the child sees what this process wrote.
    """
    return _run_baton


@pytest.fixture
def error_line() -> Callable[[str], str]:
    """Check that stderr is one ``Error: ...`` line and nothing else; return that line."""
    return _one_error_line
