"""``GET/POST /oai``: the OAI-PMH 2.0 endpoint, a front door over the catalog.

Protocol errors are 200 responses with an ``<error>`` element (as the specification says); only a
knowledge base that requires a key for reading answers 401 before any protocol work. The catalog
is blocking, so handlers are plain functions (FastAPI runs them in its thread pool).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from kb.catalog import Catalog, DocumentRecord
from kb.errors import AuthError
from kb.settings import Settings
from search.oai import exchange_format, responses
from search.oai.protocol import ListQuery, OAIError, check_prefix, encode_token, parse_request
from search.oai.repository import Repository, all_sets
from search.schemas import link_base
from search.services.auth import authenticate
from search.services.describe import REPOSITORY_NAME, Description, describe

router = APIRouter(include_in_schema=False)
MEDIA_TYPE = "text/xml; charset=utf-8"


@router.get("/oai")
async def oai_get(request: Request) -> Response:
    return await run_in_threadpool(_answer, request, list(request.query_params.multi_items()))


@router.get(exchange_format.SCHEMA_PATH)
async def exchange_json_schema() -> Response:
    """The XML Schema that ListMetadataFormats names for exchange_json."""
    return Response(exchange_format.SCHEMA, media_type=MEDIA_TYPE)


@router.post("/oai")
async def oai_post(request: Request) -> Response:
    body = (await request.body()).decode("utf-8", errors="replace")
    return await run_in_threadpool(_answer, request, parse_qsl(body, keep_blank_values=True))


def _answer(request: Request, pairs: list[tuple[str, str]]) -> Response:
    settings: Settings = request.app.state.settings
    catalog: Catalog = request.app.state.catalog
    if settings.require_key_for_read:
        client = request.client.host if request.client else None
        key = authenticate(catalog, request.headers.get("authorization", ""), client=client)
        if key is None:
            raise AuthError("this knowledge base requires an API key for reading, also for OAI-PMH")
    base = link_base(settings, str(request.base_url))
    base_url = f"{base}/oai"
    repository = Repository(catalog, settings, base)
    arguments: dict[str, str] = {}
    try:
        checked = parse_request(pairs)
        arguments = {"verb": checked.verb, **checked.arguments}
        body = _verb(repository, checked.verb, checked.arguments, checked.query, base_url)
    except OAIError as error:
        return Response(responses.envelope(base_url, arguments, error), media_type=MEDIA_TYPE)
    return Response(responses.envelope(base_url, arguments, body), media_type=MEDIA_TYPE)


def _verb(repo: Repository, verb: str, arguments: dict[str, str], query: ListQuery | None, base_url: str) -> Any:
    if verb == "Identify":
        return responses.identify(
            name=REPOSITORY_NAME,
            base_url=base_url,
            admin_email=repo.settings.oai_admin_email,
            earliest=repo.earliest_datestamp(),
        )
    if verb == "ListMetadataFormats":
        if "identifier" in arguments:
            repo.item(arguments["identifier"])
        return responses.metadata_formats(repo.base)
    if verb == "ListSets":
        if "resumptionToken" in arguments:  # we never issue one for sets
            raise OAIError("badResumptionToken", "ListSets is never split into pages here; ask without a token")
        return responses.sets(all_sets())
    if verb == "GetRecord":
        check_prefix(arguments["metadataPrefix"])
        item = repo.item(arguments["identifier"])
        element = responses.list_element("GetRecord")
        prefix = arguments["metadataPrefix"]
        responses.record(element, item, repo.ns, None if item.deleted else _describe(repo, item.record, prefix))
        return element
    assert query is not None
    page = repo.page(query)
    element = responses.list_element(verb)
    for item in page.items:
        if verb == "ListIdentifiers":
            responses.header(element, item, repo.ns)
        else:
            described = None if item.deleted else _describe(repo, item.record, query.metadata_prefix)
            responses.record(element, item, repo.ns, described)
    if page.more:
        token = encode_token(query, page.items[-1].key, page.cursor + len(page.items))
        responses.resumption_token(element, token, total=page.total, cursor=page.cursor)
    elif query.after is not None:
        responses.resumption_token(element, None, total=page.total, cursor=page.cursor)
    return element


def _describe(repo: Repository, record: DocumentRecord, prefix: str) -> Description | dict[str, Any]:
    if prefix == exchange_format.PREFIX:
        return exchange_format.document_json(record, repo.catalog, repo.base)
    return describe(record, repo.catalog, repo.settings, base=repo.base)
