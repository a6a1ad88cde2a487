"""What every page module shares: the read connection, error pages and id parsing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection

from baton.ui.params import BadRequest
from baton.ui.templating import render


def _reader(request: Request) -> Iterator[Connection]:
    """A read transaction on the server's database, for one page."""
    with request.app.state.db.read() as conn:
        yield conn


ReadConn = Annotated[Connection, Depends(_reader)]


def bad_request(error: BadRequest) -> HTMLResponse:
    return render(
        "message.html",
        400,
        heading="That address has a mistake in it",
        message=sentence(str(error)),
        hint="Fix the address, or start again from a page's own filters.",
    )


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def not_found(what: str, value: str, back_href: str = "/runs", key: str = "id") -> HTMLResponse:
    return render(
        "message.html",
        404,
        heading=f"No such {what}",
        message=f"There is no {what} with {key} {value!r}.",
        hint="It may have been deleted, or the link may be mistyped.",
        back_href=back_href,
        back_label="Back to the list",
    )


def as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
