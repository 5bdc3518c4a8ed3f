"""A crash or a failure at any step of a write leaves the old version or the new one, never half.

Crashes are real: a subprocess ingests a file and dies with ``os._exit`` at a chosen step (the catalog
it uses is the real one with a hook at that step). Failures are real too: a full disk at the commit.
After each, the KB is opened again as a restarted server would, and the index must match the catalog.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ingest.consistency import check_consistency
from ingest.service import Ingestor
from kb.catalog import Catalog, DocumentRecord
from kb.embedding import DENSE_DIM
from kb.errors import StorageFullError
from kb.settings import Settings
from kb.store import ChunkStore, open_store
from tests.conftest import REPO_ROOT
from tests.e2e.conftest import run_cli
from tests.ingest.crash_writer import CRASH_EXIT

pytestmark = pytest.mark.slow

OLD = "The district cut mutation pendency with a weekly review of every pending case by the tehsildar."
NEW = "Citizens now track each land record request by SMS, and the patwari closes it within a fortnight."


def _write(path: Path, body: str) -> None:
    path.write_text(
        "---\nid: mutation-drive\ntitle: Mutation drive\ntype: case_study\nstates: [Haryana]\n"
        f"sector: land_records\nyear: 2021\n---\n# Mutation drive\n\n## What was done\n\n{body}\n",
        encoding="utf-8",
    )


@pytest.fixture
def kb(tmp_path: Path) -> Settings:
    return Settings(kb_dir=tmp_path / "kb")


@pytest.fixture
def opened(kb: Settings) -> Iterator[tuple[Catalog, ChunkStore, Ingestor]]:
    """The KB as a restarting process opens it (call ``recover`` yourself)."""
    store = open_store(kb, dense_dim=DENSE_DIM)
    catalog = Catalog(kb.catalog_path)
    ingestor = Ingestor(kb, store=store, catalog=catalog)
    ingestor.warm_up()
    try:
        yield catalog, store, ingestor
    finally:
        catalog.close()
        store.close()


def _ingest_and_crash(kb: Settings, file: Path, point: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tests.ingest.crash_writer", str(kb.kb_dir), str(file), point],
        cwd=REPO_ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == CRASH_EXIT, result.stderr


def _texts(store: ChunkStore) -> str:
    return " ".join(
        d.content or ""
        for d in store.scroll({"field": "meta.document_id", "operator": "==", "value": "mutation-drive"})
    )


def _ingest(kb: Settings, file: Path) -> None:
    with Catalog(kb.catalog_path) as catalog, open_store(kb, dense_dim=DENSE_DIM) as store:
        ingestor = Ingestor(kb, store=store, catalog=catalog)
        ingestor.warm_up()
        report = ingestor.ingest_paths([file])
        assert not report.failed, report.failed


@pytest.mark.parametrize(("point", "survivor"), [("before_commit", OLD), ("after_commit", NEW)])
def test_a_crash_while_writing_a_new_version_is_reconciled_at_start(
    kb: Settings, tmp_path: Path, point: str, survivor: str
) -> None:
    file = tmp_path / "mutation-drive.md"
    _write(file, OLD)
    _ingest(kb, file)
    _write(file, NEW)
    _ingest_and_crash(kb, file, point)

    store = open_store(kb, dense_dim=DENSE_DIM)
    catalog = Catalog(kb.catalog_path)
    try:
        before = check_consistency(catalog, store)
        assert before.pending == ["mutation-drive"] and not before.ok  # the crash left its trace
        assert OLD in _texts(store) and NEW in _texts(store)  # both versions' chunks sit in the index

        ingestor = Ingestor(kb, store=store, catalog=catalog)
        ingestor.warm_up()
        assert ingestor.recover() == ["mutation-drive"]
        after = check_consistency(catalog, store)
        assert after.ok, after.to_json()
        texts = _texts(store)
        assert survivor in texts and (OLD if survivor == NEW else NEW) not in texts
        record = catalog.require_document("mutation-drive")
        assert record.current_version == (1 if survivor == OLD else 2)
    finally:
        catalog.close()
        store.close()


def test_a_crash_before_a_new_document_commits_leaves_no_orphan(kb: Settings, tmp_path: Path) -> None:
    file = tmp_path / "mutation-drive.md"
    _write(file, OLD)
    _ingest_and_crash(kb, file, "before_commit")
    found = run_cli("check", "--json", "--kb-dir", str(kb.kb_dir))
    assert found.exit_code == 1
    assert json.loads(found.stdout)["orphans"] == ["mutation-drive"]
    repaired = run_cli("check", "--repair", "--json", "--kb-dir", str(kb.kb_dir))
    assert repaired.exit_code == 0, repaired.output
    assert json.loads(repaired.stdout)["repaired"] == ["mutation-drive"]
    assert run_cli("check", "--kb-dir", str(kb.kb_dir)).exit_code == 0
    with Catalog(kb.catalog_path) as catalog, open_store(kb, dense_dim=DENSE_DIM) as store:
        assert catalog.get_document("mutation-drive") is None and _texts(store) == ""


class FullAtCommit(Catalog):
    """The disk fills up exactly when the version commits (the failure the issue reproduced)."""

    def record_version(self, **kwargs: Any) -> tuple[DocumentRecord, str]:
        raise StorageFullError("the catalog cannot be written: the disk is full")


def test_a_failed_commit_puts_the_index_back_at_once(kb: Settings, tmp_path: Path) -> None:
    file = tmp_path / "mutation-drive.md"
    _write(file, OLD)
    _ingest(kb, file)
    _write(file, NEW)
    other = tmp_path / "other.md"
    other.write_text("---\ntype: report\nsector: health\n---\n# Other\n\nHospitals share beds online.\n")
    with FullAtCommit(kb.catalog_path) as catalog, open_store(kb, dense_dim=DENSE_DIM) as store:
        ingestor = Ingestor(kb, store=store, catalog=catalog)
        ingestor.warm_up()
        report = ingestor.ingest_paths([file, other])
        assert [f["path"] for f in report.failed] == [str(file), str(other)]
        assert all("disk is full" in f["error"] for f in report.failed)
        texts = _texts(store)
        assert OLD in texts and NEW not in texts  # the old version, whole
        assert store.count({"field": "meta.document_id", "operator": "==", "value": "other"}) == 0
        assert check_consistency(catalog, store).ok


def test_a_shared_deployment_mends_writes_that_crashed_writers_left_long_ago(tmp_path: Path) -> None:
    """With a server index (here qdrant-client's ``:memory:``) other replicas may be writing, so start-up
    does not reconcile every intent; the worker mends only intents far older than any live write."""
    import sqlalchemy as sa

    from kb.catalog.tables import write_intents
    from kb.settings import QDRANT_MEMORY_URL
    from search.operations.jobs import JobRunner

    settings = Settings(kb_dir=tmp_path / "kb", qdrant_url=QDRANT_MEMORY_URL)
    file = tmp_path / "mutation-drive.md"
    _write(file, OLD)
    with Catalog(settings.catalog_path) as catalog, open_store(settings, dense_dim=DENSE_DIM) as store:
        ingestor = Ingestor(settings, store=store, catalog=catalog)
        ingestor.warm_up()
        assert not ingestor.ingest_paths([file]).failed
        other = tmp_path / "other.md"
        _write(other, NEW)
        other.write_text(other.read_text().replace("mutation-drive", "other-drive"))
        assert not ingestor.ingest_paths([other]).failed
        catalog.begin_write("mutation-drive")  # a writer died after its intent, long ago
        catalog.begin_write("other-drive")  # and one is writing right now
        with catalog.db.transaction() as conn:
            old = write_intents.c.document_id == "mutation-drive"
            conn.execute(sa.update(write_intents).where(old).values(started_at="2000-01-01T00:00:00+00:00"))
        runner = JobRunner(ingestor, catalog, settings)
        assert runner.shared
        runner.run_forever(until_idle=True)
        assert catalog.write_intents() == {"other-drive": 2}
        assert OLD in _texts(store)
