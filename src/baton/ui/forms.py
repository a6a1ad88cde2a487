"""A deployment's Run form, made from its flow's parameter schema (JSON Schema).

Each parameter becomes one field of a kind the browser knows how to check
(a whole number, a date, a choice, JSON, ...). The browser checks what it can
before sending; the server checks the parameters against the full schema again
and its answer is shown as it is.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

_CONSTRAINTS = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
)


@dataclass(frozen=True)
class Choice:
    value: str
    """The choice as JSON text: what is sent, parsed."""
    label: str


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str
    """string, integer, number, boolean, enum, date, date-time or json: each has its own
    input, and its own check in ``deployment.js``."""
    required: bool
    value: str
    """The pre-filled text: the deployment's default, else the flow's."""
    nullable: bool = False
    json_type: str | None = None
    """For ``json`` fields, ``array`` or ``object`` when the schema says which."""
    choices: tuple[Choice, ...] = ()
    description: str | None = None
    constraints: dict[str, Any] = field(default_factory=dict)

    @property
    def checked(self) -> bool:
        return self.value == "true"

    @property
    def constraints_json(self) -> str:
        return json.dumps(self.constraints, sort_keys=True)


def build_form(schema: dict[str, Any] | None, defaults: dict[str, Any]) -> list[FormField]:
    """The fields of ``schema``'s properties in the flow's parameter order.

    No schema (or one without properties) gives no fields: the page then offers
    one JSON object for all parameters.
    """
    if not schema or not isinstance(schema.get("properties"), dict):
        return []
    definitions = schema.get("$defs") or schema.get("definitions") or {}
    required = set(schema.get("required") or ())
    properties: dict[str, Any] = schema["properties"]
    ordered = sorted(properties.items(), key=lambda item: _position(item[1]))
    return [
        _field(name, prop, definitions, name in required, defaults)
        for name, prop in ordered
        if isinstance(prop, dict)
    ]


def _position(prop: Any) -> float:
    position = prop.get("position") if isinstance(prop, dict) else None
    return float(position) if isinstance(position, int | float) else float("inf")


def _resolve(prop: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """``prop`` with a local ``$ref`` (or a lone ``allOf``) replaced by what it names."""
    for _ in range(10):  # refs to refs, but never forever
        ref = prop.get("$ref")
        if isinstance(ref, str) and ref.startswith(("#/$defs/", "#/definitions/")):
            target = definitions.get(ref.rsplit("/", 1)[1], {})
            prop = {**target, **{k: v for k, v in prop.items() if k != "$ref"}}
            continue
        all_of = prop.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
            prop = {**all_of[0], **{k: v for k, v in prop.items() if k != "allOf"}}
            continue
        return prop
    return prop


def _field(
    name: str,
    prop: dict[str, Any],
    definitions: dict[str, Any],
    required: bool,
    defaults: dict[str, Any],
) -> FormField:
    outer = _resolve(prop, definitions)
    inner, nullable = _without_null(outer, definitions)
    kind, json_type = _kind(inner)
    if name in defaults:
        value: Any = defaults[name]
    else:
        value = outer.get("default", inner.get("default"))
    description = outer.get("description") or inner.get("description")
    return FormField(
        name=name,
        label=str(outer.get("title") or name),
        kind=kind,
        required=required,
        value=_as_text(kind, value),
        nullable=nullable,
        json_type=json_type,
        choices=_choices(inner, nullable) if kind == "enum" else (),
        description=description if isinstance(description, str) else None,
        constraints={key: inner[key] for key in _CONSTRAINTS if key in inner},
    )


def _without_null(prop: dict[str, Any], definitions: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The schema of ``prop``'s values other than null, and whether null is allowed."""
    options = prop.get("anyOf") or prop.get("oneOf")
    if isinstance(options, list):
        resolved = [_resolve(option, definitions) for option in options if isinstance(option, dict)]
        others = [option for option in resolved if option.get("type") != "null"]
        nullable = len(others) < len(resolved)
        if len(others) == 1:
            return others[0], nullable
        return {}, nullable  # several kinds of value: only JSON can say which
    types = prop.get("type")
    if isinstance(types, list):
        others_types = [t for t in types if t != "null"]
        nullable = len(others_types) < len(types)
        if len(others_types) == 1:
            return {**prop, "type": others_types[0]}, nullable
        return {}, nullable
    return prop, False


def _kind(prop: dict[str, Any]) -> tuple[str, str | None]:
    if isinstance(prop.get("enum"), list) and prop["enum"]:
        return "enum", None
    if "const" in prop:
        return "enum", None
    kind = prop.get("type")
    if kind == "string":
        if prop.get("format") in ("date", "date-time"):
            return str(prop["format"]), None
        return "string", None
    if kind in ("integer", "number", "boolean"):
        return str(kind), None
    if kind in ("array", "object"):
        return "json", str(kind)
    return "json", None


def _choices(prop: dict[str, Any], nullable: bool) -> tuple[Choice, ...]:
    values = prop["enum"] if "enum" in prop else [prop["const"]]
    choices = [Choice(json.dumps(v), v if isinstance(v, str) else json.dumps(v)) for v in values]
    if nullable and None not in values:
        choices.append(Choice("null", "none (null)"))
    return tuple(choices)


def _as_text(kind: str, value: Any) -> str:
    """``value`` as the text its input shows."""
    if value is None:
        return "null" if kind == "enum" else ""
    if kind == "enum":
        return json.dumps(value)
    if kind == "boolean":
        return "true" if value is True else "false"
    if kind == "date-time" and isinstance(value, str):
        return _utc_input_text(value)
    if kind in ("string", "date") and isinstance(value, str):
        return value
    return json.dumps(value)


def _utc_input_text(value: str) -> str:
    """An ISO time as a ``datetime-local`` input holds it: UTC, no offset, to the second."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat()
