"""Building and updating models on the engine's hot path without re-validation.

Pydantic's ``model_construct`` resolves every default on every call, and
attribute assignment goes through a validation-aware ``__setattr__``; on the
path every task takes (a handful of states and one run per task) that is most
of the engine's cost. The values here come from Baton's own code with the
right types already, so these helpers set them directly. A test pins that the
objects they build equal validated ones.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def construct(cls: type[M], fields: dict[str, Any], private: dict[str, Any] | None = None) -> M:
    """An instance of ``cls`` holding exactly ``fields`` (which must name every field)."""
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", fields)
    object.__setattr__(obj, "__pydantic_fields_set__", set(fields))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", private)
    return obj


def assign(obj: BaseModel, **values: Any) -> None:
    """Set fields of ``obj`` to values already of the right type."""
    obj.__dict__.update(values)
