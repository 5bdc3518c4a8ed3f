"""Helpers that drive the MCP SDK's own client (stdio and streamable HTTP) from sync tests."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult

from tests.e2e.conftest import KB_BIN

T = TypeVar("T")
Scenario = Callable[[ClientSession], Awaitable[T]]


def over_http(url: str, scenario: Scenario[T]) -> T:
    """Run ``scenario`` in one initialised session against a live server's ``/mcp``."""

    async def main() -> T:
        async with streamable_http_client(url) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            return await scenario(session)

    return anyio.run(main)


def over_stdio(kb_dir: Path, scenario: Scenario[T], errlog: Any = None) -> T:
    """Spawn ``kb mcp --kb-dir`` with the SDK's stdio client and run ``scenario`` in its session."""
    params = StdioServerParameters(
        command=KB_BIN,
        args=["mcp", "--kb-dir", str(kb_dir)],
        env={"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PATH": os.environ.get("PATH", "")},
    )

    async def main() -> T:
        kwargs = {"errlog": errlog} if errlog is not None else {}
        async with stdio_client(params, **kwargs) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            return await scenario(session)

    return anyio.run(main)


def calls(*requests: tuple[str, dict[str, Any]]) -> Scenario[list[CallToolResult]]:
    """A scenario that calls the tools in order and returns their results."""

    async def scenario(session: ClientSession) -> list[CallToolResult]:
        await session.list_tools()  # the client validates structured output against the listed schemas
        return [await session.call_tool(name, arguments) for name, arguments in requests]

    return scenario


def text_of(result: CallToolResult) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)
