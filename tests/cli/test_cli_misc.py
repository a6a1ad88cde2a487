"""``baton version``, ``baton concurrency-limit`` and the shared formatting."""

from __future__ import annotations

import datetime as dt
import platform
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from baton import __version__
from baton.cli import render
from baton.client import reset_client
from baton.client.base import BatonClient
from baton.settings import get_settings, reload_settings


@pytest.fixture
def database_with_password(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("BATON_DATABASE_URL", "postgresql://baton:s3cret@db.example:5432/baton")
    reset_client()
    reload_settings()
    yield
    monkeypatch.undo()
    reload_settings()


def test_version(invoke: Callable[..., Any], database_with_password: None) -> None:
    result = invoke("version")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert __version__ in out
    assert platform.python_version() in out
    assert "postgresql://baton:***@db.example:5432/baton" in out
    assert "s3cret" not in out
    assert "embedded (no server)" in out


def test_version_with_the_default_database(invoke: Callable[..., Any]) -> None:
    result = invoke("version")
    assert result.exit_code == 0, result.output
    assert get_settings().resolved_database_url in result.stdout


def test_concurrency_limits_round_trip(
    invoke: Callable[..., Any], error_line: Callable[[str], str], client: BatonClient
) -> None:
    created = invoke("concurrency-limit", "create", "database", "3")
    assert created.exit_code == 0, created.output
    assert [(c.tag, c.limit) for c in client.read_concurrency_limits()] == [("database", 3)]

    listed = invoke("concurrency-limit", "ls")
    assert listed.exit_code == 0, listed.output
    (row,) = [line.split() for line in listed.stdout.splitlines() if "database" in line]
    assert row[:3] == ["database", "3", "0"]

    changed = invoke("concurrency-limit", "create", "database", "5")
    assert changed.exit_code == 0, changed.output
    assert [(c.tag, c.limit) for c in client.read_concurrency_limits()] == [("database", 5)]

    deleted = invoke("concurrency-limit", "delete", "database")
    assert deleted.exit_code == 0, deleted.output
    assert client.read_concurrency_limits() == []
    assert "No concurrency limits" in invoke("concurrency-limit", "ls").stdout

    again = invoke("concurrency-limit", "delete", "database")
    assert again.exit_code == 1
    assert "'database'" in error_line(again.stderr)
    assert "not found" in error_line(again.stderr)


def test_negative_concurrency_limit_is_a_usage_error(
    invoke: Callable[..., Any], client: BatonClient
) -> None:
    result = invoke("concurrency-limit", "create", "database", "--", "-1")
    assert result.exit_code == 2
    assert client.read_concurrency_limits() == []


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, "-"),
        (0.0451, "45 ms"),
        (1.23, "1.2 s"),
        (59.94, "59.9 s"),
        (184.2, "3 min 4 s"),
        (7500, "2 h 5 min"),
    ],
)
def test_format_duration(seconds: float | None, shown: str) -> None:
    assert render.format_duration(seconds) == shown


@pytest.fixture
def two_hours_east_of_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "XYZ-2")  # POSIX: two hours ahead of UTC
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_format_time_is_local(two_hours_east_of_utc: None) -> None:
    moment = dt.datetime(2024, 5, 1, 12, 0, 3, 456789, tzinfo=dt.timezone.utc)
    assert render.format_time(moment) == "2024-05-01 14:00:03"
    assert render.format_time(moment, milliseconds=True) == "2024-05-01 14:00:03.456"
    assert render.format_time(None) == "-"
