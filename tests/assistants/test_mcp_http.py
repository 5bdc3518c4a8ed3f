"""MCP over streamable HTTP: the SDK's client against a live ``kb serve`` (and the in-process app)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient
from mcp import Client, ClientSession

from kb.catalog import Catalog
from kb.settings import Settings
from search.api import create_app
from search.passages import RetrieveResponse, TokenCounter
from tests.assistants import checks
from tests.assistants.conftest import assert_cites, assert_problem, copy_kb
from tests.assistants.mcp_client import calls, over_http, text_of

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mcp_url(live_server: str) -> str:
    return f"{live_server}/mcp"


def test_lists_the_read_only_tools_with_descriptions_for_a_model(mcp_url: str) -> None:
    async def scenario(session: ClientSession) -> Any:
        return await session.list_tools()

    checks.check_listing(over_http(mcp_url, scenario))


def test_search_practices_cites_the_right_document_and_section(
    mcp_url: str, live_server: str, client: TestClient, counter: TokenCounter
) -> None:
    answer, filtered = over_http(mcp_url, calls(checks.SEARCH, checks.SEARCH_FILTERED))
    checks.check_search_answers(answer, client, counter, live_server)
    checks.check_search_filtered(filtered, client, counter, live_server)


def test_search_practices_matches_v1_retrieve(mcp_url: str, live_server: str) -> None:
    arguments = {"query": "digitising land records", "max_passages": 4, "max_tokens": 300}
    (result,) = over_http(mcp_url, calls(("search_practices", arguments)))
    over_rest = httpx.post(f"{live_server}/v1/retrieve", json=arguments, timeout=60).json()
    assert RetrieveResponse.model_validate(result.structured_content) == RetrieveResponse.model_validate(over_rest)


@pytest.mark.parametrize("max_tokens", [100, 180, 700])
def test_search_practices_never_exceeds_the_budget(mcp_url: str, counter: TokenCounter, max_tokens: int) -> None:
    question = ("search_practices", {"query": "services", "max_passages": 50, "max_tokens": max_tokens})
    (result,) = over_http(mcp_url, calls(question))
    body = RetrieveResponse.model_validate(result.structured_content)
    assert body.passages and counter.count(body.context) == body.total_tokens <= max_tokens


def test_get_document_returns_real_sections(mcp_url: str, live_server: str, client: TestClient) -> None:
    whole, one = over_http(mcp_url, calls(checks.DOCUMENT, checks.DOCUMENT_SECTION))
    checks.check_document(whole, client, live_server)
    checks.check_document_section(one)


def test_get_document_stays_within_max_tokens(mcp_url: str, counter: TokenCounter) -> None:
    question = ("get_document", {"document_id": "kerala-karnataka-egov-mou", "max_tokens": 100})  # 240 in all
    (result,) = over_http(mcp_url, calls(question))
    doc = result.structured_content
    assert doc["total_tokens"] <= 100 and doc["sections_total"] == 6 and doc["sections_omitted"] > 0
    assert sum(counter.count(s["text"]) for s in doc["sections"]) == doc["total_tokens"]
    kept = [s for s in doc["sections"] if not s["omitted"]]
    assert [s["truncated"] for s in kept] == [False] * (len(kept) - 1) + [True]
    assert kept[-1]["text"].endswith(" …")
    omitted = doc["sections"][len(kept) :]
    assert omitted and all(s["omitted"] and s["text"] == "" and s["tokens"] > 0 for s in omitted)
    assert "call again with section=" in text_of(result)


def test_list_facets_and_find_similar(mcp_url: str, live_server: str, client: TestClient) -> None:
    facets, narrowed, similar = over_http(mcp_url, calls(checks.FACETS, checks.FACETS_FILTERED, checks.SIMILAR))
    checks.check_facets(facets, client)
    checks.check_facets_filtered(narrowed)
    checks.check_similar(similar, client, live_server)


def test_find_similar_honours_filters(mcp_url: str) -> None:
    question = ("find_similar_practices", {"document_id": "haryana-cm-window", "filters": {"states": ["Karnataka"]}})
    (result,) = over_http(mcp_url, calls(question))
    results = result.structured_content["results"]
    assert results and all("Karnataka" in r["states"] for r in results)


def test_mistakes_are_tool_errors_with_a_useful_message(mcp_url: str) -> None:
    results = over_http(mcp_url, calls(*(request for request, _ in checks.ERRORS)))
    for result, (_, words) in zip(results, checks.ERRORS, strict=True):
        checks.check_error(result, words)


def test_argument_errors_say_what_the_api_says(mcp_url: str, live_server: str) -> None:
    """The same mistake gets the same one line from search_practices as from POST /v1/retrieve."""
    mistakes = [{"sector": "helth"}, {"type": "memo"}, {"states": ["Atlantis"]}, {"year_from": 2020, "year_to": 2010}]
    questions = [("search_practices", {"query": "land", "filters": filters}) for filters in mistakes]
    for result, (_, arguments) in zip(over_http(mcp_url, calls(*questions)), questions, strict=True):
        detail = assert_problem(httpx.post(f"{live_server}/v1/retrieve", json=arguments, timeout=60), 422)["detail"]
        assert detail.startswith("filters")
        assert text_of(result) == f"Error executing tool search_practices: {detail}"


def test_endpoint_is_not_in_the_openapi_schema_and_answers_plain_json_rpc(client: TestClient) -> None:
    assert not any(path.startswith("/mcp") for path in client.get("/openapi.json").json()["paths"])
    response = client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers=_JSON_RPC)
    assert response.status_code == 200
    assert {t["name"] for t in response.json()["result"]["tools"]} == checks.TOOLS


_JSON_RPC = {"accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-06-18"}


def test_mcp_needs_a_key_when_reading_does(assistants_kb: Path, tmp_path: Path) -> None:
    kb_dir = copy_kb(assistants_kb, tmp_path / "kb")
    with Catalog(Settings(kb_dir=kb_dir).catalog_path) as catalog:
        _, key = catalog.create_key(role="contributor", states=["Haryana"], label="reader", can_publish=True)
    request = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    with TestClient(create_app(Settings(kb_dir=kb_dir, require_key_for_read=True))) as private:
        denied = private.post("/mcp", json=request, headers=_JSON_RPC)
        assert "API key" in assert_problem(denied, 401)["detail"]
        wrong = private.post("/mcp", json=request, headers={**_JSON_RPC, "authorization": "Bearer nope"})
        assert "not valid" in assert_problem(wrong, 401)["detail"]
        allowed = private.post("/mcp", json=request, headers={**_JSON_RPC, "authorization": f"Bearer {key}"})
        assert allowed.status_code == 200 and "search_practices" in {
            t["name"] for t in allowed.json()["result"]["tools"]
        }
        assert_problem(private.post("/v1/retrieve", json={"query": "land"}), 401)


def test_mcp_limits_wrong_keys_per_address_like_the_api(assistants_kb: Path, tmp_path: Path) -> None:
    kb_dir = copy_kb(assistants_kb, tmp_path / "kb")
    settings = Settings(kb_dir=kb_dir, require_key_for_read=True, auth_failures_per_minute=2)
    request = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    wrong = {**_JSON_RPC, "authorization": "Bearer guessed"}
    with TestClient(create_app(settings)) as private:
        assert [assert_problem(private.post("/mcp", json=request, headers=wrong), 401) for _ in range(2)]
        limited = private.post("/mcp", json=request, headers=wrong)
        assert "too many requests" in assert_problem(limited, 429)["detail"]
        assert int(limited.headers["retry-after"]) >= 1


def test_the_sdk_high_level_client_works_on_the_newest_protocol(
    mcp_url: str, live_server: str, client: TestClient
) -> None:
    """``mcp.Client`` negotiates the newest protocol revision (not the handshake the session uses)."""

    async def main() -> tuple[str | None, list[str], Any]:
        async with Client(mcp_url) as mcp_client:
            tools = await mcp_client.list_tools()
            result = await mcp_client.call_tool("search_practices", {"query": "land records kiosk", "max_passages": 2})
            return mcp_client.protocol_version, [t.name for t in tools.tools], result

    version, names, result = anyio.run(main)
    assert version and set(names) == checks.TOOLS
    body = RetrieveResponse.model_validate(checks.check_ok(result))
    assert body.passages[0].citation.document_id == "karnataka-bhoomi"
    assert_cites(body.passages[0].citation.model_dump(), checks.detail(client, "karnataka-bhoomi"), base=live_server)
