"""Errors become clear HTTP answers: the client's mistakes are 4xx with a body that
says what is wrong; only Baton's own bugs are 500."""

from __future__ import annotations

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


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ObjectNotFound)
    def _not_found(request: Request, error: ObjectNotFound) -> JSONResponse:
        return _answer(404, str(error))

    @app.exception_handler(ParameterValidationError)
    def _bad_parameters(request: Request, error: ParameterValidationError) -> JSONResponse:
        return _answer(422, str(error))

    @app.exception_handler(OrchestrationError)
    def _orchestration(request: Request, error: OrchestrationError) -> JSONResponse:
        return _answer(409, str(error))

    @app.exception_handler(exc.IntegrityError)
    def _conflict(request: Request, error: exc.IntegrityError) -> JSONResponse:
        return _answer(409, f"the request conflicts with stored data: {error.orig}")

    @app.exception_handler(exc.DataError)
    def _bad_value(request: Request, error: exc.DataError) -> JSONResponse:
        return _answer(422, f"a value does not fit the database: {error.orig}")

    @app.exception_handler(StorageError)
    def _storage(request: Request, error: StorageError) -> JSONResponse:
        return _answer(503, f"the database is unavailable: {error}")

    @app.exception_handler(ConfigurationError)
    def _configuration(request: Request, error: ConfigurationError) -> JSONResponse:
        return _answer(500, f"the server is misconfigured: {error}")
