"""The Jinja2 environment: templates from the package, filters for times and states."""

from __future__ import annotations

import datetime as dt
import functools
import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from baton._version import __version__
from baton.ui import states

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
STATIC_URL = "/ui/static"


def format_time(value: dt.datetime | None) -> str:
    """A UTC time as people read it: ``2024-05-01 14:03:22``."""
    if value is None:
        return "—"
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def format_duration(seconds: float | None) -> str:
    """``0.42 s``, ``3 min 05 s``, ``2 h 07 min``: short and unambiguous."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours:02d} h"


def iso(value: dt.datetime | None) -> str:
    return value.astimezone(dt.timezone.utc).isoformat() if value else ""


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        time=format_time,
        duration=format_duration,
        iso=iso,
        pretty_json=pretty_json,
    )
    env.globals.update(
        look=states.look,
        all_looks=states.all_looks,
        is_terminal=states.is_terminal,
        static=lambda name: f"{STATIC_URL}/{name}?v={__version__}",
        baton_version=__version__,
    )
    return env


def render(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = environment().get_template(name).render(**context)
    return HTMLResponse(html, status_code=status_code)


def render_fragment(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
