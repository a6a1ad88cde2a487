"""Checking a run's parameters against its flow's JSON Schema, without the flow's code.

A deployment stores its flow's parameter schema, so the server can refuse a bad
run request before any run exists; the flow's own type hints coerce the values
again when it runs.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from baton.exceptions import ParameterValidationError


def validate_parameters(
    schema: dict[str, Any] | None, parameters: dict[str, Any], *, partial: bool = False
) -> None:
    """Raise ``ParameterValidationError`` naming every bad parameter.

    ``partial`` checks only the parameters given (a deployment's defaults need
    not cover the required ones: a run request may supply them).
    """
    if not schema:
        return
    text = json.dumps(schema, sort_keys=True, default=str)
    validator = _validator(text, partial)
    problems = [
        _describe(error) for error in sorted(validator.iter_errors(parameters), key=_error_path)
    ]
    if problems:
        raise ParameterValidationError("; ".join(problems))


@functools.lru_cache(maxsize=1024)
def _validator(schema_text: str, partial: bool) -> Any:
    """A checked validator for a schema (as canonical JSON): checking a schema costs far
    more than using it, and a scheduler validates the same few schemas again and again."""
    import jsonschema

    schema = json.loads(schema_text)
    if partial:
        schema.pop("required", None)
    try:
        validator_type = jsonschema.validators.validator_for(schema)
        validator_type.check_schema(schema)
    except jsonschema.SchemaError as error:
        message = f"the flow's parameter schema is invalid: {error.message}"
        raise ParameterValidationError(message) from None
    return validator_type(schema, format_checker=validator_type.FORMAT_CHECKER)


def _error_path(error: Any) -> str:
    return ".".join(str(part) for part in error.absolute_path)


def _describe(error: Any) -> str:
    where = _error_path(error)
    if not where:  # about the whole object: a missing or unexpected parameter
        return f"parameters: {error.message}"
    return f"parameter {where!r}: {error.message}"
