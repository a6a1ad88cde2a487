"""Flow parameters: validated and coerced by the function's type hints, stored as JSON."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any

from baton.exceptions import ParameterValidationError

_REPR_LIMIT = 1000


class ParameterValidator:
    """Checks a flow's arguments against its signature, one type adapter per parameter."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.signature = inspect.signature(fn)
        self._adapters: dict[str, Any] | None = None

    def _build(self) -> dict[str, Any]:
        hints = _resolvable_hints(self.fn)
        adapters: dict[str, Any] = {}
        for name, param in self.signature.parameters.items():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            annotation = hints.get(name, param.annotation)
            if annotation is inspect.Parameter.empty or annotation is Any:
                continue
            if isinstance(annotation, str):  # a hint that could not be resolved
                continue
            adapter = _adapter_for(annotation)
            if adapter is not None:
                adapters[name] = adapter
        return adapters

    def validate(self, parameters: dict[str, Any]) -> dict[str, Any]:
        """Coerced parameters; raises ``ParameterValidationError`` naming each bad one."""
        from pydantic import ValidationError

        if self._adapters is None:
            self._adapters = self._build()
        validated = dict(parameters)
        problems: list[str] = []
        for name, adapter in self._adapters.items():
            if name not in parameters:
                continue
            try:
                validated[name] = adapter.validate_python(parameters[name])
            except ValidationError as error:
                for issue in error.errors():
                    where = ".".join(str(part) for part in (name, *issue["loc"]))
                    problems.append(
                        f"parameter {where!r}: {issue['msg']} (got {_short(parameters[name])})"
                    )
        if problems:
            raise ParameterValidationError("; ".join(problems))
        return validated


def _resolvable_hints(fn: Callable[..., Any]) -> dict[str, Any]:
    """Type hints by parameter; one that cannot be resolved is left out (not validated)."""
    try:
        return typing.get_type_hints(fn, include_extras=True)
    except Exception:
        pass
    hints: dict[str, Any] = {}
    namespace = getattr(fn, "__globals__", {})
    for name, hint in getattr(fn, "__annotations__", {}).items():
        if not isinstance(hint, str):
            hints[name] = hint
            continue
        try:  # what typing.get_type_hints does, one hint at a time
            hints[name] = eval(hint, namespace)
        except Exception:
            continue
    return hints


def _adapter_for(annotation: Any) -> Any:
    """A validator for ``annotation``, or ``None`` when pydantic cannot validate it."""
    from pydantic import ConfigDict, PydanticUserError, TypeAdapter

    for config in (ConfigDict(arbitrary_types_allowed=True), None):
        try:
            adapter = TypeAdapter(annotation, config=config)
            adapter.core_schema  # noqa: B018 - forces a schema that was deferred
            return adapter
        except PydanticUserError:
            continue
        except Exception:
            return None
    return None


def bind_parameters(
    signature: inspect.Signature,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    owner: str,
    error_type: type[Exception] = ParameterValidationError,
) -> dict[str, Any]:
    """Arguments by parameter name with defaults applied; a bad call raises a clear error."""
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as error:
        raise error_type(f"{owner}: {error}") from None
    bound.apply_defaults()
    return dict(bound.arguments)


def jsonable_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    """Parameters as JSON for the record; what JSON cannot hold is kept as its repr."""
    from pydantic_core import to_jsonable_python

    return {name: to_jsonable_python(value, fallback=_short) for name, value in parameters.items()}


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _REPR_LIMIT else text[: _REPR_LIMIT - 3] + "..."


def parameter_schema(fn: Callable[..., Any]) -> dict[str, Any]:
    """JSON Schema of ``fn``'s parameters: what a deployment's runs may be given.

    Each parameter is a property titled with its name (and its position),
    typed by its hint when pydantic can describe it, with its default when
    JSON can hold it; parameters without a default are ``required``.
    ``*args`` and ``**kwargs`` are left out.
    """
    import warnings

    from pydantic import ConfigDict, Field, create_model

    hints = _resolvable_hints(fn)
    fields: dict[str, Any] = {}
    for position, (name, param) in enumerate(inspect.signature(fn).parameters.items()):
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        default = ... if param.default is inspect.Parameter.empty else param.default
        field = Field(default, alias=name, title=name, json_schema_extra={"position": position})
        # Fields get neutral names: parameters may be called ``_x`` or ``model_config``.
        fields[f"parameter_{position}"] = (_describable(hints.get(name, param.annotation)), field)
    title = getattr(fn, "__name__", "parameters")
    model = create_model(title, __config__=ConfigDict(arbitrary_types_allowed=True), **fields)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a default JSON cannot hold is left out, as documented
        return model.model_json_schema(by_alias=True)


def _describable(annotation: Any) -> Any:
    """``annotation`` if JSON Schema can describe it, else ``Any`` (no constraint)."""
    if annotation is inspect.Parameter.empty or isinstance(annotation, str):
        return Any
    adapter = _adapter_for(annotation)
    if adapter is None:
        return Any
    try:
        adapter.json_schema()
    except Exception:
        return Any
    return annotation
