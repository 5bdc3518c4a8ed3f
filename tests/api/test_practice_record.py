"""The practice record over the API: contacts only for callers with a key, status and owner in
results and citations, and case-study shape warnings in the upload's job."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kb.settings import Settings
from search.api import create_app
from search.services.redaction import contact_available, contact_line, redact_metadata
from tests.api.conftest import bearer, make_keys, wait_for_job
from tests.e2e.conftest import run_cli

EMAIL = "sewa-desk@revenue.hry.example.in"
PHONE = "+91 172 270 1234"
CASE_STUDY = f"""---
id: haryana-sewa-desk
title: Sewa desks for mutation of land records
type: case_study
states: [Haryana]
sector: land_records
year: 2019
owner: Revenue Department, Haryana
contact:
  name: Sewa Desk Cell
  role: Nodal officer, e-Disha
  email: {EMAIL}
  phone: "{PHONE}"
status: scaled
started: 2017
scale: all 22 districts
building_blocks: [registration, workflow, payments]
---
# Sewa desks for mutation of land records

## Summary

Tehsil sewa desks take mutation applications for agricultural land on one form and track them to the
revenue record.

## Problem

Mutations of inherited farmland waited months in patwari registers with no receipt.

## What was done

Each application gets a number at the sewa desk and moves through a workflow to the circle revenue officer.

## Results

Pending mutations fell and applicants see where their case stands.

## What it takes to replicate

