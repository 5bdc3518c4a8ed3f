"""Request and response models of search, shared by the API, the CLI's ``--json`` and MCP.

One definition means ``kb search --json`` and ``GET /v1/search`` cannot drift apart. Filter values
are validated against the vocabularies with messages that name the valid values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from kb.errors import QueryError
from kb.metadata import FIRST_YEAR
from kb.settings import Settings
from kb.vocab import DocType, Sector, canonical_state, parse_enum

if TYPE_CHECKING:
    from kb.catalog import DocumentRecord

SearchMode = Literal["hybrid", "dense", "sparse"]


class SearchFilters(BaseModel):
    """Narrow results by state, sector, document type and year range (all optional, ANDed)."""

    model_config = ConfigDict(extra="forbid")

    states: list[str] = Field(default_factory=list, description="Any of these states/UTs (aliases accepted).")
    sector: Sector | None = None
    type: DocType | None = None
    year_from: int | None = Field(default=None, ge=FIRST_YEAR, le=2100)
    year_to: int | None = Field(default=None, ge=FIRST_YEAR, le=2100)
    # "All India": documents that name no state (national platforms, and documents whose contributor
    # named none); with ``states``, those states or none. The web's Browse and filters offer it. It is
    # left out of the published schemas (tests/assistants/test_contracts.py pins them) and out of
    # serialised output until the API offers it on purpose.
    national: SkipJsonSchema[bool] = Field(default=False, exclude=True)
    # Practices a state explores, pilots or adopted (any adoption status but dropped): GET /v1/search
    # and GET /v1/documents take it as a query parameter. The index holds no adoptions, so the
    # searcher resolves it to document ids from the catalog (:meth:`with_adopted_ids`) before the
    # store sees it; hidden from the published schemas like ``national``.
    adopted_by: SkipJsonSchema[str | None] = Field(default=None, exclude=True)
    _adopted_ids: tuple[str, ...] | None = PrivateAttr(default=None)

    @field_validator("states", mode="before")
    @classmethod
    def _states(cls, value: Any) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, str | list | tuple):
            raise ValueError('must be a list of state or UT names, e.g. ["Haryana"]')
        names = [value] if isinstance(value, str) else list(value)
        return list(dict.fromkeys(canonical_state(str(n)) for n in names if str(n).strip()))

    @field_validator("adopted_by", mode="before")
    @classmethod
    def _adopted_by(cls, value: Any) -> str | None:
        return None if value in (None, "") else canonical_state(str(value))

    @field_validator("sector", mode="before")
    @classmethod
    def _sector(cls, value: Any) -> Sector | None:
        return None if value in (None, "") else parse_enum(Sector, value, "sector")

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, value: Any) -> DocType | None:
        return None if value in (None, "") else parse_enum(DocType, value, "type")

    @model_validator(mode="after")
    def _range(self) -> SearchFilters:
        if self.year_from and self.year_to and self.year_from > self.year_to:
            raise ValueError(f"year_from ({self.year_from}) is after year_to ({self.year_to})")
        return self

    def is_empty(self) -> bool:
        return not (
            self.states
            or self.national
            or self.sector
            or self.type
            or self.year_from
            or self.year_to
            or self.adopted_by
        )

    @property
    def adopted_ids(self) -> tuple[str, ...] | None:
        """The documents ``adopted_by`` stands for, once resolved (None: not resolved yet)."""
        return self._adopted_ids

    def with_adopted_ids(self, document_ids: list[str] | tuple[str, ...]) -> SearchFilters:
        """A copy whose ``adopted_by`` is answered by these document ids (from the catalog)."""
        resolved = self.model_copy()
        resolved._adopted_ids = tuple(document_ids)
        return resolved

    def to_store_filter(self, *, exclude_document: str | None = None) -> dict[str, Any] | None:
        """The same filters in Haystack syntax (``meta.`` fields), as the store expects."""
        conditions: list[dict[str, Any]] = []
        by_state = {"field": "meta.states", "operator": "in", "value": self.states}
        no_state = {"field": "meta.states", "operator": "==", "value": None}  # missing or []
        if self.states and self.national:
            conditions.append({"operator": "OR", "conditions": [by_state, no_state]})
        elif self.states or self.national:
            conditions.append(by_state if self.states else no_state)
        if self.sector:
            conditions.append({"field": "meta.sector", "operator": "==", "value": self.sector.value})
        if self.type:
            conditions.append({"field": "meta.type", "operator": "==", "value": self.type.value})
        if self.year_from:
            conditions.append({"field": "meta.year", "operator": ">=", "value": self.year_from})
        if self.year_to:
            conditions.append({"field": "meta.year", "operator": "<=", "value": self.year_to})
        if self.adopted_by:
            if self._adopted_ids is None:
                raise QueryError("the adopted_by filter needs the catalog's adoptions, which this search has not read")
            conditions.append({"field": "meta.document_id", "operator": "in", "value": list(self._adopted_ids)})
        if exclude_document:
            conditions.append({"field": "meta.document_id", "operator": "!=", "value": exclude_document})
        if not conditions:
            return None
        return conditions[0] if len(conditions) == 1 else {"operator": "AND", "conditions": conditions}


class SearchRequest(BaseModel):
    """``POST /v1/search`` body."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"query": "complaints heard by video from the block office", "top_k": 5},
                {
                    "query": "online mutation of land records",
                    "top_k": 10,
                    "filters": {"states": ["Karnataka", "Haryana"], "sector": "land_records", "year_from": 2000},
                },
            ]
        },
    )

    query: str = Field(
        description="What you are looking for, in your own words or by name.",
        examples=["how did a state cut mutation pendency"],
    )
    top_k: int = Field(default=10, ge=1, le=50, description="Documents per page.")
    offset: int = Field(default=0, ge=0, le=500, description="Documents to skip (paging).")
    filters: SearchFilters = Field(default_factory=SearchFilters)
    mode: SearchMode = Field(default="hybrid", description="hybrid (default), dense or sparse (BM25).")


