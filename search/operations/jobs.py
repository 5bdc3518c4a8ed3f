"""Background ingestion of uploads: durable jobs in the catalog, run by a worker thread.

Converting and embedding a 200-page PDF takes minutes on two cores; doing it in the request would
block the client and, worse, the event loop. :meth:`JobRunner.submit` streams the original into the
blob store and commits the job row before it returns, so the API's 202 means "kept": a restart or a
``kill -9`` loses nothing. The queue is the jobs table (references, not bytes), bounded in count,
bytes and per key so one contributor cannot fill it. At start the runner puts the jobs a previous
process was running back in the queue (or fails them once they have been tried
``KB_JOB_MAX_ATTEMPTS`` times) and reconciles the index with the catalog before taking new work.

That recovery is only right for a single owner (the embedded index with its SQLite catalog). When
the catalog or the index is shared (PostgreSQL, ``KB_QDRANT_URL``), other processes' jobs may be
running right now: the runner then relies on leases alone (a job whose worker died is claimed again
once its lease lapses), and interrupted index writes are left to ``kb check --repair``. The same
loop runs without the HTTP server in ``kb worker`` (:meth:`JobRunner.run_forever`).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, BinaryIO

from ingest.prepare import PreparedDocument
from ingest.quality import document_warnings
from ingest.service import Ingestor
from kb.blobs import open_blob_store
from kb.catalog import Catalog, JobRecord, KeyRecord
from kb.errors import BusyError, ConflictError, InputError, KBError, NotFoundError
from kb.settings import Settings

log = logging.getLogger(__name__)

# Failures that another attempt cannot mend: the file or the request is wrong.
PERMANENT = (InputError, ConflictError, NotFoundError)
LEASE_S = 120.0


class JobRunner:
    """Queues uploads durably and ingests them in order on one daemon thread.

    One worker keeps writes to the embedded index ordered and memory bounded (one upload's bytes in
    memory at a time).
    """

    def __init__(self, ingestor: Ingestor, catalog: Catalog, settings: Settings | None = None) -> None:
        self.ingestor = ingestor
        self.catalog = catalog
        self.settings = settings or ingestor.settings
        self.blobs = open_blob_store(self.settings, catalog)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._submit_lock = threading.Lock()
        self.finished: dict[str, int] = {"done": 0, "failed": 0, "retried": 0}
        self._last_mend = 0.0

    @property
    def shared(self) -> bool:
        """Whether other processes may run this catalog's jobs: a Qdrant server or a PostgreSQL catalog."""
        return bool(self.settings.qdrant_url) or self.catalog.db.dialect != "sqlite"

    @property
    def stale_write_s(self) -> float:
        """Age after which a write intent in a shared deployment is a crashed writer's, not a live one's.

        An intent spans only the index upsert and the commit of one version (seconds); every job ends
        within KB_JOB_TIMEOUT_S. Twice the longest lease is far beyond any live write.
        """
        return 2 * max(LEASE_S, self.settings.job_timeout_s * 1.5)

    def _recover(self) -> None:
        """Recover what a previous process left (only the owner of an embedded KB: see :meth:`start`).

        A shared deployment instead finishes or undoes the writes that crashed writers left long ago
        (:attr:`stale_write_s`); it does so again whenever the worker is idle, at most once a minute,
        so a ``kill -9`` of one replica is mended by the others without ``kb check --repair``.
        """
        requeued = failed = 0
        repaired: list[str] = []
        if not self.shared:
            requeued, failed = self.catalog.recover_interrupted_jobs(max_attempts=self.settings.job_max_attempts)
            repaired = self.ingestor.recover()
        else:
            repaired = self._mend_stale_writes()
        if requeued or failed or repaired:
            log.warning(
                "recovered after a restart: %d jobs requeued, %d failed for good, %d documents reconciled",
                requeued,
                failed,
                len(repaired),
            )

    def _mend_stale_writes(self) -> list[str]:
        self._last_mend = time.monotonic()
        try:
            mended = self.ingestor.recover(older_than_s=self.stale_write_s)
        except Exception:  # the index or the catalog is away for a moment: the next sweep retries
            log.exception("could not mend interrupted writes")
            return []
        if mended:
            log.warning("mended %d writes that crashed writers left: %s", len(mended), ", ".join(mended))
        return mended

    def start(self) -> None:
        """Recover what a previous process left, then start the worker.

        Only the owner of an embedded KB may do this: its lock proves no other process is running
        those jobs. A shared deployment (a Qdrant server, several API and worker processes) must not
        take another live worker's job: there a crashed worker's job returns to the queue when its
        lease lapses, and its rerun rewrites the document whole (``kb check --repair`` mends the rest).
        """
        self._recover()
        self._stopping.clear()
        self._thread = threading.Thread(target=self._work, name="ingest-worker", daemon=True)
        self._thread.start()

    def run_forever(self, *, until_idle: bool = False) -> None:
        """The worker loop in the calling thread (``kb worker``), until :meth:`stop` is called.

        With ``until_idle`` it returns once no job is waiting (tests, a drain before a shutdown).
        """
        self._recover()
        self._stopping.clear()
        self._work(until_idle=until_idle)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the current job; a job still running is retried by the next start."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    # -- submitting ----------------------------------------------------------------------------------

    def submit(
        self,
        *,
        filename: str,
        raw_meta: dict[str, Any],
        key: KeyRecord | None,
        document_id: str | None = None,
        expected_id: str | None = None,
        upload: BinaryIO | None = None,
        data: bytes | None = None,
        blob_sha256: str | None = None,
        review: bool = False,
        submission_id: str | None = None,
    ) -> JobRecord:
        """Store the original and queue a job for it; ``document_id`` makes it a new version.

        ``review``: the job converts and checks the upload, then records a submission for a curator
        instead of publishing (:mod:`kb.catalog.reviews`). ``submission_id``: this job publishes that
        approved submission, which is marked published when the job is done.

        Exactly one of ``upload`` (a file object, streamed in pieces), ``data`` or ``blob_sha256`` (an
        original already stored, for a metadata-only update). Blocking disk I/O: call it off the
        event loop. Raises :class:`BusyError` (with Retry-After) when the queue is full.
        """
        if sum(x is not None for x in (upload, data, blob_sha256)) != 1:
            raise ValueError("submit needs exactly one of upload, data or blob_sha256")
        key_id = key.id if key else None
        with self._submit_lock:  # the bounds are checked and the row added as one step
            size = len(data) if data is not None else _size_of(upload)
            self._check_room(key_id, size)
            if blob_sha256 is not None:
                if not self.blobs.exists(blob_sha256):
                    raise NotFoundError(f"original file {blob_sha256[:12]} is missing from the blob store")
                digest = blob_sha256
            elif data is not None:
                digest = self.blobs.put(data)
            else:
                assert upload is not None
                upload.seek(0)
                digest, size = self.blobs.put_stream(upload, size_hint=size)
            job = self.catalog.create_job(
                kind="update" if document_id else "create",
                document_id=document_id or expected_id,
                key_id=key_id,
                blob_sha256=digest,
                size_bytes=size,
                request={
                    "filename": filename,
                    "raw_meta": raw_meta,
                    "actor": key.actor if key else "system",
                    "owner_key_id": key_id,
                    "may_take_over": bool(key and key.is_admin),
                    "document_id": document_id,
                    "must_be_new": document_id is None,
                    "review": review,
                    "submission_id": submission_id,
                },
                filename=filename,
            )
        self._wake.set()
        return job

    def _check_room(self, key_id: str | None, size: int) -> None:
        jobs, waiting_bytes, mine = self.catalog.queue_load(key_id)
        settings = self.settings
        retry = self._retry_after(jobs)
        if key_id is not None and mine >= settings.queue_max_per_key:
            raise BusyError(
                f"this key already has {mine} uploads waiting (the limit is {settings.queue_max_per_key}); "
                "wait for them to finish, then send more",
                retry_after=retry,
            )
        if jobs >= settings.queue_max_jobs or waiting_bytes + size > settings.queue_max_bytes:
            raise BusyError(
                f"the upload queue is full ({jobs} uploads, {waiting_bytes / 1e6:.0f} MB waiting); try again later",
                retry_after=retry,
            )

    @staticmethod
    def _retry_after(waiting: int) -> float:
        """A rough wait: about ten seconds per queued upload, between half a minute and ten minutes."""
        return float(min(600, max(30, 10 * waiting)))

    def pending(self) -> int:
        """Jobs waiting or running (for /metrics)."""
        return self.catalog.queue_load()[0]

    # -- working -------------------------------------------------------------------------------------

    def _work(self, *, until_idle: bool = False) -> None:
        while not self._stopping.is_set():
            try:
                job = self.catalog.claim_job(lease_s=max(LEASE_S, self.settings.job_timeout_s * 1.5))
            except Exception:  # a catalog hiccup (disk full, a database restart) must not kill the worker
                log.exception("could not claim a job")
                job = None
            if job is None:
                if until_idle:
                    return
                if self.shared and time.monotonic() - self._last_mend > 60:
                    self._mend_stale_writes()
                self._wake.wait(timeout=1.0)
                self._wake.clear()
                continue
            self._run(job)

    def _run(self, job: JobRecord) -> None:
        request = job.request
        deadline = time.monotonic() + self.settings.job_timeout_s
        try:
            data = self.blobs.get(job.blob_sha256 or "")
            if request.get("review"):
                self._submit_for_review(job, data, deadline)
                return
            record, outcome = self.ingestor.ingest_upload(
                data,
                filename=str(request.get("filename") or "upload.txt"),
                raw_meta=dict(request.get("raw_meta") or {}),
                actor=str(request.get("actor") or "system"),
                owner_key_id=request.get("owner_key_id"),
                may_take_over=bool(request.get("may_take_over")),
                document_id=request.get("document_id"),
                must_be_new=bool(request.get("must_be_new")),
                job_id=job.id,
                deadline=deadline,
            )
        except PERMANENT as exc:
            self._fail(job, exc.message)
        except Exception as exc:  # transient (disk full, index unavailable) or a bug: retry while we may
            message = exc.message if isinstance(exc, KBError) else f"internal error: {type(exc).__name__}"
            if not isinstance(exc, KBError):
                log.exception("ingest job %s failed", job.id)
            if job.attempts < self.settings.job_max_attempts and not self._stopping.is_set():
                self.catalog.finish_job(job.id, status="queued", error=f"attempt {job.attempts} failed: {message}")
                self.finished["retried"] += 1
                self._stopping.wait(min(30.0, 2.0**job.attempts))  # back off: a full disk needs a moment
            else:
                self._fail(job, message)
        else:
            if request.get("submission_id"):
                self.catalog.mark_published(str(request["submission_id"]), version=record.current_version)
            self.catalog.finish_job(
                job.id,
                status="done",
                document_id=record.id,
                outcome=outcome,
                version=record.current_version,
                warnings=document_warnings(self.catalog, record),  # what the contributor should look at
            )
            self.finished["done"] += 1

    def _submit_for_review(self, job: JobRecord, data: bytes, deadline: float) -> None:
        """Convert and check the upload as publishing would, then keep it for a curator: nothing is
        indexed, so no read path can show it before it is approved."""
        request = job.request
        prepared = self.ingestor.prepare_upload(
            data,
            filename=str(request.get("filename") or "upload.txt"),
            raw_meta=dict(request.get("raw_meta") or {}),
            owner_key_id=request.get("owner_key_id"),
            may_take_over=bool(request.get("may_take_over")),
            document_id=request.get("document_id"),
            must_be_new=bool(request.get("must_be_new")),
            deadline=deadline,
        )
        warnings = review_warnings(prepared)
        submission = self.catalog.create_submission(
            document_id=prepared.meta.id,
            kind="update" if request.get("document_id") else "create",
            key_id=request.get("owner_key_id"),
            actor=str(request.get("actor") or "system"),
            title=prepared.meta.title,
            states=prepared.meta.states,
            visibility=prepared.meta.visibility.value,
            blob_sha256=job.blob_sha256 or prepared.blob_sha256,
            filename=prepared.filename,
            request={**request, "review": False},
            metadata=prepared.meta.to_payload(),
            preview=preview_of(prepared),
            warnings=warnings,
            job_id=job.id,
        )
        self.catalog.finish_job(
            job.id,
            status="done",
            document_id=submission.document_id,
            outcome="submitted",
            submission_id=submission.id,
            review_url=f"/v1/submissions/{submission.id}",
            warnings=warnings,
        )
        self.finished["done"] += 1

    def _fail(self, job: JobRecord, message: str) -> None:
        self.catalog.finish_job(job.id, status="failed", error=message)
        self.finished["failed"] += 1


PREVIEW_CHARS = 400_000  # what a reviewer reads of a submission; the original is always downloadable


def preview_of(prepared: PreparedDocument) -> list[dict[str, Any]]:
    """The converted sections a curator reads in the queue (capped: a 500-page scan stays a download)."""
    sections: list[dict[str, Any]] = []
    room = PREVIEW_CHARS
    for section in prepared.converted.sections:
        if room <= 0:
            break
        text = section.text[:room]
        room -= len(text)
        sections.append({"heading_path": list(section.heading_path), "page": section.page, "text": text})
    return sections


def review_warnings(prepared: PreparedDocument) -> list[str]:
    """What a contributor and a curator should see about a submission: conversion warnings and the
    practice-record checks (missing case-study sections, no owner or contact; :mod:`ingest.quality`)."""
    return list(prepared.warnings)


def _size_of(upload: BinaryIO | None) -> int:
    """Bytes in a seekable upload (Starlette spools large ones to a temporary file)."""
    if upload is None:
        return 0
    upload.seek(0, 2)
    size = upload.tell()
    upload.seek(0)
    return size
