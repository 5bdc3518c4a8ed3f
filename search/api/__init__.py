"""The HTTP API (FastAPI)."""

from search.api.app import create_app

__all__ = ["create_app"]
