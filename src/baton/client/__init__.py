"""How the SDK reaches the orchestrator: ``get_client()`` picks the implementation.

With ``BATON_API_URL`` unset, runs are orchestrated in-process against the
local database (the embedded client); no server is needed.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from baton.client.base import BatonClient

_lock = threading.Lock()
_client: BatonClient | None = None


def get_client() -> BatonClient:
    """The process's client, created on first use from the settings."""
    global _client
    client = _client
    if client is not None:
        return client
    with _lock:
        if _client is None:
            _client = _create_client()
        return _client


def _create_client() -> BatonClient:
    from baton.exceptions import ConfigurationError
    from baton.settings import get_settings

    settings = get_settings()
    if settings.api_url:
        if not settings.api_url.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"BATON_API_URL must be an http:// or https:// URL, got {settings.api_url!r}"
            )
        from baton.client.http import HttpClient

        return HttpClient(settings.api_url)
    # Only here: a process talking to a server never imports SQLAlchemy.
    from baton.client.embedded import EmbeddedClient
    from baton.storage.database import Database
    from baton.storage.schema import ensure_schema

    db = Database(settings.resolved_database_url, timeout=settings.database_timeout)
    ensure_schema(db)
    return EmbeddedClient(db, gather_seconds=settings.write_batch_seconds)


def reset_client() -> None:
    """Close the current client so the next ``get_client()`` reads the settings again."""
    global _client
    with _lock:
        client, _client = _client, None
    if client is not None:
        client.close()


__all__ = ["get_client", "reset_client"]
