"""``kb worker``: runs the queued uploads without the HTTP server, through the real console script.

Uploads are queued by the real app with its worker stopped (as a busy or crashed server leaves them),
then a separate ``kb worker --until-idle`` process publishes them and exits 0; it refuses, with exit
1 and a message naming the fix, an index it cannot share (``:memory:``) or one a ``kb serve`` owns.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kb.settings import QDRANT_MEMORY_URL, Settings
from search.api import create_app
from tests.api.conftest import bearer, make_keys
from tests.e2e.conftest import run_kb_process

pytestmark = pytest.mark.slow


def _markdown(doc_id: str) -> bytes:
    return (
        f"---\nid: {doc_id}\ntype: case_study\nstates: [Haryana]\nsector: health\nyear: 2021\n---\n"
        f"# {doc_id}\n\nThe {doc_id} clinics keep tele-consultation logs on quokkaberry tablets.\n"
    ).encode()


def test_kb_worker_publishes_queued_uploads_and_exits_when_idle(tmp_path: Path) -> None:
    settings = Settings(kb_dir=tmp_path / "kb")
    keys = make_keys(settings.kb_dir)
    with TestClient(create_app(settings)) as client:
        client.app.state.jobs.stop()  # type: ignore[attr-defined]
        for doc_id in ("clinic-a", "clinic-b"):
            response = client.post(
                "/v1/documents",
                headers=bearer(keys["haryana"]),
                files={"file": (f"{doc_id}.md", _markdown(doc_id), "text/markdown")},
            )
            assert response.status_code == 202, response.text
    ran = run_kb_process("worker", "--until-idle", "--kb-dir", str(settings.kb_dir))
    assert ran.returncode == 0, ran.stderr
    assert "2 done, 0 failed" in ran.stdout
    found = run_kb_process("search", "quokkaberry tablets", "--json", "--kb-dir", str(settings.kb_dir))
    assert found.returncode == 0, found.stderr
    assert {r["document_id"] for r in json.loads(found.stdout)["results"]} == {"clinic-a", "clinic-b"}


def test_kb_worker_refuses_an_index_it_cannot_share(tmp_path: Path) -> None:
    kb_dir = tmp_path / "kb"
    memory = run_kb_process("worker", "--until-idle", "--kb-dir", str(kb_dir), env={"KB_QDRANT_URL": QDRANT_MEMORY_URL})
    assert memory.returncode == 1 and "KB_QDRANT_URL" in memory.stderr, memory.stderr
    kb_dir.mkdir(parents=True)
    record = {"pid": os.getpid(), "url": "http://127.0.0.1:1", "host": "127.0.0.1", "port": 1}
    (kb_dir / "server.json").write_text(json.dumps(record))  # a live kb serve owns it (our own pid is alive)
    owned = run_kb_process("worker", "--until-idle", "--kb-dir", str(kb_dir))
    assert owned.returncode == 1 and "owns the embedded index" in owned.stderr, owned.stderr
