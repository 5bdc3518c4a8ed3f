"""Nothing restricted or unpublished reaches the wrong caller, by any read path.

Every GET route the app has (API, web pages, feeds, citations, OAI-PMH: enumerated from the app, so
a route added later is covered without touching this file), the POST read routes and every MCP tool
are called as callers who may not read a restricted MoU (anonymous, a key of another state) or a
submission waiting for review (anonymous, another state, a reader and a contributor of the same
state who did not send it). None of them may see its words, its title or its id; asking for it by
id must look exactly like asking for an id that does not exist. The same calls by a key of the
MoU's state and by an admin do find it, so the test can fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kb.catalog import Catalog
from search.api import create_app
from tests.api.conftest import Deployments, bearer, both_catalogs, wait_for_job

pytestmark = [pytest.mark.slow, both_catalogs]

RESTRICTED, RESTRICTED_WORD = "hj-draft-mou", "quillfeather"
PENDING, PENDING_WORD = "pending-practice", "marzipanoid"
PUBLIC = "haryana-land-mutation"
UNKNOWN = "no-such-document-here"
# what must not show: the id, a sentence of the text and the title (none of them is in a query)
SECRETS = {
    RESTRICTED: (RESTRICTED, "vault of the tehsildar", "Draft accord"),
    PENDING: (PENDING, "cellar of the patwari", "Cellar practice"),
}
MCP_HEADERS = {"accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-06-18"}


def _doc(
    doc_id: str, title: str, word: str, extra: str = "", states: str = "[Haryana, Jammu and Kashmir]", where: str = ""
) -> bytes:
    return (
        f"---\nid: {doc_id}\ntitle: {title}\ntype: mou\nstates: {states}\n"
        f"sector: land_records\nyear: 2023\n{extra}---\n# {title}\n\n## Clauses\n\n"
        f"The parties share online land mutation and {word} registers of pending mutations, "
        f"so that tehsils decide mutations within a week. The {word} registers are kept in the {where}.\n"
    ).encode()


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, deployments: Deployments
) -> Iterator[tuple[TestClient, dict[str, str], dict[str, str]]]:
    settings = deployments.settings(tmp_path_factory.mktemp("leaks") / "kb")
    with Catalog(settings.resolved_catalog_url()) as catalog:
        keys = {
            "admin": catalog.create_key(role="admin")[1],
            "haryana_reader": catalog.create_key(role="reader", states=["Haryana"])[1],
            "punjab_reader": catalog.create_key(role="reader", states=["Punjab"])[1],
            "punjab_curator": catalog.create_key(role="curator", states=["Punjab"])[1],
            "haryana_sender": catalog.create_key(role="contributor", states=["Haryana"])[1],
            "haryana_other": catalog.create_key(role="contributor", states=["Haryana"])[1],
        }
    with TestClient(create_app(settings)) as client:
        admin = bearer(keys["admin"])
        uploads = [
            (admin, PUBLIC, _doc(PUBLIC, "Online land mutation in Haryana", "public", where="record room")),
            (
                admin,
                RESTRICTED,
                _doc(
                    RESTRICTED,
                    "Draft accord on registers",
                    RESTRICTED_WORD,
                    "visibility: restricted\n",
                    where="vault of the tehsildar",
                ),
            ),
            (
                bearer(keys["haryana_sender"]),
                PENDING,
                _doc(PENDING, "Cellar practice", PENDING_WORD, states="[Haryana]", where="cellar of the patwari"),
            ),
        ]
        ids: dict[str, str] = {}
        for headers, doc_id, data in uploads:
            accepted = client.post(
                "/v1/documents", headers=headers, files={"file": (f"{doc_id}.md", data, "text/markdown")}
            )
            assert accepted.status_code == 202, accepted.text
            job = wait_for_job(client, accepted.json(), headers)
            assert job["status"] == "done", job
            ids[doc_id] = job["id"]
        ids["submission"] = job["detail"]["submission_id"]
        yield client, keys, ids


def _get_routes(client: TestClient) -> list[str]:
    """Every GET path of the app, included routers flattened."""

    def walk(routes: list[Any], prefix: str = "") -> Iterator[str]:
        for route in routes:
            if hasattr(route, "original_router"):
                yield from walk(route.original_router.routes, prefix + route.include_context.prefix)
            elif "GET" in (getattr(route, "methods", None) or ()):
                yield prefix + route.path

    paths = sorted(set(walk(client.app.router.routes)))  # type: ignore[attr-defined]
    assert {"/v1/search", "/documents/{document_id}", "/oai", "/feeds/practices.atom"} <= set(paths)
    # the web's job page is reached by the job's 128-bit id, shown only to the uploader: the id is the
    # capability (search.services.jobs), so holding it is being the uploader
    return [p for p in paths if p not in ("/docs", "/openapi.json", "/contribute/jobs/{job_id}")]


def _fill(path: str, document_id: str, ids: dict[str, str]) -> str:
    values = {
        "document_id": document_id,
        "number": "1",
        "version": "1",
        "state": "Haryana",
        "job_id": ids[PENDING],
        "submission_id": ids["submission"],
    }
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "x"), path)


def _reads(client: TestClient, ids: dict[str, str], document_id: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    """(method, url, json body) of every read, for one document id in the paths."""
    calls: list[tuple[str, str, dict[str, Any] | None]] = []
    for path in _get_routes(client):
        query = f"q={RESTRICTED_WORD}+{PENDING_WORD}+mutation&limit=200"
        if path == "/oai":
            for verb in ("ListRecords&metadataPrefix=oai_dc", "ListIdentifiers&metadataPrefix=oai_dc"):
                calls.append(("GET", f"/oai?verb={verb}", None))
            query = f"verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:x:{document_id}"
        calls.append(("GET", f"{_fill(path, document_id, ids)}?{query}", None))
    for word in (RESTRICTED_WORD, PENDING_WORD):
        calls.append(("POST", "/v1/search", {"query": f"{word} land mutation", "top_k": 50}))
        calls.append(("POST", "/v1/retrieve", {"query": f"{word} land mutation", "max_passages": 20}))
    return calls


def _mcp(client: TestClient, headers: dict[str, str], tool: str, arguments: dict[str, Any]) -> str:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}
    response = client.post("/mcp", json=body, headers={**MCP_HEADERS, **headers})
    assert response.status_code == 200, response.text
    return response.text


def _mcp_calls(document_id: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("search_practices", {"query": f"{RESTRICTED_WORD} {PENDING_WORD} land mutation", "max_passages": 20}),
        ("get_document", {"document_id": document_id}),
        ("list_facets", {}),
        ("find_similar_practices", {"document_id": document_id, "top_k": 20}),
        ("list_adoptions", {}),
    ]


def _visible(text: str, secret: str) -> bool:
    return any(s.lower() in text.lower() for s in SECRETS[secret])


OUTSIDERS = {
    RESTRICTED: [None, "punjab_reader", "punjab_curator"],
    PENDING: [None, "punjab_reader", "haryana_reader", "haryana_other", "punjab_curator"],
}


@pytest.mark.parametrize("secret", [RESTRICTED, PENDING])
def test_no_read_route_or_tool_shows_it_to_an_outsider(
    world: tuple[TestClient, dict[str, str], dict[str, str]], secret: str
) -> None:
    client, keys, ids = world
    for who in OUTSIDERS[secret]:
        headers = bearer(keys[who]) if who else {}
        for document_id in (secret, PUBLIC):  # by its id, and beside a public neighbour (similar, related)
            for method, url, body in _reads(client, ids, document_id):
                response = client.request(method, url, json=body, headers=headers)
                assert response.status_code < 500, (who, url, response.text[:300])
                shown = response.text.replace(url, "")  # the caller's own request echoed back is no leak
                if document_id == secret:
                    shown = shown.replace(secret, UNKNOWN)
                    twin = client.request(method, url.replace(secret, UNKNOWN), json=body, headers=headers)
                    assert response.status_code == twin.status_code, (who, url)
                assert not _visible(shown, secret), (who, url, response.text[:500])
            for tool, arguments in _mcp_calls(document_id):
                text = _mcp(client, headers, tool, arguments)
                if document_id == secret:
                    text = text.replace(secret, UNKNOWN)
                assert not _visible(text, secret), (who, tool, text[:500])


def test_facet_counts_leave_out_what_a_caller_may_not_read(
    world: tuple[TestClient, dict[str, str], dict[str, str]],
) -> None:
    client, keys, _ = world

    def mou_count(headers: dict[str, str]) -> int:
        types = client.get("/v1/facets", headers=headers).json()["facets"]["type"]
        return sum(v["count"] for v in types if v["value"] == "mou")

    assert mou_count({}) == mou_count(bearer(keys["punjab_reader"])) == 1  # the public one only
    assert mou_count(bearer(keys["haryana_reader"])) == mou_count(bearer(keys["admin"])) == 2


@pytest.mark.parametrize("who", ["haryana_reader", "admin"])
def test_the_restricted_mou_is_found_by_its_own_state_and_admins(
    world: tuple[TestClient, dict[str, str], dict[str, str]], who: str
) -> None:
    client, keys, _ = world
    headers = bearer(keys[who])
    found = client.get("/v1/search", params={"q": f"{RESTRICTED_WORD} registers"}, headers=headers).json()
    assert RESTRICTED in [r["document_id"] for r in found["results"]]
    assert client.get(f"/v1/documents/{RESTRICTED}", headers=headers).status_code == 200
    assert client.get(f"/v1/documents/{RESTRICTED}/file", headers=headers).status_code == 200
    retrieved = client.post("/v1/retrieve", json={"query": f"{RESTRICTED_WORD} registers"}, headers=headers).json()
    assert RESTRICTED in [p["citation"]["document_id"] for p in retrieved["passages"]]
    similar = client.get(f"/v1/documents/{PUBLIC}/similar", headers=headers).json()["results"]
    assert RESTRICTED in [r["document_id"] for r in similar]
    assert _visible(_mcp(client, headers, "search_practices", {"query": f"{RESTRICTED_WORD} registers"}), RESTRICTED)
    assert _visible(_mcp(client, headers, "get_document", {"document_id": RESTRICTED}), RESTRICTED)
