"""``tags(...)``: add tags to every run created inside a block."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

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
