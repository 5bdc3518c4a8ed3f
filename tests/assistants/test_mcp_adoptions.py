"""The MCP ``list_adoptions`` tool and the adoptions in ``get_document``, over the in-process /mcp
endpoint: the API's rules (readable practices only, contacts only for calls with a key)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kb.catalog import Catalog
from kb.settings import Settings
from search.api import create_app
from tests.assistants.conftest import copy_kb

JSON_RPC = {"accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-06-18"}
CONTACT = "dit-punjab@example.gov.in"


@pytest.fixture(scope="module")
def exchange_app(assistants_kb: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    """The good fixtures with three adoptions (one dropped) and a reader key of another state."""
    kb_dir = copy_kb(assistants_kb, tmp_path_factory.mktemp("mcp-adoptions") / "kb")
    with Catalog(Settings(kb_dir=kb_dir).catalog_path) as catalog:
        _, key = catalog.create_key(role="reader", states=["Kerala"])
        catalog.record_adoption(
            document_id="haryana-cm-window", state="Punjab", status="exploring", actor="cli", note="Study visit"
        )
        catalog.record_adoption(
            document_id="haryana-cm-window", state="Punjab", status="piloting", actor="cli", contact=CONTACT
        )
        catalog.record_adoption(document_id="karnataka-bhoomi", state="Punjab", status="adopted", actor="cli")
        catalog.record_adoption(document_id="haryana-cm-window", state="Goa", status="dropped", actor="cli")
    with TestClient(create_app(Settings(kb_dir=kb_dir))) as client:
        yield client, key


def call(client: TestClient, tool: str, arguments: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    headers = {**JSON_RPC, **({"authorization": f"Bearer {key}"} if key else {})}
    request = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}
    response = client.post("/mcp", json=request, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    return result


def test_list_adoptions_names_practice_state_and_status_without_contacts_for_anonymous_calls(
    exchange_app: tuple[TestClient, str],
) -> None:
    client, _ = exchange_app
    result = call(client, "list_adoptions", {})
    assert not result.get("isError"), result
    found = result["structuredContent"]
    assert found["total"] == 3
    by_pair = {(a["state"], a["document_id"]): a for a in found["adoptions"]}
    assert set(by_pair) == {
        ("Punjab", "haryana-cm-window"),
        ("Punjab", "karnataka-bhoomi"),
        ("Goa", "haryana-cm-window"),
    }
    cm_window = by_pair[("Punjab", "haryana-cm-window")]
    assert (cm_window["status"], cm_window["title"], cm_window["practice_states"]) == (
        "piloting",
        "CM Window grievance redressal",
        ["Haryana"],
    )
    assert cm_window["note"] == "Study visit" and cm_window["url"].endswith("/documents/haryana-cm-window")
    assert all(a["contact"] is None for a in found["adoptions"])
    text = result["content"][0]["text"]
    assert (
        "- Punjab: piloting since" in text and "CM Window grievance redressal (Haryana; id haryana-cm-window)" in text
    )
    assert CONTACT not in str(result)


def test_list_adoptions_filters_and_shows_contacts_to_calls_with_a_key(exchange_app: tuple[TestClient, str]) -> None:
    client, key = exchange_app
    punjab = call(client, "list_adoptions", {"state": "punjab", "status": "piloting"}, key)["structuredContent"]
    assert [(a["document_id"], a["contact"]) for a in punjab["adoptions"]] == [("haryana-cm-window", CONTACT)]
    of_one = call(client, "list_adoptions", {"document_id": "haryana-cm-window"})["structuredContent"]
    assert {a["state"] for a in of_one["adoptions"]} == {"Punjab", "Goa"}
    limited = call(client, "list_adoptions", {"limit": 1})["structuredContent"]
    assert limited["total"] == 3 and len(limited["adoptions"]) == 1
    none = call(client, "list_adoptions", {"state": "Sikkim"})
    assert none["structuredContent"]["adoptions"] == [] and "No adoptions recorded" in none["content"][0]["text"]


def test_get_document_lists_the_states_taking_the_practice_up(exchange_app: tuple[TestClient, str]) -> None:
    client, key = exchange_app
    anonymous = call(client, "get_document", {"document_id": "haryana-cm-window", "max_tokens": 200})
    adoptions = anonymous["structuredContent"]["adoptions"]
    assert {(a["state"], a["status"]) for a in adoptions} == {("Punjab", "piloting"), ("Goa", "dropped")}
    assert all(a["contact"] is None for a in adoptions)
    assert "adopted by Punjab: piloting since" in anonymous["content"][0]["text"]
    keyed = call(client, "get_document", {"document_id": "haryana-cm-window", "max_tokens": 200}, key)
    assert CONTACT in {a["contact"] for a in keyed["structuredContent"]["adoptions"]}
    odisha = call(client, "get_document", {"document_id": "odisha-cyber-guideline", "max_tokens": 200})
    assert odisha["structuredContent"]["adoptions"] == []


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ({"state": "Panjab"}, "did you mean 'Punjab'"),
        ({"document_id": "no-such-practice"}, "no-such-practice"),
        ({"status": "copied"}, "status"),
        ({"limit": 0}, "limit"),
    ],
)
def test_mistakes_are_tool_errors_with_a_useful_message(
    exchange_app: tuple[TestClient, str], arguments: dict[str, Any], words: str
) -> None:
    client, _ = exchange_app
    result = call(client, "list_adoptions", arguments)
    assert result.get("isError") is True, result
    assert words in result["content"][0]["text"]
