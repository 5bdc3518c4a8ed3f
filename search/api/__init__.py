"""The HTTP API (FastAPI).

``create_app`` loads on first use: importing it pulls in Haystack and torch, and ``kb serve`` imports
:mod:`search.api.readiness` first to answer ``/healthz`` while that happens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from search.api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from search.api.app import create_app

        return create_app
    raise AttributeError(f"module 'search.api' has no attribute {name!r}")
