"""The assistant docs against the live app: the function schema and the MCP docs cannot drift."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.assistants.checks import TOOLS
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow

DOCS = REPO_ROOT / "docs"
_JSON_RPC = {"accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-06-18"}


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """Inline ``$ref`` and drop the ``null`` arm of optional fields: the shape a function schema has."""
    if "$ref" in schema:
        target = components[schema["$ref"].rsplit("/", 1)[-1]]
        return _resolve({**target, **{k: v for k, v in schema.items() if k != "$ref"}}, components)
    if "anyOf" in schema:
        arms = [arm for arm in schema["anyOf"] if arm.get("type") != "null"]
        assert len(arms) == 1, schema
        return _resolve({**arms[0], **{k: v for k, v in schema.items() if k != "anyOf"}}, components)
    return schema


def _shape(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """What must agree: type, enum, bounds, default, required and (recursively) the properties."""
    schema = _resolve(schema, components)
    shape = {k: schema[k] for k in ("type", "enum", "minimum", "maximum", "default") if k in schema}
    shape = {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in shape.items()}
    if schema.get("type") == "object":
        shape["properties"] = {name: _shape(sub, components) for name, sub in schema["properties"].items()}
        shape["required"] = sorted(schema.get("required", []))
        shape["additionalProperties"] = schema.get("additionalProperties", True)
        shape.pop("default", None)  # filters: pydantic's default_factory vs "omit it"
    if schema.get("type") == "array":
        shape["items"] = _shape(schema["items"], components)
    return shape


def test_function_schema_matches_the_live_openapi(client: TestClient) -> None:
    openapi = client.get("/openapi.json").json()
    components = openapi["components"]["schemas"]
    body = openapi["paths"]["/v1/retrieve"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    function = json.loads((DOCS / "retrieve-function.json").read_text())
    assert function["type"] == "function"
    assert re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", function["function"]["name"])
    assert "/v1/retrieve" in function["function"]["description"]
    documented = _shape(function["function"]["parameters"], components)
    live = _shape(body, components)
    assert documented == live
    for name, prop in function["function"]["parameters"]["properties"].items():
        assert prop.get("description"), f"{name} needs a description for the model"


def test_documented_arguments_are_accepted_by_the_endpoint(client: TestClient) -> None:
    parameters = json.loads((DOCS / "retrieve-function.json").read_text())["function"]["parameters"]
    filters = parameters["properties"]["filters"]["properties"]
    arguments = {
        "query": "land records",
        "filters": {
            "states": ["Karnataka"],
            "sector": filters["sector"]["enum"][3],
            "type": filters["type"]["enum"][0],
            "year_from": filters["year_from"]["minimum"],
            "year_to": filters["year_to"]["maximum"],
        },
        "max_passages": parameters["properties"]["max_passages"]["maximum"],
        "max_tokens": parameters["properties"]["max_tokens"]["minimum"],
    }
    response = client.post("/v1/retrieve", json=arguments)
    assert response.status_code == 200, response.text
    assert response.json()["passages"][0]["citation"]["document_id"] == "karnataka-bhoomi"


def test_mcp_guide_names_every_tool_and_its_configs_are_valid(client: TestClient) -> None:
    guide = (DOCS / "assistants.md").read_text()
    listed = client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers=_JSON_RPC)
    tools = listed.json()["result"]["tools"]
    assert {t["name"] for t in tools} == TOOLS
    for tool in tools:
        assert f"`{tool['name']}`" in guide
        for argument in tool["inputSchema"]["properties"]:
            assert f"`{argument}`" in guide, f"{tool['name']}.{argument} is not documented"
    configs = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", guide, flags=re.S)]
    servers = [c["mcpServers"]["egov-practice-exchange"] for c in configs if "mcpServers" in c]
    stdio = next(s for s in servers if "command" in s)
    assert stdio["command"].endswith("/.venv/bin/kb") and stdio["args"][:2] == ["mcp", "--kb-dir"]
    http = next(s for s in servers if "url" in s)
    assert http["url"] == "http://127.0.0.1:8000/mcp"
    citation_example = next(c for c in configs if "document_id" in c)
    passage = client.post("/v1/retrieve", json={"query": "grievance"}).json()["passages"][0]
    assert set(citation_example) == set(passage["citation"])
