"""The MCP server for chat assistants: read-only tools over the knowledge base, with citations.

Two transports, one set of tools: ``kb mcp`` serves them over stdio for desktop clients (it opens the
KB itself), and ``kb serve`` mounts streamable HTTP at ``/mcp`` beside the API, reusing the app's
assistant service (only one process may open an embedded KB). The tools are thin: the work is done
by :class:`~search.assistant.AssistantService`, which ``POST /v1/retrieve`` shares, so the passages
and citations an assistant gets are the same whichever way it asks.

Every tool returns two views of one result: ``structuredContent`` (the pydantic models of
:mod:`search.assistant` and :mod:`search.passages`, citation objects included, validated against the
advertised ``outputSchema``) and a text block written for the model to read. Failures a caller can
fix (unknown id, empty query, bad filter, an argument out of range) come back as tool errors
(``isError``) whose one line says what to do, so the model can correct itself.

Modules: :mod:`~search.mcp.tools` (the tools and their arguments), :mod:`~search.mcp.text` (the
text for the model), :mod:`~search.mcp.arguments` (argument error messages), :mod:`~search.mcp.server`
(the SDK server with the tools), :mod:`~search.mcp.http` (the streamable HTTP transport). The
``/mcp`` route with its key check belongs to the API app (:mod:`search.api.assistants`).
"""

from search.mcp.http import MCP_PATH, streamable_http
from search.mcp.server import SERVER_NAME, build_server

__all__ = ["MCP_PATH", "SERVER_NAME", "build_server", "streamable_http"]
