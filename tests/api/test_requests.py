"""Requests for knowledge transfer over the API: asking, the inbox of each key, threads, the Atom feed.

The keys: a Punjab reader asks about Haryana's CM Window; Haryana's contributor and curator (the
owner side) see and answer it, Haryana's reader does not (readers ask, they do not answer for the
state), Kerala's contributor sees nothing of it, admins see everything.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kb.catalog import Catalog
from kb.settings import Settings
from search.api import create_app
from tests.api.conftest import bearer, both_catalogs, make_keys

pytestmark = both_catalogs
PROBLEM = "application/problem+json"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def keys(exchange_settings: Settings) -> dict[str, str]:
    made = make_keys(exchange_settings)
    with Catalog(exchange_settings.resolved_catalog_url()) as catalog:
        for name, role, state in (
            ("punjab_reader", "reader", "Punjab"),
            ("haryana_reader", "reader", "Haryana"),
            ("haryana_curator", "curator", "Haryana"),
            ("kerala", "contributor", "Kerala"),
            ("karnataka_curator", "curator", "Karnataka"),
        ):
            made[name] = catalog.create_key(role=role, states=[state])[1]
    return made


@pytest.fixture(scope="module")
def client(exchange_settings: Settings, keys: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(create_app(exchange_settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def asked(client: TestClient, keys: dict[str, str]) -> dict[str, Any]:
    """Punjab's reader asks Haryana about CM Window (the module's main request)."""
    response = client.post(
        "/v1/documents/haryana-cm-window/requests",
        json={"message": "How did you train the block staff?"},
        headers=bearer(keys["punjab_reader"]),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _inbox(client: TestClient, key: str, **params: Any) -> set[str]:
    response = client.get("/v1/requests", params=params, headers=bearer(key))
    assert response.status_code == 200, response.text
    return {r["id"] for r in response.json()["requests"]}


def _problem(response: Any, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert words in response.json()["detail"], response.json()


def test_any_key_asks_and_the_request_goes_to_the_owning_states(asked: dict[str, Any]) -> None:
    assert asked["states"] == ["Haryana"] and asked["asker_states"] == ["Punjab"]
    assert (asked["status"], asked["your_side"], asked["messages"]) == ("open", "asker", [])
    assert asked["message"] == "How did you train the block staff?" and asked["url"] == f"/v1/requests/{asked['id']}"


def test_the_inbox_shows_the_right_requests_to_the_right_keys(
    client: TestClient, keys: dict[str, str], asked: dict[str, Any]
) -> None:
    to_karnataka = client.post(
        "/v1/documents/kerala-karnataka-egov-mou/requests",
        json={"message": "Is the e-District integration live?"},
        headers=bearer(keys["haryana"]),
    ).json()["id"]
    mine = asked["id"]
    assert _inbox(client, keys["punjab_reader"]) == {mine}  # what it asked
    assert _inbox(client, keys["haryana"]) == {mine, to_karnataka}  # to its state, and what it asked
    assert _inbox(client, keys["haryana_curator"]) == {mine}
    assert _inbox(client, keys["haryana_reader"]) == set()  # readers do not answer for their state
    assert _inbox(client, keys["kerala"]) == {to_karnataka}  # Kerala is a party to the MoU
    assert _inbox(client, keys["karnataka_curator"]) == {to_karnataka}
    assert _inbox(client, keys["jk"]) == set()
    assert _inbox(client, keys["admin"]) >= {mine, to_karnataka}
    assert _inbox(client, keys["haryana"], document_id="haryana-cm-window") == {mine}
    for outsider in ("haryana_reader", "jk", "kerala"):  # not theirs: it does not exist for them
        _problem(client.get(f"/v1/requests/{mine}", headers=bearer(keys[outsider])), 404, "no request")
    assert client.get(f"/v1/requests/{mine}", headers=bearer(keys["haryana_curator"])).json()["your_side"] == "owner"


def test_an_owner_answers_the_asker_follows_up_and_closes(
    client: TestClient, keys: dict[str, str], asked: dict[str, Any]
) -> None:
    url = asked["url"]
    answered = client.post(f"{url}/messages", json={"body": "Two weeks at HIPA."}, headers=bearer(keys["haryana"]))
    assert answered.status_code == 201, answered.text
    assert answered.json()["status"] == "answered"
    assert [(m["side"], m["body"]) for m in answered.json()["messages"]] == [("owner", "Two weeks at HIPA.")]
    assert _inbox(client, keys["punjab_reader"], status="answered") == {asked["id"]}
    assert _inbox(client, keys["punjab_reader"], status="open") == set()
    follow_up = client.post(f"{url}/messages", json={"body": "Slides?"}, headers=bearer(keys["punjab_reader"]))
    assert follow_up.json()["status"] == "open"  # the asker writing again reopens it
    _problem(
        client.post(f"{url}/messages", json={"body": "x"}, headers=bearer(keys["haryana_reader"])), 404, "no request"
    )
    _problem(client.post(f"{url}/messages", json={"body": "x" * 5001}, headers=bearer(keys["haryana"])), 422, "body")
    _problem(client.post(f"{url}/messages", json={"body": ""}, headers=bearer(keys["haryana"])), 422, "body")
    again = client.post(f"{url}/messages", json={"body": "Sent by mail."}, headers=bearer(keys["haryana_curator"]))
    assert again.json()["status"] == "answered"
    thread = client.get(url, headers=bearer(keys["punjab_reader"])).json()
    assert [m["side"] for m in thread["messages"]] == ["owner", "asker", "owner"]
    _problem(client.post(f"{url}/close", headers=bearer(keys["kerala"])), 404, "no request")
    closed = client.post(f"{url}/close", headers=bearer(keys["punjab_reader"]))
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert client.post(f"{url}/close", headers=bearer(keys["haryana"])).json()["status"] == "closed"
    _problem(client.post(f"{url}/messages", json={"body": "late"}, headers=bearer(keys["haryana"])), 409, "closed")


def test_bad_requests_are_clear_problems_and_anonymous_callers_get_401(
    client: TestClient, keys: dict[str, str]
) -> None:
    ask = "/v1/documents/haryana-cm-window/requests"
    _problem(client.post(ask, json={"message": "x" * 5001}, headers=bearer(keys["jk"])), 422, "message")
    _problem(client.post(ask, json={"message": "   "}, headers=bearer(keys["jk"])), 422, "empty")
    _problem(client.post(ask, json={}, headers=bearer(keys["jk"])), 422, "message: required")
    _problem(
        client.post("/v1/documents/no-such/requests", json={"message": "?"}, headers=bearer(keys["jk"])), 404, "no-such"
    )
    _problem(client.get("/v1/requests", params={"status": "pending"}, headers=bearer(keys["jk"])), 422, "status")
    for method, path in (
        ("POST", ask),
        ("GET", "/v1/requests"),
        ("GET", "/v1/requests/abc"),
        ("POST", "/v1/requests/abc/messages"),
        ("POST", "/v1/requests/abc/close"),
        ("GET", "/v1/feeds/inbox.atom"),
    ):
        response = client.request(method, path, json={"message": "?", "body": "?"} if method == "POST" else None)
        _problem(response, 401, "API key")


def _feed(client: TestClient, key: str) -> list[dict[str, str]]:
    response = client.get("/v1/feeds/inbox.atom", headers=bearer(key))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    entries = []
    for entry in ET.fromstring(response.content).findall(f"{ATOM}entry"):
        category, link = entry.find(f"{ATOM}category"), entry.find(f"{ATOM}link")
        assert category is not None and link is not None
        entries.append(
            {
                "id": entry.findtext(f"{ATOM}id") or "",
                "title": entry.findtext(f"{ATOM}title") or "",
                "kind": category.get("term", ""),
                "link": link.get("href", ""),
            }
        )
    return entries


def test_the_inbox_feed_shows_each_key_its_own_news(
    client: TestClient, keys: dict[str, str], asked: dict[str, Any]
) -> None:
    adopted = client.post(
        "/v1/documents/haryana-cm-window/adoptions",
        json={"state": "Punjab", "status": "piloting"},
        headers=bearer(keys["punjab_reader"]),
    )
    assert adopted.status_code == 201
    haryana = _feed(client, keys["haryana"])
    kinds = {e["kind"] for e in haryana}
    assert {"request", "adoption"} <= kinds
    request_entry = next(e for e in haryana if e["id"] == f"urn:kb:request:{asked['id']}")
    assert request_entry["link"].endswith(asked["url"]) and request_entry["link"].startswith("http")
    assert any(e["kind"] == "adoption" and e["title"].startswith("Punjab is piloting") for e in haryana)
    punjab = _feed(client, keys["punjab_reader"])
    assert {e["kind"] for e in punjab} == {"reply"}  # the answers to its request, nothing else
    assert all(asked["id"] in e["id"] for e in punjab)
    assert _feed(client, keys["jk"]) == []  # nothing to or from J&K
    haryana_reader = _feed(client, keys["haryana_reader"])
    assert {e["kind"] for e in haryana_reader} == {"adoption"}  # its state's practice taken up; no requests
    texts = client.get("/v1/feeds/inbox.atom", headers=bearer(keys["haryana"])).text
    assert "How did you train" not in texts and "HIPA" not in texts  # no message texts in a feed
    assert {e["kind"] for e in _feed(client, keys["admin"])} == {"request", "adoption"}  # it asked nothing


def test_a_curators_feed_lists_submissions_waiting_for_review(
    client: TestClient, keys: dict[str, str], exchange_settings: Settings
) -> None:
    import json

    import sqlalchemy as sa

    from kb.catalog.tables import submissions

    with Catalog(exchange_settings.resolved_catalog_url()) as catalog, catalog.db.transaction() as conn:
        row = {
            "kind": "create",
            "key_id": "k",
            "blob_sha256": "0" * 64,
            "filename": "f.md",
            "request": "{}",
            "metadata": "{}",
            "preview": "[]",
            "created_at": "2030-01-01T00:00:00+00:00",
            "updated_at": "2030-01-01T00:00:00+00:00",
        }
        for sid, status, states in (
            ("s1", "submitted", ["Haryana"]),
            ("s2", "rejected", ["Haryana"]),
            ("s3", "submitted", ["Kerala"]),
        ):
            conn.execute(
                sa.insert(submissions).values(
                    id=sid,
                    document_id=f"doc-{sid}",
                    status=status,
                    title=f"Doc {sid}",
                    states=json.dumps(states),
                    **row,
                )
            )
    curator = [e for e in _feed(client, keys["haryana_curator"]) if e["kind"] == "submission"]
    assert [e["id"] for e in curator] == ["urn:kb:submission:s1"]
    assert [e for e in _feed(client, keys["haryana"]) if e["kind"] == "submission"] == []  # not a curator
    admin = {e["id"] for e in _feed(client, keys["admin"]) if e["kind"] == "submission"}
    assert admin == {"urn:kb:submission:s1", "urn:kb:submission:s3"}
