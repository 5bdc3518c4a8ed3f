"""Citation links an assistant can show as clickable: absolute, from KB_PUBLIC_URL or the request.

Without ``KB_PUBLIC_URL`` the base is the address each request came to (scheme, host and the ASGI
root path), taken per call: the service is shared, so two hosts asking at once each get their own.
``/v1/search`` keeps its links as they were (relative unless ``KB_PUBLIC_URL``): the web UI and
existing clients use them as paths. Over stdio links stay relative (test_mcp_stdio.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kb.settings import Settings
from search.api import create_app
from tests.assistants.conftest import copy_kb

pytestmark = pytest.mark.slow

PUBLIC = "https://practices.example.gov.in"
QUESTION = {"query": "How are citizens kept informed about their grievance?", "max_passages": 3}
_JSON_RPC = {"accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-06-18"}


@pytest.fixture(scope="module")
def public_client(assistants_kb: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """An app whose deployment says where it is published (with a trailing slash, as people write it)."""
    kb_dir = copy_kb(assistants_kb, tmp_path_factory.mktemp("public") / "kb")
    with TestClient(create_app(Settings(kb_dir=kb_dir, public_url=f"{PUBLIC}/"))) as test_client:
        yield test_client


def tool_call(client: TestClient, name: str, arguments: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """One ``tools/call`` over the in-process streamable HTTP endpoint; its structured content."""
    request = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments}}
    response = client.post("/mcp", json=request, headers={**_JSON_RPC, **kwargs.pop("headers", {})}, **kwargs)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    assert not result.get("isError"), result
    return dict(result["structuredContent"])


def links(citations: list[dict[str, Any]]) -> list[str]:
    return [link for c in citations for link in (c["url"], c["file_url"])]


def test_retrieve_links_start_with_the_request_address(client: TestClient) -> None:
    body = client.post("/v1/retrieve", json=QUESTION).json()
    citation = body["passages"][0]["citation"]
    assert citation["url"] == f"http://testserver/documents/{citation['document_id']}"
    assert citation["file_url"] == (
        f"http://testserver/v1/documents/{citation['document_id']}/file?version={citation['version']}"
    )
    assert client.get(citation["file_url"]).status_code == 200  # the link works as it is


def test_retrieve_links_honour_the_root_path(client: TestClient) -> None:
    proxied = TestClient(client.app, root_path="/exchange")  # as behind a proxy at /exchange (uvicorn --root-path)
    body = proxied.post("/v1/retrieve", json=QUESTION).json()
    assert all(link.startswith("http://testserver/exchange/") for link in links(_citations(body)))


def test_retrieve_links_use_the_public_url_when_set(public_client: TestClient) -> None:
    body = public_client.post("/v1/retrieve", json=QUESTION, headers={"host": "internal:8000"}).json()
    citations = [p["citation"] for p in body["passages"]]
    assert citations and all(link.startswith(f"{PUBLIC}/") and "//documents" not in link for link in links(citations))
    assert "internal" not in str(body)


def test_search_links_stay_as_they_were(client: TestClient, public_client: TestClient) -> None:
    """/v1/search keeps relative links without KB_PUBLIC_URL (a deliberate choice: see the module doc)."""
    result = client.get("/v1/search", params={"q": "grievance portal"}).json()["results"][0]
    assert result["url"] == f"/documents/{result['document_id']}"
    public = public_client.get("/v1/search", params={"q": "grievance portal"}).json()["results"][0]
    assert public["url"] == f"{PUBLIC}/documents/{public['document_id']}"


def test_mcp_links_are_each_requests_own(client: TestClient) -> None:
    """Two hosts in turn through one shared service: each gets its own base, nothing is remembered."""
    first = tool_call(client, "search_practices", QUESTION, headers={"host": "exchange.haryana.example"})
    second = tool_call(client, "search_practices", QUESTION, headers={"host": "exchange.jk.example:8080"})
    assert all(link.startswith("http://exchange.haryana.example/") for link in links(_citations(first)))
    assert all(link.startswith("http://exchange.jk.example:8080/") for link in links(_citations(second)))
    document = tool_call(client, "get_document", {"document_id": "karnataka-bhoomi"})
    assert document["url"] == "http://testserver/documents/karnataka-bhoomi"
    assert all(link.startswith("http://testserver/") for link in links([s["citation"] for s in document["sections"]]))
    similar = tool_call(client, "find_similar_practices", {"document_id": "haryana-cm-window", "top_k": 2})
    assert all(link.startswith("http://testserver/") for link in links([r["citation"] for r in similar["results"]]))


def test_mcp_links_honour_the_root_path_and_the_public_url(client: TestClient, public_client: TestClient) -> None:
    proxied = TestClient(client.app, root_path="/exchange")
    body = tool_call(proxied, "search_practices", QUESTION)
    assert all(link.startswith("http://testserver/exchange/documents/") for link in _urls(body))
    public = tool_call(public_client, "search_practices", QUESTION)
    assert all(link.startswith(f"{PUBLIC}/documents/") for link in _urls(public))


def _citations(body: dict[str, Any]) -> list[dict[str, Any]]:
    citations = [p["citation"] for p in body["passages"]]
    assert citations
    return citations


def _urls(body: dict[str, Any]) -> list[str]:
    return [c["url"] for c in _citations(body)]
