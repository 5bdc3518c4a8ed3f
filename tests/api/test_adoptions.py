"""Adoptions over the API: who records which state's adoption, history, listings, the document's page.

One app over a copy of the exchange fixtures' KB for the whole module (keys of several roles and
states made before it starts); tests build on each other's adoptions only where they say so.
"""

from __future__ import annotations

import math
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
PRACTICE = "/v1/documents/haryana-cm-window"


@pytest.fixture(scope="module")
def keys(exchange_settings: Settings) -> dict[str, str]:
    made = make_keys(exchange_settings)
    with Catalog(exchange_settings.resolved_catalog_url()) as catalog:
        made["punjab_reader"] = catalog.create_key(role="reader", states=["Punjab"])[1]
        made["kerala"] = catalog.create_key(role="contributor", states=["Kerala"])[1]
    return made


@pytest.fixture(scope="module")
def client(exchange_settings: Settings, keys: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(create_app(exchange_settings)) as test_client:
        yield test_client


def _adopt(client: TestClient, key: str | None, body: dict[str, Any], path: str = PRACTICE) -> Any:
    headers = bearer(key) if key else {}
    return client.post(f"{path}/adoptions", json=body, headers=headers)


def _problem(response: Any, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert words in response.json()["detail"], response.json()


def test_a_reader_of_punjab_records_punjabs_adoption_and_its_history(client: TestClient, keys: dict[str, str]) -> None:
    body = {"state": "Punjab", "status": "exploring", "note": "Study visit", "contact": "dit@punjab.gov.in"}
    created = _adopt(client, keys["punjab_reader"], body)
    assert created.status_code == 201, created.text
    adoption = created.json()
    assert created.headers["location"] == f"{PRACTICE}/adoptions"
    assert (adoption["state"], adoption["status"], adoption["document_id"]) == (
        "Punjab",
        "exploring",
        "haryana-cm-window",
    )
    assert adoption["contact"] == "dit@punjab.gov.in" and adoption["since"] == adoption["created_at"]
    assert [h["status"] for h in adoption["history"]] == ["exploring"]

    changed = _adopt(client, keys["punjab_reader"], {"state": "punjab", "status": "piloting", "note": "Two districts"})
    assert changed.status_code == 200, changed.text  # the same adoption, changed
    after = changed.json()
    assert after["id"] == adoption["id"] and after["status"] == "piloting" and after["note"] == "Two districts"
    assert after["contact"] == "dit@punjab.gov.in"  # not sent: kept
    assert [(h["status"], h["note"]) for h in after["history"]] == [
        ("exploring", "Study visit"),
        ("piloting", "Two districts"),
    ]
    assert all(h["actor"].startswith("key:") for h in after["history"])

    again = _adopt(client, keys["punjab_reader"], {"state": "Punjab", "status": "piloting", "note": "Two districts"})
    assert again.status_code == 200 and len(again.json()["history"]) == 2  # a retry adds no step

    listed = client.get(f"{PRACTICE}/adoptions").json()
    assert [a["state"] for a in listed["adoptions"]] == ["Punjab"]
    assert listed["adoptions"][0]["history"] == after["history"]
    audit = client.get("/v1/audit", params={"document_id": "haryana-cm-window"}, headers=bearer(keys["admin"])).json()
    recorded = [e for e in audit if e["action"] == "adoption_record"]
    assert [e["detail"]["status"] for e in recorded] == ["piloting", "exploring"]


def test_only_keys_of_the_adopting_state_or_admins_record_it(client: TestClient, keys: dict[str, str]) -> None:
    body = {"state": "Punjab", "status": "adopted"}
    _problem(_adopt(client, keys["haryana"], body), 403, "only keys of Punjab")
    _problem(_adopt(client, keys["kerala"], body), 403, "this key is of Kerala")
    _problem(_adopt(client, None, body), 401, "API key")
    _problem(_adopt(client, "kbk_wrong_key", body), 401, "not valid")
    by_admin = _adopt(client, keys["admin"], {"state": "Goa", "status": "exploring"})
    assert by_admin.status_code == 201 and by_admin.json()["state"] == "Goa"
    kerala = _adopt(
        client, keys["kerala"], {"state": "Kerala", "status": "adopted"}, path="/v1/documents/karnataka-bhoomi"
    )
    assert kerala.status_code == 201


def test_a_state_cannot_adopt_its_own_practice_and_bad_input_is_a_clear_problem(
    client: TestClient, keys: dict[str, str]
) -> None:
    _problem(_adopt(client, keys["haryana"], {"state": "Haryana", "status": "adopted"}), 422, "Haryana's own practice")
    _problem(_adopt(client, keys["admin"], {"state": "Haryana", "status": "adopted"}), 422, "own practice")
    _problem(_adopt(client, keys["admin"], {"state": "Punjab", "status": "copied"}), 422, "exploring, piloting")
    _problem(_adopt(client, keys["admin"], {"state": "Panjab", "status": "adopted"}), 422, "did you mean 'Punjab'")
    _problem(_adopt(client, keys["admin"], {"state": "Punjab", "status": "adopted", "who": 1}), 422, "unknown field")
    _problem(_adopt(client, keys["admin"], {"state": "Punjab", "status": "adopted", "note": "x" * 2001}), 422, "note")
    missing = _adopt(client, keys["admin"], {"state": "Punjab", "status": "adopted"}, path="/v1/documents/no-such")
    _problem(missing, 404, "no-such")
    write_up = {"state": "Punjab", "status": "adopted", "document_id": "punjab-own-write-up"}
    _problem(_adopt(client, keys["punjab_reader"], write_up), 422, "no document with id 'punjab-own-write-up'")
    _problem(_adopt(client, keys["punjab_reader"], {**write_up, "document_id": "haryana-cm-window"}), 422, "itself")


def test_the_adopters_write_up_is_linked(client: TestClient, keys: dict[str, str]) -> None:
    body = {"state": "Kerala", "status": "piloting", "document_id": "kerala-karnataka-egov-mou"}
    linked = _adopt(client, keys["kerala"], body, path="/v1/documents/haryana-saral-report")
    assert linked.status_code == 201 and linked.json()["adopter_document_id"] == "kerala-karnataka-egov-mou"


def test_the_document_lists_its_adoptions_and_contacts_only_for_keyed_callers(
    client: TestClient, keys: dict[str, str]
) -> None:
    _adopt(client, keys["punjab_reader"], {"state": "Punjab", "status": "piloting", "contact": "dit@punjab.gov.in"})
    anonymous = client.get(PRACTICE).json()["adoptions"]
    keyed = client.get(PRACTICE, headers=bearer(keys["kerala"])).json()["adoptions"]
    punjab = next(a for a in keyed if a["state"] == "Punjab")
    assert set(punjab) == {"state", "status", "since", "updated_at", "note", "adopter_document_id", "contact"}
    assert punjab["status"] == "piloting" and punjab["contact"] == "dit@punjab.gov.in"
    assert {a["state"] for a in anonymous} == {a["state"] for a in keyed}
    assert all(a["contact"] is None for a in anonymous)
    assert all(a["contact"] is None for a in client.get(f"{PRACTICE}/adoptions").json()["adoptions"])
    assert client.get("/v1/documents/odisha-cyber-guideline").json()["adoptions"] == []


def test_adoptions_are_listed_newest_first_with_filters_and_paging(client: TestClient, keys: dict[str, str]) -> None:
    _adopt(client, keys["kerala"], {"state": "Kerala", "status": "dropped", "note": "no budget"})
    everything = client.get("/v1/adoptions", params={"limit": 200}).json()
    stamps = [(a["updated_at"]) for a in everything["adoptions"]]
    assert everything["total"] == len(everything["adoptions"]) >= 4 and stamps == sorted(stamps, reverse=True)
    assert everything["adoptions"][0]["state"] == "Kerala"  # the latest change
    punjab = client.get("/v1/adoptions", params={"state": "Punjab"}).json()
    assert punjab["total"] == 1 and punjab["adoptions"][0]["document_id"] == "haryana-cm-window"
    dropped = client.get("/v1/adoptions", params={"status": "dropped"}).json()["adoptions"]
    assert [(a["state"], a["document_id"]) for a in dropped] == [("Kerala", "haryana-cm-window")]
    of_one = client.get("/v1/adoptions", params={"document_id": "karnataka-bhoomi"}).json()
    assert [a["state"] for a in of_one["adoptions"]] == ["Kerala"]
    page = client.get("/v1/adoptions", params={"limit": 1, "offset": 1}).json()
    assert page["total"] == everything["total"] and page["adoptions"] == everything["adoptions"][1:2]
    assert client.get("/v1/adoptions", params={"status": "copied"}).status_code == 422
    _problem(client.get("/v1/adoptions", params={"state": "Atlantis"}), 400, "not a state")
    _problem(client.get("/v1/adoptions", params={"document_id": "no-such"}), 404, "no-such")


def test_adoptions_of_a_withdrawn_practice_are_gone_for_readers(client: TestClient, keys: dict[str, str]) -> None:
    assert (
        _adopt(
            client,
            keys["punjab_reader"],
            {"state": "Punjab", "status": "exploring"},
            path="/v1/documents/odisha-cyber-guideline",
        ).status_code
        == 201
    )
    assert client.delete("/v1/documents/odisha-cyber-guideline", headers=bearer(keys["admin"])).status_code == 200
    listed = client.get("/v1/adoptions", params={"state": "Punjab"}, headers=bearer(keys["punjab_reader"])).json()
    assert [a["document_id"] for a in listed["adoptions"]] == ["haryana-cm-window"]
    by_admin = client.get("/v1/adoptions", params={"state": "Punjab"}, headers=bearer(keys["admin"])).json()
    assert {a["document_id"] for a in by_admin["adoptions"]} == {"haryana-cm-window", "odisha-cyber-guideline"}
    assert client.get("/v1/documents/odisha-cyber-guideline/adoptions").status_code == 404


def test_adopted_by_filters_search_and_listings_to_practices_taken_up(client: TestClient, keys: dict[str, str]) -> None:
    # by now Kerala adopted Bhoomi, pilots the SARAL report and dropped CM Window (tests above)
    taken_up = {"karnataka-bhoomi", "haryana-saral-report"}
    found = client.get("/v1/search", params={"q": "services for citizens", "adopted_by": "Kerala", "top_k": 20})
    assert found.status_code == 200, found.text
    assert {r["document_id"] for r in found.json()["results"]} == taken_up
    unfiltered = client.get("/v1/search", params={"q": "services for citizens", "top_k": 20}).json()
    assert len(unfiltered["results"]) > len(taken_up)
    listed = client.get("/v1/documents", params={"adopted_by": "kerala"}).json()
    assert listed["total"] == 2 and {d["id"] for d in listed["documents"]} == taken_up
    combined = client.get("/v1/documents", params={"adopted_by": "Kerala", "state": "Karnataka"}).json()
    assert [d["id"] for d in combined["documents"]] == ["karnataka-bhoomi"]
    none = client.get("/v1/search", params={"q": "land records", "adopted_by": "Sikkim"}).json()
    assert none["total"] == 0 and none["results"] == []
    assert client.get("/v1/documents", params={"adopted_by": "Sikkim"}).json()["total"] == 0
    _problem(client.get("/v1/search", params={"q": "land", "adopted_by": "Atlantis"}), 400, "not a state")
    _problem(client.get("/v1/documents", params={"adopted_by": "Keralla"}), 400, "did you mean 'Kerala'")


def test_the_adoption_boost_lifts_practices_taken_up_and_is_off_by_default(client: TestClient) -> None:
    searcher = client.app.state.searcher  # type: ignore[attr-defined]
    params: dict[str, str | int] = {"q": "cyber security guideline", "top_k": 20}
    plain = client.get("/v1/search", params=params).json()["results"]
    counts = client.app.state.catalog.adoption_counts()  # type: ignore[attr-defined]
    assert counts.get("karnataka-bhoomi") == 1 and counts.get("haryana-cm-window") == 2  # Kerala's is dropped
    original = searcher.settings
    try:
        searcher.settings = original.model_copy(update={"adoption_boost": 1.0})
        boosted = client.get("/v1/search", params=params).json()["results"]
    finally:
        searcher.settings = original
    expected = {r["document_id"]: r["score"] * (1 + math.log1p(counts.get(r["document_id"], 0))) for r in plain}
    assert {r["document_id"]: r["score"] for r in boosted} == pytest.approx(expected, rel=1e-4)
    assert [r["document_id"] for r in boosted] == sorted(expected, key=lambda d: expected[d], reverse=True)
    assert [r["document_id"] for r in boosted] != [r["document_id"] for r in plain]  # the order did change
    assert client.get("/v1/search", params=params).json()["results"] == plain  # off again: as before
