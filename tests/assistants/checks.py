"""Assertions on MCP tool results, shared by the stdio and the streamable HTTP tests.

Citations are checked against the API's own view of the documents (``GET /v1/documents/{id}`` of
an app over a copy of the same KB), so "points at a real document and section" means the same
thing everywhere.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from mcp_types import CallToolResult, ListToolsResult

from search.assistant import DocumentResult, FacetsResult, SimilarResult
from search.passages import RetrieveResponse, TokenCounter
from tests.assistants.conftest import assert_cites
from tests.assistants.mcp_client import text_of

TOOLS = {"search_practices", "get_document", "list_facets", "find_similar_practices", "list_adoptions"}

# (tool, arguments) pairs every transport is asked, and what the checks below expect of them.
SEARCH = ("search_practices", {"query": "How are citizens kept informed about their grievance?", "max_tokens": 400})
SEARCH_FILTERED = (
    "search_practices",
    {"query": "sharing services between states", "filters": {"states": ["Karnataka"], "type": "mou"}},
)
DOCUMENT = ("get_document", {"document_id": "kerala-karnataka-egov-mou"})
DOCUMENT_SECTION = ("get_document", {"document_id": "kerala-karnataka-egov-mou", "section": "clause 2"})
FACETS = ("list_facets", {})
FACETS_FILTERED = ("list_facets", {"filters": {"states": ["Haryana"]}})
SIMILAR = ("find_similar_practices", {"document_id": "haryana-cm-window", "top_k": 3})
# Arguments the SDK rejects before our code runs: one line like the API's `field: message`, naming
# what is valid (values, ranges, fields, arguments), and none of pydantic's dump.
ARGUMENT_ERRORS: list[tuple[tuple[str, dict[str, Any]], str]] = [
    (
        ("search_practices", {"query": "land", "filters": {"sector": "helth"}}),
        "filters.sector: 'helth' is not a valid sector; did you mean 'health'? valid values: agriculture, ",
    ),
    (
        ("list_facets", {"filters": {"type": "memo"}}),
        "filters.type: 'memo' is not a valid type; valid values: case_study, mou, policy, guideline, report",
    ),
    (("search_practices", {"query": "land", "max_tokens": 0}), "max_tokens: must be an integer from 100 to 32000"),
    (("search_practices", {"query": "land", "max_passages": "many"}), "max_passages: must be an integer from 1 to 50"),
    (
        ("find_similar_practices", {"document_id": "haryana-cm-window", "top_k": 100}),
        "top_k: must be an integer from 1 to 20, not 100",
    ),
    (
        ("search_practices", {"query": "land", "filters": {"year_from": 1800}}),
        "filters.year_from: must be an integer from 1947 to 2100, not 1800",
    ),
    (
        ("search_practices", {"query": "land", "filters": {"colour": "red"}}),
        "filters.colour: unknown field; the fields are states, sector, type, year_from, year_to",
    ),
    (
        ("search_practices", {"query": "land", "max_token": 300}),
        "max_token: unknown argument; the arguments are query, filters, max_passages, max_tokens",
    ),
    (("search_practices", {"max_tokens": 300}), "query: required"),
    (("get_document", {"document_id": 5}), "document_id: must be a string, not 5"),
    (
        ("search_practices", {"query": "land", "filters": {"year_from": 2020, "year_to": 2010}}),
        "filters: year_from (2020) is after year_to (2010)",
    ),
]
ERRORS: list[tuple[tuple[str, dict[str, Any]], str]] = [
    (("get_document", {"document_id": "no-such-document"}), "no document with id 'no-such-document'"),
    (("find_similar_practices", {"document_id": "no-such-document"}), "no document with id"),
    (("search_practices", {"query": "   "}), "the query is empty"),
    (("get_document", {"document_id": "karnataka-bhoomi", "section": "zebra"}), "sections are: "),
    (("no_such_tool", {}), "no_such_tool"),
    *[(request, words) for request, words in ARGUMENT_ERRORS],
]


def detail(client: TestClient, document_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/documents/{document_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def check_listing(listing: ListToolsResult) -> None:
    tools = {tool.name: tool for tool in listing.tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.description and len(tool.description) > 150, tool.name
        assert not tool.description.startswith(" ") and "\n    " not in tool.description  # dedented
        assert tool.annotations is not None and tool.annotations.read_only_hint is True
        assert tool.output_schema and tool.output_schema["type"] == "object"
    assert tools["search_practices"].input_schema["required"] == ["query"]
    assert tools["get_document"].input_schema["required"] == ["document_id"]
    assert "citation" in str(tools["search_practices"].output_schema)


def check_ok(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, text_of(result)
    assert isinstance(result.structured_content, dict)
    return result.structured_content


def check_search(result: CallToolResult, client: TestClient, counter: TokenCounter, base: str) -> RetrieveResponse:
    body = RetrieveResponse.model_validate(check_ok(result))
    assert body.passages and body.total_tokens <= body.max_tokens
    assert counter.count(body.context) == body.total_tokens
    for passage in body.passages:
        text = None if passage.truncated else passage.text
        assert_cites(passage.citation.model_dump(), detail(client, passage.citation.document_id), text, base=base)
        assert f"[{passage.rank}] {passage.citation.title}" in text_of(result)
        assert passage.citation.document_id in text_of(result)  # ids to call back with
    return body


def check_search_answers(result: CallToolResult, client: TestClient, counter: TokenCounter, base: str) -> None:
    body = check_search(result, client, counter, base)
    first = body.passages[0].citation
    assert (first.document_id, first.heading_path) == ("haryana-cm-window", ["HOW IT WORKS"])


def check_search_filtered(result: CallToolResult, client: TestClient, counter: TokenCounter, base: str) -> None:
    body = check_search(result, client, counter, base)
    assert {p.citation.document_id for p in body.passages} == {"kerala-karnataka-egov-mou"}


def check_document(result: CallToolResult, client: TestClient, base: str) -> None:
    doc = DocumentResult.model_validate(check_ok(result))
    real = detail(client, doc.document_id)
    assert doc.version == real["version"] and doc.title == real["title"]
    assert [s.heading_path for s in doc.sections] == [s["heading_path"] for s in real["sections"]]
    assert [s.text for s in doc.sections] == [s["text"] for s in real["sections"]]
    assert doc.sections_omitted == 0
    for section in doc.sections:
        assert_cites(section.citation.model_dump(), real, section.text, base=base)
    assert doc.url == f"{base}{real['url']}"
    assert doc.file_url == f"{base}/v1/documents/{doc.document_id}/file?version={doc.version}"
    assert "## Clauses › Clause 2 - Obligations of the Parties" in text_of(result)


def check_document_section(result: CallToolResult) -> None:
    doc = DocumentResult.model_validate(check_ok(result))
    assert [s.section for s in doc.sections] == ["Clauses › Clause 2 - Obligations of the Parties"]
    assert "citizen data" in doc.sections[0].text


def check_facets(result: CallToolResult, client: TestClient) -> None:
    facets = FacetsResult.model_validate(check_ok(result))
    api = client.get("/v1/facets").json()["facets"]
    assert facets.total_documents == 5
    assert [v.model_dump() for v in facets.states] == api["states"]
    assert [v.model_dump() for v in facets.sectors] == api["sector"]
    assert [v.model_dump() for v in facets.types] == api["type"]
    assert "Haryana (2)" in text_of(result)


def check_facets_filtered(result: CallToolResult) -> None:
    facets = FacetsResult.model_validate(check_ok(result))
    assert facets.total_documents == 2
    assert {v.value for v in facets.types} == {"case_study", "report"}


def check_similar(result: CallToolResult, client: TestClient, base: str) -> None:
    similar = SimilarResult.model_validate(check_ok(result))
    assert similar.document_id == "haryana-cm-window" and 0 < len(similar.results) <= 3
    assert "haryana-cm-window" not in {r.document_id for r in similar.results}
    scores = [r.score for r in similar.results]
    assert scores == sorted(scores, reverse=True)
    for item in similar.results:
        assert_cites(item.citation.model_dump(), detail(client, item.document_id), base=base)


def check_error(result: CallToolResult, words: str) -> None:
    text = text_of(result)
    assert result.is_error, text
    assert words in text
    assert "Traceback" not in text and "\n" not in text  # one line
    assert "pydantic" not in text and "validation error" not in text and "input_value" not in text, text
    assert not re.search(r"\w+Arguments\b", text), text  # the SDK's generated class names
