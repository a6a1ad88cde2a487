"""State-change hooks: user callbacks that must never break the run they observe."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

logger = logging.getLogger("baton.hooks")


def run_hooks(hooks: Iterable[Callable[..., Any]], owner: Any, run: Any, state: Any) -> None:
    """Call each ``hook(owner, run, state)``; a failing hook is logged, not raised."""
    for hook in hooks:
        try:
            hook(owner, run, state)
        except Exception:
            name = getattr(hook, "__name__", repr(hook))
            logger.exception("Hook %r for %r raised; the run's state is unchanged", name, run.name)
