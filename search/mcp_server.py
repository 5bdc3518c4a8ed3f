"""Old home of the MCP server, kept so ``from search.mcp_server import build_server`` works while the CLI moves.

The server is the package :mod:`search.mcp` now; the ``/mcp`` mount and the assistants' lifespan
belong to the API app (:mod:`search.api.assistants`). Import from there; this module goes once
nothing imports it.
"""

from search.mcp import SERVER_NAME, build_server

__all__ = ["SERVER_NAME", "build_server"]
