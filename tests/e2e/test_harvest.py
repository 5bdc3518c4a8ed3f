"""``kb harvest`` instance to instance: a live source exchange, a second KB harvesting it incrementally.

The source is a live ``kb serve`` (its own KB_DIR, two records per OAI-PMH page so the harvester
follows resumption tokens); the harvester runs in-process through the CLI into a second KB, which
is then served live too, to search what arrived and to try changing it with local keys.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from kb.catalog import Catalog
from kb.settings import Settings
from search.operations.harvest import dublin_core_metadata, local_id
from search.operations.oai_client import Record
from tests.api.conftest import bearer, make_keys
from tests.conftest import FIXTURES
from tests.e2e.conftest import run_cli
from tests.live import free_port, serving

SOURCE_FILES = ("bhoomi.html", "bhoomi.html.meta.yaml", "cm-window-note.txt", "cm-window-note.txt.meta.yaml")
SOURCE_FILES += ("mou-kerala-karnataka.md",)  # three documents: quick to embed, three converters
NEW_DOCUMENT = b"""---
id: haryana-antyodaya-saral
title: Antyodaya SARAL service delivery centres
type: case_study
states: [Haryana]
sector: citizen_services
year: 2017
---

# Antyodaya SARAL service delivery centres

Haryana brought more than five hundred government services under one roof in Antyodaya SARAL
Kendras, with a single application form and time limits for each service.
"""


def harvest(source: str, kb_dir: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = run_cli("harvest", source, "--kb-dir", str(kb_dir), "--json", *extra)
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)


def counts(report: dict[str, Any]) -> tuple[int, int, int, int, int]:
    return (report["added"], report["updated"], report["unchanged"], report["withdrawn"], len(report["failed"]))


def wait_for_job(client: httpx.Client, job: dict[str, Any], headers: dict[str, str]) -> None:
    deadline = time.monotonic() + 180
    while (current := client.get(job["url"], headers=headers).json())["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, current
        time.sleep(0.2)
    assert current["status"] == "done", current


def snapshot(kb_dir: Path) -> dict[str, tuple[str, str, int]]:
    with Catalog(Settings(kb_dir=kb_dir).catalog_path) as catalog:
        records, _ = catalog.list_documents(include_withdrawn=True, limit=1000)
        return {r.id: (r.status, r.updated_at, r.current_version) for r in records}


def test_one_exchange_harvests_another_incrementally(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source_kb, target_kb = tmp_path / "haryana" / "kb", tmp_path / "kerala" / "kb"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in SOURCE_FILES:
        shutil.copy(FIXTURES / "good" / name, corpus / name)
    assert run_cli("ingest", str(corpus), "--kb-dir", str(source_kb)).exit_code == 0
    admin = make_keys(source_kb)["admin"]
    monkeypatch.setenv("KB_OAI_PAGE_SIZE", "2")  # three documents, then four: two pages, a resumption token
    monkeypatch.setenv("KB_OAI_REPOSITORY_ID", "exchange.haryana.test")

    with serving(source_kb) as base, httpx.Client(base_url=base, timeout=60) as api:
        # bad input: one line and exit 1, before the target KB is even opened
        for url, extra, message in (
            (f"http://127.0.0.1:{free_port()}/oai", (), "cannot reach"),
            (f"{base}/healthz", (), "not an OAI-PMH endpoint"),
            (base, ("--set", "state:Atlantis"), "has no set 'state:Atlantis'"),
            (base, ("--from", "last tuesday"), "--from must be"),
        ):
            result = run_cli("harvest", url, "--kb-dir", str(target_kb), *extra)
            assert result.exit_code == 1 and message in result.stderr and "Traceback" not in result.output, url
            assert len(result.stderr.strip().splitlines()) == 1
        assert not target_kb.exists()

        # first harvest (the site's URL is enough: /oai is found): everything, with provenance and originals
        code, first = harvest(base, target_kb)
        assert code == 0, first
        assert counts(first) == (3, 0, 0, 0, 0) and first["metadata_prefix"] == "exchange_json"
        assert first["source"] == f"{base}/oai"
        with Catalog(Settings(kb_dir=target_kb).catalog_path) as catalog:
            bhoomi = catalog.require_document("karnataka-bhoomi")
            assert bhoomi.metadata["harvested_from"] == f"{base}/oai"
            assert bhoomi.metadata["source_identifier"] == "oai:exchange.haryana.test:karnataka-bhoomi"
            assert bhoomi.metadata["harvested_at"][:4].isdigit() and bhoomi.metadata["source_version"] == 1
            assert (bhoomi.sector, bhoomi.states) == ("land_records", ["Karnataka"])
            copy = catalog.version("karnataka-bhoomi")
        original = api.get("/v1/documents/karnataka-bhoomi/file")
        assert copy.blob_sha256 and copy.filename == "bhoomi.html"
        assert copy.size_bytes == len(original.content)

        # on the source: a new document, a new version of another, a withdrawal
        headers = bearer(admin)
        new = api.post(
            "/v1/documents",
            headers=headers,
            files={"file": ("antyodaya.md", NEW_DOCUMENT, "text/markdown")},
            data={"metadata": "{}"},
        )
        assert new.status_code == 202, new.text
        wait_for_job(api, new.json(), headers)
        changed = api.put(
            "/v1/documents/karnataka-bhoomi",
            headers=headers,
            data={"metadata": json.dumps({"tags": ["land records", "mutation"], "year": 2003})},
        )
        assert changed.status_code == 202, changed.text
        wait_for_job(api, changed.json(), headers)
        assert api.delete("/v1/documents/haryana-cm-window", headers=headers).status_code == 200

        code, second = harvest(f"{base}/oai", target_kb)
        assert code == 0, second
        assert counts(second)[:2] == (1, 1) and counts(second)[3:] == (1, 0), second
        assert second["documents"] == {
            "added": ["haryana-antyodaya-saral"],
            "updated": ["karnataka-bhoomi"],
            "withdrawn": ["haryana-cm-window"],
        }
        before = snapshot(target_kb)
        assert before["karnataka-bhoomi"][2] == 2 and before["haryana-cm-window"][0] == "withdrawn"

        code, third = harvest(f"{base}/oai", target_kb)
        assert code == 0 and counts(third)[:2] == (0, 0) and counts(third)[3:] == (0, 0), third
        assert snapshot(target_kb) == before  # nothing written
        assert third["from"] == second["next_from"]

        # the harvesting exchange serves what it took: searchable, and read-only for its own keys
        local = make_keys(target_kb)
        with serving(target_kb) as target, httpx.Client(base_url=target, timeout=60) as served:
            found = served.get("/v1/search", params={"q": "single application form for government services"}).json()
            assert found["results"][0]["document_id"] == "haryana-antyodaya-saral"
            document = served.get("/v1/documents/karnataka-bhoomi").json()
            assert document["metadata"]["tags"] == ["land records", "mutation"]
            held = run_cli("harvest", base, "--kb-dir", str(target_kb))  # the server holds the embedded KB
            assert held.exit_code == 1 and "in use by another process" in held.stderr, held.output
            for key in (local["admin"], local["haryana"]):
                put = served.put(
                    "/v1/documents/karnataka-bhoomi", headers=bearer(key), data={"metadata": '{"year": 1999}'}
                )
                assert put.status_code == 409 and "harvested from" in put.json()["detail"], put.text
                gone = served.delete("/v1/documents/kerala-karnataka-egov-mou", headers=bearer(key))
                assert gone.status_code == 409 and "change it there" in gone.json()["detail"], gone.text
    assert snapshot(target_kb) == before


def test_dublin_core_records_map_back_to_our_vocabularies() -> None:
    """Records of a repository without exchange_json (DSpace, or an older exchange) through oai_dc."""
    record = Record(
        identifier="oai:repository.example.org:123456789/42",
        datestamp="2025-01-02T03:04:05Z",
        deleted=False,
        set_specs=["state:Jammu_and_Kashmir", "sector:health", "type:case_study", "col_123"],
        dc={
            "title": ["e-Sanjeevani in Jammu and Kashmir"],
            "subject": ["health", "telemedicine"],
            "description": ["Teleconsultations from health and wellness centres."],
            "date": ["2021-06-01"],
            "language": ["en"],
            "coverage": ["J&K", "Atlantis"],
            "source": ["https://esanjeevani.mohfw.gov.in"],
        },
    )
    assert local_id(record.identifier) == "123456789-42"
    assert dublin_core_metadata(record) == {
        "title": "e-Sanjeevani in Jammu and Kashmir",
        "states": ["Jammu and Kashmir"],
        "level": "state",
        "sector": "health",
        "type": "case_study",
        "tags": ["telemedicine"],
        "summary": "Teleconsultations from health and wellness centres.",
        "language": "en",
        "year": 2021,
        "source_url": "https://esanjeevani.mohfw.gov.in",
    }
    bare = Record(identifier="oai:x:y", datestamp="2025-01-02", deleted=False, set_specs=[], dc={"type": ["Text"]})
    assert dublin_core_metadata(bare) == {
        "title": "y",
        "states": [],
        "level": "national",
        "sector": "other",
        "type": "other",
        "tags": [],
    }
