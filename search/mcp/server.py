"""The MCP server object: the tools of :mod:`search.mcp.tools` on an SDK ``MCPServer``.

One subclass hook, :meth:`ExchangeServer.call_tool` (the SDK's documented entry point for every tool
call, whichever transport), turns the SDK's argument validation failures into the one-line messages
of :mod:`search.mcp.arguments` and refuses arguments a tool does not take.
"""

from __future__ import annotations

import inspect
from importlib import metadata
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp_types import CallToolResult, InputRequiredResult, ToolAnnotations
from pydantic import ValidationError

from search.assistant import AssistantService
from search.mcp.arguments import describe_arguments, unknown_arguments
from search.mcp.text import INSTRUCTIONS
from search.mcp.tools import AssistantTools

SERVER_NAME = "egov-practice-exchange"
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)


class ExchangeServer(MCPServer[Any]):
    """``MCPServer`` whose argument errors read like the API's, without pydantic's internals."""

    _input_schemas: dict[str, dict[str, Any]] | None = None

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        schema = (await self._schemas()).get(name)
        if schema is None:  # unknown tool: the SDK's own message names it
            return await super().call_tool(name, arguments, context)
        if problem := unknown_arguments(arguments, schema):
            raise ToolError(f"Error executing tool {name}: {problem}")
        try:
            return await super().call_tool(name, arguments, context)
        except UnexpectedToolError:
            raise
        except ToolError as exc:
            cause = exc.__cause__
            if not isinstance(cause, ValidationError):  # our own message, or the SDK's for other causes
                raise
            # `from cause` keeps the SDK's log line (field names only) for rejected arguments
            raise ToolError(f"Error executing tool {name}: {describe_arguments(cause, schema)}") from cause

    async def _schemas(self) -> dict[str, dict[str, Any]]:
        """Input schemas by tool name, read once from the listing the client sees."""
        if self._input_schemas is None:
            self._input_schemas = {tool.name: tool.input_schema for tool in await self.list_tools()}
        return self._input_schemas


def build_server(service: AssistantService) -> MCPServer[Any]:
    """The MCP server with the four read-only tools bound to ``service``."""
    server = ExchangeServer(
        SERVER_NAME,
        title="E-governance Practice Exchange",
        instructions=INSTRUCTIONS,
        version=_version(),
        log_level="WARNING",
    )
    for tool in AssistantTools(service).all:  # the docstring, dedented, is what the model reads
        server.add_tool(tool, description=inspect.cleandoc(tool.__doc__ or ""), annotations=READ_ONLY)
    return server


def _version() -> str:
    try:
        return metadata.version("egov-practice-exchange")
    except metadata.PackageNotFoundError:  # running from a checkout that was never installed
        return "0"
