"""Background ingestion of uploads: one worker thread, jobs recorded in the catalog.

Converting and embedding a 200-page PDF takes minutes on two cores; doing it in the request would
block the client and, worse, the event loop. Uploads are queued and answered with a job resource
(``GET /v1/jobs/{id}``); searches keep running while the worker ingests. One worker keeps writes to
the embedded index ordered and memory bounded.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from typing import Any

from ingest.service import Ingestor
from kb.catalog import Catalog, JobRecord, KeyRecord
from kb.errors import KBError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Upload:
    job_id: str
    data: bytes
    filename: str
    raw_meta: dict[str, Any]
    actor: str
    owner_key_id: str | None
    document_id: str | None  # set for updates (PUT)
    must_be_new: bool


class JobRunner:
    """Queues uploads and ingests them in order on a daemon thread."""

    def __init__(self, ingestor: Ingestor, catalog: Catalog) -> None:
        self.ingestor = ingestor
        self.catalog = catalog
        self._queue: queue.Queue[_Upload | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self.finished: dict[str, int] = {"done": 0, "failed": 0}

    def start(self) -> None:
        # Jobs left queued by a previous process lost their upload with it: say so instead of hanging.
        self.catalog.fail_unfinished_jobs("the server restarted before this job ran; upload the file again")
        self._thread = threading.Thread(target=self._work, name="ingest-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    def submit(
        self,
        *,
        data: bytes,
        filename: str,
        raw_meta: dict[str, Any],
        key: KeyRecord | None,
        document_id: str | None = None,
        expected_id: str | None = None,
    ) -> JobRecord:
        """Queue an upload; ``document_id`` makes it a new version of that document."""
        job = self.catalog.create_job(
            kind="update" if document_id else "create",
            document_id=document_id or expected_id,
            key_id=key.id if key else None,
            filename=filename,
        )
        self._queue.put(
            _Upload(
                job_id=job.id,
                data=data,
                filename=filename,
                raw_meta=raw_meta,
                actor=key.actor if key else "system",
                owner_key_id=key.id if key else None,
                document_id=document_id,
                must_be_new=document_id is None,
            )
        )
        return job

    def pending(self) -> int:
        return self._queue.qsize()

    def _work(self) -> None:
        while True:
            upload = self._queue.get()
            if upload is None:
                return
            self._run(upload)

    def _run(self, upload: _Upload) -> None:
        self.catalog.update_job(upload.job_id, status="running")
        try:
            record, outcome = self.ingestor.ingest_upload(
                upload.data,
                filename=upload.filename,
                raw_meta=upload.raw_meta,
                actor=upload.actor,
                owner_key_id=upload.owner_key_id,
                document_id=upload.document_id,
                must_be_new=upload.must_be_new,
            )
        except KBError as exc:
            self.catalog.update_job(upload.job_id, status="failed", error=exc.message)
            self.finished["failed"] += 1
        except Exception as exc:  # never let the worker die; the job says what happened
            log.exception("ingest job %s failed", upload.job_id)
            self.catalog.update_job(upload.job_id, status="failed", error=f"internal error: {type(exc).__name__}")
            self.finished["failed"] += 1
        else:
            self.catalog.update_job(
                upload.job_id,
                status="done",
                document_id=record.id,
                outcome=outcome,
                version=record.current_version,
            )
            self.finished["done"] += 1
