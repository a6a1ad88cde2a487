"""The routes every run calls, served without FastAPI's per-request machinery.

Creating runs and proposing their states is most of a server's traffic, and
FastAPI's middleware, route matching, dependency solving and body handling
cost more CPU than the transition itself. ``serve`` sits in front of them: a
well-formed JSON request to one of these routes has its body validated by the
route's own body model and is answered by the route's own function, with the
same error answers. Anything else (another route, method or content type, a
body that does not validate) goes on to the app, which answers it as always,
so the routes, their OpenAPI document and their validation errors stay FastAPI's.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Response
from pydantic import BaseModel
from starlette.datastructures import State
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from baton.api.errors import answer_for
from baton.api.routers import flow_runs, task_runs
from baton.api.schemas.runs import FlowRunCreateBody, TaskRunCreateBody
from baton.api.schemas.states import SetStateBody
from baton.storage.writer import BatchWriter

# A route's function, given the app's state and the validated body.
Handler = Callable[[State, Any], Awaitable[Response]]
RunStateHandler = Callable[[uuid.UUID, SetStateBody, BatchWriter], Awaitable[Response]]


@dataclass(frozen=True)
class HotRoute:
    body: type[BaseModel]
    handle: Handler


# Paths as ``create_app`` mounts the routers (under ``/api``).
_CREATE = {
    "/api/flow_runs/": HotRoute(
        FlowRunCreateBody,
        lambda state, body: flow_runs.create_flow_run(body, state.writer, state.known_flows),
    ),
    "/api/task_runs/": HotRoute(
        TaskRunCreateBody, lambda state, body: task_runs.create_task_run(body, state.writer)
    ),
}
_SET_STATE: dict[str, RunStateHandler] = {
    "flow_runs": flow_runs.set_flow_run_state,
    "task_runs": task_runs.set_task_run_state,
}
# Only an id in the canonical form: any other spelling is left to FastAPI's validation.
_SET_STATE_PATH = re.compile(
    r"/api/(flow_runs|task_runs)/([0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12})/set_state"
)


def match(scope: Scope) -> HotRoute | None:
    """The hot route ``scope`` asks for, if it is one."""
    if scope["type"] != "http" or scope["method"] != "POST" or scope.get("root_path"):
        return None
    path: str = scope["path"]
    route = _CREATE.get(path)
    if route is not None:
        return route
    found = _SET_STATE_PATH.fullmatch(path)
    if found is None:
        return None
    set_state, run_id = _SET_STATE[found.group(1)], uuid.UUID(found.group(2))
    return HotRoute(SetStateBody, lambda state, body: set_state(run_id, body, state.writer))


def _is_json(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return bool(value.partition(b";")[0].strip().lower() == b"application/json")
    return False


async def serve(state: State, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer a request to a hot route with the app's ``state``; hand any other to ``app``."""
    route = match(scope)
    if route is None or not _is_json(scope):
        await app(scope, receive, send)
        return
    messages, body = await _read_body(receive)
    try:
        parsed = None if body is None else route.body.model_validate_json(body)
    except Exception:  # FastAPI answers it: a 422 or 400 saying what is wrong
        parsed = None
    if parsed is None:
        await app(scope, _replay(messages, receive), send)
        return
    try:
        response = await route.handle(state, parsed)
    except Exception as error:
        answer = answer_for(error)
        if answer is None:
            raise  # a bug: the server answers 500
        response = answer
    await response(scope, receive, send)


async def _read_body(receive: Receive) -> tuple[list[Message], bytes | None]:
    """The request's messages, and its whole body (``None`` if it did not all arrive)."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None
        if not message.get("more_body", False):
            return messages, b"".join(m.get("body", b"") for m in messages)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """``receive`` as if nothing had been read from it yet."""
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed
