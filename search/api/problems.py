"""Every error leaves the API as ``application/problem+json`` (RFC 9457), never as a stack trace."""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kb.errors import KBError

log = logging.getLogger(__name__)
PROBLEM_MEDIA_TYPE = "application/problem+json"


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """A problem document; ``type`` points at the problem catalogue in the docs."""
    body = {"type": f"/problems/{_slug(title)}", "title": title, "status": status, "detail": detail}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        loc_parts = list(error.get("loc", ()))
        if loc_parts and loc_parts[0] in ("body", "query", "path", "header", "cookie"):
            loc_parts = loc_parts[1:]  # where it came from, not which field
        loc = ".".join(str(p) for p in loc_parts)
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{loc or 'request'}: {message}")
    return "; ".join(parts)


def install_problem_handlers(app: FastAPI) -> None:
    """Map our errors, FastAPI's validation errors, HTTP errors and bugs to problem documents."""

    @app.exception_handler(KBError)
    async def _kb_error(_: Request, exc: KBError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if exc.status == 413:
            headers = {"Connection": "close"}  # don't let the server drain the rest of a huge upload
        if exc.retry_after is not None:
            headers = {**(headers or {}), "Retry-After": str(max(1, round(exc.retry_after)))}
        return problem(exc.status, exc.title, exc.message, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(422, "Invalid request", _describe_validation(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc.__cause__, KBError):  # FastAPI turns errors while parsing a body into a 400
            return await _kb_error(request, exc.__cause__)
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
        return problem(exc.status_code, title, str(exc.detail), dict(exc.headers or {}) or None)

    @app.exception_handler(Exception)
    async def _bug(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return problem(500, "Internal error", "the server failed to handle this request; it has been logged")
