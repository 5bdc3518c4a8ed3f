"""Refactoring must not move the contract: the OpenAPI schemas of search and retrieve, and the MCP tools.

The snapshots in ``snapshots/`` were generated from the code at commit e6da48f (before the result
builders were merged into one and the MCP server was split into a package). Only the schemas this
work touches are compared (others may change the rest of the API meanwhile). The few intended
changes are listed here, each with its reason, so any other difference fails.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient

from kb.settings import Settings
from search.api import create_app
from search.mcp import build_server

SNAPSHOTS = Path(__file__).parent / "snapshots"
ROOTS = ("SearchResponse", "RetrieveRequest", "RetrieveResponse", "SimilarResponse")

# (schema, property, key) -> new value. Each is documentation of a deliberate change.
INTENDED: dict[tuple[str, str, str], str] = {
    # the default fusion is DBSF (KB_SEARCH_FUSION), not RRF: the old text misled
    ("RetrievedPassage", "score", "description"): "Fused relevance score (the configured fusion, DBSF by "
    "default: KB_SEARCH_FUSION); higher is better. Comparable within one response, not across queries.",
    # citation links are absolute now (KB_PUBLIC_URL, else the request's own address)
    ("Citation", "url", "description"): "The document's page in the web UI: absolute (KB_PUBLIC_URL, else the "
    "address the request came to); relative only where there is no request (kb mcp over stdio).",
    ("Citation", "file_url", "description"): "The original file of exactly this version (absolute like `url`).",
}


def _text(title: str, description: str) -> dict[str, Any]:
    return {"anyOf": [{"type": "string"}, {"type": "null"}], "title": title, "description": description}


STATUS = "How far the practice has come: pilot, operational, scaled or discontinued; null when not stated."
OWNER = "The department that runs the practice, when stated."
PRACTICE = {"status": _text("Status", STATUS), "owner": _text("Owner", OWNER)}
# schema -> [(the property they follow, new properties)]. Each is documentation of a deliberate addition.
ADDED: dict[str, list[tuple[str, dict[str, Any]]]] = {
    # the practice record (issue 13 item 3): results and citations say how far a practice has come and
    # which department runs it, so an official can judge a practice from the result list
    "SearchResult": [
        (
            "year",
            {
                "status": _text("Status", "Practice status: pilot, operational, scaled, discontinued."),
                "owner": _text("Owner", "The department that runs the practice."),
            },
        )
    ],
    "Citation": [("year", PRACTICE)],
    "SimilarPractice": [("year", PRACTICE)],
    # get_document: contacts go to callers with a key only; the others learn that one exists
    "DocumentResult": [
        ("year", PRACTICE),
        ("metadata", {"contact_available": {"type": "boolean", "title": "Contact Available", "default": False}}),
        # adoptions (issue 13 item 5): get_document says which states take the practice up
        (
            "max_tokens",
            {
                "adoptions": {
                    "default": [],
                    "items": {"$ref": "#/$defs/DocumentAdoption"},
                    "title": "Adoptions",
                    "type": "array",
                }
            },
        ),
    ],
}
_TEXT = {"title": "", "type": "string"}
# models new output schemas refer to: tool -> {name: schema without descriptions}
ADDED_DEFS: dict[str, dict[str, Any]] = {
    "get_document": {
        "DocumentAdoption": {
            "properties": {
                "state": {**_TEXT, "title": "State"},
                "status": {**_TEXT, "title": "Status"},
                "since": {**_TEXT, "title": "Since"},
                "updated_at": {**_TEXT, "title": "Updated At"},
                "note": {**_TEXT, "title": "Note"},
                "adopter_document_id": {
                    "anyOf": [{"type": "string"}, {"type": "null"}],
                    "title": "Adopter Document Id",
                },
                "contact": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None, "title": "Contact"},
            },
            "required": ["state", "status", "since", "updated_at", "note", "adopter_document_id"],
            "title": "DocumentAdoption",
            "type": "object",
        }
    }
}
# tools added since the snapshot, after the snapshot's tools; each has its own tests
NEW_TOOLS = ("list_adoptions",)  # which states take up which practices (tests/assistants/test_mcp_adoptions.py)


# the relevance floor (issue 15 item 1): results say whether they are real matches, responses say
# when nothing is, and retrieve/MCP withhold noise unless asked (docs/search-quality.md)
_BOOL = {"type": "boolean"}
ADDED.update(
    {
        "SearchResult": [
            *ADDED["SearchResult"],
            ("passages", {"match": {"type": "string", "enum": ["strong", "weak"], "title": "Match", "description":
                "strong: passes the relevance floor (KB_MATCH_FLOOR / KB_MATCH_TERMS); weak: only the nearest "
                "text, not a real match. See docs/search-quality.md.", "default": "strong"}}),
        ],
        "SearchResponse": [("facets", {
            "strong_total": {"type": "integer", "title": "Strong Total",
                             "description": "How many of `total` pass the relevance floor (match strong).",
                             "default": 0},
            "no_good_match": {**_BOOL, "title": "No Good Match", "description": "True when no document passes the "
                              "relevance floor: the results are the closest text, not answers (show them as such, or "
                              "say nothing matched).", "default": False},
            "also_searched": {"items": {"type": "string"}, "type": "array", "title": "Also Searched",
                              "description": "Synonyms from the domain thesaurus the query was expanded with (BM25)."},
        })],
        "RetrieveRequest": [("max_tokens", {"include_weak": {**_BOOL, "title": "Include Weak", "description":
            "Return the closest passages even when nothing passes the relevance floor (default: no passages and a "
            "`reason`, so an assistant does not cite noise).", "default": False}})],
        "RetrieveResponse": [("tokenizer", {
            "no_good_match": {**_BOOL, "title": "No Good Match",
                              "description": "True when no document passes the relevance floor.", "default": False},
            "reason": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Reason",
                       "description": "Why there are no passages (nothing matched well enough); null otherwise."},
            # the domain thesaurus (issue 15 item 2): what the query was expanded with
            "also_searched": {"items": {"type": "string"}, "type": "array", "title": "Also Searched",
                              "description": "Synonyms from the domain thesaurus the query was expanded with (BM25)."},
        })],
    }
)  # fmt: skip


def _with_added(name: str, schema: dict[str, Any], *, defaults: bool = False) -> dict[str, Any]:
    """``schema`` with the properties :data:`ADDED` gives it, in place after their neighbour.

    ``defaults``: the models' own JSON schema (MCP's output schemas) also states ``default: null``.
    """
    if name not in ADDED:
        return schema
    anchors = dict(ADDED[name])
    properties: dict[str, Any] = {}
    for prop, value in schema["properties"].items():
        properties[prop] = value
        added = anchors.get(prop, {})
        # a list field (default_factory) states no default in the schema; the others default to null
        properties.update({k: {"default": None, **v} if defaults and "items" not in v else v for k, v in added.items()})
    return {**schema, "properties": properties}


def _closure(schemas: dict[str, Any], roots: tuple[str, ...]) -> dict[str, Any]:
    """The named component schemas and every component they refer to."""
    found: dict[str, Any] = {}
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in found:
            continue
        found[name] = schemas[name]
        text = json.dumps(schemas[name])
        pending += [ref.split('"')[0] for ref in text.split('"$ref": "#/components/schemas/')[1:]]
    return found


def test_search_and_retrieve_schemas_are_unchanged_but_for_the_intended_edits(tmp_path: Path) -> None:
    before = json.loads((SNAPSHOTS / "openapi.json").read_text())["components"]["schemas"]
    expected = _closure(before, ROOTS)
    for (schema, prop, key), value in INTENDED.items():
        expected[schema]["properties"][prop][key] = value
    expected = {name: _with_added(name, schema) for name, schema in expected.items()}
    after = _closure(create_app(Settings(kb_dir=tmp_path / "kb")).openapi()["components"]["schemas"], ROOTS)
    assert set(after) == set(expected)
    for name in expected:  # as text, so the order of properties counts too
        assert json.dumps(after[name], indent=1) == json.dumps(expected[name], indent=1), name


def _tool_with_added(tool: dict[str, Any]) -> dict[str, Any]:
    """The snapshot of a tool with :data:`ADDED` applied to its output schema and the models it defines."""
    output = _with_added(tool["outputSchema"].get("title", ""), tool["outputSchema"], defaults=True)
    defs = {name: _with_added(name, schema, defaults=True) for name, schema in output.get("$defs", {}).items()}
    defs.update(ADDED_DEFS.get(tool["name"], {}))
    return {**tool, "outputSchema": {**output, **({"$defs": defs} if defs else {})}}


def _strip_descriptions(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _strip_descriptions(v) for k, v in schema.items() if k != "description"}
    if isinstance(schema, list):
        return [_strip_descriptions(v) for v in schema]
    return schema


@pytest.mark.slow
def test_mcp_tools_keep_their_names_descriptions_and_schemas(client: TestClient) -> None:
    """Input schemas and tool descriptions exactly; output schemas up to field descriptions
    (the shared document fields now carry the citation's descriptions everywhere)."""
    server = build_server(client.app.state.assistant)  # type: ignore[attr-defined]

    async def listing() -> list[dict[str, Any]]:
        return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in await server.list_tools()]

    before = {t["name"]: _tool_with_added(t) for t in json.loads((SNAPSHOTS / "mcp-tools.json").read_text())}
    after = {t["name"]: t for t in anyio.run(listing)}
    assert list(after) == [*before, *NEW_TOOLS]
    for name, tool in ((n, t) for n, t in after.items() if n not in NEW_TOOLS):
        old = before[name]
        assert (tool["description"], tool["annotations"]) == (old["description"], old["annotations"]), name
        assert json.dumps(tool["inputSchema"]) == json.dumps(old["inputSchema"]), name
        assert _strip_descriptions(tool["outputSchema"]) == _strip_descriptions(old["outputSchema"]), name


@pytest.mark.slow
def test_result_bodies_list_their_fields_in_schema_order(client: TestClient) -> None:
    """Bodies keep the field order of the schemas (what clients that print or diff JSON see)."""
    schemas = json.loads((SNAPSHOTS / "openapi.json").read_text())["components"]["schemas"]
    schemas = {name: _with_added(name, schema) for name, schema in schemas.items()}
    search = client.get("/v1/search", params={"q": "grievance portal", "top_k": 2}).json()
    assert list(search["results"][0]) == list(schemas["SearchResult"]["properties"])
    retrieve = client.post("/v1/retrieve", json={"query": "grievance portal", "max_passages": 2}).json()
    assert list(retrieve["passages"][0]) == list(schemas["RetrievedPassage"]["properties"])
    assert list(retrieve["passages"][0]["citation"]) == list(schemas["Citation"]["properties"])
