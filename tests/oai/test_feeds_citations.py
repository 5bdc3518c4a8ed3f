"""Atom feeds (parsed and checked for what Atom requires), version pages and citations."""

from __future__ import annotations

import json
from urllib.parse import unquote

from fastapi.testclient import TestClient
from lxml import etree, html

from tests.oai.conftest import LIVE, WITHDRAWN

ATOM = "{http://www.w3.org/2005/Atom}"


def feed(client: TestClient, url: str) -> etree._Element:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = etree.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):  # RFC 4287 4.1.1 (author: here on the feed)
        assert root.find(f"{ATOM}{required}") is not None, required
    assert root.find(f"{ATOM}link[@rel='self']") is not None
    for entry in root.findall(f"{ATOM}entry"):
        for required in ("id", "title", "updated"):
            assert (entry.findtext(f"{ATOM}{required}") or "").strip(), required
        # a link without rel is rel="alternate" (RFC 4287 4.2.7.2; feedgen leaves the default out)
        pages = [e for e in entry.findall(f"{ATOM}link") if e.get("rel", "alternate") == "alternate"]
        assert pages and str(pages[0].get("href")).startswith("http://testserver/documents/")
    return root


def entry_ids(root: etree._Element) -> list[str]:
    return [str(e.findtext(f"{ATOM}id")).rsplit("/", 1)[1] for e in root.findall(f"{ATOM}entry")]


def test_practices_feed_with_filters_and_query(oai_client: TestClient) -> None:
    everything = feed(oai_client, "/feeds/practices.atom")
    assert set(entry_ids(everything)) == LIVE and WITHDRAWN not in entry_ids(everything)
    narrowed = feed(oai_client, "/feeds/practices.atom?state=Haryana&sector=citizen_services")
    assert entry_ids(narrowed) == ["haryana-saral-report"]
    assert "Haryana" in str(narrowed.findtext(f"{ATOM}title"))
    found = feed(oai_client, "/feeds/practices.atom?q=land+records+from+a+kiosk")
    assert entry_ids(found)[0] == "karnataka-bhoomi"
    assert oai_client.get("/feeds/practices.atom?sector=helth").status_code == 400


def test_state_feeds(oai_client: TestClient) -> None:
    assert sorted(entry_ids(feed(oai_client, "/feeds/states/Haryana.atom"))) == [
        "haryana-cm-window",
        "haryana-saral-report",
    ]
    assert entry_ids(feed(oai_client, "/feeds/states/Jammu%20and%20Kashmir.atom")) == []
    assert oai_client.get("/feeds/states/Atlantis.atom").status_code == 404


def alternates(client: TestClient, url: str) -> list[str]:
    page = html.fromstring(client.get(url).text)
    return [
        unquote(str(e.get("href"))) for e in page.xpath("//head/link[@rel='alternate'][@type='application/atom+xml']")
    ]


def test_pages_link_their_feeds(oai_client: TestClient) -> None:
    assert alternates(oai_client, "/?q=grievance&state=Haryana") == ["/feeds/practices.atom?q=grievance&state=Haryana"]
    assert alternates(oai_client, "/browse") == ["/feeds/practices.atom"]
    assert alternates(oai_client, "/documents/kerala-karnataka-egov-mou") == [
        "/feeds/states/Kerala.atom",
        "/feeds/states/Karnataka.atom",
    ]


def test_version_page_and_citations(oai_client: TestClient) -> None:
    page = oai_client.get("/documents/haryana-cm-window/versions/1")
    assert page.status_code == 200
    assert "http://testserver/documents/haryana-cm-window/versions/1" in page.text
    assert "This is the current version" in page.text
    assert oai_client.get("/documents/haryana-cm-window/versions/9").status_code == 404
    assert oai_client.get(f"/documents/{WITHDRAWN}/versions/1").status_code == 404

    text = oai_client.get("/documents/haryana-cm-window/citation.txt")
    assert text.headers["content-disposition"].startswith("attachment")
    assert "CM Window grievance redressal" in text.text
    assert "http://testserver/documents/haryana-cm-window/versions/1" in text.text
    csl = oai_client.get("/documents/haryana-cm-window/citation.json?version=1")
    assert csl.headers["content-type"].startswith("application/vnd.citationstyles.csl+json")
    [item] = json.loads(csl.text)
    assert item["title"] == "CM Window grievance redressal"
    assert item["URL"].endswith("/documents/haryana-cm-window/versions/1")
    assert {"literal": "Haryana"} in item["author"]
    assert item["issued"]["date-parts"][0][0] > 1947

    document = oai_client.get("/documents/haryana-cm-window").text
    assert "Cite this document" in document and "/documents/haryana-cm-window/citation.json" in document
