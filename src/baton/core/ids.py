"""Identifiers: time-ordered UUIDs (version 7 layout), cheap to make.

``uuid.uuid4()`` reads ``os.urandom`` on every call, a system call that
releases the GIL; on a busy process that hands the interpreter to another
thread for a whole switch interval. These ids come from the ``random``
module (re-seeded in forked children) plus the clock, so they are unique
across processes, sort by creation time, and keep database indexes compact.
"""

from __future__ import annotations

import random
import time
import uuid

_VERSION_AND_VARIANT = (0x7 << 76) | (0b10 << 62)
_RANDOM_MASK = ~((0xF << 76) | (0b11 << 62)) & ((1 << 80) - 1)


def new_id() -> uuid.UUID:
    """A new UUID: 48 bits of milliseconds since the epoch, then 74 random bits."""
    millis = time.time_ns() // 1_000_000
    value = (millis << 80) | (random.getrandbits(80) & _RANDOM_MASK) | _VERSION_AND_VARIANT
    return uuid.UUID(int=value)
