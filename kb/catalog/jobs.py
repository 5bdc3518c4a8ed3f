"""Background ingestion jobs: queued, running, done or failed with the reason."""

from __future__ import annotations

import json
import uuid
from typing import Any

from kb.catalog.db import Database, utc_now
from kb.catalog.records import JobRecord
from kb.errors import NotFoundError

JOB_STATUSES = ("queued", "running", "done", "failed")


class JobCatalog:
    """Jobs live in the catalog so their outcome survives a server restart."""

    db: Database

    def create_job(self, *, kind: str, document_id: str | None, key_id: str | None, **detail: Any) -> JobRecord:
        job_id = uuid.uuid4().hex
        now = utc_now()
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO jobs VALUES (?,?,?,?,?,NULL,?,?,?)",
                (
                    job_id,
                    kind,
                    "queued",
                    document_id,
                    key_id,
                    json.dumps(detail, ensure_ascii=False),
                    now,
                    now,
                ),
            )
        return self.get_job(job_id)

    def update_job(
        self,
        job_id: str,
        *,
        status: str,
        error: str | None = None,
        document_id: str | None = None,
        **detail: Any,
    ) -> JobRecord:
        if status not in JOB_STATUSES:
            raise ValueError(f"unknown job status {status}")
        current = self.get_job(job_id)
        merged = {**current.detail, **detail}
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE jobs SET status=?, error=?, document_id=coalesce(?, document_id), detail=?, updated_at=?"
                " WHERE id=?",
                (status, error, document_id, json.dumps(merged, ensure_ascii=False), utc_now(), job_id),
            )
        return self.get_job(job_id)

    def get_job(self, job_id: str) -> JobRecord:
        rows = self.db.query("SELECT * FROM jobs WHERE id = ?", (job_id,))
        if not rows:
            raise NotFoundError(f"no job with id '{job_id}'")
        return JobRecord.from_row(rows[0])

    def fail_unfinished_jobs(self, reason: str) -> int:
        """Mark jobs left queued/running by a previous process as failed (their upload is gone)."""
        with self.db.transaction() as conn:
            return int(
                conn.execute(
                    "UPDATE jobs SET status='failed', error=?, updated_at=? WHERE status IN ('queued','running')",
                    (reason, utc_now()),
                ).rowcount
            )