class Passage(BaseModel):
    """A matching passage of a document, with where it sits."""

    text: str
    section: str = ""
    heading_path: list[str] = Field(default_factory=list)
    page: int | None = None
    score: float
    chunk_index: int
    highlights: list[tuple[int, int]] = Field(
        default_factory=list, description="[start, end) character offsets of query terms in `text`."
    )


class DocumentFacts(BaseModel):
    """What identifies a document to a reader; every result and citation starts with these fields.

    Built in one place, :meth:`from_payload` (an indexed chunk's payload) or :meth:`from_record` (the
    catalog), so the defaults for a missing title, type or sector are the same everywhere.
    """

    document_id: str = Field(description="Stable id of the document (use it with /v1/documents/{id}).")
    title: str
    type: str = Field(description="case_study, mou, policy, guideline, report, vision_document, news or other.")
    states: list[str] = Field(description="States/UTs the document is about; empty for national documents.")
    sector: str
    year: int | None = None
    status: str | None = Field(
        default=None,
        description="How far the practice has come: pilot, operational, scaled or discontinued; null when not stated.",
    )
    owner: str | None = Field(default=None, description="The department that runs the practice, when stated.")

    @classmethod
    def from_payload(cls, meta: Mapping[str, Any]) -> DocumentFacts:
        """The facts an indexed chunk carries in its payload (the document's metadata); chunks indexed
        before the practice record existed have no ``owner`` and give null."""
        document_id = str(meta.get("document_id"))
        return cls(
            document_id=document_id,
            title=str(meta.get("title") or document_id),
            type=str(meta.get("type") or "other"),
            states=list(meta.get("states") or []),
            sector=str(meta.get("sector") or "other"),
            year=meta.get("year"),
            status=_text_or_none(meta.get("status")),
            owner=_text_or_none(meta.get("owner")),
        )

    @classmethod
    def from_record(cls, record: DocumentRecord) -> DocumentFacts:
        """The facts of a document as the catalog holds them (its current version)."""
        return cls(
            document_id=record.id,
            title=record.title,
            type=record.type,
            states=record.states,
            sector=record.sector,
            year=record.year,
            status=_text_or_none(record.metadata.get("status")),
            owner=_text_or_none(record.metadata.get("owner")),
        )

    def fields(self) -> dict[str, Any]:
        """The fields as keyword arguments for a result model that starts with them."""
        return {name: getattr(self, name) for name in DocumentFacts.model_fields}


def _text_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


# SearchResult declares the fields of DocumentFacts again instead of inheriting them because its
# published schema differs slightly (`year` is required, no field descriptions) and the docstring is
# the schema's description; the values come from DocumentFacts.fields() all the same.
class SearchResult(BaseModel):
    """One document, represented by its best passages."""

    document_id: str
    title: str
    type: str
    states: list[str]
    sector: str
    year: int | None
    status: str | None = Field(default=None, description="Practice status: pilot, operational, scaled, discontinued.")
    owner: str | None = Field(default=None, description="The department that runs the practice.")
    score: float
    section: str = Field(description="Heading path of the best passage.")
    snippet: str = Field(description="Excerpt of the best passage around the query terms.")
    highlights: list[tuple[int, int]] = Field(default_factory=list, description="Offsets in `snippet`.")
    page: int | None = None
    source_url: str | None = None
    url: str = Field(description="The document's page in the web UI.")
    passages: list[Passage] = Field(default_factory=list)
    match: Literal["strong", "weak"] = Field(
        default="strong",
        description="strong: passes the relevance floor (KB_MATCH_FLOOR / KB_MATCH_TERMS); weak: only the "
        "nearest text, not a real match. See docs/search-quality.md.",
    )


class FacetValue(BaseModel):
    value: str
    count: int


class SearchResponse(BaseModel):
    """``GET/POST /v1/search`` and ``kb search --json``."""

    query: str
    total: int = Field(description="Matching documents found (before paging).")
    results: list[SearchResult]
    facets: dict[str, list[FacetValue]] = Field(default_factory=dict)
    strong_total: int = Field(default=0, description="How many of `total` pass the relevance floor (match strong).")
    no_good_match: bool = Field(
        default=False,
        description="True when no document passes the relevance floor: the results are the closest text, "
        "not answers (show them as such, or say nothing matched).",
    )
    also_searched: list[str] = Field(
        default_factory=list, description="Synonyms from the domain thesaurus the query was expanded with (BM25)."
    )
    # The vectors the search used (search.retrieval.QueryRun), for facet recounts; never serialised.
    run: SkipJsonSchema[Any] = Field(default=None, exclude=True, repr=False)


def link_base(settings: Settings, request_base: str | None = None) -> str:
    """The prefix of our links: ``KB_PUBLIC_URL`` when set, else the caller's request base, else ''.

    ``request_base`` is the address the request came to (``scheme://host[:port]/root_path``), passed
    per call because one service answers many hosts; without one (``kb mcp`` over stdio, the CLI)
    links stay relative.
    """
    return (settings.public_url or request_base or "").rstrip("/")


def document_url(settings: Settings, document_id: str, *, base: str | None = None) -> str:
    """The document's page in the web UI (see :func:`link_base` for ``base``)."""
    return f"{link_base(settings, base)}/documents/{document_id}"


def file_url(settings: Settings, document_id: str, version: int, *, base: str | None = None) -> str:
    """The original file of one version (see :func:`link_base` for ``base``)."""
    return f"{link_base(settings, base)}/v1/documents/{document_id}/file?version={version}"
