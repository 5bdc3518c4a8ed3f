"""Reject oversized uploads while they stream in, before the body is read into memory.

A declared ``Content-Length`` over the limit is refused at once; a chunked body is counted as it
arrives and cut off the moment it passes the limit, so a 2 GB upload costs us at most the limit.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kb.errors import PayloadTooLargeError
from search.api.problems import problem

MULTIPART_OVERHEAD = 256 * 1024  # form boundaries and the metadata field travel with the file


class UploadLimitMiddleware:
    """Pure ASGI middleware guarding request bodies of write methods."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.limit = max_bytes + MULTIPART_OVERHEAD

    def _message(self) -> str:
        size = f"{self.max_bytes / 1e6:g} MB" if self.max_bytes >= 100_000 else f"{self.max_bytes:,} bytes"
        return f"the upload is larger than the limit of {size} (KB_MAX_UPLOAD_BYTES)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        over = declared is not None and declared.isdigit() and int(declared) > self.limit
        if over and str(scope.get("path", "")).startswith("/v1"):
            await problem(413, "Upload too large", self._message(), {"Connection": "close"})(scope, receive, send)
            return
        # Web pages (the contribute form) answer in HTML through the app's error handlers: let the
        # request in and fail on its first body chunk instead of reading the rest.
        received = self.limit + 1 if over else 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise PayloadTooLargeError(self._message())
            return message

        await self.app(scope, counting_receive, send)