A digitised register of rights, trained desk operators and a fee collection counter.
"""
NOTE = "# Anganwadi supply ledger\n\nEach anganwadi centre records its monthly ration receipts in a shared ledger.\n"


@pytest.fixture(scope="module")
def practice_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = tmp_path_factory.mktemp("practice-corpus")
    (corpus / "haryana-sewa-desk.md").write_text(CASE_STUDY)
    kb_dir = tmp_path_factory.mktemp("practice") / "kb"
    result = run_cli("ingest", str(corpus), "--kb-dir", str(kb_dir), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["documents"][0]["warnings"] == []  # the full shape and record: nothing to say
    return kb_dir


@pytest.fixture(scope="module")
def keys(practice_kb: Path) -> dict[str, str]:
    return make_keys(practice_kb)


@pytest.fixture(scope="module")
def client(practice_kb: Path, keys: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(kb_dir=practice_kb))) as test_client:
        yield test_client


def assert_no_contact_in(text: str) -> None:
    assert EMAIL not in text and PHONE not in text and "Nodal officer" not in text


def test_anonymous_readers_see_that_a_contact_exists_but_not_the_contact(client: TestClient) -> None:
    response = client.get("/v1/documents/haryana-sewa-desk")
    assert response.status_code == 200
    body = response.json()
    assert body["metadata"]["contact"] is None and body["contact_available"] is True
    assert body["metadata"]["owner"] == "Revenue Department, Haryana"
    assert body["metadata"]["building_blocks"] == ["registration", "workflow", "payments"]
    assert (body["metadata"]["started"], body["metadata"]["scale"]) == (2017, "all 22 districts")
    assert_no_contact_in(response.text)


def test_callers_with_a_key_see_the_contact(client: TestClient, keys: dict[str, str]) -> None:
    for key in (keys["jk"], keys["admin"]):  # any key, not only the owning state's
        body = client.get("/v1/documents/haryana-sewa-desk", headers=bearer(key)).json()
        assert body["contact_available"] is True
        assert body["metadata"]["contact"] == {
            "name": "Sewa Desk Cell",
            "role": "Nodal officer, e-Disha",
            "email": EMAIL,
            "phone": PHONE,
        }


def test_a_wrong_key_is_refused_rather_than_treated_as_anonymous(client: TestClient) -> None:
    response = client.get("/v1/documents/haryana-sewa-desk", headers=bearer("kbk_not_a_key"))
    assert response.status_code == 401
    assert_no_contact_in(response.text)


def test_search_results_carry_status_and_owner_but_never_the_contact(client: TestClient, keys: dict[str, str]) -> None:
    for headers in ({}, bearer(keys["haryana"])):
        response = client.get("/v1/search", params={"q": "mutation applications at tehsil desks"}, headers=headers)
        (result,) = [r for r in response.json()["results"] if r["document_id"] == "haryana-sewa-desk"]
        assert (result["status"], result["owner"]) == ("scaled", "Revenue Department, Haryana")
        assert_no_contact_in(response.text)
    listing = client.get("/v1/documents")
    assert listing.status_code == 200 and "haryana-sewa-desk" in listing.text
    assert_no_contact_in(listing.text)


def test_retrieve_citations_carry_status_and_owner_but_never_the_contact(client: TestClient) -> None:
    response = client.post("/v1/retrieve", json={"query": "how were mutation applications tracked", "max_tokens": 400})
    assert response.status_code == 200
    citations = [p["citation"] for p in response.json()["passages"]]
    assert citations and all(c["document_id"] == "haryana-sewa-desk" for c in citations)
    assert {(c["status"], c["owner"]) for c in citations} == {("scaled", "Revenue Department, Haryana")}
    assert_no_contact_in(response.text)


def test_oai_pmh_records_never_carry_contacts(client: TestClient) -> None:
    response = client.get("/oai", params={"verb": "ListRecords", "metadataPrefix": "oai_dc"})
    assert response.status_code == 200 and "haryana-sewa-desk" in response.text
    assert "Revenue Department, Haryana" in response.text  # the owner is the creator an official cites
    assert_no_contact_in(response.text)


def upload(client: TestClient, key: str, meta: dict[str, object], text: str) -> dict[str, object]:
    response = client.post(
        "/v1/documents",
        files={"file": ("upload.md", text.encode())},
        data={"metadata": json.dumps(meta)},
        headers=bearer(key),
    )
    assert response.status_code == 202, response.text
    return wait_for_job(client, response.json(), bearer(key))


def test_an_upload_job_shows_the_contributor_what_the_case_study_lacks(
    client: TestClient, keys: dict[str, str]
) -> None:
    meta = {"id": "haryana-supply-ledger", "type": "case_study", "states": ["Haryana"], "sector": "social_welfare"}
    job = upload(client, keys["haryana"], meta, NOTE)
    assert job["status"] == "done", job  # accepted: warnings, not a refusal
    warnings = job["detail"]["warnings"]
    assert [w.split("'")[1] for w in warnings if w.startswith("case study has no")] == [
        "Summary",
        "Problem",
        "What was done",
        "Results",
        "What it takes to replicate",
    ]
    assert any("names no owner" in w for w in warnings) and any("names no contact" in w for w in warnings)
    assert client.get(str(job["url"]), headers=bearer(keys["haryana"])).json()["detail"]["warnings"] == warnings

    other = upload(client, keys["haryana"], {**meta, "id": "haryana-supply-ledger-note", "type": "report"}, NOTE)
    assert other["status"] == "done" and other["detail"]["warnings"] == []


def test_invalid_practice_fields_are_refused_with_the_fix(client: TestClient, keys: dict[str, str]) -> None:
    meta = {"title": "X", "states": ["Haryana"], "building_blocks": ["blockchain"], "contact": {"mail": "a@b.in"}}
    response = client.post(
        "/v1/documents",
        files={"file": ("x.md", b"# X\n\ntext\n")},
        data={"metadata": json.dumps(meta)},
        headers=bearer(keys["haryana"]),
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "'blockchain' is not a valid building block; valid values: cloud_infrastructure" in detail
    assert "unknown contact field 'mail'; a contact has name, role, email, phone" in detail


class _Viewer:
    """Anything with ``has_key`` (the read rule's viewer) is a caller too."""

    def __init__(self, has_key: bool) -> None:
        self.has_key = has_key


def test_the_redaction_rule_also_holds_back_extra_contact_fields() -> None:
    stored = {
        "title": "X",
        "contact": "Sewa Desk Cell",  # an old plain-string contact, as stored before the structure
        "contact_email": EMAIL,
        "Mobile": "98",
        "telephone_no": PHONE,
        "microphone_count": 2,
        "owner": "Revenue Department",
    }
    hidden = redact_metadata(stored, None)
    assert hidden == {"title": "X", "contact": None, "microphone_count": 2, "owner": "Revenue Department"}
    assert redact_metadata(stored, _Viewer(has_key=False)) == hidden
    assert redact_metadata(stored, _Viewer(has_key=True)) == stored
    assert stored["contact_email"] == EMAIL  # a copy: the record is untouched
    assert contact_available(stored) and contact_available({"contact_email": EMAIL})
    assert not contact_available({"contact": None}) and not contact_available({"contact": {"name": None}})
    assert contact_line({"name": "A", "role": "Director", "email": EMAIL, "phone": None}) == f"A, Director · {EMAIL}"
    assert contact_line("Sewa Desk Cell") == "Sewa Desk Cell" and contact_line(None) == ""
