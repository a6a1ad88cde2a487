"""The orchestration API: FastAPI routers over the same services the embedded client uses.

Paths and JSON shapes follow Prefect 2's REST API where it has an
equivalent, so existing clients can talk to Baton; Baton's own additions
(recorded decisions, ...) sit beside them. Wire shapes are mapped to Baton's
domain objects here, at the boundary, and nowhere else.
"""

from baton.api.app import create_app

__all__ = ["create_app"]
