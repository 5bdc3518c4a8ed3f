"""Insights count what officials look for, correctly under concurrent searches, and store nobody.

Through the real app: searches over the API, the web and /v1/retrieve, document views and downloads;
then ``GET /v1/insights`` (curators and admins only), the ``/insights`` page with its SVG charts,
``kb insights --json`` and the rows themselves, which must hold no key, no key id and no address.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from kb.catalog import Catalog
from kb.catalog.tables import usage_events
from kb.settings import Settings
from search.api import create_app
from tests.api.conftest import bearer, both_catalogs, catalog_env
from tests.e2e.conftest import run_cli

pytestmark = [pytest.mark.slow, both_catalogs]
Used = tuple[TestClient, dict[str, str], Settings]  # the app, its keys, its deployment


@pytest.fixture(scope="module")
def used(api_settings: Settings) -> Iterator[Used]:
    with Catalog(api_settings.resolved_catalog_url()) as catalog:
        keys = {
            "curator": catalog.create_key(role="curator", states=["Haryana"])[1],
            "reader": catalog.create_key(role="reader", states=["Haryana"])[1],
        }
    with TestClient(create_app(api_settings)) as client:
        questions = ["grievance redressal"] * 12 + ["Land  Records online"] * 6 + ["zzqx vlorp"] * 4
        with ThreadPoolExecutor(max_workers=6) as pool:  # concurrent searches, none lost
            statuses = list(pool.map(lambda q: client.get("/v1/search", params={"q": q}).status_code, questions))
        assert set(statuses) == {200}
        client.get("/", params={"q": "grievance redressal"})  # the web's search page
        client.post("/v1/retrieve", json={"query": "grievance redressal"}, headers=bearer(keys["reader"]))
        listed = client.get("/v1/documents").json()["documents"]
        document_id = listed[0]["id"]
        for _ in range(3):
            client.get(f"/v1/documents/{document_id}", headers=bearer(keys["reader"]))
        client.get(f"/documents/{document_id}")
        client.get(f"/v1/documents/{document_id}/file")
        yield client, keys, api_settings


def test_searches_views_and_downloads_are_counted(used: Used) -> None:
    client, keys, _ = used
    response = client.get("/v1/insights", headers=bearer(keys["curator"]))
    assert response.status_code == 200, response.text
    body = response.json()
    top = {q["query"]: q["searches"] for q in body["top_queries"]}
    assert top["grievance redressal"] == 12 + 1 + 1  # API, web and retrieve
    assert top["land records online"] == 6  # normalised: lower case, one space
    assert body["totals"]["view"] == 4 and body["totals"]["download"] == 1
    assert body["documents"][0]["views"] == 4 and body["documents"][0]["downloads"] == 1
    assert "zzqx vlorp" in {q["query"] for q in body["content_gaps"]}
    assert "grievance redressal" not in {q["query"] for q in body["content_gaps"]}


def test_insights_are_for_curators(used: Used) -> None:
    client, keys, _ = used
    assert client.get("/v1/insights").status_code == 401
    assert client.get("/v1/insights", headers=bearer(keys["reader"])).status_code == 403
    assert client.post("/insights", data={"key": keys["reader"]}).status_code == 403
    page = client.post("/insights", data={"key": keys["curator"], "days": "30"})
    assert page.status_code == 200 and "<svg" in page.text and "grievance redressal" in page.text
    assert keys["curator"] not in page.text  # the key is never echoed back


def test_nothing_personal_is_stored_and_the_cli_reads_the_same(used: Used) -> None:
    client, keys, settings = used
    client.get("/v1/insights", headers=bearer(keys["curator"]))  # flushes the queue
    with Catalog(settings.resolved_catalog_url()) as catalog:
        rows = catalog.db.query(sa.select(usage_events))
        key_ids = [k.id for k in catalog.list_keys()]
    assert set(rows[0].keys()) == {
        "seq",
        "at",
        "kind",
        "surface",
        "query",
        "filters",
        "results",
        "matched",
        "document_id",
    }
    stored = json.dumps([dict(r) for r in rows])
    for secret in [*keys.values(), *key_ids, "testclient", "127.0.0.1"]:
        assert secret not in stored
    result = run_cli("insights", "--json", "--kb-dir", str(settings.kb_dir), env=catalog_env(settings))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["totals"]["download"] == 1
