"""The JSON Schema of a flow's parameters that deployments send as ``parameter_openapi_schema``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from baton.engine.parameters import parameter_schema


class Point(BaseModel):
    x: int


class Opaque:
    pass


def test_types_defaults_and_required_parameters() -> None:
    def etl(
        source: str,
        limit: int = 10,
        since: dt.date | None = None,
        ids: list[int] = [1, 2],  # noqa: B006 - a default JSON can hold
        where: Point | None = None,
    ) -> None: ...

    schema = parameter_schema(etl)
    assert schema["title"] == "etl"
    assert schema["type"] == "object"
    assert schema["required"] == ["source"]
    props = schema["properties"]
    assert list(props) == ["source", "limit", "since", "ids", "where"]
    assert props["source"] == {"title": "source", "type": "string", "position": 0}
    assert props["limit"] == {"title": "limit", "type": "integer", "default": 10, "position": 1}
    assert props["since"]["anyOf"] == [{"type": "string", "format": "date"}, {"type": "null"}]
    assert props["ids"]["default"] == [1, 2]
    assert props["where"]["anyOf"][0] == {"$ref": "#/$defs/Point"}
    assert schema["$defs"]["Point"]["required"] == ["x"]


def test_what_json_schema_cannot_describe_is_left_unconstrained() -> None:
    def odd(thing: Opaque, blob: Any = Opaque(), *args: int, **kwargs: str) -> None: ...  # noqa: B008

    schema = parameter_schema(odd)
    assert schema["required"] == ["thing"]
    assert schema["properties"] == {
        "thing": {"title": "thing", "position": 0},
        "blob": {"title": "blob", "position": 1},  # its default is not JSON: left out
    }


def test_parameter_names_that_pydantic_reserves_are_kept() -> None:
    def awkward(_private: int, model_config: str = "x", json: bool = False) -> None: ...

    schema = parameter_schema(awkward)
    assert list(schema["properties"]) == ["_private", "model_config", "json"]
    assert schema["required"] == ["_private"]


def test_unresolvable_hints_do_not_fail() -> None:
    def later(value: NotDefinedAnywhere, count: int = 1) -> None: ...  # type: ignore[name-defined]  # noqa: F821

    schema = parameter_schema(later)
    assert schema["properties"]["value"] == {"title": "value", "position": 0}
    assert schema["properties"]["count"]["type"] == "integer"


def test_no_parameters() -> None:
    def nothing() -> None: ...

    assert parameter_schema(nothing) == {"title": "nothing", "type": "object", "properties": {}}
