"""Issue 12's acceptance check on a real PostgreSQL: a deployment's state lives in the database.

1. ``kb ingest`` and ``kb keys create`` with ``KB_CATALOG_URL`` pointing at PostgreSQL, a second
   version, an upload job and the audit made through the API; then everything in ``KB_DIR`` but the
   index is deleted and the app restarted: keys, documents, versions, originals, audit and jobs are
   all still there.
   Then ``KB_DIR`` goes entirely and ``kb reindex`` rebuilds the index from PostgreSQL alone: the
   same searches return the same documents with the same scores.
2. An API process and ``kb worker`` processes share one queue in PostgreSQL: the app queues an
   upload (``/metrics`` shows the queue depth and the job's age), a real ``kb worker`` is killed with
   ``kill -9`` mid-job (claimed, not finished), and another ``kb worker`` runs it after the lease.
3. ``kb serve --workers 2`` over PostgreSQL and a Qdrant server URL starts its processes (the
   embedded index refuses it: test_scale_out).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from kb.catalog import Catalog
from kb.catalog.db import utc_now
from kb.catalog.tables import jobs
from kb.settings import Settings
from search.api import create_app
from tests.api.conftest import bearer, make_keys, wait_for_job
from tests.e2e.conftest import KB_BIN, run_cli
from tests.kb import pg

pytestmark = pytest.mark.slow

QUERIES = ("grievances sent to the Chief Minister", "land records mutation online", "cyber security audit")
NOTE = (
    b"---\nid: haryana-bed-board\ntype: case_study\nstates: [Haryana]\nsector: health\nyear: 2023\n---\n"
    b"# Bed board\n\nDistrict hospitals publish their free beds every hour on one public board.\n"
)


@pytest.fixture
def pg_settings(tmp_path: Path) -> Iterator[Settings]:
    url = pg.create_database("kbdeploy")
    try:
        yield Settings(kb_dir=tmp_path / "kb", catalog_url=url)
    finally:
        pg.drop_database(url)


def _searches(client: TestClient) -> list[list[tuple[str, float]]]:
    found = []
    for query in QUERIES:
        results = client.get("/v1/search", params={"q": query, "top_k": 5}).json()["results"]
        found.append([(r["document_id"], r["score"]) for r in results])
    return found


def _same_results(got: list[list[tuple[str, float]]], expected: list[list[tuple[str, float]]]) -> bool:
    """The same documents in the same order with the same scores (to float noise: 1e-3)."""
    if [[d for d, _ in r] for r in got] != [[d for d, _ in r] for r in expected]:
        return False
    pairs = [(s, e) for g, x in zip(got, expected, strict=True) for (_, s), (_, e) in zip(g, x, strict=True)]
    return all(s == pytest.approx(e, abs=1e-3) for s, e in pairs)


def _state(client: TestClient, keys: dict[str, str], job_id: str) -> dict[str, Any]:
    """What an operator would check after a restart, read through the API with the deployment's keys."""
    admin = bearer(keys["admin"])
    documents = client.get("/v1/documents", params={"limit": 50}).json()["documents"]
    detail = client.get("/v1/documents/haryana-bed-board").json()
    return {
        "documents": sorted(d["id"] for d in documents),
        "versions": [v["version"] for v in detail["versions"]],
        "original v1": client.get("/v1/documents/haryana-bed-board/file", params={"version": 1}).content,
        "original v2": client.get("/v1/documents/haryana-bed-board/file").content,
        "audit": [(e["document_id"], e["action"]) for e in client.get("/v1/audit", headers=admin).json()],
        "job": client.get(f"/v1/jobs/{job_id}", headers=bearer(keys["haryana"])).json()["status"],
        "key refused elsewhere": client.get("/v1/audit", headers=bearer(keys["haryana"])).status_code,
    }


def test_everything_but_the_index_lives_in_postgresql_and_reindex_rebuilds_it(
    pg_settings: Settings, tmp_path: Path
) -> None:
    env = {"KB_CATALOG_URL": str(pg_settings.catalog_url)}
    shutil.copytree(Path(__file__).parents[1] / "fixtures" / "good", tmp_path / "good")
    ingested = run_cli("ingest", str(tmp_path / "good"), "--kb-dir", str(pg_settings.kb_dir), env=env)
    assert ingested.exit_code == 0, ingested.output
    keys = {
        name: json.loads(run_cli("keys", "create", *args, "--json", env=env).stdout)["key"]
        for name, args in (("admin", ["--role", "admin"]), ("haryana", ["--state", "Haryana", "--publish"]))
    }  # made by the CLI, a process apart from the API: the keys live in PostgreSQL
    with TestClient(create_app(pg_settings)) as client:
        created = client.post("/v1/documents", headers=bearer(keys["haryana"]), files={"file": ("beds.md", NOTE)})
        assert wait_for_job(client, created.json(), bearer(keys["haryana"]))["status"] == "done", created.text
        second = NOTE + b"\nThe board now also lists oxygen cylinders.\n"
        job = client.put(
            "/v1/documents/haryana-bed-board", headers=bearer(keys["haryana"]), files={"file": ("beds.md", second)}
        ).json()
        assert wait_for_job(client, job, bearer(keys["haryana"]))["status"] == "done", job
        before = _state(client, keys, job["id"])
        searched = _searches(client)
    assert before["versions"] == [1, 2] and before["original v1"] == NOTE and before["job"] == "done"
    assert ("haryana-bed-board", "update") in before["audit"] and len(before["documents"]) == 6
    assert before["key refused elsewhere"] == 403 and all(searched)

    kept = [p.name for p in pg_settings.kb_dir.iterdir()]
    for path in pg_settings.kb_dir.iterdir():  # KB_DIR deleted except the index
        if path != pg_settings.index_dir:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    assert "catalog.sqlite" not in kept and "blobs" not in kept  # there never was local state to lose
    with TestClient(create_app(pg_settings)) as restarted:
        assert _state(restarted, keys, job["id"]) == before
        assert _same_results(_searches(restarted), searched)

    shutil.rmtree(pg_settings.kb_dir)  # the index too: PostgreSQL alone must rebuild it
    rebuilt = run_cli("reindex", "--kb-dir", str(pg_settings.kb_dir), env=env)
    assert rebuilt.exit_code == 0, rebuilt.output
    with TestClient(create_app(pg_settings)) as reindexed:
        assert _same_results(_searches(reindexed), searched)
        assert _state(reindexed, keys, job["id"]) == before


