"""Turn pydantic validation failures of search input into QueryError messages people can act on."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from kb.errors import QueryError
from search.schemas import SearchFilters


def describe(exc: ValidationError) -> str:
    """The first problem as ``field: message`` (pydantic's own wording minus its prefixes)."""
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error["loc"]) or "input"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{field}: {message}"


def build_filters(**values: Any) -> SearchFilters:
    """SearchFilters from loose values (CLI options, query parameters); QueryError when invalid."""
    clean = {k: v for k, v in values.items() if v not in (None, "", [], ())}
    try:
        return SearchFilters.model_validate(clean)
    except ValidationError as exc:
        raise QueryError(f"invalid filter {describe(exc)}") from None
