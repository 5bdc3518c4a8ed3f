"""``GET /v1/insights``: what officials look for and read, for curators and admins.

The rules and the privacy promise (no key, no address is ever stored) are in
:mod:`search.services.insights`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from search.api.deps import CurrentKey
from search.api.schemas import KEY_REQUIRED, problem_responses
from search.services.insights import Insights, Summary

router = APIRouter(prefix="/v1", tags=["insights"], responses=problem_responses(401, 403, 422, 429))


class QueryCount(BaseModel):
    query: str
    searches: int
    without_good_match: int = Field(description="Searches of this query that found nothing good.")


class DocumentReads(BaseModel):
    document_id: str
    title: str
    views: int
    downloads: int


class StateReads(BaseModel):
    state: str
    views: int
    downloads: int


class MonthCount(BaseModel):
    month: str = Field(examples=["2026-11"])
    count: int


class InsightsOut(BaseModel):
    days: int
    totals: dict[str, int] = Field(description="Events per kind: search, view, download.")
    top_queries: list[QueryCount]
    content_gaps: list[QueryCount] = Field(
        description="Queries that never found a good match: case studies to commission."
    )
    documents: list[DocumentReads]
    states: list[StateReads]
    adoptions_by_month: list[MonthCount]

    @classmethod
    def of(cls, s: Summary) -> InsightsOut:
        def queries(rows: list[tuple[str, int, int]]) -> list[QueryCount]:
            return [QueryCount(query=q, searches=n, without_good_match=m) for q, n, m in rows]

        return cls(
            days=s.days,
            totals=s.totals,
            top_queries=queries(s.top_queries),
            content_gaps=queries(s.gaps),
            documents=[DocumentReads(document_id=d, title=t, views=v, downloads=w) for d, t, v, w in s.documents],
            states=[StateReads(state=st, views=v, downloads=w) for st, v, w in s.states],
            adoptions_by_month=[MonthCount(month=m, count=c) for m, c in s.adoptions_by_month],
        )


@router.get("/insights", response_model=InsightsOut, summary="What officials look for", dependencies=KEY_REQUIRED)
def insights(
    request: Request,
    key: CurrentKey,
    days: Annotated[int, Query(ge=1, le=3660, description="How far back.")] = 30,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> InsightsOut:
    """Top queries, queries with no good match, views and downloads per document and state, adoptions
    per month. For curators and admins: the query texts are what officials typed."""
    return InsightsOut.of(Insights.of(request.app.state).summary(key, days=days, limit=limit))
