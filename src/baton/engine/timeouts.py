"""Timeouts for synchronous user code.

Python cannot stop a thread from outside, so a timed call runs on a helper
thread; when time is up the caller stops waiting, and the timeout exception
is also raised inside the helper thread at its next bytecode, so user code
that is not blocked in C stops too.
"""

from __future__ import annotations

import contextvars
import ctypes
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def call_with_timeout(fn: Callable[[], T], timeout: float | None, error: BaseException) -> T:
    """``fn()``, or raise ``error`` if it has not returned within ``timeout`` seconds."""
    if timeout is None:
        return fn()
    outcome: dict[str, Any] = {}
    context = contextvars.copy_context()

    def target() -> None:
        try:
            outcome["value"] = context.run(fn)
        except BaseException as raised:
            outcome["error"] = raised

    worker = threading.Thread(target=target, name="baton-timed-call", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        _raise_in_thread(worker, type(error))
        raise error
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


def _raise_in_thread(thread: threading.Thread, exc_type: type[BaseException]) -> None:
    if thread.ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(thread.ident), ctypes.py_object(exc_type)
        )
