"""The MCP server object: the tools of :mod:`search.mcp.tools` on an SDK ``MCPServer``.

One subclass hook, :meth:`ExchangeServer.call_tool` (the SDK's documented entry point for every tool
call, whichever transport), turns the SDK's argument validation failures into the one-line messages
of :mod:`search.mcp.arguments` and refuses arguments a tool does not take. It also waits, with a bound,
for the model that ``kb mcp`` loads in the background (:class:`Warming`), so ``initialize`` and
``tools/list`` are answered at once (issue 16: 18 s under load when the model loaded first).
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from importlib import metadata
from typing import Any

import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp_types import CallToolResult, InputRequiredResult, ToolAnnotations
from pydantic import ValidationError

from search.assistant import AssistantService
from search.mcp.arguments import describe_arguments, unknown_arguments
from search.mcp.text import INSTRUCTIONS
from search.mcp.tools import AssistantTools, ServiceSource

SERVER_NAME = "egov-practice-exchange"
WARM_UP_WAIT_SECONDS = 120.0  # a tool call waits this long for the model before asking to retry
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)


class Warming:
    """The KB opening and the model loading in a background thread; tool calls wait for both
    (:meth:`wait`) and then use the service that ``load`` handed over with :meth:`provide`."""

    def __init__(self) -> None:
        self.opened = threading.Event()  # the service exists, or loading failed before it did
        self.done = threading.Event()  # the model is loaded too, or loading failed
        self.error: BaseException | None = None
        self._service: AssistantService | None = None

    def start(self, load: Callable[[], None]) -> threading.Thread:
        thread = threading.Thread(target=self._run, args=(load,), name="kb-warm-up", daemon=True)
        thread.start()
        return thread

    def _run(self, load: Callable[[], None]) -> None:
        try:
            load()
        except BaseException as exc:  # reported to every tool call
            self.error = exc
        finally:
            self.opened.set()
            self.done.set()

    def provide(self, service: AssistantService) -> None:
        """Called by ``load`` once the KB is open (the model may still be loading)."""
        self._service = service
        self.opened.set()

    def service(self) -> AssistantService:
        """The service ``load`` provided; tool calls reach it only after :meth:`wait` returned."""
        if self._service is None:
            raise ToolError("the server is still starting; retry in a moment")
        return self._service

    async def wait(self, timeout: float = WARM_UP_WAIT_SECONDS) -> None:
        """Return once loaded; a tool error if loading failed or takes longer than ``timeout``."""
        if not self.done.is_set():
            await anyio.to_thread.run_sync(self.done.wait, timeout)
        if self.error is not None:
            raise ToolError(f"the server failed to start: {self.error}")
        if not self.done.is_set():
            raise ToolError("the server is still starting (loading the search model); retry in a moment")


class ExchangeServer(MCPServer[Any]):
    """``MCPServer`` whose argument errors read like the API's, without pydantic's internals."""

    _input_schemas: dict[str, dict[str, Any]] | None = None
    warming: Warming | None = None  # set when the model loads in the background (kb mcp)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        if self.warming is not None:
            await self.warming.wait()
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


def build_server(service: ServiceSource, warming: Warming | None = None) -> MCPServer[Any]:
    """The MCP server with the read-only tools bound to ``service`` (or to what it returns once
    ``warming`` is done: ``kb mcp`` serves before the KB is open); tool calls wait for ``warming``."""
    server = ExchangeServer(
        SERVER_NAME,
        title="E-governance Practice Exchange",
        instructions=INSTRUCTIONS,
        version=_version(),
        log_level="WARNING",
    )
    server.warming = warming
    for tool in AssistantTools(service).all:  # the docstring, dedented, is what the model reads
        server.add_tool(tool, description=inspect.cleandoc(tool.__doc__ or ""), annotations=READ_ONLY)
    return server


def _version() -> str:
    try:
        return metadata.version("egov-practice-exchange")
    except metadata.PackageNotFoundError:  # running from a checkout that was never installed
        return "0"
