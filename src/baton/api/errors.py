"""Errors become clear HTTP answers: the client's mistakes are 4xx with a body that
says what is wrong; only Baton's own bugs are 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc

from baton.exceptions import (
    ConfigurationError,
    ObjectNotFound,
    OrchestrationError,
    ParameterValidationError,
    StorageError,
)


def _answer(status: int, detail: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": detail})


# Each error class with the answer it gets; a subclass gets its nearest ancestor's.
ANSWERS: dict[type[Exception], Callable[[Any], JSONResponse]] = {
    ObjectNotFound: lambda error: _answer(404, str(error)),
    ParameterValidationError: lambda error: _answer(422, str(error)),
    OrchestrationError: lambda error: _answer(409, str(error)),
    exc.IntegrityError: lambda error: _answer(
        409, f"the request conflicts with stored data: {error.orig}"
    ),
    exc.DataError: lambda error: _answer(422, f"a value does not fit the database: {error.orig}"),
    # JSON may escape half of a surrogate pair; no database stores such text.
    UnicodeEncodeError: lambda error: _answer(422, f"text that is not valid Unicode: {error}"),
    StorageError: lambda error: _answer(503, f"the database is unavailable: {error}"),
    ConfigurationError: lambda error: _answer(500, f"the server is misconfigured: {error}"),
}


def answer_for(error: Exception) -> JSONResponse | None:
    """The answer ``error`` gets, as the installed handlers give it; ``None`` for a bug."""
    for cls in type(error).__mro__:
        answer = ANSWERS.get(cls)
        if answer is not None:
            return answer(error)
    return None


def install_error_handlers(app: FastAPI) -> None:
    for cls, answer in ANSWERS.items():
        app.add_exception_handler(cls, _handler(answer))


def _handler(answer: Callable[[Any], JSONResponse]) -> Callable[[Request, Any], JSONResponse]:
    def handle(request: Request, error: Any) -> JSONResponse:
        return answer(error)

    return handle
