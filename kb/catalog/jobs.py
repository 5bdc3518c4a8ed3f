"""Durable ingestion jobs: a 202 means the original and the job row are stored.

A job row holds everything needed to run it again: a reference to the original in the blob store
(never the bytes) and the request (file name, metadata, who sent it, which document). Workers claim
the oldest queued job with a lease; a job whose worker died (its lease ran out, or the process that
owned the embedded KB restarted) goes back to the queue until it has been tried ``max_attempts``
times, then fails for good with its reason.

    queued --claim--> running --finish--> done | failed
       ^                 |
       +-----retry-------+   (crash, lease expiry or a transient error, while attempts remain)
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from kb.catalog.db import Database, utc_now
from kb.catalog.records import JobRecord
from kb.errors import NotFoundError

JOB_STATUSES = ("queued", "running", "done", "failed")
WAITING = ("queued", "running")


class JobCatalog:
    """Jobs live in the catalog so they survive a restart or a ``kill -9`` of the server."""

    db: Database

    def create_job(
        self,
        *,
        kind: str,
        document_id: str | None,
        key_id: str | None,
        blob_sha256: str | None = None,
        size_bytes: int = 0,
        request: dict[str, Any] | None = None,
        **detail: Any,
    ) -> JobRecord:
        """Queue a job; committed (and synced) before this returns."""
        job_id = uuid.uuid4().hex
        now = utc_now()
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO jobs (id, kind, status, document_id, key_id, error, detail, created_at, updated_at,"
                " blob_sha256, size_bytes, request, attempts, lease_until)"
                " VALUES (?, ?, 'queued', ?, ?, NULL, ?, ?, ?, ?, ?, ?, 0, NULL)",
                (
                    job_id,
                    kind,
                    document_id,
                    key_id,
                    json.dumps(detail, ensure_ascii=False),
                    now,
                    now,
                    blob_sha256,
                    size_bytes,
                    json.dumps(request or {}, ensure_ascii=False),
                ),
            )
        return self.get_job(job_id)

    def get_job(self, job_id: str) -> JobRecord:
        rows = self.db.query("SELECT * FROM jobs WHERE id = ?", (job_id,))
        if not rows:
            raise NotFoundError(f"no job with id '{job_id}'")
        return JobRecord.from_row(rows[0])

    def claim_job(self, *, lease_s: float) -> JobRecord | None:
        """Take the oldest runnable job (queued, or running with a lapsed lease), or ``None``.

        The claim counts an attempt, so a job that kills its worker every time still ends.
        """
        now = utc_now()
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT id FROM jobs WHERE status = 'queued' OR (status = 'running' AND lease_until < ?)"
                " ORDER BY created_at, id LIMIT 1",
                (now,),
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_until = ?, updated_at = ?"
                " WHERE id = ?",
                (utc_now(plus_seconds=lease_s), now, row["id"]),
            )
        return self.get_job(str(row["id"]))

    def renew_lease(self, job_id: str, *, lease_s: float) -> None:
        """Keep a long job claimed while it makes progress."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE jobs SET lease_until = ? WHERE id = ? AND status = 'running'",
                (utc_now(plus_seconds=lease_s), job_id),
            )

    def finish_job(
        self,
        job_id: str,
        *,
        status: str,
        error: str | None = None,
        document_id: str | None = None,
        **detail: Any,
    ) -> JobRecord:
        """Record the outcome (``done``, ``failed``) or put the job back (``queued``) for a retry."""
        if status not in JOB_STATUSES:
            raise ValueError(f"unknown job status {status}")
        current = self.get_job(job_id)
        merged = {**current.detail, **detail}
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE jobs SET status=?, error=?, document_id=coalesce(?, document_id), detail=?, updated_at=?,"
                " lease_until=NULL WHERE id=?",
                (status, error, document_id, json.dumps(merged, ensure_ascii=False), utc_now(), job_id),
            )
        return self.get_job(job_id)

    def recover_interrupted_jobs(self, *, max_attempts: int) -> tuple[int, int]:
        """After a restart of the process that owns the KB: requeue its running jobs, or fail them.

        Only for a single owner (the embedded KB, whose lock guarantees no other worker is running
        them); shared deployments rely on lease expiry instead. Returns (requeued, failed).
        """
        now = utc_now()
        with self.db.transaction() as conn:
            failed = conn.execute(
                "UPDATE jobs SET status='failed', lease_until=NULL, updated_at=?,"
                " error='the server stopped while this job ran, ' || attempts || ' times; the file may be too"
                " large or slow to convert: check it, then upload it again'"
                " WHERE status='running' AND attempts >= ?",
                (now, max_attempts),
            ).rowcount
            requeued = conn.execute(
                "UPDATE jobs SET status='queued', lease_until=NULL, updated_at=? WHERE status='running'", (now,)
            ).rowcount
        return int(requeued), int(failed)

    def queue_load(self, key_id: str | None = None) -> tuple[int, int, int]:
        """Waiting jobs, their bytes, and how many of them belong to ``key_id``."""
        row = self.db.query(
            "SELECT count(*), coalesce(sum(size_bytes), 0), coalesce(sum(CASE WHEN key_id = ? THEN 1 ELSE 0 END), 0)"
            " FROM jobs WHERE status IN ('queued', 'running')",
            (key_id,),
        )[0]
        return int(row[0]), int(row[1]), int(row[2])

    def oldest_waiting_age_s(self) -> float:
        """Seconds since the oldest waiting job was queued (0 when none): a sign of a stuck worker."""
        rows = self.db.query("SELECT min(created_at) FROM jobs WHERE status IN ('queued', 'running')")
        if not rows or rows[0][0] is None:
            return 0.0
        return max(0.0, (datetime.now(UTC) - datetime.fromisoformat(str(rows[0][0]))).total_seconds())
