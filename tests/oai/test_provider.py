"""OAI-PMH provider through the real app: every response valid against the schemas, every error code."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from tests.conftest import FIXTURES
from tests.oai.conftest import DC, LIVE, OAI, WITHDRAWN, valid


def oai(client: TestClient, **params: str) -> etree._Element:
    response = client.get("/oai", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    return valid(response.content)


def error_code(root: etree._Element) -> str:
    error = root.find(f"{OAI}error")
    assert error is not None, etree.tostring(root)
    return str(error.get("code"))


def test_identify(oai_client: TestClient) -> None:
    root = oai(oai_client, verb="Identify")
    identify = root.find(f"{OAI}Identify")
    assert identify is not None
    assert identify.findtext(f"{OAI}baseURL") == "http://testserver/oai"
    assert identify.findtext(f"{OAI}deletedRecord") == "persistent"
    assert identify.findtext(f"{OAI}granularity") == "YYYY-MM-DDThh:mm:ssZ"
    assert root.find(f"{OAI}request").get("verb") == "Identify"  # type: ignore[union-attr]


def test_metadata_formats_and_sets(oai_client: TestClient) -> None:
    formats = oai(oai_client, verb="ListMetadataFormats")
    assert [e.text for e in formats.iter(f"{OAI}metadataPrefix")] == ["oai_dc", "exchange_json"]
    specs = {e.text for e in oai(oai_client, verb="ListSets").iter(f"{OAI}setSpec")}
    assert {"state", "state:Haryana", "state:Jammu_and_Kashmir", "sector:health", "type:case_study"} <= specs
    known = oai(oai_client, verb="ListMetadataFormats", identifier="oai:exchange.test:haryana-cm-window")
    assert known.find(f"{OAI}ListMetadataFormats") is not None
    unknown = oai(oai_client, verb="ListMetadataFormats", identifier="oai:exchange.test:nope")
    assert error_code(unknown) == "idDoesNotExist"


def harvest(client: TestClient, verb: str, **params: str) -> tuple[list[etree._Element], list[etree._Element]]:
    """Follow resumption tokens to the end; returns the items and the token elements seen."""
    items: list[etree._Element] = []
    tokens: list[etree._Element] = []
    root = oai(client, verb=verb, **{"metadataPrefix": "oai_dc", **params})
    while True:
        body = root.find(f"{OAI}{verb}")
        assert body is not None, etree.tostring(root)
        items += body.findall(f"{OAI}record" if verb == "ListRecords" else f"{OAI}header")
        token = body.find(f"{OAI}resumptionToken")
        if token is None or not token.text:
            if token is not None:
                tokens.append(token)
            return items, tokens
        tokens.append(token)
        root = oai(client, verb=verb, resumptionToken=token.text)


def test_list_records_pages_with_resumption_tokens(oai_client: TestClient) -> None:
    records, tokens = harvest(oai_client, "ListRecords")
    ids = [r.findtext(f"{OAI}header/{OAI}identifier") for r in records]
    assert sorted(ids) == sorted(f"oai:exchange.test:{i}" for i in {*LIVE, WITHDRAWN})  # type: ignore[type-var]
    assert [(t.get("cursor"), t.get("completeListSize")) for t in tokens] == [("0", "5"), ("2", "5"), ("4", "5")]
    assert tokens[-1].text is None  # the last page carries an empty token
    datestamps = [r.findtext(f"{OAI}header/{OAI}datestamp") for r in records]
    assert datestamps == sorted(datestamps)  # type: ignore[type-var]


def test_deleted_record_for_a_withdrawn_document(oai_client: TestClient) -> None:
    root = oai(oai_client, verb="GetRecord", metadataPrefix="oai_dc", identifier=f"oai:exchange.test:{WITHDRAWN}")
    header = root.find(f"{OAI}GetRecord/{OAI}record/{OAI}header")
    assert header is not None and header.get("status") == "deleted"
    assert root.find(f"{OAI}GetRecord/{OAI}record/{OAI}metadata") is None
    assert "state:Odisha" in [e.text for e in header.findall(f"{OAI}setSpec")]  # harvesters of the set learn too
    headers, _ = harvest(oai_client, "ListIdentifiers", set="state:Odisha")
    assert [h.get("status") for h in headers] == ["deleted"]


def test_dublin_core_of_a_record(oai_client: TestClient) -> None:
    root = oai(oai_client, verb="GetRecord", metadataPrefix="oai_dc", identifier="oai:exchange.test:haryana-cm-window")
    dc = root.find(f"{OAI}GetRecord/{OAI}record/{OAI}metadata/{{http://www.openarchives.org/OAI/2.0/oai_dc/}}dc")
    assert dc is not None

    def values(tag: str) -> list[str]:
        return [e.text or "" for e in dc.findall(f"{DC}{tag}")]

    assert values("title") == ["CM Window grievance redressal"]
    assert "Haryana" in values("creator")
    assert values("subject")[0] == "grievance redressal"
    assert values("description") and values("description")[0]
    assert "http://testserver/documents/haryana-cm-window" in values("identifier")
    assert any("/v1/documents/haryana-cm-window/file?version=" in v for v in values("identifier"))
    assert values("type") == ["Text", "case_study"]
    assert values("language") == ["en"]
    header = root.find(f"{OAI}GetRecord/{OAI}record/{OAI}header")
    assert [e.text for e in header.findall(f"{OAI}setSpec")] == [  # type: ignore[union-attr]
        "state:Haryana",
        "sector:grievance_redressal",
        "type:case_study",
    ]


EXCHANGE = "{urn:egov-practice-exchange:oai:exchange_json:1}document"


def test_exchange_json_carries_the_full_public_metadata_and_the_file(oai_client: TestClient) -> None:
    schema = oai_client.get("/oai/exchange_json.xsd")
    assert schema.status_code == 200
    assert schema.text == (FIXTURES / "oai" / "exchange_json.xsd").read_text()  # the copy tests validate with
    identifier = "oai:exchange.test:haryana-cm-window"
    root = oai(oai_client, verb="GetRecord", metadataPrefix="exchange_json", identifier=identifier)
    body = json.loads(root.findtext(f"{OAI}GetRecord/{OAI}record/{OAI}metadata/{EXCHANGE}") or "")
    document = oai_client.get("/v1/documents/haryana-cm-window").json()
    assert body["id"] == "haryana-cm-window"
    assert body["version"] == document["version"]
    assert body["metadata"]["sector"] == "grievance_redressal" and body["metadata"]["states"] == ["Haryana"]
    assert "contact" not in body["metadata"]  # records go to other machines: no officials' contacts
    file = oai_client.get(body["file"]["url"])
    assert file.status_code == 200
    assert hashlib.sha256(file.content).hexdigest() == body["file"]["sha256"]
    assert len(file.content) == body["file"]["size_bytes"]
    records, _ = harvest(oai_client, "ListRecords", metadataPrefix="exchange_json")
    assert len(records) == len(LIVE) + 1
    deleted = [r for r in records if r.find(f"{OAI}header").get("status") == "deleted"]
    assert len(deleted) == 1 and deleted[0].find(f"{OAI}metadata") is None


def test_sets_and_dates_select(oai_client: TestClient) -> None:
    haryana, _ = harvest(oai_client, "ListIdentifiers", set="state:Haryana")
    assert {h.findtext(f"{OAI}identifier") for h in haryana} == {
        "oai:exchange.test:haryana-cm-window",
        "oai:exchange.test:haryana-saral-report",
    }
    mous, _ = harvest(oai_client, "ListIdentifiers", set="type:mou")
    assert len(mous) == 1
    today = dt.datetime.now(dt.UTC).date()
    everything, _ = harvest(oai_client, "ListIdentifiers", until=f"{today}")
    assert len(everything) == 5
    tomorrow = today + dt.timedelta(days=1)
    assert error_code(oai(oai_client, verb="ListRecords", metadataPrefix="oai_dc", **{"from": f"{tomorrow}"})) == (
        "noRecordsMatch"
    )
    seconds, _ = harvest(oai_client, "ListIdentifiers", **{"from": "2000-01-01T00:00:00Z"})
    assert len(seconds) == 5
    assert error_code(oai(oai_client, verb="ListRecords", metadataPrefix="oai_dc", set="state:Nowhere")) == (
        "noRecordsMatch"
    )


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "badVerb"),
        ({"verb": "Harvest"}, "badVerb"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "Identify", "set": "x"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "yesterday"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-02-30"}, "badArgument"),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-05-02", "until": "2024-05-01"},
            "badArgument",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-05-01", "until": "2024-05-02T00:00:00Z"},
            "badArgument",
        ),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "state Haryana"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
        (
            {"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "oai:elsewhere:haryana-cm-window"},
            "idDoesNotExist",
        ),
        (
            {"verb": "GetRecord", "metadataPrefix": "marc21", "identifier": "oai:exchange.test:x"},
            "cannotDisseminateFormat",
        ),
        ({"verb": "ListRecords", "resumptionToken": "not-a-token"}, "badResumptionToken"),
        ({"verb": "ListRecords", "resumptionToken": "abc", "metadataPrefix": "oai_dc"}, "badArgument"),
    ],
)
def test_error_codes(oai_client: TestClient, params: dict[str, str], code: str) -> None:
    root = oai(oai_client, **params)
    assert error_code(root) == code
    request = root.find(f"{OAI}request")
    assert request is not None
    if code in ("badVerb", "badArgument"):
        assert dict(request.attrib) == {}  # spec 3.2: no attributes echoed after these errors


def test_repeated_argument_and_token_of_another_verb(oai_client: TestClient) -> None:
    response = oai_client.get("/oai?verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=oai_dc")
    assert error_code(valid(response.content)) == "badArgument"
    _, tokens = harvest(oai_client, "ListIdentifiers")
    assert error_code(oai(oai_client, verb="ListRecords", resumptionToken=str(tokens[0].text))) == "badResumptionToken"


def test_post_is_the_same_as_get(oai_client: TestClient) -> None:
    response = oai_client.post(
        "/oai",
        content="verb=GetRecord&metadataPrefix=oai_dc&identifier=oai%3Aexchange.test%3Akarnataka-bhoomi",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    root = valid(response.content)
    assert root.findtext(f"{OAI}GetRecord/{OAI}record/{OAI}header/{OAI}identifier") == (
        "oai:exchange.test:karnataka-bhoomi"
    )
