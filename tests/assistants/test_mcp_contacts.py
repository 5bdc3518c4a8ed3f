"""MCP over HTTP shows officials' contacts only to calls that carry a key (the rule of
``search.services.redaction``, the same as ``GET /v1/documents/{id}``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kb.catalog import Catalog
from kb.settings import Settings
from search.api import create_app
from tests.api.test_practice_record import CASE_STUDY, EMAIL, PHONE
from tests.e2e.conftest import run_cli

JSON_RPC = {"accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-06-18"}


@pytest.fixture(scope="module")
def practice_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    """The real app over a KB holding one case study with a full practice record, and a reader key."""
    corpus = tmp_path_factory.mktemp("mcp-practice-corpus")
    (corpus / "haryana-sewa-desk.md").write_text(CASE_STUDY)
    kb_dir: Path = tmp_path_factory.mktemp("mcp-practice") / "kb"
    assert run_cli("ingest", str(corpus), "--kb-dir", str(kb_dir)).exit_code == 0
    with Catalog(Settings(kb_dir=kb_dir).catalog_path) as catalog:
        _, key = catalog.create_key(role="reader", states=["Kerala"], label="an official of another state")
    with TestClient(create_app(Settings(kb_dir=kb_dir))) as client:
        yield client, key


def call(
    client: TestClient, tool: str, arguments: dict[str, Any], key: str | None = None
) -> tuple[dict[str, Any], str]:
    """One ``tools/call`` as plain JSON-RPC; the result and the whole response text."""
    headers = {**JSON_RPC, **({"authorization": f"Bearer {key}"} if key else {})}
    request = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}
    response = client.post("/mcp", json=request, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    assert not result.get("isError"), result
    return result, response.text


def test_get_document_without_a_key_says_a_contact_exists_but_not_what_it_is(
    practice_app: tuple[TestClient, str],
) -> None:
    client, _ = practice_app
    result, raw = call(client, "get_document", {"document_id": "haryana-sewa-desk"})
    doc = result["structuredContent"]
    assert doc["metadata"]["contact"] is None and doc["contact_available"] is True
    assert (doc["owner"], doc["status"]) == ("Revenue Department, Haryana", "scaled")
    text = result["content"][0]["text"]
    assert "owner: Revenue Department, Haryana; status: scaled; started: 2017; scale: all 22 districts" in text
    assert "building blocks: Registration, Workflow and algorithm, Payments" in text
    assert "contact: named in the document's record; shown to callers with an API key" in text
    assert EMAIL not in raw and PHONE not in raw


def test_get_document_with_a_key_shows_the_contact(practice_app: tuple[TestClient, str]) -> None:
    client, key = practice_app
    result, _ = call(client, "get_document", {"document_id": "haryana-sewa-desk"}, key=key)
    doc = result["structuredContent"]
    assert doc["metadata"]["contact"]["email"] == EMAIL and doc["contact_available"] is True
    assert f"contact: Sewa Desk Cell, Nodal officer, e-Disha · {EMAIL} · {PHONE}" in result["content"][0]["text"]


def test_search_practices_cites_status_and_owner_and_never_a_contact(practice_app: tuple[TestClient, str]) -> None:
    client, key = practice_app
    for caller in (None, key):
        result, raw = call(client, "search_practices", {"query": "mutation applications at sewa desks"}, key=caller)
        citations = [p["citation"] for p in result["structuredContent"]["passages"]]
        assert citations and {(c["status"], c["owner"]) for c in citations} == {
            ("scaled", "Revenue Department, Haryana")
        }
        assert EMAIL not in raw and PHONE not in raw


def test_a_wrong_key_gets_no_contact_but_a_refusal(practice_app: tuple[TestClient, str]) -> None:
    client, _ = practice_app
    request = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "get_document", "arguments": {}}}
    response = client.post("/mcp", json=request, headers={**JSON_RPC, "authorization": "Bearer kbk_guessed"})
    assert response.status_code == 401 and EMAIL not in response.text
