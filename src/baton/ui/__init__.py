"""Baton's web UI: server-rendered pages served by the API server, no build step."""

from __future__ import annotations

from baton.ui.install import install_ui

__all__ = ["install_ui"]
