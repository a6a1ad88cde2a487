"""Answers serialized once, straight from the response model.

A route that returns a model has FastAPI validate it again against the declared
response model before serializing it; the routes on the hot path build the JSON
themselves and declare the model with ``response_model`` for the docs.
"""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel


def json_answer(model: BaseModel, status_code: int = 200) -> Response:
    # The serializer's bytes as they are: ``model_dump_json`` decodes them to a str
    # that the response would encode again, at twice the cost.
    body = model.__pydantic_serializer__.to_json(model)
    return Response(body, status_code, media_type="application/json")
