"""Errors on browser pages are HTML pages, not problem documents.

The API's handlers (``search/api/problems.py``) stay in charge of ``/v1`` and everything a client
calls; this module wraps them so that a request for a web page (or any non-API path a browser asks
for as HTML, such as a mistyped address) gets a friendly page with a way back instead of JSON.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from kb.errors import BusyError, KBError
from search.web.i18n import N_, gettext
from search.web.render import page

log = logging.getLogger(__name__)

Handler = Callable[[Request, Any], Awaitable[Response] | Response]

WEB_PREFIXES = ("/browse", "/documents", "/contribute", "/static", "/review", "/submissions", "/inbox", "/states")
API_PREFIXES = ("/v1", "/mcp", "/docs", "/openapi", "/_docs-assets", "/healthz", "/readyz", "/metrics")
_TITLES = {
    400: N_("That request did not work"),
    401: N_("A key is needed"),
    403: N_("Not allowed"),
    404: N_("Page not found"),
    405: N_("Not allowed"),
    409: N_("Already exists"),
    413: N_("File too large"),
    422: N_("That did not work"),
}


def wants_html(request: Request) -> bool:
    """Web pages always; other non-API paths when the client asks for HTML (a browser)."""
    path = request.url.path
    if path.startswith(API_PREFIXES):
        return False
    if path == "/" or path.startswith(WEB_PREFIXES):
        return True
    return "text/html" in request.headers.get("accept", "")


def error_page(request: Request, status: int, detail: str, title: str | None = None) -> Response:
    title = title or gettext(_TITLES.get(status, N_("Something went wrong")))
    return page(
        request,
        "error.html",
        {"status": status, "title": title, "detail": detail},
        status_code=status,
        Cache_Control="no-store",
    )


def _detail(exc: Exception) -> tuple[int, str]:
    if isinstance(exc, KBError):
        return exc.status, exc.message
    if isinstance(exc, StarletteHTTPException):
        if exc.status_code == 404:
            return 404, gettext("There is no page at this address. It may have moved, or the link may be mistyped.")
        return exc.status_code, str(exc.detail)
    if isinstance(exc, RequestValidationError):
        return 400, gettext("Some of the values in the address are not valid.")
    return 500, gettext("The server could not show this page. The error has been logged; please try again later.")


def install_html_errors(app: FastAPI) -> None:
    """Wrap the app's exception handlers: HTML for web pages, the original handler for the rest."""
    for exc_class in (StarletteHTTPException, KBError, RequestValidationError, Exception):
        original = app.exception_handlers.get(exc_class)
        app.exception_handlers[exc_class] = _wrap(original)


def _wrap(original: Handler | None) -> Handler:
    async def handler(request: Request, exc: Exception) -> Response:
        if wants_html(request):
            status, detail = _detail(exc)
            if status >= 500 and not isinstance(exc, BusyError):
                log.exception("error on web page %s", request.url.path, exc_info=exc)
            response = error_page(request, status, detail)
            if isinstance(exc, KBError) and exc.retry_after is not None:
                response.headers["Retry-After"] = str(max(1, round(exc.retry_after)))
            return response
        if original is None:
            raise exc
        result = original(request, exc)
        return await result if isinstance(result, Awaitable) else result

    return handler
