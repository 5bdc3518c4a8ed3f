"""``kb serve``'s quick start: an ASGI shell that answers ``/healthz`` while the app loads behind it.

Importing the app pulls in Haystack and torch, and its lifespan loads the model: several seconds on a
quiet machine, tens of seconds under load, during which a plain uvicorn answers nothing, not even
liveness probes (issue 16: 7.7 s quiet). :class:`DeferredApp` is what uvicorn serves instead. It
imports only Starlette, so the socket is bound within a second; a background task builds the real app
(imports in a worker thread) and runs its lifespan (whose heavy part runs in a thread too, see
:func:`search.api.app.lifespan`). Until that lifespan has started:

* ``/healthz`` is 200 (the process is alive);
* ``/readyz`` is 503 with ``status: starting`` and ``Retry-After``, or ``status: failed`` and the error;
* the API docs and static assets are served as soon as the app object exists (they need no state);
* everything else is a 503 problem document with ``Retry-After`` (searches, pages, uploads, ``/mcp``).

Then every request goes to the real app. A failure while loading is logged, kept for ``/readyz`` and
handed to ``on_failure`` (``kb serve`` stops the server and exits non-zero, as a failed start did
before). ``TestClient(create_app(...))`` does not use this shell: its lifespan returns when ready.

This module must stay light: ``search.api`` imports the app lazily so that importing it costs nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger("kb.serve")

RETRY_AFTER_SECONDS = 2
PROBLEM_MEDIA_TYPE = "application/problem+json"  # as search.api.problems, which is not light to import
# served by the built app before its lifespan has run: they read nothing from app.state
STATELESS_PREFIXES = ("/docs", "/openapi.json", "/_docs-assets/", "/static/")


@dataclass
class Readiness:
    """Where the start is: ``starting`` until the app's lifespan has run, then ``ready`` or ``failed``."""

    status: str = "starting"
    error: str | None = None
    started: float = field(default_factory=time.monotonic)
    ready_after: float | None = None

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.status, "model": False, "index": False}
        if self.error is not None:
            body["error"] = self.error
        return body


class DeferredApp:
    """The ASGI app uvicorn serves: a small front while ``build()`` and the app's lifespan run.

    ``build`` returns the real app (a Starlette/FastAPI app with a lifespan); it runs in a worker thread
    because importing it takes seconds. ``on_failure`` receives the exception if building or starting
    fails (after it is logged and shown on ``/readyz``).
    """

    def __init__(self, build: Callable[[], Any], on_failure: Callable[[BaseException], None] | None = None) -> None:
        self.build = build
        self.on_failure = on_failure
        self.readiness = Readiness()
        self.app: Any = None  # the built app, once imported (its lifespan may still be running)
        self.failure: BaseException | None = None
        self._ready = False
        self._stop: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif self._ready:
            await self.app(scope, receive, send)
        elif scope["type"] == "http":
            await self._while_starting(scope)(scope, receive, send)
        else:  # websockets: nothing of ours uses them; close until ready
            await send({"type": "websocket.close", "code": 1013})

    def _while_starting(self, scope: Scope) -> ASGIApp:
        path = str(scope.get("path", ""))
        if path == "/healthz":
            return JSONResponse({"status": "ok"})
        retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if path == "/readyz":
            headers = retry if self.readiness.status == "starting" else None
            return JSONResponse(self.readiness.body(), status_code=503, headers=headers)
        if self.app is not None and path.startswith(STATELESS_PREFIXES):
            return self.app
        if self.readiness.status == "failed":
            detail = f"the server failed to start: {self.readiness.error}"
            return _problem("Not ready", detail, None)
        detail = "the server is starting (loading the search model); retry in a few seconds (see /readyz)"
        return _problem("Not ready", detail, retry)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        """Answer uvicorn's lifespan at once; the real start runs in a task until shutdown."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._stop = asyncio.Event()
                self._task = asyncio.create_task(self._run())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._stop is not None and self._task is not None:
                    self._stop.set()
                    await self._task
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _run(self) -> None:
        """Build the app, enter its lifespan, serve until shutdown; the lifespan is entered and left in
        this one task (the MCP session manager's task group requires that)."""
        assert self._stop is not None
        try:
            self.app = await anyio.to_thread.run_sync(self.build)
            async with self.app.router.lifespan_context(self.app):
                self._ready = True
                self.readiness.status = "ready"
                self.readiness.ready_after = time.monotonic() - self.readiness.started
                log.info("ready after %.1f s", self.readiness.ready_after)
                await self._stop.wait()
                self._ready = False
        except Exception as exc:  # any failure to start is reported, then ends the server
            self._ready = False
            self.failure = exc
            self.readiness.status, self.readiness.error = "failed", f"{type(exc).__name__}: {exc}"
            log.error("start-up failed", exc_info=exc)
            if self.on_failure is not None:
                self.on_failure(exc)


def _problem(title: str, detail: str, headers: dict[str, str] | None) -> JSONResponse:
    body = {"type": "/problems/not-ready", "title": title, "status": 503, "detail": detail}
    return JSONResponse(body, status_code=503, media_type=PROBLEM_MEDIA_TYPE, headers=headers)