def _job_row(url: str, job_id: str) -> dict[str, Any]:
    with Catalog(url) as catalog:
        return dict(catalog.db.query(sa.select(jobs).where(jobs.c.id == job_id))[0])


def test_a_worker_process_killed_mid_job_leaves_it_to_another_worker(pg_settings: Settings) -> None:
    url = str(pg_settings.catalog_url)
    env = {"KB_CATALOG_URL": url, "KB_DIR": str(pg_settings.kb_dir)}
    keys = make_keys(pg_settings)
    text = " ".join(f"Ward {n} publishes its water tanker schedule every morning at dawn." for n in range(300))
    body = f"---\nid: tanker-schedules\ntype: case_study\nstates: [Haryana]\nsector: water\n---\n# Tankers\n\n{text}\n"
    with TestClient(create_app(pg_settings)) as api:
        api.app.state.jobs.stop()  # type: ignore[attr-defined]  # this replica only takes uploads
        job = api.post(
            "/v1/documents", headers=bearer(keys["haryana"]), files={"file": ("tankers.md", body.encode())}
        ).json()
        time.sleep(1.1)
        metrics = api.get("/metrics").text.splitlines()
    assert 'kb_ingest_jobs{status="queued"} 1.0' in metrics  # the queue depth in the shared catalog
    age = next(line for line in metrics if line.startswith("kb_ingest_oldest_job_age_seconds"))
    assert float(age.split()[-1]) >= 1  # and the age of the job waiting longest

    first = subprocess.Popen(
        [KB_BIN, "worker"], env={**os.environ, "HF_HUB_OFFLINE": "1", **env}, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 180
        while _job_row(url, job["id"])["status"] != "running":
            assert first.poll() is None and time.monotonic() < deadline, first.stderr.read() if first.stderr else ""
            time.sleep(0.05)
    finally:  # killed between claiming the job and finishing it
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    assert first.returncode == -signal.SIGKILL
    leased = _job_row(url, job["id"])
    assert leased["status"] == "running" and leased["attempts"] == 1  # nobody finished it
    with Catalog(url) as catalog, catalog.db.transaction() as conn:  # the lease lapses: it lasts minutes,
        lapsed = utc_now(plus_seconds=-1)  # so the clock is moved rather than waited for
        conn.execute(sa.update(jobs).where(jobs.c.id == job["id"]).values(lease_until=lapsed))
    second = run_cli("worker", "--until-idle", env=env)  # another worker (in this process: the model is loaded)
    assert second.exit_code == 0, second.output
    assert "1 done, 0 failed" in second.output, second.output
    retried = _job_row(url, job["id"])
    assert retried["status"] == "done" and retried["attempts"] == 2
    with TestClient(create_app(pg_settings)) as api:  # published: listed and found
        assert api.get("/v1/documents/tanker-schedules").status_code == 200
        hits = api.get("/v1/search", params={"q": "water tanker schedule every morning"}).json()["results"]
        assert hits[0]["document_id"] == "tanker-schedules"


def test_serve_workers_starts_several_processes_on_a_server_index(pg_settings: Settings) -> None:
    """Allowed where it is refused on the embedded index (test_scale_out): the processes start.

    No Qdrant server can be installed here, so the processes cannot finish starting up; what is
    checked is that the command goes past its refusal and uvicorn launches the N processes."""
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "KB_CATALOG_URL": str(pg_settings.catalog_url),
        "KB_QDRANT_URL": "http://127.0.0.1:9",  # the discard port: nothing answers
        "KB_DIR": str(pg_settings.kb_dir),
    }
    serving = subprocess.Popen(
        [KB_BIN, "serve", "--workers", "2", "--host", "127.0.0.1", "--port", str(_free_port())],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its worker processes share its process group, ended below
    )
    lines: list[str] = []
    try:
        assert serving.stderr is not None
        deadline = time.monotonic() + 120
        while sum("Started server process" in line for line in lines) < 2:
            line = serving.stderr.readline()
            assert line and time.monotonic() < deadline, "".join(lines)
            lines.append(line)
    finally:
        os.killpg(serving.pid, signal.SIGKILL)
        serving.wait(30)
    assert not any("needs an index that several processes can share" in line for line in lines)
    assert any("Started parent process" in line for line in lines), "".join(lines)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
