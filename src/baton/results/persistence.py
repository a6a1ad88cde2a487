"""Storing a result and reading it back through a small reference.

A run's state carries only a :class:`ResultRef`; the value itself stays in result storage, so the
database never holds user data and states stay small whatever a task returns.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict

from baton.results.serializers import (
    SerializationError,
    Serializer,
    deserialization_error,
    resolve_serializer,
    serialization_error,
)
from baton.results.storage import ResultStorage, resolve_storage


class ResultRef(BaseModel):
    """Where a result lives and how to decode it; everything :func:`load` needs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    storage: str
    """URI of the result storage, e.g. ``file:///home/u/.baton/results``."""
    key: str
    """Name of the result inside that storage."""
    serializer: str
    """Short name of the serializer that wrote the bytes."""


def persist(
    value: Any,
    storage: ResultStorage | str | os.PathLike[str],
    serializer: Serializer | str,
    key: str | None = None,
) -> ResultRef:
    """Serialize ``value``, store it and return a reference to it.

    Without ``key`` a fresh random one is used; cached results pass a deterministic key so that
    later runs find them. Nothing is stored when serialization fails.
    """
    resolved_storage = resolve_storage(storage)
    resolved_serializer = resolve_serializer(serializer)
    key = uuid.uuid4().hex if key is None else key
    try:
        data = resolved_serializer.dumps(value)
    except SerializationError:
        raise
    except Exception as exc:  # a third-party serializer that raises its own errors
        raise serialization_error(value, resolved_serializer.type, exc) from exc
    resolved_storage.write(key, data)
    return ResultRef(storage=resolved_storage.uri, key=key, serializer=resolved_serializer.type)


def load(ref: ResultRef) -> Any:
    """Read back the value that :func:`persist` stored under ``ref``.

    Raises :class:`~baton.results.storage.ResultStorageError` when the result is missing or
    unreadable, and :class:`SerializationError` when its bytes cannot be decoded.
    """
    storage = resolve_storage(ref.storage)
    serializer = resolve_serializer(ref.serializer)
    data = storage.read(ref.key)
    try:
        return serializer.loads(data)
    except Exception as exc:
        # Third-party serializers may raise their own errors; callers only ever see ours.
        cause = (
            exc
            if isinstance(exc, SerializationError)
            else deserialization_error(serializer.type, exc)
        )
        raise SerializationError(f"result {ref.key!r} in {storage.location}: {cause}") from exc
