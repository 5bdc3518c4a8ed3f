"""The assistant surfaces of the API app: the service ``/v1/retrieve`` and ``/mcp`` share, and the mount.

:func:`assistants_lifespan` builds the one :class:`~search.assistant.AssistantService` of the process
(with :func:`~search.assistant.start_assistant`, as ``kb mcp`` does) and keeps it on ``app.state`` for
``/v1/retrieve``; then it starts the MCP transport over that same service. :func:`install_mcp` routes
``/mcp`` to :class:`McpEndpoint`, which applies the API's read rule (the same bearer keys, the same
failed-key limit) and answers refusals with the API's problem documents before the MCP transport sees
the request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from kb.catalog import KeyRecord
from kb.errors import AuthError, KBError
from search.api.problems import problem
from search.assistant import AssistantService, start_assistant
from search.mcp import MCP_PATH, streamable_http
from search.services.auth import authenticate


class McpEndpoint:
    """ASGI endpoint at ``/mcp`` that forwards to the app's MCP transport once the lifespan built it.

    The transport lives on ``app.state`` rather than in the route so a fresh one is built each time
    the app starts. When reading needs a key (``KB_REQUIRE_KEY_FOR_READ``), the same bearer keys as
    the API are required here.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope["app"].state
        transport = getattr(state, "mcp_http", None)
        if transport is None:
            await problem(503, "Not ready", "the MCP endpoint is starting; retry in a moment")(scope, receive, send)
            return
        try:
            key = _check_key(scope, state)
        except KBError as exc:
            await _refusal(exc)(scope, receive, send)
            return
        # the tools read it through the request (search.mcp.tools.request_viewer): a key of a state
        # also finds that state's restricted documents, as on /v1
        scope.setdefault("state", {})["kb_key"] = key
        await transport(scope, receive, send)


def _check_key(scope: Scope, state: Any) -> KeyRecord | None:
    """The caller's key (None without one); a wrong key is refused even when reading needs none."""
    headers = dict(scope.get("headers") or [])
    client = scope.get("client")
    key = authenticate(
        state.catalog,
        headers.get(b"authorization", b"").decode("latin-1"),
        client=client[0] if client else None,  # failed keys are limited per address, as on /v1
        failures_per_minute=state.settings.auth_failures_per_minute,
    )
    if key is None and state.settings.require_key_for_read:
        raise AuthError("this knowledge base requires an API key: send 'Authorization: Bearer <key>'")
    return key


def _refusal(exc: KBError) -> Any:
    """The problem document the API's handler would give for ``exc`` (401 with a challenge, 429 with
    Retry-After)."""
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
    if exc.retry_after is not None:
        headers["Retry-After"] = str(max(1, round(exc.retry_after)))
    return problem(exc.status, exc.title, exc.message, headers or None)


def install_mcp(app: Any) -> None:
    """Route ``/mcp`` (any method) to the MCP endpoint; outside the OpenAPI schema, which is for /v1."""
    app.router.routes.append(Route(MCP_PATH, endpoint=McpEndpoint()))


@asynccontextmanager
async def assistants_lifespan(app: Any) -> AsyncIterator[AssistantService]:
    """The assistant service on ``app.state.assistant`` and the MCP transport on ``app.state.mcp_http``.

    Entered by the API lifespan after the searcher and catalog exist; the service is built here, not
    by the MCP side, which only gets it to serve.
    """
    state = app.state
    # the warm-up loads a tokenizer: in a thread, so the event loop keeps answering (/healthz)
    state.assistant = await anyio.to_thread.run_sync(start_assistant, state.settings, state.catalog, state.searcher)
    state.assistant.documents.recorder = getattr(state, "insights", None)  # retrieve and MCP count for insights
    async with streamable_http(state.assistant) as transport:
        state.mcp_http = transport
        try:
            yield state.assistant
        finally:
            state.mcp_http = None
