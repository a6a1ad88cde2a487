"""Persisting task and flow return values outside the database.

Runs record a :class:`ResultRef`; :func:`persist` and :func:`load` move the value itself in and
out of result storage with a chosen serializer.
"""

from baton.results.persistence import ResultRef, load, persist
from baton.results.serializers import (
    JSONSerializer,
    PickleSerializer,
    SerializationError,
    Serializer,
    resolve_serializer,
)
from baton.results.storage import (
    LocalFileSystem,
    RemoteFileSystem,
    ResultStorage,
    ResultStorageError,
    resolve_storage,
)

__all__ = [
    "JSONSerializer",
    "LocalFileSystem",
    "PickleSerializer",
    "RemoteFileSystem",
    "ResultRef",
    "ResultStorage",
    "ResultStorageError",
    "SerializationError",
    "Serializer",
    "load",
    "persist",
    "resolve_serializer",
    "resolve_storage",
]
