"""Turn pydantic validation failures of search input into QueryError messages people can act on."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import ValidationError

from kb.errors import QueryError
from kb.metadata import FIRST_YEAR
from kb.vocab import DocType, Sector, enum_values
from search.schemas import SearchFilters

# Query parameters declared with the vocabularies, so the OpenAPI schema says what is valid; the
# values are still parsed by SearchFilters (case and spacing variants, "did you mean" messages).
YearParam = Annotated[int | None, Query(ge=FIRST_YEAR, le=2100, examples=[2015])]
SectorParam = Annotated[str | None, Query(json_schema_extra={"enum": enum_values(Sector)}, examples=["land_records"])]
TypeParam = Annotated[str | None, Query(json_schema_extra={"enum": enum_values(DocType)}, examples=["case_study"])]
AdoptedByParam = Annotated[
    str | None,
    Query(
        description="Only practices this state/UT explores, pilots or adopted (recorded adoptions, not dropped).",
        max_length=80,
        examples=["Punjab"],
    ),
]


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
