"""PostgreSQL under concurrency: version numbers, job claims and leases with several writers at once."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from kb.catalog import Catalog
from kb.errors import ConflictError
from kb.metadata import build_metadata
from kb.models import Section
from tests.kb.conftest import empty_tables


def _write(catalog: Catalog, doc_id: str, text: str, hold: threading.Barrier | None = None) -> int:
    """One writer's version, retried while another writer got there first (what a client does on 409)."""
    meta = build_metadata(
        {"id": doc_id, "states": ["Haryana"], "type": "case_study", "sector": "health", "year": 2020},
        default_id=doc_id,
        default_title="Doc",
    )
    while True:
        version = catalog.begin_write(doc_id)
        if hold is not None:
            hold.wait()  # both writers hold the same next number before either commits
            hold = None
        try:
            record, _ = catalog.record_version(
                meta=meta,
                version=version,
                blob_sha256="0" * 64,
                filename="d.md",
                media_type="text/markdown",
                size_bytes=1,
                fingerprint=text,
                sections=[Section(text, (), None)],
                chunk_count=1,
                actor="cli",
            )
            return record.current_version
        except ConflictError:
            continue


def test_two_writers_of_one_document_get_consecutive_versions(pg_url: str) -> None:
    empty_tables(pg_url)
    with Catalog(pg_url) as first, Catalog(pg_url) as second:  # two processes' worth of connections
        for start_with_existing in (False, True):
            if start_with_existing:
                _write(first, "doc", "seed")
            base = len(first.versions("doc"))
            barrier = threading.Barrier(2)
            got: dict[str, int] = {}
            errors: list[BaseException] = []

            def run(
                name: str,
                catalog: Catalog,
                barrier: threading.Barrier = barrier,
                got: dict[str, int] = got,
                errors: list[BaseException] = errors,
            ) -> None:
                try:
                    got[name] = _write(catalog, "doc", name, barrier)
                except BaseException as exc:
                    errors.append(exc)

            threads = [threading.Thread(target=run, args=(n, c)) for n, c in (("a", first), ("b", second))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            assert not errors, errors  # never a duplicate-key error: the loser saw ConflictError and retried
            assert sorted(got.values()) == [base + 1, base + 2]
            assert [v.version for v in first.versions("doc")] == list(range(1, base + 3))


def test_two_workers_never_claim_the_same_job(pg_url: str) -> None:
    empty_tables(pg_url)
    with Catalog(pg_url) as producer:
        created = {producer.create_job(kind="create", document_id=None, key_id=None).id for _ in range(30)}
    claimed: dict[str, list[str]] = {"w1": [], "w2": []}

    def work(name: str) -> None:
        with Catalog(pg_url) as catalog:
            while (job := catalog.claim_job(lease_s=60)) is not None:
                claimed[name].append(job.id)
                catalog.finish_job(job.id, status="done")

    threads = [threading.Thread(target=work, args=(n,)) for n in claimed]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    everything = claimed["w1"] + claimed["w2"]
    assert sorted(everything) == sorted(created)  # each job once, none left
    assert claimed["w1"] and claimed["w2"]  # SKIP LOCKED: both made progress side by side


CLAIM_AND_DIE = """
import os, sys
from kb.catalog import Catalog
job = Catalog(sys.argv[1]).claim_job(lease_s=2)
print(job.id, flush=True)
os.kill(os.getpid(), 9)   # a worker killed mid-job: no finish, no cleanup
"""


def test_a_killed_workers_job_is_claimed_again_after_its_lease(pg_url: str) -> None:
    empty_tables(pg_url)
    with Catalog(pg_url) as catalog:
        job = catalog.create_job(kind="create", document_id=None, key_id=None)
        killed = subprocess.run([sys.executable, "-c", CLAIM_AND_DIE, pg_url], capture_output=True, text=True)
        assert killed.returncode == -9 and killed.stdout.strip() == job.id, killed.stderr
        assert catalog.claim_job(lease_s=60) is None  # still leased to the dead worker
        time.sleep(3.1)  # timestamps have whole seconds: 2 s lease + rounding
        again = catalog.claim_job(lease_s=60)
        assert again is not None and again.id == job.id and again.attempts == 2


@pytest.mark.parametrize("lease_s", [-1.0])
def test_an_expired_lease_returns_the_job_to_the_queue(pg_url: str, lease_s: float) -> None:
    empty_tables(pg_url)
    with Catalog(pg_url) as one, Catalog(pg_url) as other:
        job = one.create_job(kind="create", document_id=None, key_id=None)
        assert one.claim_job(lease_s=lease_s) is not None
        retaken = other.claim_job(lease_s=60)
        assert retaken is not None and retaken.id == job.id and retaken.status == "running"
