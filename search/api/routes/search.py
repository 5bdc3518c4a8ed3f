"""``/v1/search`` (GET for links and bookmarks, POST for clients) and ``/v1/facets``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from search.api.deps import DocumentsDep, ReaderKey
from search.api.schemas import FacetsResponse, problem_responses
from search.schemas import SearchMode, SearchRequest, SearchResponse
from search.services.access import Viewer
from search.validation import AdoptedByParam, SectorParam, TypeParam, YearParam, build_filters

router = APIRouter(prefix="/v1", tags=["search"], responses=problem_responses(400, 401, 422, 429))

QueryText = Annotated[str, Query(description="What you are looking for.", examples=["grievance redressal by video"])]
StateParam = Annotated[list[str] | None, Query(description="State/UT; repeat for several.", examples=[["Haryana"]])]


@router.get("/search", response_model=SearchResponse, summary="Search practices (query string)")
def search_get(
    documents: DocumentsDep,
    key: ReaderKey,
    q: QueryText,
    top_k: Annotated[int, Query(ge=1, le=50)] = 10,
    offset: Annotated[int, Query(ge=0, le=500)] = 0,
    state: StateParam = None,
    sector: SectorParam = None,
    type: TypeParam = None,
    year_from: YearParam = None,
    year_to: YearParam = None,
    mode: SearchMode = "hybrid",
    adopted_by: AdoptedByParam = None,
) -> SearchResponse:
    """One result per document with its best section and a highlighted snippet, plus facet counts."""
    filters = build_filters(
        states=state, sector=sector, type=type, year_from=year_from, year_to=year_to, adopted_by=adopted_by
    )
    request = SearchRequest(query=q, top_k=top_k, offset=offset, filters=filters, mode=mode)
    return documents.search(request, viewer=Viewer.of(key), surface="api")


@router.post("/search", response_model=SearchResponse, summary="Search practices (JSON body)")
def search_post(documents: DocumentsDep, key: ReaderKey, body: SearchRequest) -> SearchResponse:
    """Same as GET, with filters as a JSON object."""
    return documents.search(body, viewer=Viewer.of(key), surface="api")


@router.get("/facets", response_model=FacetsResponse, summary="Document counts by state, sector, type, year")
def facets(
    documents: DocumentsDep,
    key: ReaderKey,
    q: str | None = None,
    state: StateParam = None,
    sector: SectorParam = None,
    type: TypeParam = None,
    year_from: YearParam = None,
    year_to: YearParam = None,
) -> FacetsResponse:
    """Counts for the filters (and the query, when ``q`` is given) so a UI can show what is there."""
    filters = build_filters(states=state, sector=sector, type=type, year_from=year_from, year_to=year_to)
    return FacetsResponse(facets=documents.facets(filters, query=q, viewer=Viewer.of(key)))
