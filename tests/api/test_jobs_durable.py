"""A 202 means "kept": uploads survive a restart, the queue is bounded, one job cannot run forever.

Through the real app (TestClient with its lifespan, the real model and Qdrant Edge). Stopping the
worker with ``app.state.jobs.stop()`` (its public method) holds jobs in the queue the way a busy or
crashed worker would.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from kb.blobs import open_blob_store
from kb.catalog import Catalog
from kb.catalog.tables import jobs
from search.api import create_app
from tests.api.conftest import Deployments, bearer, both_catalogs, make_keys, wait_for_job

pytestmark = [pytest.mark.slow, both_catalogs]


def _markdown(doc_id: str, text: str) -> bytes:
    return (
        f"---\nid: {doc_id}\ntype: case_study\nstates: [Haryana]\nsector: health\nyear: 2021\n---\n"
        f"# {doc_id}\n\n{text}\n"
    ).encode()


def _post(client: TestClient, key: str, doc_id: str, text: str = "Clinics share records.") -> httpx.Response:
    return client.post(
        "/v1/documents", headers=bearer(key), files={"file": (f"{doc_id}.md", _markdown(doc_id, text), "text/markdown")}
    )


def test_queued_uploads_survive_a_restart_and_then_run(tmp_path: Path, deployments: Deployments) -> None:
    settings = deployments.settings(tmp_path / "kb")
    keys = make_keys(settings)
    with TestClient(create_app(settings)) as client:
        client.app.state.jobs.stop()  # type: ignore[attr-defined]
        accepted = [
            _post(client, keys["haryana"], f"clinic-{i}", f"Clinic {i} keeps tele-consultation logs.") for i in range(3)
        ]
        assert [r.status_code for r in accepted] == [202, 202, 202]
        jobs = [r.json() for r in accepted]
    with Catalog(settings.resolved_catalog_url()) as catalog:  # kept before the 202: row and original
        for job in jobs:
            stored = catalog.get_job(job["id"])
            assert stored.status == "queued" and stored.blob_sha256
            assert open_blob_store(settings, catalog).exists(stored.blob_sha256)
    with TestClient(create_app(settings)) as client:  # the restart
        for job in jobs:
            done = wait_for_job(client, job, bearer(keys["haryana"]))
            assert done["status"] == "done" and done["document_id"] == job["document_id"], done
        found = client.get("/v1/search", params={"q": "Clinic 1 tele-consultation logs"}).json()
        assert found["results"][0]["document_id"] == "clinic-1"


def test_a_full_queue_answers_503_with_retry_after_and_keeps_nothing(tmp_path: Path, deployments: Deployments) -> None:
    settings = deployments.settings(tmp_path / "kb", queue_max_per_key=2, queue_max_jobs=3)
    keys = make_keys(settings)
    with TestClient(create_app(settings)) as client:
        client.app.state.jobs.stop()  # type: ignore[attr-defined]
        assert [_post(client, keys["haryana"], f"a-{i}").status_code for i in range(2)] == [202, 202]
        refused = _post(client, keys["haryana"], "a-2")
        assert refused.status_code == 503
        assert int(refused.headers["Retry-After"]) >= 1
        assert "this key already has 2 uploads waiting" in refused.json()["detail"]
        jk = client.post(
            "/v1/documents",
            headers=bearer(keys["jk"]),
            files={"file": ("jk-1.md", _markdown("jk-1", "x").replace(b"Haryana", b"J&K"), "text/markdown")},
        )
        assert jk.status_code == 202  # another key still gets its turn
        full = client.post(
            "/v1/documents",
            headers=bearer(keys["jk"]),
            files={"file": ("jk-2.md", _markdown("jk-2", "x").replace(b"Haryana", b"J&K"), "text/markdown")},
        )
        assert full.status_code == 503 and "queue is full" in full.json()["detail"]
        page = client.post(
            "/contribute",
            headers={"Accept": "text/html"},
            data={"key": keys["jk"], "type": "report", "sector": "health", "states": "Jammu and Kashmir"},
            files={"file": ("jk-3.md", b"# JK three\n\nText.", "text/markdown")},
        )
        assert page.status_code == 503 and "Retry-After" in page.headers
        with Catalog(settings.resolved_catalog_url()) as catalog:
            assert catalog.queue_load()[0] == 3  # the refused uploads left no job behind


def test_a_job_past_its_time_limit_fails_with_the_reason_and_frees_the_worker(
    tmp_path: Path, deployments: Deployments
) -> None:
    settings = deployments.settings(tmp_path / "kb", job_timeout_s=1.0)
    keys = make_keys(settings)
    long_text = " ".join(f"Ward {n} publishes its water tanker schedule every morning." for n in range(20_000))
    with TestClient(create_app(settings)) as client:
        slow = _post(client, keys["haryana"], "tankers", long_text).json()
        quick = _post(client, keys["haryana"], "quick", "Short note.").json()
        failed = wait_for_job(client, slow, bearer(keys["haryana"]))
        assert failed["status"] == "failed" and "job time limit (KB_JOB_TIMEOUT_S)" in failed["error"], failed
        assert wait_for_job(client, quick, bearer(keys["haryana"]))["status"] == "done"
        assert client.get("/v1/documents/tankers").status_code == 404


def test_metadata_size_setting_applies_to_kb_ingest(tmp_path: Path, deployments: Deployments) -> None:
    from tests.e2e.conftest import run_kb_process

    if deployments.backend == "postgresql":
        pytest.skip(
            "the limit refuses the file before the catalog is reached (kb ingest on PostgreSQL: test_pg_deployment)"
        )
    settings = deployments.settings(tmp_path / "kb")

    folder = tmp_path / "docs"
    folder.mkdir()
    tags = ", ".join(f"tag-{n}" for n in range(300))
    (folder / "tagged.md").write_text(f"---\ntype: report\nsector: health\ntags: [{tags}]\n---\n# Tagged\n\nText.\n")
    result = run_kb_process(
        "ingest",
        str(folder),
        "--json",
        env={"KB_DIR": str(settings.kb_dir), "KB_MAX_METADATA_BYTES": "1024", **deployments.env(settings)},
    )
    assert result.returncode == 1, result.stderr
    import json

    failure = json.loads(result.stdout)["failed"][0]
    assert failure["path"].endswith("tagged.md") and "1 KiB (KB_MAX_METADATA_BYTES)" in failure["error"]


def test_a_retried_upload_gets_its_waiting_job_back_and_a_different_one_is_refused(
    tmp_path: Path, deployments: Deployments
) -> None:
    """A client whose 202 was lost sends again: one job, not a duplicate that later fails."""
    settings = deployments.settings(tmp_path / "kb")
    keys = make_keys(settings)
    with TestClient(create_app(settings)) as client:
        client.app.state.jobs.stop()  # type: ignore[attr-defined]
        first = _post(client, keys["haryana"], "retry-me", "Clinics keep tele-consultation logs.")
        again = _post(client, keys["haryana"], "retry-me", "Clinics keep tele-consultation logs.")
        assert (first.status_code, again.status_code) == (202, 202)
        assert again.json()["id"] == first.json()["id"]
        other = _post(client, keys["haryana"], "retry-me", "Another text under the same id.")
        assert other.status_code == 409
        assert first.json()["id"] in other.json()["detail"]
    with TestClient(create_app(settings)) as client:
        done = wait_for_job(client, first.json(), bearer(keys["haryana"]))
        assert done["status"] == "done", done
    with Catalog(settings.resolved_catalog_url()) as catalog:
        rows = catalog.db.query(sa.select(jobs.c.status).where(jobs.c.document_id == "retry-me"))
        assert [r["status"] for r in rows] == ["done"]
