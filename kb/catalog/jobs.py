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

import sqlalchemy as sa

from kb.catalog.db import Database, utc_now
from kb.catalog.records import JobRecord
from kb.catalog.tables import jobs
from kb.errors import ConflictError, NotFoundError

JOB_STATUSES = ("queued", "running", "done", "failed")
WAITING = ("queued", "running")
_WAITING = jobs.c.status.in_(WAITING)


def _waiting_job_for(conn: sa.Connection, document_id: str) -> sa.RowMapping | None:
    """The oldest queued or running job of one document, if any."""
    statement = sa.select(jobs).where(jobs.c.document_id == document_id, _WAITING).order_by(jobs.c.created_at).limit(1)
    return conn.execute(statement).mappings().first()


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
        """Queue a job; committed (and synced) before this returns.

        A request is idempotent while its job waits: the same key sending the same original with the
        same request for the same document gets the waiting job back instead of a second one (a
        client retrying after a lost 202 must not make a duplicate that then fails as "already
        exists"). A different new document under an id that already has a waiting create is refused.
        """
        job_id = uuid.uuid4().hex
        now = utc_now()
        encoded = json.dumps(request or {}, ensure_ascii=False)
        with self.db.transaction() as conn:
            if document_id is not None:
                self.db.lock_document(conn, document_id)  # two replicas checking at once see each other
                waiting = _waiting_job_for(conn, document_id)
                if waiting is not None:
                    same = (waiting["kind"], waiting["key_id"], waiting["blob_sha256"], waiting["request"]) == (
                        kind,
                        key_id,
                        blob_sha256,
                        encoded,
                    )
                    if same:
                        return JobRecord.from_row(waiting)
                    if kind == "create" or waiting["kind"] == "create":
                        raise ConflictError(
                            f"document '{document_id}' already has a job {waiting['status']} ({waiting['id']}); "
                            f"follow it at /v1/jobs/{waiting['id']}, then send a new version with PUT"
                        )
            conn.execute(
                sa.insert(jobs).values(
                    id=job_id,
                    kind=kind,
                    status="queued",
                    document_id=document_id,
                    key_id=key_id,
                    error=None,
                    detail=json.dumps(detail, ensure_ascii=False),
                    created_at=now,
                    updated_at=now,
                    blob_sha256=blob_sha256,
                    size_bytes=size_bytes,
                    request=encoded,
                    attempts=0,
                    lease_until=None,
                )
            )
        return self.get_job(job_id)

    def get_job(self, job_id: str) -> JobRecord:
        rows = self.db.query(sa.select(jobs).where(jobs.c.id == job_id))
        if not rows:
            raise NotFoundError(f"no job with id '{job_id}'")
        return JobRecord.from_row(rows[0])

    def claim_job(self, *, lease_s: float) -> JobRecord | None:
        """Take the oldest runnable job (queued, or running with a lapsed lease), or ``None``.

        On PostgreSQL the candidate row is locked with ``FOR UPDATE SKIP LOCKED``: any number of
        workers in any number of processes claim at once, each gets a different job and none waits
        for another's claim. SQLite's ``BEGIN IMMEDIATE`` serialises claims instead (the clause is
        not rendered there). The claim counts an attempt, so a job that kills its worker every time
        still ends.
        """
        now = utc_now()
        runnable = sa.or_(jobs.c.status == "queued", sa.and_(jobs.c.status == "running", jobs.c.lease_until < now))
        with self.db.transaction() as conn:
            job_id = conn.execute(
                sa.select(jobs.c.id)
                .where(runnable)
                .order_by(jobs.c.created_at, jobs.c.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).scalar()
            if job_id is None:
                return None
            conn.execute(
                sa.update(jobs)
                .where(jobs.c.id == job_id)
                .values(
                    status="running",
                    attempts=jobs.c.attempts + 1,
                    lease_until=utc_now(plus_seconds=lease_s),
                    updated_at=now,
                )
            )
        return self.get_job(str(job_id))

    def renew_lease(self, job_id: str, *, lease_s: float) -> None:
        """Keep a long job claimed while it makes progress."""
        with self.db.transaction() as conn:
            conn.execute(
                sa.update(jobs)
                .where(jobs.c.id == job_id, jobs.c.status == "running")
                .values(lease_until=utc_now(plus_seconds=lease_s))
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
                sa.update(jobs)
                .where(jobs.c.id == job_id)
                .values(
                    status=status,
                    error=error,
                    document_id=sa.func.coalesce(document_id, jobs.c.document_id),
                    detail=json.dumps(merged, ensure_ascii=False),
                    updated_at=utc_now(),
                    lease_until=None,
                )
            )
        return self.get_job(job_id)

    def recover_interrupted_jobs(self, *, max_attempts: int) -> tuple[int, int]:
        """After a restart of the process that owns the KB: requeue its running jobs, or fail them.

        Only for a single owner (the embedded KB, whose lock guarantees no other worker is running
        them); shared deployments rely on lease expiry instead. Returns (requeued, failed).
        """
        now = utc_now()
        running = jobs.c.status == "running"
        message = (
            sa.literal("the server stopped while this job ran, ")
            + sa.cast(jobs.c.attempts, sa.Text)
            + sa.literal(" times; the file may be too large or slow to convert: check it, then upload it again")
        )
        with self.db.transaction() as conn:
            failed = conn.execute(
                sa.update(jobs)
                .where(running, jobs.c.attempts >= max_attempts)
                .values(status="failed", lease_until=None, updated_at=now, error=message)
            ).rowcount
            requeued = conn.execute(
                sa.update(jobs).where(running).values(status="queued", lease_until=None, updated_at=now)
            ).rowcount
        return int(requeued), int(failed)

    def queue_load(self, key_id: str | None = None) -> tuple[int, int, int]:
        """Waiting jobs, their bytes, and how many of them belong to ``key_id``."""
        mine = sa.case((jobs.c.key_id == key_id, 1), else_=0) if key_id is not None else sa.literal(0)
        row = self.db.query(
            sa.select(
                sa.func.count().label("jobs"),
                sa.func.coalesce(sa.func.sum(jobs.c.size_bytes), 0).label("bytes"),
                sa.func.coalesce(sa.func.sum(mine), 0).label("mine"),
            ).where(_WAITING)
        )[0]
        return int(row["jobs"]), int(row["bytes"]), int(row["mine"])

    def oldest_waiting_age_s(self) -> float:
        """Seconds since the oldest waiting job was queued (0 when none): a sign of a stuck worker."""
        oldest = self.db.scalar(sa.select(sa.func.min(jobs.c.created_at)).where(_WAITING))
        if oldest is None:
            return 0.0
        return max(0.0, (datetime.now(UTC) - datetime.fromisoformat(str(oldest))).total_seconds())
