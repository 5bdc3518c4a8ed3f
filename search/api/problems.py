"""Every error leaves the API as ``application/problem+json`` (RFC 9457), never as a stack trace.

Validation failures are one ``detail`` line, ``field: message`` (at most three, joined by "; "),
worded like the MCP tools' argument errors (``search.mcp.arguments``): a range names its bounds
(``top_k: must be an integer from 1 to 50, not 0``), an enum its values, an object its fields. The
bounds and values come from the operation's own OpenAPI schema, so the message cannot disagree with
what the client was shown. Messages our validators wrote (``'helth' is not a valid sector; did you
mean 'health'?``) are kept as they are.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kb.errors import KBError

log = logging.getLogger(__name__)
PROBLEM_MEDIA_TYPE = "application/problem+json"
MAX_ERRORS = 3
_SOURCES = ("body", "query", "path", "header", "cookie")
_RANGE = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}
_NUMBER = {"int_type", "int_parsing", "int_from_float", "float_type", "float_parsing"}
_OBJECT = {"model_type", "model_attributes_type", "dict_type"}


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """A problem document; ``type`` points at the problem catalogue in the docs."""
    body = {"type": f"/problems/{_slug(title)}", "title": title, "status": status, "detail": detail}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _describe_validation(
    exc: RequestValidationError, operation: Mapping[str, Any], components: Mapping[str, Any]
) -> str:
    """``field: message`` for the first errors, against the OpenAPI ``operation`` they happened in."""
    parts = []
    for error in exc.errors()[:MAX_ERRORS]:
        loc = tuple(error.get("loc", ()))
        source, path = (loc[0], loc[1:]) if loc and loc[0] in _SOURCES else ("", loc)
        where = ".".join(str(p) for p in path)  # where it came from is not part of the field's name
        field, parent = _schema_at(operation, components, str(source), path)
        parts.append(f"{where or 'request'}: {_message(error, field, parent)}")
    return "; ".join(parts)


def _message(error: Mapping[str, Any], field: Mapping[str, Any], parent: Mapping[str, Any]) -> str:
    kind, value = error.get("type", ""), error.get("input")
    if kind in _RANGE or kind in _NUMBER:
        number = "a number" if field.get("type") == "number" or kind.startswith("float") else "an integer"
        if kind in _RANGE and isinstance(value, str):  # a query parameter: show the number it was read as
            value = _number(value)
        return f"must be {number}{_bounds(field, error.get('ctx') or {})}, not {_show(value)}"
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        fields = ", ".join(parent.get("properties") or {})
        return f"unknown field; the fields are {fields}" if fields else "unknown field"
    if kind in _OBJECT and field.get("properties"):
        return f"must be an object with the fields {', '.join(field['properties'])}"
    if kind == "string_type":
        return f"must be a string, not {_show(value)}"
    if kind == "list_type":
        return f"must be a list, not {_show(value)}"
    if kind in ("enum", "literal_error"):
        valid = field.get("enum") or [v for v in ((error.get("ctx") or {}).get("expected") or "").split(" or ") if v]
        if valid:
            names = ", ".join(str(v).strip("'") for v in valid)
            return f"{_show(value)} is not valid; must be one of {names}"
    return str(error.get("msg", "invalid")).removeprefix("Value error, ")


def _number(value: Any) -> Any:
    """``1.0`` as ``1`` (the OpenAPI models store bounds as floats), a numeric string as its number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    return int(number) if number.is_integer() else number


def _bounds(field: Mapping[str, Any], ctx: Mapping[str, Any]) -> str:
    low, high = field.get("minimum", ctx.get("ge")), field.get("maximum", ctx.get("le"))
    low, high = (None if v is None else _number(v) for v in (low, high))
    if low is not None and high is not None:
        return f" from {low} to {high}"
    if low is not None:
        return f" of at least {low}"
    if high is not None:
        return f" of at most {high}"
    if "gt" in ctx or "exclusiveMinimum" in field:
        return f" greater than {field.get('exclusiveMinimum', ctx.get('gt'))}"
    if "lt" in ctx or "exclusiveMaximum" in field:
        return f" less than {field.get('exclusiveMaximum', ctx.get('lt'))}"
    return ""


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _schema_at(
    operation: Mapping[str, Any], components: Mapping[str, Any], source: str, path: tuple[Any, ...]
) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """The schema of the value at ``path`` in the request and of its parent ({} where unknown)."""
    if source == "body":
        content: Mapping[str, Any] = (operation.get("requestBody") or {}).get("content") or {}
        media: Mapping[str, Any] = next(iter(content.values()), {})
        root = _resolve(components, media.get("schema") or {})
        nodes = [root]
        for part in path:
            node = nodes[-1]
            child = node.get("items") if isinstance(part, int) else (node.get("properties") or {}).get(part)
            nodes.append(_resolve(components, child or {}))
        return nodes[-1], nodes[-2] if len(nodes) > 1 else {}
    for parameter in operation.get("parameters") or ():
        if path and parameter.get("in") == source and parameter.get("name") == path[0]:
            schema = _resolve(components, parameter.get("schema") or {})
            if len(path) > 1 and isinstance(path[1], int):  # a repeated parameter: one of its items
                schema = _resolve(components, schema.get("items") or {})
            return schema, {}
    return {}, {}


def _resolve(components: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow an optional ``anyOf`` (`X | None`: the non-null option says what is valid) and ``$ref``."""
    for option in node.get("anyOf") or ():
        if option.get("type") != "null":
            node = {**option, **{k: v for k, v in node.items() if k != "anyOf"}}
            break
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        target = components.get(ref.removeprefix("#/components/schemas/")) or {}
        node = {**_resolve(components, target), **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _operation(request: Request) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """The OpenAPI operation of the request's route and the schema components ({} when not in the schema)."""
    route = request.scope.get("route")
    path = getattr(route, "path_format", None)
    if path is None or not getattr(route, "include_in_schema", False):
        return {}, {}
    schema = request.app.openapi()
    operation = ((schema.get("paths") or {}).get(path) or {}).get(request.method.lower()) or {}
    return operation, (schema.get("components") or {}).get("schemas") or {}


def _allowed_methods(request: Request) -> str | None:
    """Every method the API serves at this path, from its OpenAPI (a 405's ``Allow`` must list them all,
    RFC 9110; Starlette's names only the first route that matched the path). None off the schema."""
    for template, operations in (request.app.openapi().get("paths") or {}).items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, request.url.path):
            return ", ".join(sorted(method.upper() for method in operations))  # FastAPI serves no HEAD
    return None


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
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(422, "Invalid request", _describe_validation(exc, *_operation(request)))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc.__cause__, KBError):  # FastAPI turns errors while parsing a body into a 400
            return await _kb_error(request, exc.__cause__)
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
        headers, detail = dict(exc.headers or {}), str(exc.detail)
        if exc.status_code == 405:  # Starlette's Allow names only the first route of the path
            headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
            detail = f"{request.method} is not allowed here; the methods are {headers['Allow']}"
        return problem(exc.status_code, title, detail, headers or None)

    @app.exception_handler(Exception)
    async def _bug(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return problem(500, "Internal error", "the server failed to handle this request; it has been logged")
