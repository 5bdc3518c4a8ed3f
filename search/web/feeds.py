"""Atom feeds (feedgen): ``/feeds/practices.atom`` with the search page's filters, and one per state.

An official subscribes to "health practices of Kerala" in a feed reader (or an intranet portal polls
it) instead of checking the site. The filters are read exactly as the search page reads them
(:func:`search.web.filters.read_filters`), so a search URL becomes a feed URL by changing its path.
Without ``q`` entries are the newest changes first; with ``q`` they are the best matches. Only
published (active) documents appear; links are absolute (``KB_PUBLIC_URL`` or the request's base),
since feed readers resolve nothing.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from feedgen.feed import FeedGenerator
from starlette.responses import Response

from kb.catalog import Catalog, DocumentRecord
from kb.errors import AuthError, NotFoundError, QueryError
from kb.settings import Settings
from kb.vocab import canonical_state
from search.schemas import SearchFilters, SearchRequest, link_base
from search.services.describe import REPOSITORY_NAME, describe
from search.services.documents import Documents
from search.web.filters import read_filters
from search.web.render import query_url

router = APIRouter(include_in_schema=False)
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
ALL = 100_000  # sorted by change here: the catalog lists by year


@router.get("/feeds/practices.atom")
async def practices_feed(request: Request) -> Response:
    return await run_in_threadpool(_practices, request)


@router.get("/feeds/states/{state}.atom")
async def state_feed(state: str, request: Request) -> Response:
    return await run_in_threadpool(_state, request, state)


def _check_reading(request: Request) -> None:
    if request.app.state.settings.require_key_for_read:
        raise AuthError(
            "This knowledge base requires an API key for reading (KB_REQUIRE_KEY_FOR_READ); feeds are closed."
        )


def _practices(request: Request) -> Response:
    _check_reading(request)
    q = " ".join((request.query_params.get("q") or "").split())
    chosen = read_filters(request.query_params)
    if chosen.errors:
        raise QueryError("; ".join(chosen.errors))
    params = {"q": q, **chosen.params()}
    title = _title(q, chosen.filters)
    return _feed(
        request,
        chosen.filters,
        q,
        title,
        self_path=query_url("/feeds/practices.atom", params),
        page_path=query_url("/", params) if (q or chosen.active) else "/",
    )


def _state(request: Request, state: str) -> Response:
    _check_reading(request)
    try:
        name = canonical_state(state)
    except ValueError as exc:
        raise NotFoundError(f"There is no feed for '{state}': {exc}") from None
    filters = SearchFilters(states=[name])
    return _feed(
        request,
        filters,
        "",
        f"Practices of {name}",
        self_path=f"/feeds/states/{state}.atom",
        page_path=query_url("/", {"state": [name]}),
    )


def _title(q: str, filters: SearchFilters) -> str:
    parts = [*filters.states]
    if filters.sector:
        parts.append(filters.sector.value.replace("_", " "))
    if filters.type:
        parts.append(filters.type.value.replace("_", " "))
    scope = ", ".join(parts)
    what = f"Practices matching “{q}”" if q else "Latest practices"
    return f"{what}{' · ' + scope if scope else ''}"


def _records(request: Request, filters: SearchFilters, q: str, size: int) -> list[DocumentRecord]:
    """The feed's documents through the read rules of the site (public ones: feeds are anonymous)."""
    documents = Documents.of(request.app.state)
    if q:
        response = documents.search(SearchRequest(query=q, top_k=min(size, 50), filters=filters))
        found = [documents.readable(r.document_id) for r in response.results]
        return [r for r in found if r is not None]
    records = documents.listing(filters, limit=ALL).records
    return sorted(records, key=lambda r: (r.updated_at, r.id), reverse=True)[:size]


def _feed(request: Request, filters: SearchFilters, q: str, title: str, *, self_path: str, page_path: str) -> Response:
    settings: Settings = request.app.state.settings
    catalog: Catalog = request.app.state.catalog
    base = link_base(settings, str(request.base_url))
    records = _records(request, filters, q, settings.feed_size)
    feed = FeedGenerator()
    feed.id(f"{base}{self_path}")
    feed.title(title)
    feed.author({"name": REPOSITORY_NAME})
    feed.link(href=f"{base}{self_path}", rel="self", type="application/atom+xml")
    feed.link(href=f"{base}{page_path}", rel="alternate", type="text/html")
    feed.generator(REPOSITORY_NAME)
    newest = max((r.updated_at for r in records), default=None)
    feed.updated(_moment(newest) if newest else dt.datetime.now(dt.UTC))
    for record in records:
        d = describe(record, catalog, settings, base=base)
        entry = feed.add_entry(order="append")
        entry.id(d.url)
        entry.title(d.title)
        entry.updated(_moment(record.updated_at))
        entry.published(_moment(record.created_at))
        entry.link(href=d.url, rel="alternate", type="text/html")
        entry.author([{"name": c} for c in d.creators])
        if d.summary:
            entry.summary(d.summary)
        for term in (f"state:{s}" for s in d.states):
            entry.category(term=term, label=term.split(":", 1)[1])
        entry.category(term=f"sector:{record.sector}", label=record.sector.replace("_", " "))
        entry.category(term=f"type:{record.type}", label=record.type.replace("_", " "))
    return Response(feed.atom_str(pretty=True), media_type=MEDIA_TYPE)


def _moment(iso: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
