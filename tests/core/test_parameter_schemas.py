"""Run parameters checked against a flow's JSON Schema, as the server does without the code."""

from __future__ import annotations

import pytest

from baton.core.parameter_schemas import validate_parameters
from baton.exceptions import ParameterValidationError

SCHEMA = {
    "type": "object",
    "properties": {
        "day": {"type": "string", "format": "date"},
        "rows": {"type": "integer"},
        "tables": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["day"],
}


def test_good_parameters_pass() -> None:
    validate_parameters(SCHEMA, {"day": "2026-01-31", "rows": 3, "tables": ["a"]})


def test_every_bad_parameter_is_named() -> None:
    with pytest.raises(ParameterValidationError) as caught:
        validate_parameters(SCHEMA, {"day": "31/01/2026", "rows": "many", "tables": ["a", 2]})

    message = str(caught.value)
    assert "parameter 'day': '31/01/2026' is not a 'date'" in message
    assert "parameter 'rows': 'many' is not of type 'integer'" in message
    assert "parameter 'tables.1': 2 is not of type 'string'" in message


def test_a_missing_required_parameter_is_refused_unless_partial() -> None:
    with pytest.raises(ParameterValidationError, match="'day' is a required property"):
        validate_parameters(SCHEMA, {"rows": 1})

    validate_parameters(SCHEMA, {"rows": 1}, partial=True)


def test_no_schema_accepts_anything() -> None:
    validate_parameters(None, {"anything": object()})
    validate_parameters({}, {"anything": 1})


def test_an_invalid_schema_is_reported_as_such() -> None:
    with pytest.raises(ParameterValidationError, match="parameter schema is invalid"):
        validate_parameters({"type": "no-such-type"}, {})
