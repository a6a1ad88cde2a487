"""What code can ask about the run it is part of: ``tags(...)`` and ``get_run_context()``."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from baton.engine.context import get_run_context

_tags: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "baton_tags", default=frozenset()
)


@contextlib.contextmanager
def tags(*names: str) -> Iterator[frozenset[str]]:
    """Within the block, flow and task runs also carry ``names`` as tags."""
    token = _tags.set(_tags.get() | frozenset(names))
    try:
        yield _tags.get()
    finally:
        _tags.reset(token)


def current_tags() -> frozenset[str]:
    return _tags.get()


__all__ = ["current_tags", "get_run_context", "tags"]
