"""MCP over streamable HTTP, as an ASGI app that ``kb serve`` mounts at ``/mcp`` beside the API.

Stateless and answering in JSON: each POST is answered on its own, with no session to lose when the
server restarts or runs several workers, and it works behind load balancers. DNS rebinding protection
is off because the endpoint exposes exactly what ``/v1`` does, under the same read rule (the API's
mount checks keys before a request gets here), and the Host names a deployment uses are not known
here. Tools see each request (for the links they build) through the SDK's request context.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp

from search.assistant import AssistantService
from search.mcp.server import build_server

MCP_PATH = "/mcp"


@asynccontextmanager
async def streamable_http(service: AssistantService) -> AsyncIterator[ASGIApp]:
    """The transport for ``service``'s tools, served while the context is open.

    The SDK's session manager runs once per instance, so each app start builds a fresh one.
    """
    server = build_server(service)
    transport = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        json_response=True,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    async with server.session_manager.run():
        yield transport
