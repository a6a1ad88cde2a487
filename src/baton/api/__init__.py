"""The orchestration API: FastAPI routers over the same services the embedded client uses.

Paths and JSON shapes follow Prefect 2's REST API where it has an
equivalent, so existing clients can talk to Baton; Baton's own additions
(recorded decisions, ...) sit beside them. Wire shapes are mapped to Baton's
domain objects here, at the boundary, and nowhere else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from baton.api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    """Import the app only when asked for: the HTTP client imports the wire shapes in
    ``baton.api.schemas`` and must not pay for FastAPI and the routers."""
    if name == "create_app":
        from baton.api.app import create_app

        return create_app
    raise AttributeError(f"module 'baton.api' has no attribute {name!r}")
