"""Turning result values into bytes and back.

A serializer is chosen per task or flow and its name is recorded next to the stored bytes, so a
result can be read back later by a different process that only knows that name.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
import pickle
import sys
import uuid
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from baton.exceptions import BatonError


class SerializationError(BatonError):
    """A value could not be turned into bytes, or bytes back into a value."""


def serialization_error(obj: object, serializer: str, exc: BaseException) -> SerializationError:
    """Build the error for a failed ``dumps`` so every serializer reports failures alike."""
    return SerializationError(
        f"could not serialize a value of type {type(obj).__name__!r} "
        f"with the {serializer!r} serializer: {type(exc).__name__}: {exc}"
    )


def deserialization_error(serializer: str, exc: BaseException) -> SerializationError:
    """Build the error for a failed ``loads`` so every serializer reports failures alike."""
    return SerializationError(
        f"could not deserialize data with the {serializer!r} serializer: "
        f"{type(exc).__name__}: {exc}"
    )


class Serializer(ABC):
    """Converts values to bytes and back.

    ``type`` is the short name stored in result references; it is how a reader later finds the
    serializer again, so it must be stable.
    """

    type: ClassVar[str]

    @abstractmethod
    def dumps(self, obj: Any) -> bytes:
        """Return ``obj`` as bytes, raising :class:`SerializationError` when it cannot."""

    @abstractmethod
    def loads(self, data: bytes) -> Any:
        """Return the value that ``dumps`` encoded into ``data``."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class PickleSerializer(Serializer):
    """Handles almost any Python value, including lambdas and closures.

    cloudpickle writes by value what plain pickle can only reference by name, while its output is
    ordinary pickle data, so reading needs nothing beyond :func:`pickle.loads`. Only load data from
    storage you trust: unpickling can run arbitrary code.
    """

    type: ClassVar[str] = "pickle"

    def dumps(self, obj: Any) -> bytes:
        import cloudpickle

        try:
            data: bytes = cloudpickle.dumps(obj)
        except Exception as exc:
            raise serialization_error(obj, self.type, exc) from exc
        return data

    def loads(self, data: bytes) -> Any:
        try:
            return pickle.loads(data)
        except Exception as exc:
            raise deserialization_error(self.type, exc) from exc


def _json_default(obj: Any) -> Any:
    """Map common non-JSON values onto JSON ones; reading gives back the JSON form, not the type."""
    if isinstance(obj, (datetime.date, datetime.time)):
        return obj.isoformat()
    if isinstance(obj, uuid.UUID):
        return str(obj)
    if isinstance(obj, decimal.Decimal):
        # A string keeps every digit; a float would round.
        return str(obj)
    if isinstance(obj, (set, frozenset)):
        return list(obj)
    # An instance of a pydantic model implies pydantic is already imported, so look it up
    # instead of importing it for every value.
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and isinstance(obj, pydantic.BaseModel):
        return obj.model_dump(mode="json")
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


class JSONSerializer(Serializer):
    """Stores results as UTF-8 JSON, readable by any tool but limited to JSON-shaped values."""

    type: ClassVar[str] = "json"

    def dumps(self, obj: Any) -> bytes:
        try:
            return json.dumps(obj, default=_json_default).encode("utf-8")
        except Exception as exc:
            raise serialization_error(obj, self.type, exc) from exc

    def loads(self, data: bytes) -> Any:
        try:
            return json.loads(data)
        except Exception as exc:
            raise deserialization_error(self.type, exc) from exc


_SERIALIZERS: dict[str, type[Serializer]] = {
    "pickle": PickleSerializer,
    "cloudpickle": PickleSerializer,
    "json": JSONSerializer,
}


def resolve_serializer(value: str | Serializer) -> Serializer:
    """Return the serializer named by ``value``, or ``value`` itself if it already is one."""
    if isinstance(value, Serializer):
        return value
    serializer_class = _SERIALIZERS.get(value.strip().lower())
    if serializer_class is None:
        valid = ", ".join(repr(name) for name in sorted(_SERIALIZERS))
        raise ValueError(
            f"unknown result serializer {value!r}; expected one of {valid} or a Serializer instance"
        )
    return serializer_class()
