"""The SQLite catalog: versions are kept, withdrawals audited, keys stored hashed."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.blobs import BlobStore
from kb.catalog import Catalog
from kb.errors import InputError, NotFoundError
from kb.metadata import build_metadata
from kb.models import Section, sha256_hex


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    return Catalog(tmp_path / "catalog.sqlite")


def _record(
    catalog: Catalog,
    doc_id: str = "doc",
    *,
    text: str = "hello",
    states: list[str] | None = None,
    fingerprint: str = "f1",
) -> None:
    meta = build_metadata(
        {
            "id": doc_id,
            "states": states or ["Haryana"],
            "type": "case_study",
            "sector": "health",
            "year": 2020,
        },
        default_id=doc_id,
        default_title=doc_id.title(),
    )
    catalog.record_version(
        meta=meta,
        blob_sha256=sha256_hex(text.encode()),
        filename=f"{doc_id}.md",
        media_type="text/markdown",
        size_bytes=len(text),
        fingerprint=fingerprint,
        sections=[Section(text, ("Summary",), None)],
        chunk_count=1,
        actor="cli",
        source_path=f"/content/{doc_id}.md",
    )


def test_versions_are_kept_and_sections_follow_the_current_one(catalog: Catalog) -> None:
    _record(catalog, text="first")
    _record(catalog, text="second", fingerprint="f2")
    record = catalog.require_document("doc")
    assert record.current_version == 2
    assert [v.version for v in catalog.versions("doc")] == [1, 2]
    assert catalog.sections("doc")[0].text == "second"
    assert catalog.sections("doc", 1)[0].text == "first"
    assert [e.action for e in catalog.audit_log(document_id="doc")] == ["update", "create"]


def test_withdrawn_documents_leave_lists_but_stay_in_the_catalog(catalog: Catalog) -> None:
    _record(catalog, "a")
    _record(catalog, "b", states=["Jammu and Kashmir"])
    catalog.withdraw("a", actor="key:1")
    docs, total = catalog.list_documents()
    assert total == 1 and docs[0].id == "b"
    assert catalog.require_document("a").status == "withdrawn"
    assert catalog.audit_log(limit=1)[0].action == "withdraw"
    with pytest.raises(NotFoundError):
        catalog.withdraw("a", actor="cli")


def test_list_filters_by_state_sector_and_year(catalog: Catalog) -> None:
    _record(catalog, "a")
    _record(catalog, "b", states=["Jammu and Kashmir", "Haryana"])
    _record(catalog, "c", states=["Kerala"])
    assert {d.id for d in catalog.list_documents(states=["Haryana"])[0]} == {"a", "b"}
    assert catalog.list_documents(sector="education")[1] == 0
    assert catalog.list_documents(year_from=2021)[1] == 0
    assert catalog.facet_counts("states") == {"Haryana": 2, "Jammu and Kashmir": 1, "Kerala": 1}


def test_keys_are_shown_once_and_stored_hashed(catalog: Catalog, tmp_path: Path) -> None:
    record, plaintext = catalog.create_key(role="contributor", states=["Haryana"], label="DITECH")
    assert catalog.verify_key(plaintext) == record
    assert catalog.verify_key(plaintext + "x") is None
    assert plaintext.encode() not in (tmp_path / "catalog.sqlite").read_bytes()
    catalog.revoke_key(record.id)
    assert catalog.verify_key(plaintext) is None
    with pytest.raises(InputError, match="needs at least one state"):
        catalog.create_key(role="contributor")


def test_unfinished_jobs_fail_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    with Catalog(path) as first:
        job = first.create_job(kind="create", document_id=None, key_id=None, filename="a.pdf")
    with Catalog(path) as second:
        assert second.fail_unfinished_jobs("restarted") == 1
        assert second.get_job(job.id).status == "failed"


def test_blobs_are_content_addressed(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    digest = blobs.put(b"original")
    assert blobs.put(b"original") == digest == sha256_hex(b"original")
    assert blobs.get(digest) == b"original"
    with pytest.raises(NotFoundError):
        blobs.get("0" * 64)
