"""``/v1/requests``: knowledge-transfer requests, their threads, and a key's inbox as an Atom feed.

Every operation needs a key (any role asks; the asker, the owning states' contributors and curators,
and admins read, answer and close). A request that is not the caller's does not exist for them
(404). The rules are in :mod:`search.services.exchange`, the feed's entries in
:mod:`search.services.inbox`; this module parses and renders.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from feedgen.feed import FeedGenerator

from search.api.deps import CurrentKey
from search.api.exchange_schemas import MessageIn, RequestIn, RequestList, RequestOut, RequestStatus, RequestThreadOut
from search.api.routes.adoptions import DocumentId, ExchangeDep
from search.api.schemas import KEY_REQUIRED, problem_responses
from search.schemas import link_base
from search.services.inbox import Inbox

router = APIRouter(tags=["exchange"], responses=problem_responses(401, 404, 422, 429), dependencies=KEY_REQUIRED)
RequestId = Annotated[str, PathParam(description="The request's id.", max_length=64)]
ATOM = "application/atom+xml; charset=utf-8"
FEED_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"description": "An Atom feed.", "content": {"application/atom+xml": {"schema": {"type": "string"}}}}
}


@router.post(
    "/v1/documents/{document_id}/requests",
    status_code=201,
    response_model=RequestThreadOut,
    summary="Ask the owning states of this practice for a knowledge transfer",
    responses=problem_responses(507),
)
def ask(document_id: DocumentId, body: RequestIn, exchange: ExchangeDep, key: CurrentKey) -> RequestThreadOut:
    """Any key may ask; the request lands in the inbox of the practice's states (their contributors
    and curators) and in the asker's own."""
    request = exchange.ask(key, document_id, body.message)
    return RequestThreadOut.of_thread(exchange.thread(key, request.id))


@router.get("/v1/requests", response_model=RequestList, summary="Inbox: requests asked by or of this key")
def inbox(
    exchange: ExchangeDep,
    key: CurrentKey,
    status: Annotated[RequestStatus | None, Query(description="open, answered or closed.")] = None,
    document_id: Annotated[str | None, Query(description="One practice.", max_length=120)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> RequestList:
    """The requests this key asked, and those to its states if it is a contributor or curator of them
    (admins: all), newest change first."""
    records, total = exchange.inbox(key, status=status, document_id=document_id, limit=limit, offset=offset)
    return RequestList(total=total, limit=limit, offset=offset, requests=[RequestOut.of(r) for r in records])


@router.get("/v1/requests/{request_id}", response_model=RequestThreadOut, summary="A request with its thread")
def thread(request_id: RequestId, exchange: ExchangeDep, key: CurrentKey) -> RequestThreadOut:
    return RequestThreadOut.of_thread(exchange.thread(key, request_id))


@router.post(
    "/v1/requests/{request_id}/messages",
    status_code=201,
    response_model=RequestThreadOut,
    summary="Answer a request, or follow it up",
    responses=problem_responses(409, 507),
)
def reply(request_id: RequestId, body: MessageIn, exchange: ExchangeDep, key: CurrentKey) -> RequestThreadOut:
    """From the owning states' side it answers the request (status answered); from the asker it reopens
    an answered one. A closed request takes no messages (409)."""
    updated, _message = exchange.reply(key, request_id, body.body)
    return RequestThreadOut.of_thread(updated)


@router.post(
    "/v1/requests/{request_id}/close",
    response_model=RequestThreadOut,
    summary="Close a request",
    responses=problem_responses(507),
)
def close(request_id: RequestId, exchange: ExchangeDep, key: CurrentKey) -> RequestThreadOut:
    """By its asker, its owning states' side or an admin; closing a closed request changes nothing."""
    return RequestThreadOut.of_thread(exchange.close(key, request_id))


@router.get(
    "/v1/feeds/inbox.atom",
    response_class=Response,
    summary="This key's inbox as an Atom feed",
    responses=FEED_RESPONSE,
)
def inbox_feed(request: Request, key: CurrentKey) -> Response:
    """Requests to the key's states, replies to its requests, adoptions of its states' practices and,
    for curators, submissions awaiting review: newest first, no message texts or contacts."""
    state = request.app.state
    base = link_base(state.settings, str(request.base_url))
    entries = Inbox(catalog=state.catalog, settings=state.settings).entries(key)
    feed = FeedGenerator()
    self_url = f"{base}/v1/feeds/inbox.atom"
    feed.id(f"urn:kb:inbox:{key.id}")
    feed.title(f"Exchange inbox · {', '.join(key.states) or key.role}")
    feed.author({"name": "E-governance Practice Exchange"})
    feed.link(href=self_url, rel="self", type="application/atom+xml")
    feed.generator("E-governance Practice Exchange")
    feed.updated(_moment(entries[0].at) if entries else dt.datetime.now(dt.UTC))
    for item in entries:
        entry = feed.add_entry(order="append")
        entry.id(item.id)
        entry.title(item.title)
        entry.summary(item.summary)
        entry.updated(_moment(item.at))
        entry.link(href=f"{base}{item.path}", rel="alternate", type="application/json")
        entry.category(term=item.kind, label=item.kind)
    return Response(feed.atom_str(pretty=True), media_type=ATOM)


def _moment(iso: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
