"""A shared deployment: several app instances over one catalog and one Qdrant index; reindex with no gap.

The Qdrant "server" is qdrant-client's in-process stand-in (``KB_QDRANT_URL=:memory:``, one per process,
shared by every store opened in it, as replicas share a server): no Qdrant server binary can be
installed here. The catalog is the SQLite file both instances open (PostgreSQL for several machines).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ingest.service import Ingestor
from kb.catalog import Catalog
from kb.embedding import DENSE_DIM
from kb.settings import Settings
from kb.store import open_store, shared_memory_client
from kb.store.server import ServerStore
from search.api import create_app
from search.operations.maintenance import rebuild_index
from search.retrieval import Searcher
from search.schemas import SearchRequest
from tests.api.conftest import bearer, make_keys, wait_for_job
from tests.conftest import FIXTURES
from tests.e2e.conftest import run_kb_process

pytestmark = pytest.mark.slow


@pytest.fixture
def shared(tmp_path: Path) -> Settings:
    """A fresh collection name per test in the process-wide in-memory Qdrant."""
    return Settings(kb_dir=tmp_path / "kb", qdrant_url=":memory:", qdrant_collection=f"practices-{tmp_path.name}")


def test_reindex_on_a_server_switches_an_alias_with_no_failed_or_empty_search(shared: Settings) -> None:
    with Catalog(shared.catalog_path) as catalog, open_store(shared, dense_dim=DENSE_DIM) as store:
        ingestor = Ingestor(shared, store=store, catalog=catalog)
        ingestor.warm_up()
        assert not ingestor.ingest_paths([FIXTURES / "good"]).failed
    searcher_store = open_store(shared, dense_dim=DENSE_DIM)
    assert isinstance(searcher_store, ServerStore)
    before = searcher_store.physical_collection()
    searcher = Searcher(shared, searcher_store)
    searcher.warm_up()
    request = SearchRequest(query="grievances sent to the Chief Minister", top_k=3)
    expected = [r.document_id for r in searcher.search(request).results]
    problems: list[str] = []
    searches = 0
    stop = threading.Event()

    def search_loop() -> None:
        nonlocal searches
        while not stop.is_set():
            try:
                got = [r.document_id for r in searcher.search(request).results]
            except Exception as exc:  # any failure during the switch is the bug this test is for
                problems.append(repr(exc))
                continue
            searches += 1
            if not got:
                problems.append("empty result")

    loop = threading.Thread(target=search_loop)
    loop.start()
    try:
        chunks = rebuild_index(shared)
        time.sleep(0.5)
    finally:
        stop.set()
        loop.join()
    assert chunks > 0 and searches > 0
    assert problems == []
    after = searcher_store.physical_collection()
    assert after != before and after is not None
    names = {c.name for c in shared_memory_client().get_collections().collections}
    assert before not in names  # the old generation is dropped after the switch
    assert [r.document_id for r in searcher.search(request).results] == expected
    searcher_store.close()


def test_two_replicas_share_keys_documents_originals_and_jobs(shared: Settings) -> None:
    keys = make_keys(shared.kb_dir)
    with TestClient(create_app(shared)) as first, TestClient(create_app(shared)) as second:
        first.app.state.jobs.stop()  # type: ignore[attr-defined]  # only the second replica works jobs
        body = (
            b"---\ntype: case_study\nstates: [Haryana]\nsector: health\n---\n"
            b"# Bed board\n\nHospitals list free beds hourly.\n"
        )
        accepted = first.post(
            "/v1/documents", headers=bearer(keys["haryana"]), files={"file": ("bed-board.md", body, "text/markdown")}
        )
        assert accepted.status_code == 202, accepted.text
        done = wait_for_job(second, accepted.json(), bearer(keys["haryana"]))  # run by the other replica
        assert done["status"] == "done", done
        for client in (first, second):
            assert client.get("/v1/documents/bed-board").status_code == 200
            assert client.get("/v1/documents/bed-board/file").content == body
            hits = client.get("/v1/search", params={"q": "free hospital beds"}).json()["results"]
            assert hits and hits[0]["document_id"] == "bed-board"
        created = second.get("/v1/audit", headers=bearer(keys["admin"]))  # a key of the shared catalog
        assert created.status_code == 200


def test_serve_workers_is_refused_on_the_embedded_index(tmp_path: Path) -> None:
    result = run_kb_process("serve", "--workers", "2", "--kb-dir", str(tmp_path / "kb"))
    assert result.returncode == 1
    assert "--workers 2 needs an index that several processes can share" in result.stderr
    assert "Traceback" not in result.stderr


def test_on_postgresql_two_replicas_share_everything_and_kb_dir_holds_no_state(tmp_path: Path) -> None:
    import shutil

    from tests.kb import pg

    url = pg.create_database("kbscale")
    try:
        settings = Settings(
            kb_dir=tmp_path / "kb",
            catalog_url=url,
            qdrant_url=":memory:",
            qdrant_collection=f"practices-pg-{tmp_path.name}",
        )
        with Catalog(url) as catalog:
            admin = catalog.create_key(role="admin", label="ops")[1]
            haryana = catalog.create_key(role="contributor", states=["Haryana"], label="DITECH", can_publish=True)[1]
        body = (
            b"---\ntype: case_study\nstates: [Haryana]\nsector: health\n---\n# Bed board\n\nHospitals list free beds.\n"
        )
        with TestClient(create_app(settings)) as first, TestClient(create_app(settings)) as second:
            first.app.state.jobs.stop()  # type: ignore[attr-defined]
            job = first.post("/v1/documents", headers=bearer(haryana), files={"file": ("bed-board.md", body)}).json()
            assert wait_for_job(second, job, bearer(haryana))["status"] == "done"
            assert first.get("/v1/documents/bed-board/file").content == body
        leftovers = sorted(str(p) for p in settings.kb_dir.rglob("*")) if settings.kb_dir.exists() else []
        assert leftovers == []  # nothing of the deployment lives on the API machine
        shutil.rmtree(settings.kb_dir, ignore_errors=True)
        with TestClient(create_app(settings)) as restarted:
            assert restarted.get("/v1/documents/bed-board/file").content == body  # original from PostgreSQL
            assert restarted.get("/v1/jobs/" + job["id"], headers=bearer(haryana)).json()["status"] == "done"
            audit = restarted.get("/v1/audit", headers=bearer(admin)).json()
            assert any(entry["document_id"] == "bed-board" for entry in audit)
            hits = restarted.get("/v1/search", params={"q": "free beds listed"}).json()["results"]
            assert hits and hits[0]["document_id"] == "bed-board"
    finally:
        pg.drop_database(url)
