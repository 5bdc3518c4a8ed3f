"""The catalog, on SQLite and PostgreSQL: versions are kept, withdrawals audited, keys stored hashed."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from kb.catalog import Catalog
from kb.catalog.tables import api_keys
from kb.errors import ConfigError, ConflictError, InputError, NotFoundError
from kb.metadata import DocumentMetadata, build_metadata
from kb.models import Section, sha256_hex


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
            "states": ["Haryana"] if states is None else states,
            "type": "case_study",
            "sector": "health",
            "year": 2020,
        },
        default_id=doc_id,
        default_title=doc_id.title(),
    )
    catalog.record_version(
        meta=meta,
        version=catalog.begin_write(doc_id),
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


def test_national_lists_documents_of_no_state_alone_or_beside_states(catalog: Catalog) -> None:
    _record(catalog, "a")
    _record(catalog, "india", states=[])  # a national platform, or a document that names no state
    _record(catalog, "c", states=["Kerala"])
    assert {d.id for d in catalog.list_documents(national=True)[0]} == {"india"}
    assert {d.id for d in catalog.list_documents(states=["Kerala"], national=True)[0]} == {"india", "c"}
    assert catalog.list_documents(national=True, sector="education")[1] == 0
    assert catalog.facet_counts("sector", national=True) == {"health": 1}
    assert catalog.facet_counts("states", national=True) == {}


def test_keys_are_shown_once_and_stored_hashed(catalog: Catalog) -> None:
    record, plaintext = catalog.create_key(role="contributor", states=["Haryana"], label="DITECH")
    assert catalog.verify_key(plaintext) == record
    assert catalog.verify_key(plaintext + "x") is None
    stored = catalog.db.query(sa.select(api_keys))
    assert stored and all(plaintext not in str(value) for row in stored for value in row.values())
    catalog.revoke_key(record.id)
    assert catalog.verify_key(plaintext) is None
    with pytest.raises(InputError, match="needs at least one state"):
        catalog.create_key(role="contributor")


def test_interrupted_jobs_are_retried_then_fail_for_good(catalog_url: str) -> None:
    path = catalog_url
    with Catalog(path) as first:
        job = first.create_job(kind="create", document_id=None, key_id=None, blob_sha256="ab" * 32, size_bytes=3)
        claimed = first.claim_job(lease_s=60)
        assert claimed is not None and claimed.id == job.id and claimed.attempts == 1
        assert first.claim_job(lease_s=60) is None  # leased: nobody else takes it
    for attempt in (2, 3):
        with Catalog(path) as restarted:  # the owner died mid-job: its running job goes back to the queue
            assert restarted.recover_interrupted_jobs(max_attempts=3) == (1, 0)
            again = restarted.claim_job(lease_s=60)
            assert again is not None and again.attempts == attempt
    with Catalog(path) as last:
        assert last.recover_interrupted_jobs(max_attempts=3) == (0, 1)
        failed = last.get_job(job.id)
        assert failed.status == "failed" and "3 times" in (failed.error or "")


def test_a_lapsed_lease_returns_the_job_to_the_queue(catalog_url: str) -> None:
    with Catalog(catalog_url) as catalog:
        job = catalog.create_job(kind="create", document_id=None, key_id="k1", size_bytes=10)
        assert catalog.queue_load("k1") == (1, 10, 1)
        assert catalog.queue_load("other") == (1, 10, 0)
        assert catalog.claim_job(lease_s=-1) is not None  # a lease already over
        retaken = catalog.claim_job(lease_s=60)
        assert retaken is not None and retaken.id == job.id and retaken.attempts == 2
        catalog.finish_job(job.id, status="done", document_id="d")
        assert catalog.queue_load("k1") == (0, 0, 0)


def test_a_newer_catalog_schema_is_refused(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "catalog.sqlite"
    Catalog(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version=99")
    with pytest.raises(ConfigError, match="newer than this program"):
        Catalog(path)


def test_version_numbers_must_follow_on(catalog: Catalog) -> None:
    _record(catalog, text="first")
    stale = catalog.begin_write("doc") - 1
    meta = catalog.get_document("doc")
    assert meta is not None
    with pytest.raises(ConflictError, match="changed while"):
        catalog.record_version(
            meta=DocumentMetadata.model_validate(meta.metadata),
            version=stale,
            blob_sha256="0" * 64,
            filename="x.md",
            media_type="text/markdown",
            size_bytes=1,
            fingerprint="f",
            sections=[],
            chunk_count=0,
            actor="cli",
        )


def test_facets_count_what_the_same_filters_list(catalog: Catalog) -> None:
    _record(catalog, "a")
    _record(catalog, "b", states=["Jammu and Kashmir", "Haryana"])
    _record(catalog, "c", states=["Kerala"])
    catalog.withdraw("c", actor="cli")
    assert catalog.facet_counts("states", states=["Jammu and Kashmir"]) == {"Jammu and Kashmir": 1, "Haryana": 1}
    assert catalog.facet_counts("sector", states=["Haryana"]) == {"health": 2}
    assert catalog.facet_counts("year", year_from=2021) == {}
    assert catalog.counts() == {"documents": 2, "withdrawn": 1, "versions": 3, "chunks": 2}
